"""`govern schema`, the published schema/inventory.schema.json, and check-jsonschema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern.cli.main import cli
from govern.inventory.schema import SCHEMA_DIALECT, inventory_schema, schema_text
from tests.ecosystem.conftest import REPO, run, tool

PUBLISHED = REPO / "schema" / "inventory.schema.json"
MODELINE = "# yaml-language-server: $schema=schema/inventory.schema.json"


def test_published_schema_is_in_sync_with_the_models() -> None:
    assert PUBLISHED.read_text(encoding="utf-8") == schema_text(), (
        "schema/inventory.schema.json is stale: run "
        "`govern schema --output schema/inventory.schema.json` and commit it"
    )


def test_schema_command_prints_and_writes_the_same_text(tmp_path: Path) -> None:
    runner = CliRunner()
    printed = runner.invoke(cli, ["schema"])
    assert printed.exit_code == 0, printed.output
    assert printed.output == schema_text()
    target = tmp_path / "out.json"
    written = runner.invoke(cli, ["schema", "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text(encoding="utf-8") == schema_text()


def test_schema_is_draft7_with_id_title_and_documented_fields() -> None:
    import jsonschema

    schema = inventory_schema()
    assert schema["$schema"] == SCHEMA_DIALECT
    assert schema["$id"] and schema["title"] and schema["description"]
    jsonschema.Draft7Validator.check_schema(schema)
    assert "$defs" not in json.dumps(schema), "draft-07 editors resolve #/definitions only"
    undocumented = [
        f"{name}.{field}"
        for name, definition in [("Inventory", schema), *schema["definitions"].items()]
        for field, prop in definition.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == []
    person = schema["definitions"]["Person"]["properties"]
    assert person["id"]["examples"] and person["level"]["examples"]
    assert schema["definitions"]["Grant"]["properties"]["role"]["enum"] == [
        "owner",
        "admin",
        "editor",
        "analyst",
    ]


def test_example_inventory_starts_with_the_schema_modeline() -> None:
    assert (REPO / "inventory.yaml").read_text(encoding="utf-8").splitlines()[0] == MODELINE


def test_check_jsonschema_accepts_the_example_and_the_starter(scaffolded: Path) -> None:
    exe = tool("check-jsonschema", install="check-jsonschema")
    for inventory in (REPO / "inventory.yaml", scaffolded / "inventory.yaml"):
        proc = run([exe, "--schemafile", str(PUBLISHED), str(inventory)])
        assert proc.returncode == 0, proc.stdout + proc.stderr
    # The scaffold ships its own copy, the same text, at the path its modeline names.
    assert (scaffolded / "schema" / "inventory.schema.json").read_text() == schema_text()
    assert (scaffolded / "inventory.yaml").read_text().splitlines()[0] == MODELINE


BROKEN = {
    "unknown field": ("    level: A\n", "    level: A\n    nickname: Mike\n", "nickname"),
    "bad role": ("role: admin}", "role: superuser}", "superuser"),
    "wrong version": ("version: 1\n", "version: 2\n", "version"),
    "bad date": ("trained_on: 2026-04-11", "trained_on: last spring", "last spring"),
    "bad slug": ("- id: fr-mendez", "- id: Fr Mendez", "Fr Mendez"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_jsonschema_rejects_a_broken_inventory(case: str, tmp_path: Path) -> None:
    exe = tool("check-jsonschema", install="check-jsonschema")
    old, new, needle = BROKEN[case]
    text = (REPO / "inventory.yaml").read_text(encoding="utf-8")
    assert old in text, f"fixture out of date: {old!r} no longer in inventory.yaml"
    broken = tmp_path / "inventory.yaml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    proc = run([exe, "--schemafile", str(PUBLISHED), str(broken)])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert needle in proc.stdout + proc.stderr
