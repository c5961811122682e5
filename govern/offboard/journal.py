"""The revoke journal: each step recorded before and after it runs, written atomically.

A crash, Ctrl-C, `kill -9` or an unreachable backend leaves the journal saying which steps
are done; running the same command again resumes from the plan stored here (the inventory
may already have been edited) and does nothing twice.

A journal is bound to what was planned: the digest of the inventory it was planned on and of
the arguments (person, successor, left-on, leave-uncovered). `mismatches` says why a journal
does not belong to the current inventory and arguments (stale, planted, or another command);
such a journal is never resumed without the user's say-so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from govern.errors import InputError, Problem
from govern.fsutil import MiB, atomic_write_text, read_regular

STARTED = "started"
DONE = "done"
VERSION = 2
DISCARD_HINT = "pass --discard-journal to drop it and plan afresh"


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def binding_digest(inventory_digest: str, arguments: Mapping[str, Any]) -> str:
    """The digest a journal is bound to: the inventory planned on and the arguments."""
    canonical = json.dumps(
        {"inventory": inventory_digest, "arguments": dict(arguments)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Journal:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @classmethod
    def path_for(cls, inventory: Path, person: str, *, kind: str = "revoke") -> Path:
        """The journal of a revoke of `person` (or, with kind "lockdown", of a lockdown of the
        account `person`: the journal's subject)."""
        return inventory.absolute().parent / ".govern" / f"{kind}-{person}.json"

    @classmethod
    def load(cls, path: Path) -> Journal | None:
        if not path.exists():
            return None

        def refuse(message: str) -> InputError:
            return InputError(
                [
                    Problem(
                        str(path),
                        1,
                        1,
                        message,
                        "inspect it; if no revoke is under way, " + DISCARD_HINT,
                    )
                ]
            )

        try:
            data = json.loads(read_regular(path, limit=16 * MiB).decode("utf-8"))
        except (OSError, ValueError):
            raise refuse("the revoke journal is unreadable") from None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise refuse(f"not a govern revoke journal (version {VERSION})")
        required = {
            "person": str,
            "plan": dict,
            "left_on": str,
            "started_at": str,
            "steps": dict,
            "arguments": dict,
            "inventory_digest": str,
            "digest": str,
        }
        for key, kind in required.items():
            if not isinstance(data.get(key), kind):
                raise refuse(f"the revoke journal has no valid '{key}'")
        try:
            dt.date.fromisoformat(data["left_on"])
            dt.datetime.fromisoformat(data["started_at"])
        except ValueError:
            raise refuse("the revoke journal has an invalid date") from None
        return cls(path, data)

    @classmethod
    def start(
        cls,
        path: Path,
        *,
        plan: dict[str, Any],
        left_on: dt.date,
        actor: str,
        arguments: Mapping[str, Any],
        inventory_digest: str,
        options: Mapping[str, Any],
    ) -> Journal:
        journal = cls(
            path,
            {
                "version": VERSION,
                "person": plan["person"],
                "plan": plan,
                "left_on": left_on.isoformat(),
                "actor": actor,
                "started_at": dt.datetime.now(dt.UTC).isoformat(),
                "arguments": dict(arguments),
                "inventory_digest": inventory_digest,
                "digest": binding_digest(inventory_digest, arguments),
                "options": dict(options),
                "steps": {},
            },
        )
        journal.save()
        return journal

    @property
    def started_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.data["started_at"])

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self.data["arguments"])

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.data.get("options") or {})

    def mismatches(self, *, inventory_digest: str, arguments: Mapping[str, Any]) -> list[str]:
        """Why this journal does not belong to the current inventory and arguments (empty:
        it does). The inventory matches when it is the one planned on, or, once the
        inventory step has run, the one that step wrote."""
        reasons: list[str] = []
        recorded = self.arguments
        for key in sorted(set(recorded) | set(arguments)):
            if recorded.get(key) != arguments.get(key):
                reasons.append(f"{key}: journal {recorded.get(key)!r}, now {arguments.get(key)!r}")
        if binding_digest(self.data["inventory_digest"], recorded) != self.data["digest"]:
            reasons.append("its digest does not match its own plan (edited or planted)")
        edited = (self.result("inventory") or {}).get("inventory_digest")
        allowed = {self.data["inventory_digest"]}
        if self.state("inventory") is not None and isinstance(edited, str):
            allowed.add(edited)
        if inventory_digest not in allowed:
            reasons.append("the inventory changed since the journal was written")
        return reasons

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
