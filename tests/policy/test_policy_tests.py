"""`govern test` from the outside: the shipped pack's tests pass and cover every built-in
rule; a broken case fails with a readable diff (exit 1); JUnit; bad test files exit 2."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from govern.rules import REGISTRY
from tests.cli.test_cli import invoke
from tests.conftest import REPO

CASE = """\
tests:
  - name: "min-admins: one administrator"
    as_of: 2026-11-22
    rules: [min-admins]
    inventory: ../../inventory.yaml
    findings:
      - {rule: min-admins, account: fb, person: head}
  - name: "the inventory is otherwise clean"
    as_of: 2026-11-22
    inventory: ../../inventory.yaml
    no_findings: true
"""


def test_shipped_pack_passes_and_covers_every_built_in_rule(tmp_path: Path) -> None:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    shutil.copy(REPO / "inventory.yaml", tmp_path / "inventory.yaml")
    code, out, err = invoke(["test"], tmp_path)
    assert code == 0, out + err
    assert out.startswith("PASS: ") and "FAIL" not in out
    cases = yaml.safe_load((REPO / "policies/tests/rules.yaml").read_text())["tests"]
    failing = {f["rule"] for case in cases for f in case.get("findings", ())}
    assert failing >= set(REGISTRY), set(REGISTRY) - failing


def test_a_broken_case_fails_with_a_diff(org: Path) -> None:
    (org / "policies" / "tests").mkdir()
    (org / "inventory.yaml").write_text(
        (org / "inventory.yaml").read_text().replace("      - {person: it, role: admin}\n", "", 1)
    )
    (org / "policies" / "tests" / "cases.yaml").write_text(CASE)
    code, out, _ = invoke(["test"], org)
    assert code == 1
    assert "policies/tests/cases.yaml:\n  FAIL  min-admins: one administrator" in out
    assert "      - {rule: min-admins, account: fb, person: head}\n" in out
    assert "      + {rule: min-admins, account: fb}\n" in out
    assert "  FAIL  the inventory is otherwise clean" in out
    assert out.rstrip().endswith("PASS: 0/2\nFAIL: 2/2")

    code, out, _ = invoke(["test", "policies/tests", "--format", "junit"], org)
    root = ET.fromstring(out)
    assert code == 1 and root.get("tests") == "2" and root.get("failures") == "2"
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and "+ {rule: min-admins, account: fb}" in (failure.text or "")


def test_custom_rules_are_tested_like_built_in_ones(org: Path) -> None:
    (org / "policies" / "custom.yaml").write_text(
        "custom_rules:\n  - id: no-x\n    severity: error\n    description: No X accounts.\n"
        "    for: account\n    when: account.platform == 'x'\n    message: '{account.id}'\n"
    )
    (org / "policies" / "tests").mkdir()
    (org / "policies" / "tests" / "custom.yaml").write_text(
        "tests:\n  - name: x is refused\n    as_of: 2026-11-22\n    rules: [no-x]\n"
        "    inventory: ../../inventory.yaml\n    findings: [{rule: no-x, account: xacct}]\n"
    )
    code, out, _ = invoke(["test", "-v"], org)
    assert code == 0 and "PASS  x is refused" in out


def test_invalid_test_files_exit_2_at_their_position(org: Path) -> None:
    (org / "policies" / "tests").mkdir()
    (org / "policies" / "tests" / "bad.yaml").write_text(
        "tests:\n  - name: n\n    as_of: 2026-11-22\n    inventory: x.yaml\n    findngs: []\n"
    )
    code, _, err = invoke(["test"], org)
    assert code == 2 and "policies/tests/bad.yaml:5:5:" in err and "findings" in err
    code, _, err = invoke(["test", "nowhere"], org)
    assert code == 2 and "nowhere:1:1: policy test directory not found" in err
