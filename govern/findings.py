"""Findings: the one currency of every report (audit, drift, waivers)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

_T = TypeVar("_T")

# A path into a YAML document: keys and sequence indexes from the root, e.g.
# ("accounts", 3, "access", 0, "role"). Rules point at nodes this way; the loader
# turns a pointer into a line and column only for the nodes that are reported.
Pointer = tuple[str | int, ...]


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column}

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}:{self.column or 1}"


def located(path: str, line: int | None, column: int | None) -> Location:
    """`Location(path, line, column)`, its fields set directly: the source map makes one
    for every finding (the frozen constructor sets each through object.__setattr__)."""
    found = _new(Location)
    found.__dict__.update(path=path, line=line, column=column)
    return found


@dataclass(frozen=True)
class Violation:
    """What a rule yields: the engine stamps rule id, severity, waiver and location on it."""

    message: str
    pointer: Pointer
    account: str | None = None
    person: str | None = None
    entity: str | None = None
    # Rare overrides: a rule with two levels (expired vs expiring soon) sets `severity`;
    # a finding about a file other than the inventory (a waiver) sets `location`.
    severity: Severity | None = None
    location: Location | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    location: Location
    account: str | None = None
    person: str | None = None
    entity: str | None = None
    waived: bool = False
    waiver_reason: str | None = field(default=None, compare=False)
    # How to resolve it: the exact command, or the inventory change (govern/fixes.py).
    fix: str | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.location.path,
            self.location.line or 0,
            self.location.column or 0,
            self.rule,
            self.person or "",
            self.message,
        )

    def waive(self, reason: str) -> Finding:
        return replace(self, waived=True, waiver_reason=reason)

    def with_fix(self, fix: str | None) -> Finding:
        """This finding with `fix`: a copy of its fields, without `dataclasses.replace`'s
        per-field work (a large audit fixes 11,000 findings)."""
        found = _new(Finding)
        found.__dict__.update(self.__dict__, fix=fix)  # frozen: no __setattr__ involved
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            # `_value_`, the enum's own attribute: `.value` is a Python-level property (about
            # a microsecond each, twice per finding with `summary`, for thousands of findings).
            "severity": self.severity._value_,
            "account": self.account,
            "person": self.person,
            "entity": self.entity,
            "message": self.message,
            "waived": self.waived,
            "location": self.location.to_json(),
            "fix": self.fix,
        }


@dataclass(frozen=True)
class RuleInfo:
    """Rule metadata that reports carry (SARIF rule descriptors, `govern rules`)."""

    id: str
    severity: Severity
    summary: str
    explanation: str
    enabled: bool = True


class State(enum.StrEnum):
    """What live drift concluded about one account."""

    CLEAN = "clean"  # observed and equal to the declaration
    DRIFT = "drift"  # observed and different (findings say how)
    UNVERIFIABLE = "unverifiable"  # could not be observed (a drift-unverifiable finding says why)


@dataclass(frozen=True)
class Coverage:
    """Every account of the inventory in exactly one state (`govern drift --live`)."""

    states: tuple[tuple[str, State], ...]  # (account id, state), in inventory order
    # Platforms that refused the token or could not be reached: the run exits 3.
    failures: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        counts = {state.value: 0 for state in State}
        for _account, state in self.states:
            counts[state.value] += 1
        return counts

    def line(self) -> str:
        """`23 accounts: 17 clean, 3 drift, 3 unverifiable`."""
        n = len(self.states)
        parts = ", ".join(f"{count} {state}" for state, count in self.counts().items())
        return f"{n} account{'s' if n != 1 else ''}: {parts}"

    def to_json(self) -> dict[str, Any]:
        return {
            "accounts": len(self.states),
            **self.counts(),
            "states": {account: state.value for account, state in self.states},
            "failures": list(self.failures),
        }


@dataclass(frozen=True)
class Report:
    """Everything a formatter needs: findings in, a string out."""

    inventory: str
    findings: tuple[Finding, ...]
    rules: tuple[RuleInfo, ...] = ()
    coverage: Coverage | None = None

    def summary(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0, "waived": 0}
        for finding in self.findings:
            if finding.waived:
                counts["waived"] += 1
            else:
                counts[finding.severity._value_] += 1  # (see `to_json`)
        return counts

    def failing(self, threshold: Severity | None) -> list[Finding]:
        """Unwaived findings at or above `threshold` (None: never fail)."""
        if threshold is None:
            return []
        return [f for f in self.findings if not f.waived and f.severity.rank >= threshold.rank]


def stamp(info: RuleInfo, violation: Violation, locate: Callable[[Pointer], Location]) -> Finding:
    """The one place a violation becomes a finding (audit, drift and custom rules alike): the
    rule id, its severity (a configured severity lower than the rule's default also caps a
    violation's own higher level) and the location of its pointer."""
    severity = violation.severity or info.severity
    if violation.severity is not None and info.severity.rank < severity.rank:
        severity = info.severity
    # Every field set directly: a frozen dataclass's __init__ sets each through
    # object.__setattr__, three times the cost, for the 11,000 findings of a large audit.
    # The same object as Finding(...) (tests/test_findings.py).
    finding = _new(Finding)
    finding.__dict__.update(
        rule=info.id,
        severity=severity if type(severity) is Severity else Severity(severity),
        message=violation.message,
        location=violation.location or locate(violation.pointer),
        account=violation.account,
        person=violation.person,
        entity=violation.entity,
        waived=False,
        waiver_reason=None,
        fix=None,
    )
    return finding


_new = object.__new__


class DuplicateRule(ValueError):
    """Two rules registered under one id (a programming error for built-in rules)."""


def unique_ids(
    items: Iterable[tuple[str, _T]], *, taken: Mapping[str, object] | None = None
) -> dict[str, _T]:
    """A registry from (id, rule) pairs; an id given twice, or already in `taken`, is an error."""
    registry: dict[str, _T] = {}
    for rule_id, item in items:
        if rule_id in registry or (taken is not None and rule_id in taken):
            raise DuplicateRule(f"rule id '{rule_id}' is registered twice")
        registry[rule_id] = item
    return registry
