"""credential-age: a password is due after `max_age_days` (180 by default), counted in days
from the store's record of the current version; only when the store is consulted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govern.rules import CustodyRecord
from tests.conftest import BASE, TODAY, at, brief, run_audit


def stored(days_ago: int, ref: str = "xacct") -> dict[str, CustodyRecord]:
    # Late in the day: only the date counts.
    when = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(23, 59), dt.UTC)
    return {ref: CustodyRecord(ref=ref, updated_at=when)}


@pytest.mark.parametrize(("days_ago", "fires"), [(180, False), (181, True)])
def test_the_180_day_boundary(tmp_path: Path, days_ago: int, fires: bool) -> None:
    findings = run_audit(tmp_path, BASE, rule="credential-age", custody=stored(days_ago))
    if not fires:
        assert findings == []
        return
    assert brief(findings) == [("credential-age", *at(BASE, 36, "{mfa"))]
    assert findings[0].message == (
        "password last rotated 181 days ago (2026-05-25); rotate at least every 180 days"
    )
    assert (findings[0].account, findings[0].entity) == ("xacct", "parish")


@pytest.mark.parametrize(("days_ago", "fires"), [(30, False), (31, True)])
def test_max_age_days(tmp_path: Path, days_ago: int, fires: bool) -> None:
    policies = {"rules.yaml": "rules:\n  credential-age:\n    params: {max_age_days: 30}\n"}
    findings = run_audit(
        tmp_path, BASE, rule="credential-age", custody=stored(days_ago), policies=policies
    )
    assert [f.account for f in findings] == (["xacct"] if fires else [])


def test_only_accounts_with_a_credential_and_a_dated_record(tmp_path: Path) -> None:
    # fb declares no credential: an old record under its id is not this rule's business.
    assert run_audit(tmp_path, BASE, rule="credential-age", custody=stored(900, "fb")) == []
    undated = {"xacct": CustodyRecord(ref="xacct", updated_at=None)}
    assert run_audit(tmp_path, BASE, rule="credential-age", custody=undated) == []
    # Not consulted (--offline): nothing to say.
    assert run_audit(tmp_path, BASE, rule="credential-age") == []
