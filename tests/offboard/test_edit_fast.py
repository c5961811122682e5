"""`govern revoke` edits large and CRLF inventories changing only the intended lines."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from govern.cli.main import cli
from govern.inventory.edit import InventoryEditor, UnsafeEdit


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def changed_lines(before: str, after: str) -> list[str]:
    return sorted(
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def test_revoke_keeps_crlf_line_ends(
    org: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    twin = shutil.copytree(org, tmp_path_factory.mktemp("lf") / "org")
    inventory = org / "inventory.yaml"
    lf = inventory.read_text()
    inventory.write_bytes(lf.replace("\n", "\r\n").encode())
    args = ("revoke", "fr-mendez", "--successor", "cwright", "--yes", "--left-on", "2026-11-22")
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    crlf_after = inventory.read_bytes().decode()
    monkeypatch.chdir(twin)
    assert run(*args).exit_code == 0
    lf_after = (twin / "inventory.yaml").read_text()
    assert crlf_after.count("\n") == crlf_after.count("\r\n")
    assert crlf_after.replace("\r\n", "\n") == lf_after
    assert "+    head: cwright" in changed_lines(lf, lf_after)


def test_revoke_of_a_holder_of_many_accounts_changes_only_their_lines(org: Path) -> None:
    inventory = org / "inventory.yaml"
    lines = [
        "version: 1",
        "organization: {name: Big, domains: [big.test]}",
        "people:",
        "  - {id: head, name: Head, email: head@big.test, level: A}",
        "  - {id: second, name: Second, email: second@big.test, level: C}",
        "  - {id: volunteer, name: Volunteer, email: vol@big.test, level: C}",
        "entities:",
        "  - {id: parish, name: Parish, head: head}",
        "accounts:",
    ]
    for i in range(300):
        lines += [
            f"  - id: fb-{i:03d}   # page {i}",
            "    entity: parish",
            "    platform: facebook",
            f"    handle: parish{i}",
            "    access:",
            "      - {person: head, role: admin}",
            "      - {person: volunteer, role: editor}",
            "      - {person: second, role: admin}",
        ]
        if i % 50 == 0:
            lines.append("  # ----")
    before = "\n".join(lines) + "\n"
    inventory.write_text(before)
    result = run("revoke", "volunteer", "--yes", "--left-on", "2026-11-22")
    assert result.exit_code == 0, result.stderr
    # Exactly the volunteer's grant lines go and their person line gains the departure.
    assert inventory.read_text() == before.replace(
        "      - {person: volunteer, role: editor}\n", ""
    ).replace("level: C}\nentities", "level: C, status: departed, left_on: 2026-11-22}\nentities")


def test_an_edit_that_would_not_read_back_is_never_written(tmp_path: Path) -> None:
    """ruamel.yaml writes a list emptied after a comment as `access:   # note` + `[]` at
    column 0, which is not the edited data. The editor refuses (exit 2) and writes nothing.
    (`govern revoke` never empties an access list, since it refuses to leave an account
    without an admin; the guard is for every path to the whole-file round trip.)"""
    inventory = tmp_path / "inventory.yaml"
    before = (
        "version: 1\n"
        "organization: {name: T, domains: [t.test]}\n"
        "people:\n"
        "  - {id: vol, name: Vol, email: vol@t.test, level: C}\n"
        "entities:\n"
        "  - {id: e, name: E, head: vol}\n"
        "accounts:\n"
        "  - id: c\n"
        "    entity: e\n"
        "    platform: instagram\n"
        "    handle: gram\n"
        "    access:   # emptied\n"
        "      - {person: vol, role: admin}\n"
    )
    inventory.write_text(before)
    editor = InventoryEditor(inventory)
    assert editor.remove_grants("vol") == [("c", "admin")]
    with pytest.raises(UnsafeEdit) as caught:
        editor.save()
    assert editor.last_path == "roundtrip"
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        f"govern could not edit {inventory} safely: the edited "
        "file would not read back as intended; nothing was written"
    )
    assert inventory.read_text() == before
