"""Every format against a golden file.

Regenerate with `GOVERN_UPDATE_GOLDEN=1 pytest tests/formats`, then read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govern.findings import Report
from govern.formats import OutputFormat, render, sarif

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("GOVERN_UPDATE_GOLDEN") == "1"
SUFFIX = {
    OutputFormat.TEXT: "txt",
    OutputFormat.JSON: "json",
    OutputFormat.SARIF: "sarif",
    OutputFormat.JUNIT: "xml",
    OutputFormat.MARKDOWN: "md",
    OutputFormat.GITHUB: "log",
}
CASES = [(fmt, False) for fmt in OutputFormat] + [(OutputFormat.TEXT, True)]


@pytest.fixture(autouse=True)
def _fixed_information_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    # Package metadata may gain a home page; the golden files should not depend on it.
    monkeypatch.setattr(sarif, "INFORMATION_URI", "https://example.org/govern")


def check(name: str, output: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(output, encoding="utf-8", newline="")
    assert path.exists(), f"missing {path}: run with GOVERN_UPDATE_GOLDEN=1"
    assert output == path.read_bytes().decode("utf-8")


@pytest.mark.parametrize(("fmt", "color"), CASES, ids=lambda v: str(v))
def test_golden(report: Report, fmt: OutputFormat, color: bool) -> None:
    output = render(report, fmt, color=color, tool_version="1.2.3")
    check(f"report{'-color' if color else ''}.{SUFFIX[fmt]}", output)


@pytest.mark.parametrize("fmt", list(OutputFormat), ids=str)
def test_golden_clean(clean_report: Report, fmt: OutputFormat) -> None:
    check(f"clean.{SUFFIX[fmt]}", render(clean_report, fmt, tool_version="1.2.3"))


def test_every_format_is_covered() -> None:
    assert set(SUFFIX) == set(OutputFormat)
