"""Report formatters: each turns a `Report` into a `str`; the CLI owns the stream.

One short module per format. `render` is the only entry point callers need; its `match`
ends in `assert_never`, so a format added to `OutputFormat` but not wired here fails mypy.
"""

from __future__ import annotations

import enum
from typing import assert_never

from govern import __version__
from govern.findings import Report
from govern.formats import github, json, junit, markdown, sarif, text


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
    """`report` as `fmt`. `color` only affects TEXT; `tool_version` only SARIF."""
    match fmt:
        case OutputFormat.TEXT:
            return text.render(report, color=color)
        case OutputFormat.JSON:
            return json.render(report)
        case OutputFormat.SARIF:
            return sarif.render(report, tool_version=tool_version)
        case OutputFormat.JUNIT:
            return junit.render(report)
        case OutputFormat.MARKDOWN:
            return markdown.render(report)
        case OutputFormat.GITHUB:
            return github.render(report)
        case _:
            assert_never(fmt)


__all__ = ["OutputFormat", "render"]
