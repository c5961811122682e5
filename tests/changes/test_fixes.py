"""A fix in every finding: the command (or the inventory change) in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govern.fixes import FIXERS
from govern.rules import REGISTRY
from tests.changes.conftest import run


def test_every_rule_has_a_fix() -> None:
    assert set(FIXERS) == set(REGISTRY)


def test_parish_audit_has_a_fix_for_each_finding(org: Path) -> None:
    add = run("people", "add", "mvol", "--name", "M", "--email", "m@x.org", "--level", "C")
    assert add.exit_code == 0
    granted = run(
        "grant", "mvol", "st-mary-facebook", "editor", "--expires", "2026-12-01",
        "--allow-findings",
    )  # fmt: skip
    assert granted.exit_code == 0
    result = run("audit", "--offline", "--entity", "st-mary", "--format", "json")
    findings = json.loads(result.output)["findings"]
    assert findings and all(f["fix"] for f in findings if not f["waived"])
    fixes = {f["rule"]: f["fix"] for f in findings}
    assert fixes["training-current"].startswith("govern people trained mvol --on YYYY-MM-DD")
    assert fixes["grant-expiry"].startswith("govern ungrant mvol st-mary-facebook")
    assert "govern grant mvol st-mary-facebook editor --expires" in fixes["grant-expiry"]
    assert fixes["review-current"] == "govern review start --entity st-mary"

    text = run("audit", "--offline", "--entity", "st-mary").output
    assert "fix: govern review start --entity st-mary" in text
    sarif = json.loads(run("audit", "--offline", "--entity", "st-mary", "-f", "sarif").output)
    results = sarif["runs"][0]["results"]
    assert all(r["properties"]["fix"] for r in results)
    markdown = run("audit", "--offline", "--entity", "st-mary", "-f", "markdown").output
    assert "<br>Fix: govern review start --entity st-mary |" in markdown
    github = run("audit", "--offline", "--entity", "st-mary", "-f", "github").output
    assert "%0AFix: govern review start --entity st-mary" in github


def test_revoke_is_the_fix_for_a_departed_holder(org: Path) -> None:
    # tmurphy has left (status: departed); a grant to them is refused, then forced
    refused = run("grant", "tmurphy", "st-mary-facebook", "editor")
    assert refused.exit_code == 1 and "departed-access" in refused.output
    assert run("grant", "tmurphy", "st-mary-facebook", "editor", "--allow-findings").exit_code == 0
    result = run("audit", "--offline", "--person", "tmurphy", "--format", "json")
    fixes = [f["fix"] for f in json.loads(result.output)["findings"]]
    assert "govern revoke tmurphy" in fixes


def test_with_fix_keeps_every_other_field() -> None:
    """`Finding.with_fix` copies the finding: every field but `fix` as it was, the original
    untouched, and the copy equal to what `dataclasses.replace` makes."""
    import dataclasses

    from govern.findings import Finding, Location, Severity

    original = Finding(
        rule="grant-expiry",
        severity=Severity.WARNING,
        message="m",
        location=Location("inventory.yaml", 3, 5),
        account="a",
        person="p",
        entity="e",
        waived=True,
        waiver_reason="why",
    )
    fixed = original.with_fix("govern ungrant p a")
    expected = dataclasses.replace(original, fix="govern ungrant p a")
    assert dataclasses.asdict(fixed) == dataclasses.asdict(expected)
    assert type(fixed) is Finding and original.fix is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        fixed.fix = "other"  # type: ignore[misc]
