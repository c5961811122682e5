"""Scoped reports: the findings of some entities, or those that concern one person.

`govern audit --entity E` (repeatable) keeps the findings on E's accounts, on E itself, and
about people who work on E (hold a grant on one of its accounts, head it or are its IT).
`--person P` keeps the findings about P and those on the accounts P holds a grant on. Both
together keep what both keep. Findings about the organization as a whole (no account, entity
or person) belong to no scope.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from govern.errors import UsageError
from govern.findings import Finding, Report
from govern.inventory.model import Inventory
from govern.inventory.source import suggest


@dataclass(frozen=True)
class Scope:
    entities: frozenset[str] = frozenset()
    person: str | None = None

    @property
    def everything(self) -> bool:
        return not self.entities and self.person is None


def make_scope(inv: Inventory, entities: Iterable[str], person: str | None) -> Scope:
    """The scope, its names checked against the inventory (exit 2 with a suggestion)."""
    for entity in entities:
        if inv.entity(entity) is None:
            raise UsageError(
                f"--entity: no entity '{entity}' in the inventory",
                hint=suggest(entity, inv.entity_index) or "`govern accounts` lists them",
            )
    if person is not None and inv.person(person) is None:
        raise UsageError(
            f"--person: no person '{person}' in the inventory",
            hint=suggest(person, inv.person_index),
        )
    return Scope(frozenset(entities), person)


def accounts_of(inv: Inventory, person: str) -> set[str]:
    """The accounts `person` holds a grant on."""
    return {a.id for a in inv.accounts if any(g.person == person for g in a.access)}


class _Matcher:
    def __init__(self, inv: Inventory, scope: Scope) -> None:
        self.scope = scope
        self.entity_of = {a.id: a.entity for a in inv.accounts}
        self.people: set[str] = set()
        if scope.entities:
            for account in inv.accounts:
                if account.entity in scope.entities:
                    self.people.update(g.person for g in account.access)
            for entity in inv.entities:
                if entity.id in scope.entities:
                    self.people.add(entity.head)
                    self.people.update(entity.it)
        self.held = accounts_of(inv, scope.person) if scope.person else set()

    def __call__(self, finding: Finding) -> bool:
        scope = self.scope
        if scope.entities:
            entity = finding.entity or self.entity_of.get(finding.account or "")
            if entity is not None:
                if entity not in scope.entities:
                    return False
            elif finding.person is None or finding.person not in self.people:
                return False
        if scope.person is not None:
            return finding.person == scope.person or (finding.account or "") in self.held
        return True


def narrow(report: Report, inv: Inventory, scope: Scope) -> Report:
    """`report` with only the findings in `scope`."""
    if scope.everything:
        return report
    keep = _Matcher(inv, scope)
    return dataclasses.replace(report, findings=tuple(f for f in report.findings if keep(f)))


__all__ = ["Scope", "accounts_of", "make_scope", "narrow"]
