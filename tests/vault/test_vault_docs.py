"""The Vault policies documented in docs/vault.md are sufficient, and the read-only one is."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.vault.conftest import World

DOC = Path(__file__).resolve().parents[2] / "docs" / "vault.md"


def documented_policy(name: str) -> str:
    match = re.search(rf"<!-- policy: {name} -->\n```hcl\n(.*?)```", DOC.read_text(), re.S)
    assert match, f"no {name} policy in {DOC}"
    return match.group(1)


def token_with(world: World, name: str) -> str:
    world.server.api("PUT", f"sys/policies/acl/{name}", json={"policy": documented_policy(name)})
    body = world.server.api(
        "POST", "auth/token/create", json={"policies": [name], "no_default_policy": True}
    ).json()
    return str(body["auth"]["client_token"])


def test_documented_operator_policy_is_enough_to_apply(world: World) -> None:
    operator = {"VAULT_TOKEN": token_with(world, "govern_operator")}
    first = world.apply(env=operator)
    assert first.exit_code == 0, first.output
    assert world.readable(world.login("alice")) == {"x1", "fb2"}
    # removals and departures too
    world.edit(
        "      - {person: alice, role: admin}\n    credential: {mfa: true}",
        "    credential: {mfa: true}",
    )
    world.edit(
        "level: C}\n  - {id: bob", "level: C, status: departed, left_on: 2026-11-01}\n  - {id: bob"
    )
    second = world.apply("--force", env=operator)
    assert second.exit_code == 0, second.output
    assert world.readable(world.login("bob")) == {"x2-login"}
    assert world.plan("--detailed-exitcode", env=operator).exit_code == 0


def test_documented_readonly_policy_plans_but_cannot_apply(world: World) -> None:
    readonly = {"VAULT_TOKEN": token_with(world, "govern_readonly")}
    assert world.apply().exit_code == 0
    assert world.plan("--detailed-exitcode", env=readonly).exit_code == 0
    world.edit("      - {person: bob, role: admin}\n", "")
    plan = world.plan("--detailed-exitcode", env=readonly)
    assert plan.exit_code == 2, plan.output
    refused = world.apply(env=readonly)
    assert refused.exit_code == 3, refused.output
    assert (
        "needs the 'read' capability on identity/group/name/govern-account-x2" in refused.output
    ), refused.output


def test_documented_readonly_policy_runs_drift_and_the_custody_audit(world: World) -> None:
    """CI's token: drift against Vault and the audit's custody check, without any secret."""
    assert world.apply().exit_code == 0
    readonly = {"VAULT_TOKEN": token_with(world, "govern_readonly")}
    drift = world.govern("drift", "--vault", env=readonly)
    assert drift.exit_code == 0, drift.output
    audit = world.govern("audit", "-f", "json", "--fail-on", "never", env=readonly)
    assert audit.exit_code == 0, audit.output
    rules = {f["rule"] for f in json.loads(audit.stdout)["findings"]}
    assert "credential-custody" not in rules
