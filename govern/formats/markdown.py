"""GitHub-flavoured Markdown for PR comments and `$GITHUB_STEP_SUMMARY`.

A headline with counts, a table of open findings, waived findings folded into `<details>`,
and a clean-audit line when nothing is open.
"""

from __future__ import annotations

import re

from govern.findings import Finding, Report
from govern.formats._common import counts_phrase

_COLUMNS = ("Severity", "Rule", "Account", "Person", "Message", "Location")
# Characters that would end a cell, start markup or inline HTML, or break the table row.
_SPECIAL = re.compile(r"[\\`*_\[\]|<>&]|\r\n|\r|\n")
# An @ that GitHub would turn into a mention (not one inside an e-mail address).
_MENTION = re.compile(r"(?<![A-Za-z0-9])@(?=[A-Za-z0-9])")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def render(report: Report) -> str:
    open_findings = [f for f in report.findings if not f.waived]
    waived = [f for f in report.findings if f.waived]
    inventory = f"`{report.inventory}`" if "`" not in report.inventory else cell(report.inventory)
    lines = [f"### govern audit: {counts_phrase(report) or 'no findings'} in {inventory}", ""]
    if open_findings:
        lines += _table(open_findings, _COLUMNS)
    else:
        lines.append(":white_check_mark: Clean audit: no open findings.")
    if waived:
        label = "waived finding" if len(waived) == 1 else "waived findings"
        lines += ["", f"<details><summary>{len(waived)} {label}</summary>", ""]
        lines += _table(waived, (*_COLUMNS, "Waiver"))
        lines += ["", "</details>"]
    if report.coverage is not None:
        lines += ["", f"**Coverage:** {cell(report.coverage.line())}"]
    return "\n".join(lines) + "\n"


def cell(text: str) -> str:
    """`text` safe inside a table cell: markup escaped, newlines as `<br>`, no @mention."""

    def replace(match: re.Match[str]) -> str:
        char = match.group()
        if char in _ENTITIES:
            return _ENTITIES[char]
        if char in ("\r\n", "\r", "\n"):
            return "<br>"
        return "\\" + char

    # A zero-width space after the @: shown as @name, never notifies anyone.
    return _MENTION.sub("@&#8203;", _SPECIAL.sub(replace, text))


def _table(findings: list[Finding], columns: tuple[str, ...]) -> list[str]:
    rows = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for finding in findings:
        values = [
            finding.severity.value,
            finding.rule,
            finding.account or "",
            finding.person or "",
            finding.message
            + (f"\nFix: {finding.fix}" if finding.fix and not finding.waived else ""),
            str(finding.location),
        ]
        if len(columns) > len(_COLUMNS):
            values.append(finding.waiver_reason or "")
        rows.append("| " + " | ".join(cell(value) for value in values) + " |")
    return rows
