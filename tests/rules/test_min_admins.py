"""min-admins: who counts as an active administrator (role, departure, expiry) and the count."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BASE, at, brief, run_audit

# The Facebook page keeps one sure admin (head); IT's admin grant is the one under test.
IT_ADMIN = "{person: it, role: admin}\n      - {person: mgr, role: editor}"


def it_admin(extra: str) -> str:
    return BASE.replace(IT_ADMIN, IT_ADMIN.replace("role: admin}", f"role: admin{extra}}}"))


def test_an_admin_grant_counts_through_its_last_day(tmp_path: Path) -> None:
    # Audited on 2026-11-22: a grant expiring that day is still valid.
    assert run_audit(tmp_path, it_admin(", expires: 2026-11-22"), rule="min-admins") == []


def test_an_expired_admin_grant_does_not_count(tmp_path: Path) -> None:
    text = it_admin(", expires: 2026-11-21")
    findings = run_audit(tmp_path, text, rule="min-admins")
    assert brief(findings) == [("min-admins", *at(text, 18, "- {person: head"))]
    assert findings[0].message == "1 active administrative holder; at least 2 are required"
    assert findings[0].account == "fb" and findings[0].entity == "parish"


def test_a_departed_admin_does_not_count(tmp_path: Path) -> None:
    text = BASE.replace(
        "it@diocese.test, level: B, trained_on: 2026-06-01}",
        "it@diocese.test, level: B, trained_on: 2026-06-01, status: departed, left_on: 2026-10-01}",
    )
    findings = run_audit(tmp_path, text, rule="min-admins")
    # IT is admin of fb and yt: both fall to one admin; xacct keeps head and mgr.
    assert [(f.account, f.message.split(";")[0]) for f in findings] == [
        ("fb", "1 active administrative holder"),
        ("yt", "1 active administrative holder"),
    ]


def test_no_admin_at_all_is_counted_in_the_plural(tmp_path: Path) -> None:
    text = BASE.replace(
        "{person: head, role: admin}\n      - {person: it, role: admin}",
        "{person: head, role: editor}\n      - {person: it, role: editor}",
    )
    findings = run_audit(tmp_path, text, rule="min-admins")
    assert [f.message for f in findings if f.account == "fb"] == [
        "0 active administrative holders; at least 2 are required"
    ]


@pytest.mark.parametrize(("count", "fires"), [(2, False), (3, True)])
def test_the_count_parameter(tmp_path: Path, count: int, fires: bool) -> None:
    # Every account of BASE has exactly two admins.
    policies = {"rules.yaml": f"rules:\n  min-admins:\n    params: {{count: {count}}}\n"}
    findings = run_audit(tmp_path, BASE, rule="min-admins", policies=policies)
    assert [f.account for f in findings] == (["fb", "yt", "xacct"] if fires else [])
    if fires:
        assert findings[0].message == "2 active administrative holders; at least 3 are required"
