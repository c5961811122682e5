"""One rule model: one registry of ids (built-in, drift, custom), one explain, exit codes."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from govern.findings import DuplicateRule, unique_ids
from govern.rules import _MODULES, DRIFT_RULES, REGISTRY
from tests.cli.test_cli import invoke


def test_every_rule_is_registered_once() -> None:
    assert len(_MODULES) == len(REGISTRY) == len({m.ID for m in _MODULES})
    assert not set(REGISTRY) & set(DRIFT_RULES)


def test_a_duplicate_id_is_an_error() -> None:
    with pytest.raises(DuplicateRule, match="'min-admins' is registered twice"):
        unique_ids([("min-admins", 1), ("min-admins", 2)])
    with pytest.raises(DuplicateRule, match="'drift-unverifiable'"):
        unique_ids([("drift-unverifiable", 1)], taken=DRIFT_RULES)


def test_rules_lists_built_in_and_drift_rules(org: Path) -> None:
    code, out, _ = invoke(["rules", "--format", "json"], org)
    assert code == 0
    ids = [r["id"] for r in json.loads(out)]
    assert ids[: len(REGISTRY)] == list(REGISTRY)
    assert set(DRIFT_RULES) <= set(ids) and len(ids) == len(set(ids))


def test_explain_explains_drift_rules_and_drift_explain_is_an_alias(org: Path) -> None:
    code, out, _ = invoke(["explain", "drift-departed-holder"], org)
    assert code == 0 and "drift-departed-holder  (severity: error, enabled)" in out
    assert "govern revoke PERSON" in out
    code, alias, _ = invoke(["drift", "--explain", "drift-departed-holder"], org)
    assert code == 0 and alias == out
    code, out, _ = invoke(["drift", "--explain", "min-admins"], org)
    assert code == 0 and "min-admins  (severity:" in out
    code, _, err = invoke(["explain", "drift-departed-holdr"], org)
    assert code == 2 and "did you mean 'drift-departed-holder'" in err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_plan_detailed_exitcode_is_terraforms(org: Path) -> None:
    """0 no changes, 1 any error, 2 changes (changes: tests/vault/test_vault_e2e.py)."""
    env = {"VAULT_ADDR": f"http://127.0.0.1:{_closed_port()}", "VAULT_TOKEN": "t"}
    code, _, err = invoke(["plan"], org, env=env)
    assert code == 3 and "127.0.0.1" in err
    code, _, err = invoke(["plan", "--detailed-exitcode"], org, env=env)
    assert code == 1 and "127.0.0.1" in err
    (org / "inventory.yaml").write_text("accounts: [\n")
    code, _, err = invoke(["plan", "--detailed-exitcode"], org, env=env)
    assert code == 1 and "inventory.yaml:" in err
    code, _, _ = invoke(["plan"], org, env=env)
    assert code == 2
