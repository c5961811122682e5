"""The revoke plans listed by `people sync` are exactly `govern revoke`'s plans."""

from __future__ import annotations

from govern.directory.sync import revoke_plans
from govern.inventory.load import load_inventory
from govern.offboard import plan_revoke
from govern.policy import load_policy
from tests.conftest import REPO


def test_every_persons_plan_is_the_one_revoke_makes() -> None:
    policy = load_policy(REPO / "policies")
    inventory = load_inventory(REPO / "inventory.yaml", policy.catalog).inventory
    people = [p.id for p in inventory.people]
    listed = revoke_plans(inventory, policy.catalog, people, manager_levels=("C",))
    assert listed == [
        plan_revoke(inventory, policy.catalog, person, manager_levels=("C",)) for person in people
    ]
    assert any(plan.blocked for plan in listed) and any(plan.credentials for plan in listed)
