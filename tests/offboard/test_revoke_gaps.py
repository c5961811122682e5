"""`govern revoke` judged by what it changes: gaps that already exist never block, a gap the
revoke creates needs --successor or --leave-uncovered (file store, from the CLI)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from govern.cli.main import cli
from tests.offboard.conftest import open_store


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def edit(org: Path, old: str, new: str) -> None:
    path = org / "inventory.yaml"
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def findings(account: str) -> set[str]:
    result = run("audit", "-f", "json", "--fail-on", "never")
    return {f["rule"] for f in json.loads(result.stdout)["findings"] if f["account"] == account}


# st-mary-instagram without its head: a pre-existing admin-retention finding in St. Mary.
INSTAGRAM_WITH_HEAD = """    handle: stmaryparish_sb
    access:
      - {person: fr-mendez, role: admin}
"""
INSTAGRAM_WITHOUT_HEAD = """    handle: stmaryparish_sb
    access:
"""


def test_a_preexisting_gap_in_the_entity_does_not_block(org: Path) -> None:
    edit(org, INSTAGRAM_WITH_HEAD, INSTAGRAM_WITHOUT_HEAD)
    assert "admin-retention" in findings("st-mary-instagram")
    before = open_store(org).metadata("st-mary-x")
    assert before is not None and before.current_version == 1
    # pgarcia (an editor in St. Mary) leaves: no new gap, no successor needed.
    result = run("revoke", "pgarcia", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "already uncovered" in result.stdout.lower()
    assert "st-mary-instagram: the head 'fr-mendez' holds no administrative role" in result.stdout
    # The head leaves with a successor: the pre-existing gap is reported, not blocking.
    result = run("revoke", "fr-mendez", "--successor", "cwright", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "st-mary-instagram: the head 'cwright'" not in result.stdout  # cwright is admin there
    assert open_store(org).metadata("st-mary-x").current_version == 2  # type: ignore[union-attr]
    assert "admin-retention" not in findings("st-mary-instagram")


def test_a_gap_the_revoke_creates_needs_a_successor_or_leave_uncovered(org: Path) -> None:
    # st-mary-instagram's only other administrator has already left (the head's grant gone).
    edit(org, INSTAGRAM_WITH_HEAD, INSTAGRAM_WITHOUT_HEAD)
    before = (org / "inventory.yaml").read_text()
    refused = run("revoke", "cwright", "--yes")
    assert refused.exit_code == 2
    assert "st-mary-instagram: no active administrator" in refused.stderr
    assert "--successor PERSON" in refused.stderr and "--leave-uncovered" in refused.stderr
    assert (org / "inventory.yaml").read_text() == before
    assert not (org / "audit.log.jsonl").exists()
    # Accepted explicitly: access is cut, the audit shows the gap.
    done = run("revoke", "cwright", "--leave-uncovered", "--yes", "--left-on", "2026-11-25")
    assert done.exit_code == 0, done.stderr
    assert "Left uncovered by the revoke" in done.stdout
    text = (org / "inventory.yaml").read_text()
    assert "{person: cwright" not in text and "left_on: 2026-11-25" in text
    assert "min-admins" in findings("st-mary-instagram")


def test_with_a_successor_the_new_gap_is_closed(org: Path) -> None:
    edit(org, INSTAGRAM_WITH_HEAD, INSTAGRAM_WITHOUT_HEAD)
    result = run("revoke", "cwright", "--successor", "pgarcia", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "{person: pgarcia, role: admin}" in (org / "inventory.yaml").read_text()


def test_an_entity_left_without_head_needs_a_successor(org: Path) -> None:
    result = run("revoke", "fr-okafor", "--dry-run")
    assert "new gap: entity st-joseph: no active head" in result.stdout
    left = run("revoke", "fr-okafor", "--leave-uncovered", "--yes")
    assert left.exit_code == 0, left.stderr
    # The head stays recorded (departed), so the audit names the gap.
    assert "head: fr-okafor" in (org / "inventory.yaml").read_text()


def test_revoking_someone_already_departed_keeps_their_left_on(org: Path) -> None:
    edit(
        org,
        "      - {person: pgarcia, role: editor}\n",
        "      - {person: pgarcia, role: editor}\n      - {person: tmurphy, role: editor}\n",
    )
    refused = run("revoke", "tmurphy", "--yes", "--left-on", "2026-11-30")
    assert refused.exit_code == 2 and "already departed on 2026-08-31" in refused.stderr
    result = run("revoke", "tmurphy", "--yes")
    assert result.exit_code == 0, result.stderr
    text = (org / "inventory.yaml").read_text()
    assert "left_on: 2026-08-31" in text and "{person: tmurphy" not in text
    assert text.count("left_on:") == 1


def test_the_checklist_adds_the_successor_before_removing_the_person(org: Path) -> None:
    result = run("revoke", "fr-mendez", "--successor", "pgarcia", "--yes", "-f", "json")
    assert result.exit_code == 0, result.stderr
    actions = [item["action"] for item in json.loads(result.stdout)["checklist"]]
    adds = [i for i, a in enumerate(actions) if a.startswith("Add pgarcia")]
    removes = [i for i, a in enumerate(actions) if a.startswith("Remove fr-mendez")]
    assert adds and removes and max(adds) < min(removes), actions
