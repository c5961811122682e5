"""What every rule shares: parameter bounds as documented, frozen parameters and records,
the registry's summary and explanation, role names checked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from govern.errors import InputError
from govern.rules import REGISTRY, CustodyRecord, explanation, summary
from tests.conftest import BASE, run_audit

# (rule, parameter, lowest accepted value, highest accepted value or None)
BOUNDS = [
    ("min-admins", "count", 1, None),
    ("training-current", "max_age_days", 1, None),
    ("review-current", "max_age_days", 1, None),
    ("credential-age", "max_age_days", 1, None),
    ("grant-expiry", "warn_days", 0, 3650),
    ("credential-declared", "min_length", 8, None),
    ("credential-declared", "min_entropy", 0, None),
]


def configured(rule: str, params: str) -> dict[str, str]:
    return {"rules.yaml": f"rules:\n  {rule}:\n    params: {{{params}}}\n"}


@pytest.mark.parametrize(("rule", "param", "lowest", "highest"), BOUNDS)
def test_parameter_bounds(
    tmp_path: Path, rule: str, param: str, lowest: int, highest: int | None
) -> None:
    run_audit(tmp_path, BASE, rule=rule, policies=configured(rule, f"{param}: {lowest}"))
    with pytest.raises(InputError, match=param):
        run_audit(tmp_path, BASE, rule=rule, policies=configured(rule, f"{param}: {lowest - 1}"))
    if highest is not None:
        run_audit(tmp_path, BASE, rule=rule, policies=configured(rule, f"{param}: {highest}"))
        with pytest.raises(InputError, match=param):
            run_audit(
                tmp_path, BASE, rule=rule, policies=configured(rule, f"{param}: {highest + 1}")
            )


@pytest.mark.parametrize("rule", ["manager-level", "training-current"])
def test_roles_must_be_known_roles(tmp_path: Path, rule: str) -> None:
    with pytest.raises(InputError, match="unknown role"):
        run_audit(tmp_path, BASE, rule=rule, policies=configured(rule, "roles: [admin, boss]"))


def test_parameters_and_custody_records_are_frozen() -> None:
    params = REGISTRY["min-admins"].Params()
    with pytest.raises(ValidationError):
        params.count = 5  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        REGISTRY["min-admins"].Params(cnt=3)
    record = CustodyRecord(ref="x", updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.ref = "y"  # type: ignore[misc]


def test_summary_and_explanation() -> None:
    rule = REGISTRY["min-admins"]
    assert summary(rule) == "Every account has at least `count` administrative holders (default 2)."
    assert explanation(rule).startswith(summary(rule) + "\n\nAn account with one administrator")
    assert explanation(rule).endswith("Fails: only the head is.")


def test_drift_rules_summary_is_the_first_line() -> None:
    from govern.rules.drift import DEPARTED_HOLDER, RULES

    info = RULES[DEPARTED_HOLDER]
    assert info.summary == "A person marked departed still holds access on the platform."
    assert info.explanation.startswith(info.summary + "\n\nThe inventory says")
