"""`govern drift --live` without platform servers: every account still ends in one state, the
reason an account is unverifiable is stated, snapshots fill in platforms without an API, and
the coverage line appears in every format. (Connector behaviour against local servers that
speak each platform's API: tests/connectors/.)"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from govern.cli.main import cli
from tests.conftest import BASE, REPO

TODAY = ["--today", "2026-11-22", "--no-vault"]

INVENTORY = (
    BASE.split("accounts:")[0]
    + """\
accounts:
  - id: fb
    entity: parish
    platform: facebook
    handle: sttest
    access:
      - {person: head, role: admin}
  - id: gh
    entity: parish
    platform: github
    handle: st-test
    access:
      - {person: head, role: owner}
  - id: yt
    entity: parish
    platform: youtube
    handle: sttestparish
    access:
      - {person: head, role: owner}
  - id: yt2
    entity: parish
    platform: youtube
    handle: sttestparish2
    access:
      - {person: head, role: owner}
"""
)


@pytest.fixture(autouse=True)
def no_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GOVERN_") or name.startswith("VAULT_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def org(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    (tmp_path / "policies").mkdir()
    return tmp_path


def invoke(args: list[str], cwd: Path) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_without_tokens_every_account_is_unverifiable_with_the_reason(org: Path) -> None:
    code, out, _ = invoke(["drift", "--live", "--format", "json", *TODAY], org)
    assert code == 1  # drift-unverifiable is a warning; --fail-on defaults to warning
    report = json.loads(out)
    assert report["coverage"]["states"] == {
        "fb": "unverifiable",
        "gh": "unverifiable",
        "yt": "unverifiable",
        "yt2": "unverifiable",
    }
    assert report["coverage"]["accounts"] == 4
    assert report["coverage"]["unverifiable"] == 4
    assert report["coverage"]["failures"] == []
    why = {f["account"]: f["message"] for f in report["findings"]}
    assert set(why) == {"fb", "gh", "yt", "yt2"}
    assert all(f["rule"] == "drift-unverifiable" for f in report["findings"])
    assert "GOVERN_GITHUB_TOKEN" in why["gh"] and "connector-github" in why["gh"]
    assert "GOVERN_META_TOKEN" in why["fb"]
    assert "no admin API" in why["yt"] and "snapshot" in why["yt"]
    # Each finding points at its account in the inventory.
    lines = {f["account"]: f["location"]["line"] for f in report["findings"]}
    text = (org / "inventory.yaml").read_text().splitlines()
    assert text[lines["gh"] - 1].strip() == "- id: gh"


def test_a_snapshot_fills_in_a_platform_without_an_api(org: Path) -> None:
    snapshots = org / "snapshots"
    snapshots.mkdir()
    (snapshots / "yt.csv").write_text(
        "account,email,role\nyt,head@diocese.test,Owner\nyt2,stranger@gmail.com,Manager\n"
        "yt2,head@diocese.test,Owner\n"
    )
    code, out, _ = invoke(["drift", "--live", "--format", "json", *TODAY], org)
    report = json.loads(out)
    assert report["coverage"]["states"]["yt"] == "clean"
    assert report["coverage"]["states"]["yt2"] == "drift"
    assert report["coverage"]["states"]["gh"] == "unverifiable"
    assert (report["coverage"]["clean"], report["coverage"]["drift"]) == (1, 1)
    rules = {(f["account"], f["rule"]) for f in report["findings"]}
    assert ("yt2", "drift-unexpected-holder") in rules
    assert not any(account in ("yt", "yt2") for account, rule in rules if "unverif" in rule)
    assert code == 1


def test_the_coverage_line_ends_every_format(org: Path, tmp_path: Path) -> None:
    line = "4 accounts: 0 clean, 0 drift, 4 unverifiable"
    _, text, _ = invoke(["drift", "--live", *TODAY], org)
    assert text.rstrip().splitlines()[-1] == line
    _, markdown, _ = invoke(["drift", "--live", "--format", "markdown", *TODAY], org)
    assert markdown.rstrip().endswith(f"**Coverage:** {line}")
    _, github, _ = invoke(["drift", "--live", "--format", "github", *TODAY], org)
    assert github.rstrip().splitlines()[-1] == f"::notice title=govern drift coverage::{line}"
    _, junit, _ = invoke(["drift", "--live", "--format", "junit", *TODAY], org)
    assert f'<property name="coverage" value="{line}" />' in junit
    _, sarif, _ = invoke(["drift", "--live", "--format", "sarif", *TODAY], org)
    document = json.loads(sarif)
    assert document["runs"][0]["properties"]["coverage"]["unverifiable"] == 4
    schema = json.loads((REPO / "tests" / "formats" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(document, schema)


def test_without_live_there_is_no_coverage_and_unobserved_is_not_drift(org: Path) -> None:
    code, out, _ = invoke(["drift", "--format", "json", *TODAY], org)
    assert code == 0
    report = json.loads(out)
    assert "coverage" not in report and report["findings"] == []


def test_the_concurrency_option_is_bounded(org: Path) -> None:
    code, _, err = invoke(["drift", "--live", "--concurrency", "0", *TODAY], org)
    assert code == 2 and "--concurrency" in err


def test_shards_split_the_accounts_once_and_merge_back(org: Path) -> None:
    _, whole, _ = invoke(["drift", "--live", "--format", "json", *TODAY], org)
    parts = []
    for k in (1, 2, 3):
        out_file = org / f"drift-{k}.json"
        code, _, _ = invoke(
            ["drift", "--live", "--shard", f"{k}/3", "-f", "json", "-o", str(out_file), *TODAY],
            org,
        )
        assert code in (0, 1)
        parts.append(json.loads(out_file.read_text()))
    shard_states = [set(p["coverage"]["states"]) for p in parts]
    everything = set(json.loads(whole)["coverage"]["states"])
    assert set().union(*shard_states) == everything
    assert sum(len(s) for s in shard_states) == len(everything)  # each account in one shard
    code, merged, _ = invoke(
        ["drift", "--merge", *(str(org / f"drift-{k}.json") for k in (1, 2, 3)), "-f", "json"],
        org,
    )
    assert code == 1
    joined = json.loads(merged)
    assert joined["coverage"]["states"].keys() == everything
    assert sorted(f["account"] for f in joined["findings"]) == sorted(
        f["account"] for f in json.loads(whole)["findings"]
    )
    _, text, _ = invoke(
        [
            "drift",
            "--merge",
            str(org / "drift-1.json"),
            str(org / "drift-2.json"),
            str(org / "drift-3.json"),
        ],
        org,
    )
    assert text.rstrip().endswith("4 accounts: 0 clean, 0 drift, 4 unverifiable")


def test_bad_shards_and_bad_merge_files_are_usage_errors(org: Path) -> None:
    for bad in ("0/2", "3/2", "x", "1/0"):
        code, _, err = invoke(["drift", "--live", "--shard", bad, *TODAY], org)
        assert code == 2 and "--shard" in err, bad
    (org / "bad.json").write_text('{"version": 1,\n  "findings": [}')
    code, _, err = invoke(["drift", "--merge", str(org / "bad.json")], org)
    assert code == 2 and f"{org / 'bad.json'}:2:16: not JSON" in err
    (org / "odd.json").write_text('{"inventory": "x", "findings": [{"rule": 1}]}')
    code, _, err = invoke(["drift", "--merge", str(org / "odd.json")], org)
    assert code == 2 and "not a govern JSON report" in err and "Traceback" not in err
