"""grant-expiry: a grant is valid through its `expires` day; warnings from `warn_days` before."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.findings import Severity
from tests.conftest import BASE, at, brief, run_audit


def mgr_expires(on: str) -> str:
    return BASE.replace(
        "{person: mgr, role: editor}", f"{{person: mgr, role: editor, expires: {on}}}"
    )


# Audited on 2026-11-22 with the default warn_days 14 (horizon 2026-12-06).
@pytest.mark.parametrize(
    ("expires", "expected"),
    [
        ("2026-12-07", None),
        ("2026-12-06", (Severity.WARNING, "expires in 14 days (2026-12-06)")),
        ("2026-11-23", (Severity.WARNING, "expires in 1 day (2026-11-23)")),
        ("2026-11-22", (Severity.WARNING, "expires in 0 days (2026-11-22)")),
        ("2026-11-21", (Severity.ERROR, "expired on 2026-11-21")),
    ],
)
def test_date_boundaries(
    tmp_path: Path, expires: str, expected: tuple[Severity, str] | None
) -> None:
    text = mgr_expires(expires)
    findings = run_audit(tmp_path, text, rule="grant-expiry")
    if expected is None:
        assert findings == []
        return
    severity, tail = expected
    assert brief(findings) == [("grant-expiry", *at(text, 20, expires))]
    assert findings[0].severity == severity
    assert findings[0].message == f"grant of editor to 'mgr' {tail}"
    assert (findings[0].account, findings[0].person, findings[0].entity) == (
        "fb",
        "mgr",
        "parish",
    )


@pytest.mark.parametrize(("warn_days", "fires"), [(3, False), (4, True)])
def test_warn_days(tmp_path: Path, warn_days: int, fires: bool) -> None:
    policies = {"rules.yaml": f"rules:\n  grant-expiry:\n    params: {{warn_days: {warn_days}}}\n"}
    findings = run_audit(
        tmp_path, mgr_expires("2026-11-26"), rule="grant-expiry", policies=policies
    )
    assert [f.message for f in findings] == (
        ["grant of editor to 'mgr' expires in 4 days (2026-11-26)"] if fires else []
    )
