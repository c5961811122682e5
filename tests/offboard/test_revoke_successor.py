"""`govern revoke --successor` refuses a successor who is not in the inventory, has departed or
is the person being revoked: exit 2, the reason named, nothing changed (not even with
--leave-uncovered, which accepts gaps, not a bad successor)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from govern.cli.main import cli
from tests.offboard.conftest import open_store


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    ("successor", "reason"),
    [
        ("nobody-here", "successor 'nobody-here' is not in the inventory (name an active person"),
        ("tmurphy", "successor 'tmurphy' has departed (name an active person)"),
        ("fr-mendez", "the successor cannot be the person being revoked (name someone else)"),
    ],
)
@pytest.mark.parametrize("leave_uncovered", [False, True])
def test_refused_successor_changes_nothing(
    org: Path, successor: str, reason: str, leave_uncovered: bool
) -> None:
    inventory = (org / "inventory.yaml").read_bytes()
    store = (org / "credentials.enc").read_bytes()
    extra = ["--leave-uncovered"] if leave_uncovered else []
    result = run("revoke", "fr-mendez", "--successor", successor, "--yes", *extra)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: refusing to revoke: ")
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    assert (org / "inventory.yaml").read_bytes() == inventory
    assert (org / "credentials.enc").read_bytes() == store
    assert not (org / "audit.log.jsonl").exists()
    assert open_store(org).get("st-mary-x").password == "old-password-of-st-mary-x"


def test_refused_successor_in_the_dry_run_plan(org: Path) -> None:
    """The plan shows the refusal and hands nothing to the refused successor."""
    result = run("revoke", "fr-mendez", "--successor", "tmurphy", "--dry-run", "-f", "json")
    plan = json.loads(result.stdout)["plan"]
    assert plan["successor"] == "tmurphy"
    assert plan["successor_grants"] == []
    assert any(b.startswith("successor 'tmurphy' has departed") for b in plan["blocked"])
    # Without a successor taking over, the head position of st-mary is a gap the revoke makes.
    assert "entity st-mary: no active head" in plan["at_risk"]


def test_an_active_successor_is_accepted(org: Path) -> None:
    result = run("revoke", "fr-mendez", "--successor", "pgarcia", "--dry-run", "-f", "json")
    plan = json.loads(result.stdout)["plan"]
    assert plan["blocked"] == [] and plan["successor"] == "pgarcia"
