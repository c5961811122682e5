"""What the load path imports: `govern validate` and `govern audit --offline` run in a fresh
interpreter without the modules they never use (the credential stores, the connectors, the
drift engine, PyYAML for a valid inventory), and the pydantic models are not built by a
module that needs only a light part of `govern.inventory`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .samples import BASE, write

# Runs one command through the CLI's entry point, then prints the modules it imported.
PROBE = """
import json, sys
from govern.cli.main import cli
try:
    cli.main(sys.argv[1:], prog_name="govern", standalone_mode=False)
finally:
    print(json.dumps(sorted(sys.modules)))
"""

NEVER_OFFLINE = (
    "govern.backends.vault",
    "govern.cli.creds",
    "govern.cli.drift",
    "govern.connectors",
    "govern.credentials",
    "govern.custody",
    "govern.drift",
    "hvac",
    "requests",
    "cryptography",
    "ruamel",
)


def imported(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def loaded_packages(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.startswith(prefixes))


def test_validate_imports_no_store_connector_or_yaml(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    modules = imported("validate", str(write(tmp_path, BASE)), "-p", str(tmp_path / "policies"))
    assert "govern.inventory.model" in modules
    assert loaded_packages(modules, NEVER_OFFLINE) == []
    assert "govern.audit" not in modules
    # PyYAML serves positions only: a valid inventory never needs it.
    assert "yaml.reader" not in modules


def test_offline_audit_imports_no_store_or_connector(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    modules = imported(
        "audit",
        "-i",
        str(write(tmp_path, BASE)),
        "-p",
        str(tmp_path / "policies"),
        "--offline",
        "--fail-on",
        "never",
    )
    assert "govern.audit" in modules
    assert loaded_packages(modules, NEVER_OFFLINE) == []


def test_an_invalid_inventory_still_gets_positions_from_libyaml(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    path = write(tmp_path, BASE + "version: 1\n")
    done = subprocess.run(
        [sys.executable, "-m", "govern", "validate", str(path), "-p", str(tmp_path / "policies")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert f"{tmp_path / 'inventory.yaml'}:29:1: duplicate key 'version'" in done.stderr


def test_light_parts_of_the_inventory_package_do_not_build_the_models() -> None:
    probe = (
        "import json, sys, govern.credentials, govern.inventory.source, "
        "govern.inventory.textdiff; print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    modules = set(json.loads(done.stdout))
    assert "govern.inventory.model" not in modules
    assert "govern.inventory.load" not in modules
    # ... and the package's names still resolve on first use.
    from govern.inventory import Inventory, LoadedInventory, load_inventory
    from govern.inventory.load import LoadedInventory as Loaded
    from govern.inventory.model import Inventory as Model

    assert (Inventory, LoadedInventory) == (Model, Loaded) and callable(load_inventory)


def test_the_cli_keeps_only_the_last_inventory_it_loaded(tmp_path: Path) -> None:
    """The CLI never frees the inventory it loaded (exit is cheaper), but a process that runs
    several commands (tests, a library caller going through the CLI) holds one at most."""
    from govern.cli import _common

    (tmp_path / "policies").mkdir()
    first = write(tmp_path, BASE, "first.yaml")
    second = write(tmp_path, BASE, "second.yaml")
    _common.load(str(first), str(tmp_path / "policies"))
    loaded, _ = _common.load(str(second), str(tmp_path / "policies"))
    held = [item for item in _common._KEPT if item is not _common._KEPT]
    assert held == [loaded] and loaded.path == str(second)


def test_validate_with_the_shipped_policy_pack_imports_no_yaml(tmp_path: Path) -> None:
    """The shipped pack configures rules in block style: their positions come from the line
    scanner, so a valid inventory and pack never import PyYAML."""
    import shutil

    shipped = Path(__file__).resolve().parents[2] / "policies"
    shutil.copytree(shipped, tmp_path / "policies", ignore=shutil.ignore_patterns("tests"))
    modules = imported("validate", str(write(tmp_path, BASE)), "-p", str(tmp_path / "policies"))
    assert "yaml.reader" not in modules
