"""Findings made by the engine's fast paths are the objects their constructors make."""

from __future__ import annotations

import dataclasses

import pytest

from govern.findings import Finding, Location, RuleInfo, Severity, Violation, stamp


def test_stamp_makes_the_finding_the_constructor_makes() -> None:
    info = RuleInfo("r", Severity.WARNING, "summary", "explanation")
    where = Location("inventory.yaml", 7, 3)
    violation = Violation("m", ("accounts", 0), account="a", person="p", entity="e")
    made = stamp(info, violation, lambda pointer: where)
    expected = Finding(
        rule="r",
        severity=Severity.WARNING,
        message="m",
        location=where,
        account="a",
        person="p",
        entity="e",
    )
    assert type(made) is Finding
    assert dataclasses.asdict(made) == dataclasses.asdict(expected)
    assert set(vars(made)) == {f.name for f in dataclasses.fields(Finding)}  # every field set
    assert made == expected and hash(made) == hash(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.rule = "other"  # type: ignore[misc]


def test_stamp_severity_and_location_overrides() -> None:
    """A violation's own severity is capped by the configured one; its own location wins."""
    info = RuleInfo("r", Severity.WARNING, "s", "e")
    own = Location("policies/waivers.yaml", 2, 1)

    def nowhere(pointer: object) -> Location:
        raise AssertionError("a violation with its own location is not located")

    made = stamp(info, Violation("m", (), severity=Severity.ERROR, location=own), nowhere)
    assert made.severity is Severity.WARNING and made.location == own
    lower = stamp(info, Violation("m", (), severity=Severity.INFO), lambda p: own)
    assert lower.severity is Severity.INFO


def test_located_is_the_constructors_location() -> None:
    from govern.findings import located

    made, expected = located("inv.yaml", 3, 9), Location("inv.yaml", 3, 9)
    assert type(made) is Location and made == expected and hash(made) == hash(expected)
    assert vars(made) == vars(expected) and str(made) == "inv.yaml:3:9"
    assert located("a", 1, 1) < located("a", 2, 1)  # ordered like the dataclass
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.line = 4  # type: ignore[misc]
