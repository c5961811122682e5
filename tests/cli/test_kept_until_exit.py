"""A one-shot command puts what it keeps until exit out of the cyclic collector's reach: the
inventory once loaded, the report once audited (govern.cli._common.kept_until_exit). The
collector then never rescans them, and the block itself runs with the collector paused."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from govern.cli._common import kept_until_exit
from tests.conftest import after_command

# Before the command: what audit imports, so that both commands freeze those modules alike.
PRELUDE = "import govern.audit, govern.fixes, govern.scope, govern.formats.json\n"
# After it: how many objects the collector no longer scans, and whether it is on.
PROBE = (
    "import gc, json\n"
    "print(json.dumps({'frozen': gc.get_freeze_count(), 'enabled': gc.isenabled()}))\n"
)


def frozen_after(cwd: Path, *args: str) -> tuple[dict[str, object], str]:
    """(what the probe printed, what the command printed before it)."""
    output, line = after_command(cwd, list(args), PROBE, PRELUDE)
    result: dict[str, object] = json.loads(line)
    return result, output


def test_the_block_runs_paused_and_what_it_made_is_frozen() -> None:
    enabled = gc.isenabled()
    before = gc.get_freeze_count()
    with kept_until_exit():
        paused = not gc.isenabled()
        made = [[n] for n in range(5000)]  # tracked containers
    assert paused and gc.isenabled() == enabled
    assert gc.get_freeze_count() >= before + len(made)


def test_a_failing_block_freezes_nothing_and_restores_the_collector() -> None:
    before = gc.get_freeze_count()
    gc.disable()
    try:
        with pytest.raises(RuntimeError), kept_until_exit():
            _ = [[n] for n in range(5000)]
            raise RuntimeError("load failed")
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
    assert gc.get_freeze_count() == before


def test_audit_freezes_its_report_as_load_freezes_the_inventory(tmp_path: Path) -> None:
    """`validate` freezes the loaded inventory; `audit` also what the audit built (its
    findings, among others): many more objects, and the collector is on again afterwards."""
    inventory = tmp_path / "inventory.yaml"
    generate = Path(__file__).resolve().parents[2] / "benchmarks" / "generate.py"
    subprocess.run(
        [sys.executable, str(generate), "--accounts", "60", "-o", str(inventory)],
        check=True,
        capture_output=True,
    )
    (tmp_path / "policies").mkdir()
    validated, _ = frozen_after(tmp_path, "validate", "inventory.yaml", "-p", "policies")
    audited, report = frozen_after(
        tmp_path, "audit", "-i", "inventory.yaml", "-p", "policies", "--offline", "-f", "json"
    )
    findings = len(json.loads(report)["findings"])
    assert validated["enabled"] is True and audited["enabled"] is True
    assert findings > 5
    assert int(str(audited["frozen"])) > int(str(validated["frozen"])) + 2 * findings
