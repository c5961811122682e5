"""The human report: findings grouped by account, one line each, and a one-line summary.

    acme-instagram
      ERROR   mfa-required  Alice has no MFA  (inventory.yaml:12:9)

Findings without an account are grouped under their file. Colour (rich, ANSI "standard"
palette) only when `color=True`; otherwise the output is plain text without escape codes.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from govern.findings import Finding, Report, Severity
from govern.formats._common import counts_phrase

_STYLES: dict[Severity, str] = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}
_SEVERITY_WIDTH = max(len(s.value) for s in Severity)


def render(report: Report, *, color: bool = False) -> str:
    groups: dict[str, list[Finding]] = {}
    for finding in report.findings:
        groups.setdefault(finding.account or finding.location.path, []).append(finding)
    rule_width = max((len(f.rule) for f in report.findings), default=0)
    lines: list[Text] = []
    for heading, findings in groups.items():
        lines.append(Text(heading, style="bold"))
        lines += [_line(finding, rule_width) for finding in findings]
        lines.append(Text())
    counts = counts_phrase(report)
    summary = f"{counts} in {report.inventory}" if counts else f"No findings in {report.inventory}"
    lines.append(Text(summary, style="bold"))
    if report.coverage is not None:
        lines.append(Text(report.coverage.line(), style="bold"))

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        legacy_windows=False,
        width=1_000,
    )
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)
    return buffer.getvalue()


def _line(finding: Finding, rule_width: int) -> Text:
    severity = finding.severity.value.upper().ljust(_SEVERITY_WIDTH)
    # A multi-line message keeps the indentation of the line it starts on.
    indent = "\n" + " " * (2 + _SEVERITY_WIDTH + 1 + rule_width + 2)
    message = indent.join(finding.message.splitlines() or [""])
    line = Text("  ")
    line.append(severity, style="dim" if finding.waived else _STYLES[finding.severity])
    line.append(f" {finding.rule.ljust(rule_width)}  ", style="dim" if finding.waived else "")
    line.append(message, style="dim" if finding.waived else "")
    line.append(f"  ({finding.location})", style="dim")
    if finding.waived:
        reason = f": {finding.waiver_reason}" if finding.waiver_reason else ""
        line.append(f"  [waived{reason}]", style="italic")
    elif finding.fix:
        line.append("\n" + " " * (2 + _SEVERITY_WIDTH + 1 + rule_width + 2) + "fix: ", style="dim")
        line.append(finding.fix, style="green")
    return line
