"""`govern people sync --revoke`: run `govern revoke` for each person the directory marked
departed, by the same core function, one after another on the inventory as written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.credentials import CredentialStore
from govern.errors import GovernError
from govern.inventory.load import load_inventory
from govern.inventory.model import Inventory
from govern.offboard import ChecklistItem, Outcome, checklist, run_revoke
from govern.offboard.journal import Journal
from govern.offboard.plan import plan_revoke
from govern.offboard.steps import VaultAccess
from govern.platforms import Catalog

if TYPE_CHECKING:
    from govern.offboard.platformsteps import Platforms

JOURNAL_PENDING = "journal pending"
HOLDS_NOTHING = "holds nothing"


@dataclass(frozen=True)
class DepartedRevoke:
    """What happened to one departed person: revoked, or skipped and why (`journal pending`,
    `holds nothing`, or the reasons the plan is blocked: it needs a successor)."""

    person: str
    revoked: bool
    why: str | tuple[str, ...] | None = None
    outcome: Outcome | None = None
    checklist: tuple[ChecklistItem, ...] = field(default=())

    @property
    def rotated(self) -> int:
        """How many shared passwords the revoke rotated."""
        results = (self.outcome.steps.get("rotate") or {}).values() if self.outcome else ()
        return sum(1 for result in results if result["rotated"])

    def to_json(self) -> dict[str, Any]:
        if not self.revoked:
            why = list(self.why) if isinstance(self.why, tuple) else self.why
            return {"person": self.person, "revoked": False, "why": why}
        return {
            "person": self.person,
            "revoked": True,
            "log": self.outcome.record if self.outcome else None,
            "checklist": [item.to_json() for item in self.checklist],
        }


def revoke_departed(
    inventory: Path,
    catalog: Catalog,
    departures: Sequence[tuple[str, dt.date]],
    *,
    manager_levels: tuple[str, ...],
    actor: str,
    store: Callable[[], CredentialStore],
    vault: VaultAccess | None,
    log_path: Path,
    platforms: Callable[[Inventory], Platforms],
    log_key: bytes | None = None,
) -> Iterator[DepartedRevoke]:
    """Revoke each `(person, left_on)` in turn, each planned on the inventory as the previous
    revoke left it. A person with a revoke under way (a journal) is left to `govern revoke`;
    a plan that needs a successor is skipped; a person holding nothing is only reported. A
    failing revoke stops the run: its `GovernError` is raised with a hint to finish it
    (the journal keeps its progress). Results are yielded as they happen, so a caller can
    show the ones done before a failure."""
    current = load_inventory(inventory, catalog).inventory
    for person, left_on in departures:
        if Journal.load(Journal.path_for(inventory, person)) is not None:
            yield DepartedRevoke(person, False, JOURNAL_PENDING)
            continue
        plan = plan_revoke(current, catalog, person, manager_levels=manager_levels)
        if plan.blocked:
            yield DepartedRevoke(person, False, tuple(plan.blocked))
            continue
        if plan.nothing_to_do:
            yield DepartedRevoke(person, False, HOLDS_NOTHING)
            continue
        try:
            outcome = run_revoke(
                plan,
                inventory=inventory,
                catalog=catalog,
                left_on=left_on,
                actor=actor,
                store=store,
                vault=vault,
                log_path=log_path,
                platforms=platforms(current),
                log_key=log_key,
            )
        except GovernError as exc:
            # The sync itself is written; the revoke resumes from its journal.
            finish = (
                f"the inventory is written; the revoke of {person} stopped: finish it with "
                f"`govern revoke {person}` (its progress is saved)"
            )
            exc.hint = f"{exc.hint}\n{finish}" if exc.hint else finish
            raise
        current = load_inventory(inventory, catalog).inventory
        items = tuple(checklist(outcome.plan, catalog, outcome.steps))
        yield DepartedRevoke(person, True, outcome=outcome, checklist=items)
