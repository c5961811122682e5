"""`govern drift` from snapshot files: every kind of difference in CSV and YAML, role labels,
email matching, bad files with positions, exit codes, formats, and `govern audit --drift`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from govern.cli.main import cli
from tests.conftest import BASE

TODAY = ["--today", "2026-11-22"]
NO_VAULT = [*TODAY, "--no-vault"]

# BASE plus a LinkedIn page and an expired grant.
INVENTORY = (
    BASE
    + """\
  - id: li
    entity: parish
    platform: linkedin
    handle: st-test-parish
    access:
      - {person: head, role: admin}
      - {person: it, role: admin}
      - {person: mgr, role: editor}
      - {person: mgr2, role: analyst, expires: 2026-10-31}
"""
)
# The declared holders of `li`, as LinkedIn's admin page names them.
LI_CLEAN = [
    {"account": "li", "email": "head@diocese.test", "role": "Super admin"},
    {"account": "li", "email": "IT@Diocese.Test", "role": "Super admin (ADMINISTRATOR)"},
    {"account": "li", "person": "mgr", "role": "Content admin"},
]
COLUMNS = ["account", "platform", "handle", "person", "email", "role", "observed_on", "source"]


@pytest.fixture
def org(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    (tmp_path / "policies").mkdir()
    return tmp_path


def invoke(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=False, env=env)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    lines = [",".join(COLUMNS)]
    lines += [",".join(row.get(c, "") for c in COLUMNS) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def write_yaml(path: Path, rows: list[dict[str, str]]) -> None:
    """Many accounts per file: rows grouped by account, holders one per line."""
    by_account: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_account.setdefault(row["account"], []).append(row)
    lines = ["source: admin page export", "observed_on: 2026-11-20", "accounts:"]
    for account, holders in by_account.items():
        lines += [f"  - account: {account}", "    holders:"]
        for holder in holders:
            fields = ", ".join(f"{k}: {json.dumps(v)}" for k, v in holder.items() if k != "account")
            lines.append(f"      - {{{fields}}}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


WRITERS = {"csv": write_csv, "yaml": write_yaml}


def snapshot(org: Path, fmt: str, rows: list[dict[str, str]], name: str = "li") -> Path:
    path = org / "snapshots" / f"{name}.{fmt}"
    WRITERS[fmt](path, rows)
    return path


def raw(org: Path, name: str, content: str | bytes) -> Path:
    """A snapshot file written exactly as given."""
    path = org / "snapshots" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def drift_json(org: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = invoke(["drift", "--format", "json", *NO_VAULT, *args], org)
    assert code in (0, 1), err
    return code, json.loads(out)["findings"]


def kinds(findings: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return sorted((f["rule"], f["severity"], f["person"]) for f in findings)


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_declared_holders_with_platform_labels_are_no_drift(org: Path, fmt: str) -> None:
    snapshot(org, fmt, LI_CLEAN)
    code, findings = drift_json(org)
    assert (code, findings) == (0, [])


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_unexpected_holder_is_an_error_at_the_snapshot_row(org: Path, fmt: str) -> None:
    path = snapshot(
        org,
        fmt,
        [*LI_CLEAN, {"account": "li", "email": "old.volunteer@gmail.com", "role": "Super admin"}],
    )
    code, findings = drift_json(org)
    assert code == 1
    [finding] = findings
    assert finding["rule"] == "drift-unexpected-holder" and finding["severity"] == "error"
    assert "old.volunteer@gmail.com" in finding["message"] and finding["person"] is None
    assert finding["account"] == "li" and finding["entity"] == "parish"
    line = (
        path.read_text()
        .splitlines()
        .index(next(x for x in path.read_text().splitlines() if "old.volunteer" in x))
        + 1
    )
    assert finding["location"]["path"] == f"snapshots/li.{fmt}"
    assert finding["location"]["line"] == line
    assert finding["location"]["column"] == (1 if fmt == "csv" else 9)


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_missing_holder_is_a_warning_at_the_grant(org: Path, fmt: str) -> None:
    snapshot(org, fmt, LI_CLEAN[:2])  # mgr is not listed
    code, findings = drift_json(org)
    assert code == 1
    assert kinds(findings) == [("drift-missing-holder", "warning", "mgr")]
    location = findings[0]["location"]
    lines = INVENTORY.splitlines()
    assert location["path"] == "inventory.yaml"
    assert "{person: mgr, role: editor}" in lines[location["line"] - 1]
    assert location["line"] > lines.index("  - id: li")  # li's grant, not fb's


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_role_mismatch_error_when_more_privileged_else_warning(org: Path, fmt: str) -> None:
    rows = [
        LI_CLEAN[0],
        {"account": "li", "email": "it@diocese.test", "role": "Analyst"},  # admin -> analyst
        {"account": "li", "person": "mgr", "role": "Super admin"},  # editor -> admin
    ]
    snapshot(org, fmt, rows)
    code, findings = drift_json(org)
    assert code == 1
    assert kinds(findings) == [
        ("drift-role-mismatch", "error", "mgr"),
        ("drift-role-mismatch", "warning", "it"),
    ]
    error = next(f for f in findings if f["severity"] == "error")
    assert "more privileged" in error["message"] and "'Super admin'" in error["message"]
    lines = INVENTORY.splitlines()
    assert "{person: mgr, role: editor}" in lines[error["location"]["line"] - 1]


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_unknown_account_is_a_warning_once_per_account(org: Path, fmt: str) -> None:
    snapshot(
        org,
        fmt,
        [
            *LI_CLEAN,
            {"account": "ghost-page", "email": "a@b.org", "role": "Super admin"},
            {"account": "ghost-page", "email": "c@b.org", "role": "Super admin"},
        ],
    )
    code, findings = drift_json(org)
    assert code == 1
    assert kinds(findings) == [("drift-unknown-account", "warning", None)]
    assert "ghost-page" in findings[0]["message"] and "2 rows" in findings[0]["message"]
    assert findings[0]["location"]["path"] == f"snapshots/li.{fmt}"


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_youtube_manager_and_owner_labels(org: Path, fmt: str) -> None:
    rows = [
        {"account": "yt", "email": "head@diocese.test", "role": "Owner"},
        {"account": "yt", "person": "it", "role": "Manager"},
        {"account": "yt", "person": "mgr2", "role": "Editor (limited)"},
    ]
    snapshot(org, fmt, rows, name="yt")
    assert drift_json(org) == (0, [])
    # A Manager seen as Owner can remove owners: more privileged although both administer.
    rows[1] = {"account": "yt", "person": "it", "role": "Owner"}
    snapshot(org, fmt, rows, name="yt")
    code, findings = drift_json(org)
    assert code == 1 and kinds(findings) == [("drift-role-mismatch", "error", "it")]


def test_email_matching_is_case_insensitive_and_platform_handle_names_accounts(
    org: Path,
) -> None:
    raw(
        org,
        "fb.csv",
        "platform,handle,email,role\n"
        "facebook,@STTEST,HEAD@DIOCESE.TEST,Facebook access with full control\n"
        "facebook,sttest,It@diocese.test,admin\n"
        "facebook,sttest,mgr@diocese.test,Moderator\n",
    )
    assert drift_json(org) == (0, [])


def test_expired_grant_still_observed_is_unexpected_and_never_missing(org: Path) -> None:
    snapshot(org, "csv", [*LI_CLEAN, {"account": "li", "person": "mgr2", "role": "Analyst"}])
    code, findings = drift_json(org)
    assert kinds(findings) == [("drift-unexpected-holder", "error", "mgr2")]
    assert "expired on 2026-10-31" in findings[0]["message"]
    # Before the expiry the grant is declared: no drift either way.
    code, out, _ = invoke(["drift", "--no-vault", "--today", "2026-10-01"], org)
    assert code == 0, out


def test_pending_invitations_do_not_hold_a_role(org: Path) -> None:
    raw(
        org,
        "li.csv",
        "account,email,role,state\n"
        "li,head@diocese.test,Super admin,APPROVED\n"
        "li,it@diocese.test,Super admin,active\n"
        "li,mgr@diocese.test,Content admin,REQUESTED\n"
        "li,stranger@example.org,Super admin,REVOKED\n",
    )
    _, findings = drift_json(org)
    assert kinds(findings) == [("drift-missing-holder", "warning", "mgr")]


def test_yaml_one_account_per_file_and_empty_holders(org: Path) -> None:
    (org / "snapshots").mkdir()
    (org / "snapshots" / "yt.yml").write_text(
        "source: YouTube Studio, Settings > Permissions\n"
        "observed_on: 2026-11-20\n"
        "account: yt\n"
        "holders: []\n"
    )
    code, findings = drift_json(org)
    assert code == 1
    assert kinds(findings) == [
        ("drift-missing-holder", "warning", p) for p in ("head", "it", "mgr2")
    ]


def test_accounts_without_snapshot_are_not_observed(org: Path) -> None:
    snapshot(org, "csv", LI_CLEAN)  # fb, yt and xacct have no snapshot: no missing holders
    assert drift_json(org) == (0, [])


def test_no_snapshots_no_drift_exit_0(org: Path) -> None:
    code, out, err = invoke(["drift", *NO_VAULT], org)
    assert code == 0 and "No findings" in out and err == ""
    (org / "snapshots").mkdir()  # an empty directory: nothing observed either
    assert invoke(["drift", *NO_VAULT], org)[0] == 0


def test_explicit_snapshot_paths_and_fail_on(org: Path) -> None:
    elsewhere = org / "exports" / "linkedin.csv"
    write_csv(elsewhere, LI_CLEAN[:2])
    code, out, _ = invoke(["drift", *NO_VAULT, "-s", str(elsewhere)], org)
    assert code == 1 and "drift-missing-holder" in out
    assert invoke(["drift", *NO_VAULT, "-s", "exports", "--fail-on", "error"], org)[0] == 0
    assert invoke(["drift", *NO_VAULT, "-s", "exports", "--fail-on", "never"], org)[0] == 0


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "markdown", "github"])
def test_every_format_renders_drift(org: Path, fmt: str) -> None:
    snapshot(
        org,
        "csv",
        [*LI_CLEAN[:2], {"account": "li", "email": "x@evil.example", "role": "Super admin"}],
    )
    code, out, _ = invoke(["drift", *NO_VAULT, "--format", fmt], org)
    assert code == 1 and out.strip()
    assert "drift-unexpected-holder" in out and "drift-missing-holder" in out
    if fmt == "sarif":
        rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
        ids = {r["id"] for r in rules}
        assert {"drift-unexpected-holder", "drift-vault-membership"} <= ids


def test_json_contract_same_as_audit(org: Path) -> None:
    snapshot(org, "csv", LI_CLEAN[:2])
    _, drift_out, _ = invoke(["drift", "--format", "json", *NO_VAULT], org)
    _, audit_out, _ = invoke(["audit", "--format", "json", "--offline", *TODAY], org)
    drift, audit = json.loads(drift_out), json.loads(audit_out)
    assert list(drift) == list(audit) == ["version", "inventory", "findings", "summary"]
    assert drift["version"] == audit["version"] and drift["inventory"] == audit["inventory"]
    assert list(drift["summary"]) == list(audit["summary"])
    assert drift["summary"] == {"error": 0, "warning": 1, "info": 0, "waived": 0}
    assert audit["findings"] and drift["findings"]  # mgr2's expired grant; mgr not listed
    shape = list(audit["findings"][0]), list(audit["findings"][0]["location"])
    assert all((list(f), list(f["location"])) == shape for f in drift["findings"])


def test_output_file(org: Path) -> None:
    snapshot(org, "csv", LI_CLEAN[:2])
    code, out, _ = invoke(["drift", *NO_VAULT, "-f", "json", "-o", "drift.json"], org)
    assert code == 1 and out == ""
    assert json.loads((org / "drift.json").read_text())["summary"]["warning"] == 1


def test_audit_drift_folds_drift_findings_in(org: Path) -> None:
    snapshot(
        org, "csv", [*LI_CLEAN, {"account": "li", "email": "x@evil.example", "role": "Super admin"}]
    )
    code, out, _ = invoke(["audit", "--offline", *TODAY, "--format", "json"], org)
    assert not any(f["rule"].startswith("drift-") for f in json.loads(out)["findings"])
    code, out, _ = invoke(["audit", "--offline", "--drift", *TODAY, "--format", "json"], org)
    assert code == 1
    rules = [f["rule"] for f in json.loads(out)["findings"]]
    assert "drift-unexpected-holder" in rules
    # The audit's own findings are still there (mgr2's grant on li expired).
    assert "grant-expiry" in rules
    # --snapshots names another place; without --drift it is a usage error.
    other = org / "elsewhere"
    write_csv(other / "li.csv", LI_CLEAN)
    code, out, _ = invoke(
        ["audit", "--offline", "--drift", "-s", str(other), *TODAY, "-f", "json"], org
    )
    assert "drift-unexpected-holder" not in out
    code, _, err = invoke(["audit", "--offline", "-s", str(other), *TODAY], org)
    assert code == 2 and "--snapshots needs --drift" in err


def test_explain() -> None:
    result = CliRunner().invoke(cli, ["drift", "--explain", "drift-unexpected-holder"])
    assert result.exit_code == 0 and "dangerous" in result.stdout
    result = CliRunner().invoke(cli, ["drift", "--explain", "drift-unexpected-holdr"])
    assert result.exit_code == 2 and "did you mean 'drift-unexpected-holder'" in result.stderr


# --- bad files: exit 2, every problem with its position, no traceback -----------------------


def bad(org: Path, name: str, text: str | bytes) -> list[str]:
    raw(org, name, text)
    code, out, err = invoke(["drift", *NO_VAULT], org)
    assert code == 2, (out, err)
    assert "Traceback" not in err and out == ""
    return [line for line in err.splitlines() if line.startswith(("error: ", "snapshots/"))]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "a.csv",
            "account,emial,role\nli,x@y.org,admin\n",
            "snapshots/a.csv:1:1: unknown column 'emial' (did you mean 'email'?)",
        ),
        (
            "a.csv",
            "account,role\nli,admin\n",
            "snapshots/a.csv:1:1: missing column 'person' or 'email'",
        ),
        (
            "a.csv",
            "account,email,role\nli,head@diocese.test,Super admin\n"
            "li,it@diocese.test,Grand Poobah\n",
            "snapshots/a.csv:3:1: unknown role 'Grand Poobah' on linkedin (write one of: admin "
            "(Super admin (ADMINISTRATOR)), editor",
        ),
        (
            "a.csv",
            "account,email,role,observed_on\nli,x@y.org,admin,yesterday\n",
            "snapshots/a.csv:2:1: observed_on: 'yesterday' is not a date (use YYYY-MM-DD)",
        ),
        ("a.csv", 'account,email,role\nli,"x@y.org,admin\n', "snapshots/a.csv:"),
        (
            "a.csv",
            "account,email,role\nli,x@y.org,admin,extra\n",
            "snapshots/a.csv:2:1: the row has 4 fields but the header has 3",
        ),
        (
            "a.csv",
            "platform,handle,email,role\nmyspace,foo,x@y.org,admin\n",
            "snapshots/a.csv:2:1: unknown platform 'myspace'",
        ),
        (
            "a.csv",
            "account,platform,email,role\nli,youtube,x@y.org,admin\n",
            "snapshots/a.csv:2:1: account 'li' is on linkedin, not youtube",
        ),
        ("a.csv", "", "snapshots/a.csv:1:1: the file is empty"),
        (
            "a.csv",
            b"account,email,role\nli,caf\xe9@y.org,admin\n",
            "snapshots/a.csv:2:7: not valid UTF-8 (byte 0xe9)",
        ),
        (
            "a.yaml",
            "account: li\nholders:\n  - {email: x@y.org, role: admin\n",
            "snapshots/a.yaml:",
        ),
        (
            "a.yaml",
            "account: li\nholders:\n  - {email: x@y.org, rol: admin}\n",
            "snapshots/a.yaml:3:22: unknown field 'rol' (did you mean 'role'?)",
        ),
        (
            "a.yaml",
            "account: li\nholders:\n  - {role: admin}\n",
            "snapshots/a.yaml:3:5: holders: a holder needs 'person' or 'email'",
        ),
        (
            "a.yaml",
            "account: li\nholders:\n  - email: x@y.org\n    role: Grand Poobah\n",
            "snapshots/a.yaml:4:11: unknown role 'Grand Poobah' on linkedin",
        ),
        (
            "a.yaml",
            "accounts:\n  - account: li\n    observed_on: 2026-13-45\n    holders: []\n",
            "snapshots/a.yaml:3:18: observed_on:",
        ),
        ("a.yaml", "- just a list\n", "snapshots/a.yaml:1:1: expected a mapping"),
        ("a.yaml", "account: li\n", "snapshots/a.yaml:1:1: missing required field 'holders'"),
    ],
)
def test_bad_snapshot_files_exit_2_with_positions(
    org: Path, name: str, text: str | bytes, expected: str
) -> None:
    lines = bad(org, name, text)
    assert any(expected in line for line in lines), lines


def test_every_problem_of_every_file_in_one_run(org: Path) -> None:
    (org / "snapshots").mkdir()
    (org / "snapshots" / "b.yaml").write_text("account: li\nholders:\n  - {person: x}\n")
    lines = bad(org, "a.csv", "account,email,role\nli,x@y.org,\nli,y@y.org,Boss\n")
    text = "\n".join(lines)
    assert "snapshots/a.csv:2:1: the row has no role" in text
    assert "snapshots/a.csv:3:1: unknown role 'Boss'" in text
    assert "snapshots/b.yaml:3:5: missing required field 'role'" in text
    assert "3 problems found" in invoke(["drift", *NO_VAULT], org)[2]


def test_missing_snapshot_path_and_wrong_suffix(org: Path) -> None:
    code, _, err = invoke(["drift", *NO_VAULT, "-s", "nowhere.csv"], org)
    assert code == 2 and "nowhere.csv:1:1: no such file or directory" in err
    (org / "notes.txt").write_text("hello")
    code, _, err = invoke(["drift", *NO_VAULT, "-s", "notes.txt"], org)
    assert code == 2 and "notes.txt:1:1: not a snapshot file" in err


def test_semicolon_csv_with_bom_and_extra_export_columns(org: Path) -> None:
    raw(
        org,
        "li.csv",
        "\ufeffAccount;E-mail;Role;Name;Last login\r\n"
        "li;head@diocese.test;Super admin;Fr Head;2026-11-01\r\n"
        "li;it@diocese.test;Super admin;IT Person;2026-11-02\r\n"
        "# a comment row\r\n"
        "li;mgr@diocese.test;Content admin;Manager;\r\n".encode(),
    )
    assert drift_json(org) == (0, [])
