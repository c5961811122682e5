"""Marking many people departed at once: one pass, the splice (not the whole-file round
trip), and the same text the one-by-one edits give."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from govern.inventory.edit import InventoryEditor
from tests.conftest import REPO

LEFT = {
    "mreyes": dt.date(2026, 11, 1),
    "jbrooks": dt.date(2026, 11, 2),
    "efitz": dt.date(2026, 11, 3),
    "nobody-such": dt.date(2026, 11, 4),  # ignored: not in the file
}


def test_many_at_once_is_the_splice_and_matches_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    shutil.copy(REPO / "inventory.yaml", path)
    many = InventoryEditor(path)
    many.set_departed_many(LEFT)
    text = many.text()
    assert many.last_path == "splice"
    assert len(many.redumped) == 3

    one_by_one = InventoryEditor(path, force_roundtrip=True)
    for person, day in LEFT.items():
        if person != "nobody-such":
            one_by_one.set_departed(person, day)
    assert text == one_by_one.text()
    assert many.save() and path.read_text() == text
