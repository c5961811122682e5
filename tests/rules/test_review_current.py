"""review-current: every account's access is reviewed within `max_age_days` (365 by default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BASE, at, brief, run_audit

RULE = "review-current"


def reviewed(fb: str, others: str = "2026-11-01") -> str:
    text = BASE.replace(
        "    handle: sttest\n", f"    handle: sttest\n    reviewed: {{on: {fb}, by: head}}\n"
    )
    for handle in (
        '    handle: "@sttest"\n    access:\n      - {person: head, role: owner}',
        '    handle: "@sttest"\n    access:\n      - {person: head, role: admin}',
    ):
        head, rest = handle.split("\n", 1)
        text = text.replace(handle, f"{head}\n    reviewed: {{on: {others}, by: head}}\n{rest}")
    return text


# Audited on 2026-11-22: 365 days back is 2025-11-22.
@pytest.mark.parametrize(("on", "fires"), [("2025-11-22", False), ("2025-11-21", True)])
def test_the_365_day_boundary(tmp_path: Path, on: str, fires: bool) -> None:
    text = reviewed(on)
    findings = run_audit(tmp_path, text, rule=RULE)
    if not fires:
        assert findings == []
        return
    assert brief(findings) == [(RULE, *at(text, 17, on))]
    assert findings[0].message == (
        f"account 'fb' was last reviewed on {on}, over 365 days ago "
        "(start one with `govern review start`)"
    )
    assert (findings[0].account, findings[0].entity) == ("fb", "parish")


def test_max_age_days(tmp_path: Path) -> None:
    policies = {"rules.yaml": f"rules:\n  {RULE}:\n    params: {{max_age_days: 30}}\n"}
    findings = run_audit(
        tmp_path, reviewed("2026-10-22", "2026-10-23"), rule=RULE, policies=policies
    )
    assert [f.account for f in findings] == ["fb"]
    assert "over 30 days ago" in findings[0].message


def test_an_account_never_reviewed(tmp_path: Path) -> None:
    findings = run_audit(tmp_path, BASE, rule=RULE)
    assert brief(findings) == [
        (RULE, *at(BASE, 13, "fb")),
        (RULE, *at(BASE, 21, "yt")),
        (RULE, *at(BASE, 29, "xacct")),
    ]
    assert findings[0].message == (
        "account 'fb' has never had an access review (start one with `govern review start`)"
    )
