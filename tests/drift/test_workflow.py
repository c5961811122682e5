"""The nightly drift workflow keeps the rules it was written to: scheduled and on demand,
minimal permissions, actions pinned by full SHA, no credentials persisted, no template
expansion inside scripts, Vault through GitHub Actions OIDC (JWT) with no Vault secret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "drift-nightly.yml"


def load() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return data


def steps() -> list[dict[str, Any]]:
    return [step for job in load()["jobs"].values() for step in job["steps"]]


def test_triggers_and_permissions() -> None:
    data = load()
    triggers = data[True]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert re.fullmatch(r"[\d*/,-]+( [\d*/,-]+){4}", triggers["schedule"][0]["cron"])
    assert data["permissions"] == {"contents": "read"}


def test_actions_pinned_by_sha_and_no_persisted_credentials() -> None:
    uses = [s["uses"] for s in steps() if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses)
    checkout = next(s for s in steps() if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False


def test_scripts_expand_no_templates_and_vault_comes_from_env() -> None:
    scripts = [s["run"] for s in steps() if "run" in s]
    assert not any("${{" in script for script in scripts)
    drift = next(s for s in steps() if "govern drift" in s.get("run", ""))
    tokens = {
        f"GOVERN_{name}_TOKEN": f"${{{{ secrets.GOVERN_{name}_TOKEN }}}}"
        for name in ("GITHUB", "META", "GOOGLE", "LINKEDIN", "TIKTOK")
    }
    assert drift["env"] == {
        "VAULT_ADDR": "${{ vars.VAULT_ADDR }}",
        "GOVERN_VAULT_AUTH": "jwt",
        "GOVERN_VAULT_ROLE": "govern-drift",
        "GOVERN_VAULT_JWT_AUDIENCE": "govern",
        "GOVERN_DRIFT_LIVE": "${{ vars.GOVERN_DRIFT_LIVE }}",
        **tokens,
    }
    # No Vault secret: the only secrets are the platforms' read-only tokens.
    text = WORKFLOW.read_text()
    assert text.count("secrets.") == len(tokens)
    job = load()["jobs"]["drift"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    # The platforms are read once: the markdown is rendered from the JSON report.
    assert '"${live[@]}" --format json --output drift.json --fail-on never' in drift["run"]
    assert (
        'govern drift --merge drift.json --format markdown >> "$GITHUB_STEP_SUMMARY"'
        in drift["run"]
    )
    upload = next(s for s in steps() if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "drift.json" and upload["if"] == "always()"
