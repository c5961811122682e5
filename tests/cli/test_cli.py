"""The CLI from the outside: exit codes, outputs, errors, for every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern.cli.main import cli
from tests.conftest import BASE, REPO, WITHOUT_REVIEWS

# Declaration-only audits: the credential store has its own tests (test_custody.py).
TODAY = ["--today", "2026-11-22", "--offline"]


@pytest.fixture
def org(tmp_path: Path) -> Path:
    """A directory with a clean inventory and an empty policies/ (defaults)."""
    (tmp_path / "inventory.yaml").write_text(BASE)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "rules.yaml").write_text(WITHOUT_REVIEWS)
    return tmp_path


def invoke(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> tuple[int, str, str]:
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(cli, args, catch_exceptions=False, env=env, input=stdin)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def break_mfa(org: Path) -> None:
    path = org / "inventory.yaml"
    path.write_text(path.read_text().replace("{mfa: true,", "{mfa: false,"))


def test_audit_clean_exits_0(org: Path) -> None:
    code, out, _ = invoke(["audit", *TODAY], org)
    assert code == 0
    assert "No findings in inventory.yaml" in out


def test_audit_findings_exit_1_and_fail_on(org: Path) -> None:
    break_mfa(org)
    code, out, _ = invoke(["audit", *TODAY], org)
    assert code == 1 and "mfa-required" in out and "inventory.yaml:36:" in out
    assert invoke(["audit", "--fail-on", "never", *TODAY], org)[0] == 0
    # A warning-level finding fails only with --fail-on warning.
    (org / "policies" / "rules.yaml").write_text(
        WITHOUT_REVIEWS + "  mfa-required: {severity: warning}\n"
    )
    assert invoke(["audit", *TODAY], org)[0] == 0
    assert invoke(["audit", "--fail-on", "warning", *TODAY], org)[0] == 1


def test_audit_json_contract(org: Path) -> None:
    break_mfa(org)
    code, out, _ = invoke(["audit", "--format", "json", *TODAY], org)
    assert code == 1
    report = json.loads(out)
    assert list(report) == ["version", "inventory", "findings", "summary"]
    assert report["version"] == 1 and report["inventory"] == "inventory.yaml"
    (finding,) = report["findings"]
    assert finding == {
        "rule": "mfa-required",
        "severity": "error",
        "account": "xacct",
        "person": None,
        "entity": "parish",
        "message": "multi-factor authentication is off for this shared login",
        "waived": False,
        "location": {"path": "inventory.yaml", "line": 36, "column": 17},
        "fix": "turn on two-factor sign-in on the platform, then set `mfa: true` in the "
        "credential of account xacct",
    }
    assert report["summary"] == {"error": 1, "warning": 0, "info": 0, "waived": 0}


def test_audit_output_file_is_written_whole(org: Path) -> None:
    break_mfa(org)
    code, out, _ = invoke(["audit", "-f", "sarif", "-o", "report.sarif", *TODAY], org)
    assert code == 1 and out == ""
    sarif = json.loads((org / "report.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"][0]["ruleId"] == "mfa-required"
    assert not [p for p in org.iterdir() if p.name.endswith(".tmp")]


def test_audit_output_to_missing_directory_is_usage_error(org: Path) -> None:
    code, _, err = invoke(["audit", "-o", "nope/report.txt", *TODAY], org)
    assert code == 2 and "cannot write nope/report.txt" in err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "markdown", "github"])
def test_every_format_renders_the_example(fmt: str) -> None:
    code, out, _ = invoke(["audit", "-f", fmt, "--fail-on", "never", *TODAY], REPO)
    assert code == 0 and "min-admins" in out


def test_invalid_inventory_exit_2_with_positions(org: Path) -> None:
    (org / "inventory.yaml").write_text(
        BASE.replace("    handle: sttest\n", "    handle: sttest\n    acess: []\n").replace(
            "platform: youtube", "platform: youtub"
        )
    )
    code, out, err = invoke(["audit", *TODAY], org)
    assert code == 2 and out == ""
    assert "inventory.yaml:17:5: unknown field 'acess' (did you mean 'access'?)" in err
    assert "inventory.yaml:24:15: unknown platform 'youtub' (did you mean 'youtube'?)" in err
    assert "2 problems found" in err
    assert invoke(["validate"], org)[0] == 2


def test_validate(org: Path) -> None:
    code, out, _ = invoke(["validate"], org)
    assert code == 0 and "valid (3 accounts, 1 entities, 4 people)" in out
    code, _, err = invoke(["validate", "missing.yaml"], org)
    assert code == 2 and "missing.yaml:1:1: file not found" in err


def test_explicit_missing_policies_dir_is_an_error(org: Path) -> None:
    code, _, err = invoke(["audit", "--policies", "nope"], org)
    assert code == 2 and "policy directory not found" in err


def test_bad_today_is_usage_error(org: Path) -> None:
    code, _, err = invoke(["audit", "--today", "tomorrow"], org)
    assert code == 2 and "--today" in err


def test_who(org: Path) -> None:
    code, out, _ = invoke(["who", "it"], org)
    assert code == 0
    assert "IT for: parish" in out and "fb" in out and "Manager" in out
    assert "Shared logins they can read: xacct" in out
    code, out, _ = invoke(["who", "mgr", "--format", "json"], org)
    data = json.loads(out)
    assert [g["account"] for g in data["grants"]] == ["fb", "xacct"]
    assert data["credentials"] == ["xacct"]
    code, _, err = invoke(["who", "mgx"], org)
    assert code == 2 and "did you mean 'mgr'" in err


def test_accounts(org: Path) -> None:
    code, out, _ = invoke(["accounts", "--platform", "youtube"], org)
    assert code == 0 and "yt" in out and "head, it" in out and "1 account" in out
    code, out, _ = invoke(["accounts", "--entity", "parish", "--format", "json"], org)
    assert [a["id"] for a in json.loads(out)] == ["fb", "yt", "xacct"]
    assert invoke(["accounts", "--entity", "nowhere"], org)[0] == 2


def test_rules_and_explain(org: Path) -> None:
    (org / "policies" / "rules.yaml").write_text(
        textwrap.dedent("""\
        rules:
          training-current: {enabled: false}
          manager-level: {params: {levels: [B, C]}}
        """)
    )
    code, out, _ = invoke(["rules"], org)
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("training-current"))
    assert " off " in line
    code, out, _ = invoke(["explain", "manager-level"], org)
    assert code == 0 and "level C" in out and 'levels: ["B", "C"]' in out
    code, _, err = invoke(["explain", "manager-levl"], org)
    assert code == 2 and "did you mean 'manager-level'" in err


def test_help_has_examples() -> None:
    for command in ["audit", "validate", "who", "accounts", "rules", "explain"]:
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, command


def test_real_subprocess_module_entry_point(org: Path) -> None:
    break_mfa(org)
    proc = subprocess.run(
        [sys.executable, "-m", "govern", "audit", "--format", "github", *TODAY],
        cwd=org,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error file=inventory.yaml,line=36,col=17,title=mfa-required::")
    assert "Traceback" not in proc.stderr
    version = subprocess.run(
        [sys.executable, "-m", "govern", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("govern, version ")


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    """`govern schema | head -1`: the pipe closes before govern writes; no 'internal error'."""
    process = subprocess.Popen(
        [sys.executable, "-m", "govern", "schema"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first write
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141  # 128 + SIGPIPE, as a tool killed by it reports
    assert err == ""
