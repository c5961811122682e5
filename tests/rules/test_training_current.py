"""training-current: the `max_age_days` boundary (365 by default), the roles counted, and
the people left out (head, IT, departed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BASE, at, brief, run_audit

MGR2 = "mgr2@diocese.test, level: C, trained_on: 2026-06-01"


def mgr2_trained(on: str, extra: str = "") -> str:
    return BASE.replace(MGR2, f"mgr2@diocese.test, level: C, trained_on: {on}{extra}")


# Audited on 2026-11-22: 365 days back is 2025-11-22.
@pytest.mark.parametrize(("trained_on", "fires"), [("2025-11-22", False), ("2025-11-21", True)])
def test_the_365_day_boundary(tmp_path: Path, trained_on: str, fires: bool) -> None:
    text = mgr2_trained(trained_on)
    findings = run_audit(tmp_path, text, rule="training-current")
    if not fires:
        assert findings == []
        return
    assert brief(findings) == [("training-current", *at(text, 28, "mgr2"))]
    assert findings[0].message == ("'mgr2' was last trained on 2025-11-21, over 365 days ago")
    assert (findings[0].account, findings[0].person, findings[0].entity) == (
        "yt",
        "mgr2",
        "parish",
    )


@pytest.mark.parametrize(("trained_on", "fires"), [("2026-10-23", False), ("2026-10-22", True)])
def test_max_age_days(tmp_path: Path, trained_on: str, fires: bool) -> None:
    policies = {"rules.yaml": "rules:\n  training-current:\n    params: {max_age_days: 30}\n"}
    findings = run_audit(
        tmp_path, mgr2_trained(trained_on), rule="training-current", policies=policies
    )
    # mgr (trained 2026-06-01) is over 30 days in any case.
    assert [f.message for f in findings if f.person == "mgr2"] == (
        [f"'mgr2' was last trained on {trained_on}, over 30 days ago"] if fires else []
    )


def test_a_departed_manager_is_departed_access_business_not_training(tmp_path: Path) -> None:
    text = mgr2_trained("2020-01-01", ", status: departed, left_on: 2026-10-01")
    assert run_audit(tmp_path, text, rule="training-current") == []


def test_head_and_it_are_not_designated_managers(tmp_path: Path) -> None:
    text = BASE.replace(
        "head@diocese.test, level: A, trained_on: 2026-06-01", "head@diocese.test, level: A"
    ).replace("it@diocese.test, level: B, trained_on: 2026-06-01", "it@diocese.test, level: B")
    assert run_audit(tmp_path, text, rule="training-current") == []


def test_only_the_roles_named_count(tmp_path: Path) -> None:
    text = mgr2_trained("2020-01-01")  # mgr2 is an editor of yt
    policies = {"rules.yaml": "rules:\n  training-current:\n    params: {roles: [owner, admin]}\n"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert run_audit(tmp_path / "a", text, rule="training-current", policies=policies) == []
    findings = run_audit(tmp_path / "b", text, rule="training-current")
    assert [f.person for f in findings] == ["mgr2"]


def test_untrained_managers_each_reported_once_per_grant(tmp_path: Path) -> None:
    text = BASE.replace(
        "mgr@diocese.test, level: C, trained_on: 2026-06-01", "mgr@diocese.test, level: C"
    )
    findings = run_audit(tmp_path, text, rule="training-current")
    assert [(f.account, f.message) for f in findings] == [
        ("fb", "'mgr' has no recorded policy training (trained_on)"),
        ("xacct", "'mgr' has no recorded policy training (trained_on)"),
    ]
