"""Access reviews from the outside: start, decide the files, status, close into the
inventory and the audit log, refusals with positions, and the review-current rule."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from govern.cli.main import cli
from tests.conftest import BASE, at, brief, run_audit

TODAY = ["--today", "2026-11-30"]
FILE = Path("reviews") / "2026-annual" / "parish.yaml"


def invoke(org: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(org)
    try:
        result = CliRunner().invoke(
            cli, list(args), catch_exceptions=False, env={"GOVERN_ACTOR": "tester", **(env or {})}
        )
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def org(tmp_path: Path) -> Path:
    text = BASE.replace("accounts:\n", "accounts:\n  # the parish's accounts\n")
    (tmp_path / "inventory.yaml").write_text(text)
    (tmp_path / "policies").mkdir()
    return tmp_path


def started(org: Path) -> Path:
    code, out, err = invoke(org, "review", "start", "--due", "2026-12-31", *TODAY)
    assert code == 0, err
    assert f"wrote {org / FILE}" in out
    return org / FILE


def decide(path: Path, decisions: dict[tuple[str, str], str], default: str = "keep") -> None:
    """Fill every `decision:` of the file: (account, person) -> text, else `default`."""
    lines, account = [], None
    person = None
    for line in path.read_text().splitlines():
        if m := re.match(r"\s*- account: (\S+)", line):
            account = m.group(1)
        if m := re.match(r"\s*- person: (\S+)", line):
            person = m.group(1)
        if line.strip().startswith("decision:"):
            indent = line[: len(line) - len(line.lstrip())]
            line = f"{indent}decision: {decisions.get((account or '', person or ''), default)}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")


def test_start_writes_one_file_per_entity_with_every_holder(org: Path) -> None:
    path = started(org)
    text = path.read_text()
    assert text.startswith("# Access review '2026-annual' of St Test Parish (parish)")
    data = yaml.safe_load(text)
    assert data["reviewer"] == "head" and str(data["due"]) == "2026-12-31"
    assert [a["account"] for a in data["accounts"]] == ["fb", "yt", "xacct"]
    holder = data["accounts"][1]["holders"][0]
    assert holder == {
        "person": "head",
        "name": "Fr Head",
        "role": "owner",
        "platform_role": "Owner",
        "level": "A",
        "trained_on": __import__("datetime").date(2026, 6, 1),
        "expires": None,
        "decision": None,
    }
    assert "decision:  # keep | remove | {change: ROLE}" in text
    assert "&id" not in text  # no YAML anchors for shared dates
    # Started twice: refused, nothing overwritten.
    code, _, err = invoke(org, "review", "start", "--due", "2026-12-31", *TODAY)
    assert code == 2 and "already has" in err
    assert path.read_text() == text


def test_start_unknown_entity_and_bad_due(org: Path) -> None:
    code, _, err = invoke(org, "review", "start", "--entity", "parsh", *TODAY)
    assert code == 2 and "no entity 'parsh'" in err and "parish" in err
    code, _, err = invoke(org, "review", "start", "--due", "31/12/2026", *TODAY)
    assert code == 2 and "--due" in err and "Traceback" not in err
    code, _, err = invoke(org, "review", "start", "--name", "../x", *TODAY)
    assert code == 2 and "plain folder name" in err


def test_status_pending_then_overdue_then_decided(org: Path) -> None:
    path = started(org)
    code, out, _ = invoke(org, "review", "status", *TODAY)
    assert code == 0 and "parish  pending  0 decided, 8 pending" in out
    code, out, _ = invoke(org, "review", "status", "2026-annual", "--today", "2027-01-01")
    assert code == 1 and "overdue" in out
    decide(path, {})
    code, out, _ = invoke(org, "review", "status", "-f", "json", "--today", "2027-01-01")
    report = json.loads(out)
    assert code == 0 and report["entities"][0]["state"] == "decided"
    assert (report["decided"], report["pending"], report["overdue"]) == (8, 0, False)
    code, _, err = invoke(org, "review", "status", "2025-annual", *TODAY)
    assert code == 2 and "no review '2025-annual'" in err


def test_close_applies_decisions_records_reviewed_and_logs(org: Path) -> None:
    path = started(org)
    decide(
        path,
        {("fb", "mgr"): "remove", ("xacct", "mgr"): "remove", ("yt", "mgr2"): "{change: analyst}"},
    )
    before = (org / "inventory.yaml").read_text()
    code, out, err = invoke(org, "review", "close", "2026-annual", *TODAY)
    assert code == 0, err
    assert "3 accounts reviewed, 5 kept, 2 removed, 1 changed" in out
    assert "mgr now holds nothing: offboard them with `govern revoke mgr`" in out
    after = (org / "inventory.yaml").read_text()
    assert "  # the parish's accounts\n" in after  # comments kept
    assert "{person: mgr, role: editor}" not in after and "{person: mgr, role: admin}" not in after
    assert "{person: mgr2, role: analyst}" in after
    assert after.count("    reviewed: {on: 2026-11-30, by: head}\n") == 3
    # Only the decided lines and the three `reviewed` lines changed.
    removed = [x for x in before.splitlines() if x not in after.splitlines()]
    assert len(removed) == 3
    records = [json.loads(x) for x in (org / "audit.log.jsonl").read_text().splitlines()]
    assert records[-1]["action"] == "review-close" and records[-1]["actor"] == "tester"
    assert records[-1]["details"]["removed"] == [
        {"account": "fb", "person": "mgr", "role": "editor"},
        {"account": "xacct", "person": "mgr", "role": "admin"},
    ]
    assert records[-1]["details"]["reviewers"] == {"parish": "head"}
    assert invoke(org, "log", "verify")[0] == 0
    # The accounts now pass review-current; a year and a day later they do not.
    policy = ["-f", "json", "--fail-on", "never", "--offline"]
    code, out, _ = invoke(org, "audit", *policy, "--today", "2026-12-01")
    assert not [f for f in json.loads(out)["findings"] if f["rule"] == "review-current"]
    code, out, _ = invoke(org, "audit", *policy, "--today", "2027-12-01")
    stale = [f for f in json.loads(out)["findings"] if f["rule"] == "review-current"]
    assert [f["account"] for f in stale] == ["fb", "yt", "xacct"]
    assert "last reviewed on 2026-11-30, over 365 days ago" in stale[0]["message"]


def test_close_refuses_a_reviewer_who_is_not_head_or_it(org: Path) -> None:
    path = started(org)
    decide(path, {("fb", "mgr"): "remove"})
    path.write_text(path.read_text().replace("reviewer: head", "reviewer: mgr2"))
    before = (org / "inventory.yaml").read_text()
    code, _, err = invoke(org, "review", "close", "2026-annual", *TODAY)
    line = next(i for i, x in enumerate(path.read_text().splitlines(), 1) if "reviewer:" in x)
    assert code == 2
    assert f"{path}:{line}:11: reviewer 'mgr2' is not the head of parish (head) or IT (it)" in err
    assert "Traceback" not in err
    assert (org / "inventory.yaml").read_text() == before
    assert not (org / "audit.log.jsonl").exists()
    # IT may decide for the head.
    path.write_text(path.read_text().replace("reviewer: mgr2", "reviewer: it"))
    code, _, err = invoke(org, "review", "close", "2026-annual", *TODAY)
    assert code == 0, err
    assert "reviewed: {on: 2026-11-30, by: it}" in (org / "inventory.yaml").read_text()


def test_close_refuses_missing_and_invalid_decisions_all_at_once(org: Path) -> None:
    path = started(org)
    decide(path, {("fb", "mgr"): "maybe", ("yt", "mgr2"): "{change: admin}"})
    text = path.read_text().replace("decision: keep", "decision:", 1)
    path.write_text(text)
    code, _, err = invoke(org, "review", "close", "2026-annual", *TODAY)
    assert code == 2 and "Traceback" not in err
    assert err.count(str(path)) == 1 and "1 problem found; nothing was changed." in err
    assert ":38:19: decision: must be keep, remove or {change: ROLE}" in err  # 'maybe'
    assert ": no decision for" not in err  # the file is invalid: decisions are not counted
    # Once valid, a missing decision is named by holder.
    path.write_text(text.replace("decision: maybe", "decision: keep"))
    code, _, err = invoke(org, "review", "close", "2026-annual", *TODAY)
    assert code == 2 and "no decision for 'head' on fb" in err


def test_close_refuses_a_role_the_platform_lacks(org: Path) -> None:
    path = started(org)
    decide(path, {("xacct", "mgr"): "{change: editor}"})
    code, _, err = invoke(org, "review", "close", "2026-annual", *TODAY)
    assert code == 2 and "role 'editor' does not exist on x" in err


def git(cwd: Path, *args: str, email: str = "head@diocese.test") -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": email}
    env |= {"GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": email}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_close_git_author_option(org: Path) -> None:
    path = started(org)
    decide(path, {})
    git(org, "init", "-q")
    git(org, "add", "-A")
    git(org, "commit", "-q", "-m", "decided", email="mgr@diocese.test")
    code, _, err = invoke(org, "review", "close", "2026-annual", "--git-author", *TODAY)
    assert code == 2
    assert f"{path}:1:1: last committed by mgr@diocese.test, who is not the head" in err
    path.write_text(path.read_text() + "# decided by the head\n")
    git(org, "commit", "-q", "-am", "decided", email="Head@Diocese.test")
    code, _, err = invoke(org, "review", "close", "2026-annual", "--git-author", *TODAY)
    assert code == 0, err


def test_review_files_with_hostile_names_stay_valid_yaml(org: Path) -> None:
    inventory = org / "inventory.yaml"
    inventory.write_text(
        inventory.read_text().replace("name: Manager,", 'name: "<b>M\\u0007\\nx: 1</b>",')
    )
    path = started(org)
    data = yaml.safe_load(path.read_text())
    holder = next(h for h in data["accounts"][0]["holders"] if h["person"] == "mgr")
    assert holder["name"] == "<b>M\x07\nx: 1</b>"


BASE_REVIEWED = BASE.replace(
    "    credential: {mfa: true",
    "    reviewed: {on: 2026-01-10, by: head}\n    credential: {mfa: true",
)


def test_review_current_rule(tmp_path: Path) -> None:
    findings = run_audit(tmp_path, BASE_REVIEWED, rule="review-current")
    assert brief(findings) == [
        ("review-current", *at(BASE_REVIEWED, 13, "fb")),
        ("review-current", *at(BASE_REVIEWED, 21, "yt")),
    ]
    assert "never had an access review" in findings[0].message
    text = BASE_REVIEWED.replace("2026-01-10", "2025-01-10")
    findings = run_audit(tmp_path, text, rule="review-current")
    assert brief(findings)[-1] == ("review-current", *at(text, 36, "2025-01-10"))
    assert findings[-1].severity.value == "warning"
    policies = {"rules.yaml": "rules:\n  review-current: {params: {max_age_days: 800}}\n"}
    findings = run_audit(tmp_path, text, rule="review-current", policies=policies)
    assert [f.account for f in findings] == ["fb", "yt"]


def test_review_current_reviewer_must_be_a_person(org: Path) -> None:
    inventory = org / "inventory.yaml"
    inventory.write_text(BASE_REVIEWED.replace("by: head}", "by: hed}"))
    code, _, err = invoke(org, "validate")
    assert code == 2 and "inventory.yaml:36:" in err and "unknown person 'hed'" in err


def test_explain_review_current() -> None:
    result = CliRunner().invoke(cli, ["explain", "review-current"])
    assert result.exit_code == 0
    assert "max_age_days" in result.output and "Passes" in result.output


def test_close_refuses_an_account_with_holders_the_review_missed(org: Path) -> None:
    path = started(org)
    decide(path, {})
    inventory = org / "inventory.yaml"
    inventory.write_text(
        inventory.read_text().replace(
            "      - {person: mgr2, role: editor}",
            "      - {person: mgr2, role: editor}\n      - {person: mgr, role: analyst}",
        )
    )
    code, _, err = invoke(org, "review", "close", "2026-annual", *TODAY)
    assert code == 2 and "yt is also held by mgr, who is not in the review" in err
    assert "reviewed:" not in inventory.read_text()


def test_close_on_the_example_only_adds_the_reviewed_lines(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    (tmp_path / "inventory.yaml").write_bytes((repo / "inventory.yaml").read_bytes())
    before = (tmp_path / "inventory.yaml").read_text().splitlines()
    code, _, err = invoke(tmp_path, "review", "start", "--due", "2026-12-31", *TODAY)
    assert code == 0, err
    for path in (tmp_path / "reviews" / "2026-annual").glob("*.yaml"):
        decide(path, {})
    code, out, err = invoke(tmp_path, "review", "close", "2026-annual", *TODAY)
    assert code == 0, err
    after = (tmp_path / "inventory.yaml").read_text().splitlines()
    added = [line for line in after if line not in before]
    accounts = sum(1 for line in before if line.startswith("  - id: ") and "-" in line[8:])
    assert len(after) - len(before) == len(added) > 0
    assert all(line.startswith("    reviewed: {on: 2026-11-30, by: ") for line in added)
    # A section comment stays right above the account it introduces.
    n = after.index("  - id: cathedral-facebook")
    assert after[n - 1].startswith("  # --- Cathedral") and after[n - 2].startswith("    reviewed:")
    assert f"{len(added)} accounts reviewed" in out and accounts >= len(added)
