"""How a revoke begins (govern.offboard.start_revoke) and the revokes `people sync --revoke`
runs (govern.offboard.departed.revoke_departed), through the public API on the example
organization's real files: a real journal left by a crashed run, a real encrypted store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govern import auditlog
from govern.cli._common import load
from govern.credentials import open_store as open_credentials
from govern.credentials import store_opener
from govern.errors import GovernError, UsageError
from govern.offboard import VaultAccess, revoke_commit_message, start_revoke
from govern.offboard.departed import HOLDS_NOTHING, JOURNAL_PENDING, revoke_departed
from govern.offboard.journal import Journal
from govern.offboard.platformsteps import Platforms
from tests.offboard.conftest import PASSPHRASE
from tests.offboard.test_revoke import crash_before

TODAY = dt.date(2026, 11, 30)


def start(org: Path, person: str, **given: object):  # type: ignore[no-untyped-def]
    loaded, policy = load("inventory.yaml", "policies")
    return start_revoke(
        org / "inventory.yaml",
        loaded.inventory,
        policy,
        person,
        today=TODAY,
        **given,  # type: ignore[arg-type]
    )


def test_a_fresh_revoke_plans_on_the_inventory(org: Path) -> None:
    begun = start(org, "dkim")
    assert begun.pending is None and not begun.resuming and not begun.mismatched
    assert begun.left_on == TODAY and not begun.nothing_to_do
    assert [g.account for g in begun.plan.grants] and begun.refusal(can_ask=False) is None


def test_an_unknown_person_is_refused_with_a_suggestion(org: Path) -> None:
    with pytest.raises(UsageError, match="no person 'dkin'") as caught:
        start(org, "dkin")
    assert caught.value.hint == "did you mean 'dkim'?"


def test_the_recorded_departure_date_wins_and_a_different_one_is_refused(org: Path) -> None:
    assert start(org, "tmurphy").left_on == dt.date(2026, 8, 31)
    assert start(org, "tmurphy", left_on=dt.date(2026, 8, 31)).left_on == dt.date(2026, 8, 31)
    with pytest.raises(UsageError, match="already departed on 2026-08-31"):
        start(org, "tmurphy", left_on=dt.date(2026, 9, 1))
    assert start(org, "dkim", left_on=dt.date(2026, 11, 1)).left_on == dt.date(2026, 11, 1)


def test_a_blocked_plan_is_refused_even_when_the_user_could_be_asked(org: Path) -> None:
    begun = start(org, "fr-mendez")
    refusal = begun.refusal(can_ask=True)
    assert refusal is not None and refusal.message.startswith("refusing to revoke: ")
    assert "entity st-mary: no active head" in refusal.message
    assert start(org, "fr-mendez", successor="cwright").refusal(can_ask=False) is None


def test_a_matching_journal_is_resumed_with_its_own_plan(org: Path) -> None:
    crash_before(org, "dkim", "inventory")
    begun = start(org, "dkim")
    assert begun.resuming and begun.pending is not None and begun.fresh is None
    assert begun.pending.done == ("rotate",)
    assert begun.journal is not None and begun.journal.path == Journal.path_for(
        org / "inventory.yaml", "dkim"
    )
    assert begun.plan.to_json() == begun.journal.data["plan"]
    assert begun.refusal(can_ask=False) is None


def test_a_journal_from_other_arguments_is_shown_beside_the_fresh_plan(org: Path) -> None:
    crash_before(org, "fr-mendez", "inventory", successor="cwright")
    begun = start(org, "fr-mendez", successor="pgarcia")
    assert begun.mismatched and begun.pending is not None
    assert begun.pending.mismatches == ("successor: journal 'cwright', now 'pgarcia'",)
    assert begun.plan.successor == "cwright"  # what would run: the journal's
    assert begun.fresh is not None and begun.fresh.successor == "pgarcia"
    assert begun.refusal(can_ask=True) is None  # asked on a terminal
    refusal = begun.refusal(can_ask=False)
    assert refusal is not None and "does not match this command" in refusal.message
    assert refusal.hint is not None and "--discard-journal" in refusal.hint
    # Without --successor the journal's own arguments apply: it matches.
    assert start(org, "fr-mendez").resuming


def test_a_journal_stale_against_the_inventory_does_not_match(org: Path) -> None:
    crash_before(org, "dkim", "inventory")
    path = org / "inventory.yaml"
    path.write_text(path.read_text().replace("      - {person: dkim, role: editor}\n", "", 1))
    begun = start(org, "dkim")
    assert begun.mismatched and begun.pending is not None
    assert "the inventory changed since the journal was written" in begun.pending.mismatches


def test_discarding_plans_afresh_and_leaves_the_file_to_the_caller(org: Path) -> None:
    journal = crash_before(org, "dkim", "inventory")
    begun = start(org, "dkim", discard_journal=True)
    assert begun.discard == journal.path and begun.pending is None
    assert journal.path.exists()  # deleted only once the plan is confirmed
    assert start(org, "jbrooks", discard_journal=True).discard is None  # none to discard


def test_the_commit_message_anchors_the_log_head(org: Path) -> None:
    plan = start(org, "fr-mendez", successor="cwright").plan
    message = revoke_commit_message(plan, "Govern-Log-Head: 3 abc")
    assert message.startswith(f"Revoke fr-mendez: remove {len(plan.grants)} grants, mark ")
    assert "successor cwright" in message and message.endswith("\n\nGovern-Log-Head: 3 abc")
    assert revoke_commit_message(plan, "").endswith("Generated by `govern revoke`.")


# -- people sync --revoke ---------------------------------------------------------------------


def revoke_all(org: Path, departures: list[tuple[str, dt.date]], passphrase: str = PASSPHRASE):  # type: ignore[no-untyped-def]
    _, policy = load("inventory.yaml", "policies")
    env = {"GOVERN_PASSPHRASE": passphrase}
    return revoke_departed(
        org / "inventory.yaml",
        policy.catalog,
        departures,
        manager_levels=("C",),
        actor="hr-sync",
        store=lambda: open_credentials(None, inventory_dir=org, env=env),
        vault=None,
        log_path=org / "audit.log.jsonl",
        platforms=lambda current: Platforms(current, policy.catalog, env={}, store=None),
    )


def test_departed_people_are_revoked_one_after_another(org: Path) -> None:
    crash_before(org, "jbrooks", "inventory")
    done = list(
        revoke_all(
            org,
            [
                ("jbrooks", TODAY),  # a revoke under way: left to `govern revoke`
                ("fr-mendez", TODAY),  # head of st-mary: needs a successor
                ("dkim", dt.date(2026, 11, 20)),
                ("tmurphy", TODAY),  # departed, holds nothing
            ],
        )
    )
    assert [(d.person, d.revoked) for d in done] == [
        ("jbrooks", False),
        ("fr-mendez", False),
        ("dkim", True),
        ("tmurphy", False),
    ]
    assert done[0].why == JOURNAL_PENDING and done[3].why == HOLDS_NOTHING
    assert isinstance(done[1].why, tuple) and "entity st-mary: no active head" in done[1].why[0]
    assert done[1].to_json()["why"] == list(done[1].why)
    dkim = done[2]
    assert dkim.outcome is not None and dkim.rotated == 1  # chancery-x
    assert dkim.to_json()["log"] == dkim.outcome.record and dkim.to_json()["checklist"]
    records = auditlog.read(org / "audit.log.jsonl")
    assert [(r["action"], r.get("person")) for r in records] == [("revoke", "dkim")]
    text = (org / "inventory.yaml").read_text()
    assert "{person: dkim" not in text and "left_on: 2026-11-20" in text


def test_a_failing_revoke_stops_the_run_and_says_how_to_finish(org: Path) -> None:
    results = revoke_all(org, [("dkim", TODAY), ("jbrooks", TODAY)], passphrase="wrong " * 3)
    with pytest.raises(GovernError) as caught:
        next(results)
    assert caught.value.hint is not None
    assert "the revoke of dkim stopped: finish it with `govern revoke dkim`" in caught.value.hint
    assert not (org / "audit.log.jsonl").exists()


def test_vault_is_used_when_asked_for_or_when_vault_addr_is_set() -> None:
    addr = {"VAULT_ADDR": "http://127.0.0.1:9"}
    assert VaultAccess.choose(None, {}) is None and VaultAccess.choose(False, addr) is None
    with pytest.raises(UsageError, match="--vault needs VAULT_ADDR"):
        VaultAccess.choose(True, {})
    chosen = VaultAccess.choose(None, addr, mount="teams", auth_mount="", alias_field="id")
    assert chosen is not None and (chosen.mount, chosen.auth_mount, chosen.alias_field) == (
        "teams",
        None,
        "id",
    )
    assert VaultAccess.choose(True, addr, alias_field="email").alias_field == "email"  # type: ignore[union-attr]


def test_the_store_is_opened_on_first_use_and_once(org: Path) -> None:
    env = {"GOVERN_PASSPHRASE": PASSPHRASE}
    opener = store_opener(None, inventory_dir=org, env=env)
    first = opener()
    assert opener() is first and first.describe().endswith("credentials.enc")
    missing = store_opener("file:/nonexistent/dir/x.enc", inventory_dir=org, env=env)
    assert callable(missing)  # nothing opened (nor refused) until it is called
