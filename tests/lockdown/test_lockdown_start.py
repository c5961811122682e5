"""govern.offboard.lockdown's start and release from the public API, on real files: the
journal a failed lockdown leaves (against the local Meta Graph server), the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import GovernError, UsageError
from govern.inventory.load import load_inventory
from govern.offboard.journal import Journal
from govern.offboard.lockdown import ACTION, find_release, run_release, start_lockdown
from govern.platforms import builtin_catalog
from tests.connectors.fake_meta import FakeMeta
from tests.lockdown.test_lockdown import LOCKDOWN, env_for, govern, meta, org  # noqa: F401

ACCOUNT = "chancery-facebook"


def start(org: Path, keep: tuple[str, ...] = (), **options: bool):  # type: ignore[no-untyped-def]  # noqa: F811
    catalog = builtin_catalog()
    inventory = load_inventory(org / "inventory.yaml", catalog).inventory
    return start_lockdown(
        org / "inventory.yaml",
        inventory,
        catalog,
        ACCOUNT,
        keep,
        vault=options.pop("vault", False),
        **options,
    )


def fail_once(meta: FakeMeta) -> None:  # noqa: F811
    error = {"message": "An unknown error occurred", "type": "OAuthException", "code": 1}
    meta.fail("DELETE", "assigned_users", status=500, body={"error": error}, times=1)


def test_without_a_journal_the_lockdown_is_planned(org: Path) -> None:  # noqa: F811
    begun = start(org)
    assert begun.journal is None and begun.discard is None and begun.done == ()
    assert begun.plan.account == ACCOUNT and set(begun.plan.keep) == {"bishop", "it-lee"}


def test_a_pending_journal_is_resumed_refused_or_discarded(org: Path, meta: FakeMeta) -> None:  # noqa: F811
    fail_once(meta)
    code, _, _ = govern([*LOCKDOWN, "--yes"], org, env_for(meta))
    assert code == 3
    path = Journal.path_for(org / "inventory.yaml", ACCOUNT, kind=ACTION)
    begun = start(org)
    assert begun.journal is not None and begun.journal.path == path
    assert "rotate" in begun.done and begun.plan.to_json() == begun.journal.data["plan"]
    with pytest.raises(UsageError, match="does not match this command") as caught:
        start(org, ("maria",))
    assert caught.value.hint is not None and "--discard-journal" in caught.value.hint
    with pytest.raises(UsageError, match="does not match"):
        start(org, vault=True)  # started without Vault
    fresh = start(org, ("maria",), discard_journal=True)
    assert fresh.discard == path and fresh.journal is None and "maria" in fresh.plan.keep
    assert path.exists()  # the caller drops it


def test_release_verifies_the_log_then_records_the_release(org: Path, meta: FakeMeta) -> None:  # noqa: F811
    log = org / "audit.log.jsonl"
    with pytest.raises(UsageError, match=f"no lockdown of '{ACCOUNT}' in force"):
        find_release(log, ACCOUNT)
    code, _, err = govern([*LOCKDOWN, "--yes"], org, env_for(meta))
    assert code == 0, err
    release = find_release(log, ACCOUNT)
    assert release.record["action"] == ACTION and release.plan.account == ACCOUNT
    # A tampered log stops the release before anything is recorded.
    original = log.read_text()
    log.write_text(original.replace('"actor": "responder"', '"actor": "someone"'))

    def release_now() -> tuple[object, dict[str, object]]:
        return run_release(
            release,
            inventory_path=org / "inventory.yaml",
            catalog=builtin_catalog(),
            vault=None,
            log_path=log,
            actor="responder",
        )

    with pytest.raises(GovernError, match="record was edited"):
        release_now()
    assert log.read_text().count("\n") == original.count("\n")
    log.write_text(original)
    restored, record = release_now()
    assert restored is None and record["action"] == "lockdown-release"
    assert record["details"]["lockdown_seq"] == release.record["seq"]
    with pytest.raises(UsageError, match="in force"):
        find_release(log, ACCOUNT)
