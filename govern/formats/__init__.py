"""Report formatters: each turns a `Report` into a `str`; the CLI owns the stream.

One short module per format. `render` is the only entry point callers need; its `match`
ends in `assert_never`, so a format added to `OutputFormat` but not wired here fails mypy.
"""

from __future__ import annotations

import enum
from typing import assert_never

from govern import __version__
from govern.findings import Report


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
    writing JSON or SARIF has no use for."""
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


__all__ = ["OutputFormat", "render"]
