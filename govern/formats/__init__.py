"""Report formatters: each turns a `Report` into a `str`; the CLI owns the stream.

One short module per format. `render` is the only entry point callers need; its `match`
ends in `assert_never`, so a format added to `OutputFormat` but not wired here fails mypy.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from typing import assert_never

from govern import __version__
from govern.findings import Finding, Location, Report
from govern.textsafe import printable


class OutputFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    GITHUB = "github"


def render(
    report: Report,
    fmt: OutputFormat,
    *,
    color: bool = False,
    tool_version: str = __version__,
) -> str:
    """`report` as `fmt`. `color` only affects TEXT; `tool_version` only SARIF.

    Each formatter is imported when chosen: the text one pulls in rich, which a CI run
    writing JSON or SARIF has no use for. Text, JUnit, Markdown and GitHub commands reach
    terminals and CI logs: control characters in values (newlines included, so nothing lands
    at column 0) are escaped first. JSON and SARIF escape them as JSON does."""
    if fmt not in (OutputFormat.JSON, OutputFormat.SARIF):
        report = inert(report)
    match fmt:
        case OutputFormat.TEXT:
            from govern.formats import text

            return text.render(report, color=color)
        case OutputFormat.JSON:
            from govern.formats import json

            return json.render(report)
        case OutputFormat.SARIF:
            from govern.formats import sarif

            return sarif.render(report, tool_version=tool_version)
        case OutputFormat.JUNIT:
            from govern.formats import junit

            return junit.render(report)
        case OutputFormat.MARKDOWN:
            from govern.formats import markdown

            return markdown.render(report)
        case OutputFormat.GITHUB:
            from govern.formats import github

            return github.render(report)
        case _:
            assert_never(fmt)


def _opt(text: str | None) -> str | None:
    return None if text is None else printable(text)


def _inert_finding(finding: Finding) -> Finding:
    location = finding.location
    return replace(
        finding,
        message=printable(finding.message),
        account=_opt(finding.account),
        person=_opt(finding.person),
        entity=_opt(finding.entity),
        waiver_reason=_opt(finding.waiver_reason),
        location=Location(printable(location.path), location.line, location.column),
    )


def inert(report: Report) -> Report:
    """`report` with control characters in every text field escaped (see govern.textsafe)."""
    return replace(
        report,
        inventory=printable(report.inventory),
        findings=tuple(_inert_finding(f) for f in report.findings),
    )


__all__ = ["OutputFormat", "inert", "render"]
