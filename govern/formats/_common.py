"""Small helpers shared by the human-facing formats (text, markdown, junit)."""

from __future__ import annotations

from govern.findings import Finding, Report


def counts_phrase(report: Report) -> str:
    """'2 errors, 1 warning, 3 info, 1 waived' (zero counts left out); '' when there are none."""
    summary = report.summary()
    parts = []
    for key, singular, plural in (
        ("error", "error", "errors"),
        ("warning", "warning", "warnings"),
        ("info", "info", "info"),
        ("waived", "waived", "waived"),
    ):
        if summary[key]:
            parts.append(f"{summary[key]} {singular if summary[key] == 1 else plural}")
    return ", ".join(parts)


def subject(finding: Finding) -> str:
    """Who or what a finding is about: 'account', 'account / person', or the file path."""
    head = finding.account or finding.location.path
    tail = finding.person or finding.entity
    return f"{head} / {tail}" if tail else head
