"""govern audit --entity / --person: a parish's report holds only its parish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.changes.conftest import run


def findings(*args: str) -> list[dict[str, Any]]:
    result = run("audit", "--offline", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    found: list[dict[str, Any]] = json.loads(result.output)["findings"]
    return found


def entity_of(org: Path) -> dict[str, str]:
    data = yaml.safe_load((org / "inventory.yaml").read_text())
    return {a["id"]: a["entity"] for a in data["accounts"]}


def test_entity_scope_keeps_only_that_entity(org: Path) -> None:
    # a volunteer without training on st-mary: a person-level finding of st-mary
    add = run("people", "add", "mvol", "--name", "M", "--email", "m@x.org", "--level", "C")
    assert add.exit_code == 0
    assert run("grant", "mvol", "st-mary-facebook", "editor", "--allow-findings").exit_code == 0
    everything = findings()
    mary = findings("--entity", "st-mary")
    owners = entity_of(org)
    assert 0 < len(mary) < len(everything)
    for finding in mary:
        if finding["account"]:
            assert owners[finding["account"]] == "st-mary"
    assert any(f["person"] == "mvol" and f["rule"] == "training-current" for f in mary)
    assert not any(f["person"] == "mvol" for f in findings("--entity", "cathedral"))
    both = findings("--entity", "st-mary", "--entity", "cathedral")
    assert {f["message"] for f in mary} <= {f["message"] for f in both}
    assert len(both) > len(mary)


def test_person_scope(org: Path) -> None:
    run("people", "add", "mvol", "--name", "M", "--email", "m@x.org", "--level", "C")
    run("grant", "mvol", "st-mary-facebook", "editor", "--allow-findings")
    mine = findings("--person", "mvol")
    assert mine
    assert all(f["person"] == "mvol" or f["account"] == "st-mary-facebook" for f in mine)
    assert any(f["rule"] == "training-current" for f in mine)


def test_text_report_and_exit_code_follow_the_scope(org: Path) -> None:
    result = run("audit", "--offline", "--entity", "st-mary", "--fail-on", "warning")
    assert result.exit_code == 1
    assert "st-mary-facebook" in result.output and "cathedral" not in result.output


def test_unknown_names_exit_2_with_a_suggestion(org: Path) -> None:
    result = run("audit", "--offline", "--entity", "st-marx")
    assert result.exit_code == 2
    assert "no entity 'st-marx'" in result.output and "st-mary" in result.output
    result = run("audit", "--offline", "--person", "nobody")
    assert result.exit_code == 2 and "no person 'nobody'" in result.output
