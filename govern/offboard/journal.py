"""The revoke journal: each step recorded before and after it runs, written atomically.

A crash, Ctrl-C, `kill -9` or an unreachable backend leaves the journal saying which steps
are done; running the same command again resumes from the plan stored here (the inventory
may already have been edited) and does nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from govern.errors import InputError, Problem
from govern.fsutil import MiB, atomic_write_text, read_regular

STARTED = "started"
DONE = "done"


class Journal:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @classmethod
    def path_for(cls, inventory: Path, person: str) -> Path:
        return inventory.absolute().parent / ".govern" / f"revoke-{person}.json"

    @classmethod
    def load(cls, path: Path) -> Journal | None:
        if not path.exists():
            return None
        try:
            data = json.loads(read_regular(path, limit=16 * MiB).decode("utf-8"))
        except (OSError, ValueError):
            raise InputError(
                [
                    Problem(
                        str(path),
                        1,
                        1,
                        "the revoke journal is unreadable",
                        "inspect it; delete it only if no revoke is under way",
                    )
                ]
            ) from None
        if not isinstance(data, dict) or data.get("version") != 1:
            raise InputError([Problem(str(path), 1, 1, "not a govern revoke journal")])
        return cls(path, data)

    @classmethod
    def start(cls, path: Path, *, plan: dict[str, Any], left_on: dt.date, actor: str) -> Journal:
        journal = cls(
            path,
            {
                "version": 1,
                "person": plan["person"],
                "plan": plan,
                "left_on": left_on.isoformat(),
                "actor": actor,
                "started_at": dt.datetime.now(dt.UTC).isoformat(),
                "steps": {},
            },
        )
        journal.save()
        return journal

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.data, sort_keys=True, separators=(",", ":"))  # `jq .` to read
        atomic_write_text(self.path, text + "\n")

    def state(self, step: str) -> str | None:
        entry = self.data["steps"].get(step)
        return entry.get("state") if isinstance(entry, dict) else None

    def result(self, step: str) -> Any:
        entry = self.data["steps"].get(step)
        return entry.get("result") if isinstance(entry, dict) else None

    def mark(self, step: str, state: str, result: Any = None) -> None:
        self.data["steps"][step] = {
            "state": state,
            "result": result,
            "at": dt.datetime.now(dt.UTC).isoformat(),
        }
        self.save()

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)
