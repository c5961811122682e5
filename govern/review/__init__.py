"""Access reviews (recertification): one YAML file per entity, decided by its head, closed
into the inventory.

`start` writes `reviews/<name>/<entity>.yaml`: every account of the entity with every holder,
their role (and the platform's own name for it), level, last training and grant expiry, and
an empty `decision:` (`keep`, `remove` or `{change: ROLE}`), with the head as `reviewer`.
The files are kept in git and decided in pull requests. `status` counts what is decided.
`close` checks every file (every decision made; `reviewer` is the entity's head or IT, and
optionally the last git author of the file is too), applies the decisions with the
comment-keeping inventory editor, records `reviewed: {on, by}` on each reviewed account and
appends one record to the hash-chained audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from govern import auditlog
from govern.errors import InputError, Problem, UsageError
from govern.fsutil import atomic_write_text
from govern.inventory.edit import InventoryEditor
from govern.inventory.model import Entity, Inventory, Slug
from govern.inventory.source import SourceMap, load_yaml, suggest, validation_problems
from govern.platforms import Catalog, Role

DEFAULT_DUE_DAYS = 30
LOG_ACTION = "review-close"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Change(_Model):
    change: Role = Field(description="The role the holder keeps instead of the current one.")


def _decision(value: Any) -> Any:
    """One message for any wrong decision (a union would report one error per branch)."""
    if value is None or value in ("keep", "remove"):
        return value
    if isinstance(value, dict) and set(value) == {"change"}:
        return value
    raise PydanticCustomError(
        "decision", "must be keep, remove or {change: ROLE} (ROLE: owner, admin, editor, analyst)"
    )


Decision = Annotated[
    Literal["keep", "remove"] | Change,
    BeforeValidator(_decision),
    Field(description="keep, remove, or {change: ROLE}; empty until decided."),
]


class Holder(_Model):
    person: Slug
    name: str | None = None
    role: Role
    platform_role: str | None = None
    level: str | None = None
    trained_on: dt.date | None = None
    expires: dt.date | None = None
    decision: Decision | None = None


class ReviewedAccount(_Model):
    account: Slug
    platform: str
    handle: str | None = None
    holders: tuple[Holder, ...] = ()


class ReviewFile(_Model):
    """One entity's part of a review campaign, as written under reviews/<name>/."""

    review: str
    entity: Slug
    reviewer: Slug
    started_on: dt.date
    due: dt.date
    accounts: tuple[ReviewedAccount, ...] = ()


@dataclass(frozen=True)
class EntityProgress:
    entity: str
    path: str
    reviewer: str
    due: dt.date
    decided: int
    pending: int
    overdue: bool

    @property
    def state(self) -> str:
        if self.pending == 0:
            return "decided"
        return "overdue" if self.overdue else "pending"

    def to_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "path": self.path,
            "reviewer": self.reviewer,
            "due": self.due.isoformat(),
            "decided": self.decided,
            "pending": self.pending,
            "state": self.state,
        }


@dataclass(frozen=True)
class Status:
    name: str
    entities: tuple[EntityProgress, ...]

    @property
    def overdue(self) -> bool:
        return any(e.state == "overdue" for e in self.entities)

    def to_json(self) -> dict[str, Any]:
        return {
            "review": self.name,
            "entities": [e.to_json() for e in self.entities],
            "decided": sum(e.decided for e in self.entities),
            "pending": sum(e.pending for e in self.entities),
            "overdue": self.overdue,
        }


@dataclass
class Closed:
    name: str
    on: dt.date
    accounts: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (account, person)
    removed: list[tuple[str, str, str]] = field(default_factory=list)  # (account, person, role)
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (account, person, role)
    holds_nothing: list[str] = field(default_factory=list)  # offered for `govern revoke`
    inventory_changed: bool = False
    record: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "review": self.name,
            "closed_on": self.on.isoformat(),
            "accounts": self.accounts,
            "kept": [{"account": a, "person": p} for a, p in self.kept],
            "removed": [{"account": a, "person": p, "role": r} for a, p, r in self.removed],
            "changed": [{"account": a, "person": p, "role": r} for a, p, r in self.changed],
            "holds_nothing": self.holds_nothing,
            "log": None
            if self.record is None
            else {"seq": self.record["seq"], "hash": self.record["hash"]},
        }


# -- start ----------------------------------------------------------------------------------
def start(
    inventory: Inventory,
    catalog: Catalog,
    reviews_dir: Path,
    *,
    name: str,
    today: dt.date,
    due: dt.date | None = None,
    entities: Iterable[str] = (),
) -> list[Path]:
    """Write one review file per entity that owns accounts; returns the paths written.
    Refuses (exit 2) when the review already has a file for one of them."""
    _check_name(name)
    wanted = list(dict.fromkeys(entities))
    for entity_id in wanted:
        if inventory.entity(entity_id) is None:
            raise UsageError(
                f"no entity '{entity_id}'", hint=suggest(entity_id, inventory.entity_index)
            )
    due = due or today + dt.timedelta(days=DEFAULT_DUE_DAYS)
    if due < today:
        raise UsageError(f"--due {due} is before today ({today})", hint="give a later date")
    chosen = [inventory.entity(e) for e in wanted] if wanted else list(inventory.entities)
    by_entity: dict[str, list[int]] = {}
    for index, account in enumerate(inventory.accounts):
        by_entity.setdefault(account.entity, []).append(index)
    folder = reviews_dir / name
    plans = [(e, folder / f"{e.id}.yaml") for e in chosen if e is not None and e.id in by_entity]
    existing = [str(path) for _, path in plans if path.exists()]
    if existing:
        raise UsageError(
            f"review '{name}' already has {', '.join(existing)}; nothing was written",
            hint="give another --name, or decide the files that are there",
        )
    if not plans:
        raise UsageError("no accounts to review", hint="the chosen entities own no accounts")
    written = []
    for entity, path in plans:
        text = _review_text(inventory, catalog, entity, by_entity[entity.id], name, today, due)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
        written.append(path)
    return written


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith(".") or not name.isprintable():
        raise UsageError(
            f"review name {name!r} is not a plain folder name", hint="e.g. --name 2026-annual"
        )


def _review_text(
    inventory: Inventory,
    catalog: Catalog,
    entity: Entity,
    account_indexes: list[int],
    name: str,
    today: dt.date,
    due: dt.date,
) -> str:
    lines = [
        f"review: {_quoted(name)}",
        f"entity: {entity.id}",
        f"reviewer: {entity.head}",
        f"started_on: {today.isoformat()}",
        f"due: {due.isoformat()}",
        "accounts:",
    ]
    for index in account_indexes:
        account = inventory.accounts[index]
        platform = catalog.get(account.platform)
        lines += [
            f"  - account: {account.id}",
            f"    platform: {_quoted(account.platform)}",
            f"    handle: {_quoted(account.handle)}",
            "    holders:" if account.access else "    holders: []",
        ]
        for grant in account.access:
            person = inventory.person(grant.person)
            facts = {
                "name": person.name if person else None,
                "platform_role": platform.label(grant.role) if platform else None,
                "level": person.level if person else None,
                "trained_on": person.trained_on if person else None,
                "expires": grant.expires,
            }
            lines.append(f"      - person: {grant.person}")
            lines.append(f"        role: {grant.role}")  # the inventory's vocabulary: plain
            lines += [f"        {key}: {_scalar(value)}" for key, value in facts.items()]
            lines.append("        decision:  # keep | remove | {change: ROLE}")
    body = "\n".join(lines)
    header = (
        f"# Access review '{name}' of {_comment(entity.name)} ({entity.id}): who holds its "
        "accounts.\n"
        "# For every holder, set `decision:` to keep, remove, or {change: ROLE} (owner, admin,\n"
        "# editor, analyst). `reviewer` is the person who decides: the entity head, or IT\n"
        "# acting for the head. `govern review close` applies the decisions (docs/reviews.md).\n"
    )
    return header + body + "\n"


# Characters JSON leaves as they are but YAML does not read back inside double quotes
# (C1 controls such as NEL are line breaks in YAML 1.1; a BOM is not content).
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar: JSON's escapes are YAML's, plus the few JSON lets by."""
    return _YAML_UNSAFE.sub(
        lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False)
    )


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dt.date):
        return value.isoformat()
    return _quoted(str(value))


def _comment(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


# -- reading --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Read:
    path: Path
    review: ReviewFile
    source: SourceMap


def review_names(reviews_dir: Path) -> list[str]:
    if not reviews_dir.is_dir():
        return []
    return sorted(p.name for p in reviews_dir.iterdir() if p.is_dir() and any(p.glob("*.yaml")))


def latest(reviews_dir: Path) -> str:
    names = review_names(reviews_dir)
    if not names:
        raise UsageError(
            f"no review under {reviews_dir}", hint="start one with `govern review start`"
        )
    return names[-1]


def _read_all(reviews_dir: Path, name: str) -> tuple[list[_Read], list[Problem]]:
    _check_name(name)
    folder = reviews_dir / name
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not paths:
        raise UsageError(
            f"no review '{name}' under {reviews_dir}",
            hint=suggest(name, review_names(reviews_dir)) or "see `govern review status`",
        )
    reads, problems = [], []
    for path in paths:
        try:
            data, source = load_yaml(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        try:
            review = ReviewFile.model_validate(data)
        except ValidationError as exc:
            problems.extend(validation_problems(exc, source))
            continue
        reads.append(_Read(path, review, source))
    return reads, problems


def _decisions(review: ReviewFile) -> Iterator[tuple[int, int, Holder]]:
    for ai, account in enumerate(review.accounts):
        for hi, holder in enumerate(account.holders):
            yield ai, hi, holder


def status(reviews_dir: Path, name: str, *, today: dt.date) -> Status:
    reads, problems = _read_all(reviews_dir, name)
    if problems:
        raise InputError(problems)
    progress = []
    for read in reads:
        decided = sum(1 for *_, h in _decisions(read.review) if h.decision is not None)
        total = sum(1 for _ in _decisions(read.review))
        progress.append(
            EntityProgress(
                entity=read.review.entity,
                path=str(read.path),
                reviewer=read.review.reviewer,
                due=read.review.due,
                decided=decided,
                pending=total - decided,
                overdue=today > read.review.due,
            )
        )
    return Status(name, tuple(progress))


# -- close ----------------------------------------------------------------------------------
def close(
    inventory_path: Path,
    inventory: Inventory,
    catalog: Catalog,
    reviews_dir: Path,
    name: str,
    *,
    today: dt.date,
    actor: str,
    log_path: Path,
    git_author: bool = False,
) -> Closed:
    """Apply a decided review to the inventory. Every problem of every file is reported at
    once (exit 2) and then nothing is changed."""
    reads, problems = _read_all(reviews_dir, name)
    for read in reads:
        problems.extend(_check(read, inventory, catalog))
        if git_author:
            problems.extend(_check_git_author(read, inventory))
    if problems:
        raise InputError(problems)

    result = Closed(name, today)
    editor = InventoryEditor(inventory_path)
    removed_from: dict[str, set[str]] = {}
    for read in reads:
        review = read.review
        for account in review.accounts:
            for holder in account.holders:
                decision = holder.decision
                if decision == "keep":
                    result.kept.append((account.account, holder.person))
                elif decision == "remove":
                    role = editor.remove_grant(account.account, holder.person)
                    if role is not None:
                        result.removed.append((account.account, holder.person, role))
                        removed_from.setdefault(holder.person, set()).add(account.account)
                elif isinstance(decision, Change):
                    editor.add_grant(account.account, holder.person, decision.change)
                    result.changed.append((account.account, holder.person, decision.change))
            editor.set_reviewed(account.account, today, review.reviewer)
            result.accounts.append(account.account)
    result.holds_nothing = _holds_nothing(inventory, removed_from)
    result.inventory_changed = editor.save()
    details = result.to_json()
    del details["log"]
    details["reviewers"] = {r.review.entity: r.review.reviewer for r in reads}
    result.record = auditlog.append(log_path, LOG_ACTION, actor=actor, details=details)
    return result


def _holds_nothing(inventory: Inventory, removed_from: dict[str, set[str]]) -> list[str]:
    """People whose every grant the review removed and who hold no head or IT position."""
    positions = {e.head for e in inventory.entities} | {p for e in inventory.entities for p in e.it}
    out = []
    for person, accounts in sorted(removed_from.items()):
        held = {inventory.accounts[ai].id for ai, _ in inventory.grants_by_person.get(person, ())}
        if held <= accounts and person not in positions:
            out.append(person)
    return out


def _at(read: _Read, pointer: tuple[str | int, ...], message: str, hint: str | None) -> Problem:
    where = read.source.locate(pointer)
    return Problem(where.path, where.line or 1, where.column or 1, message, hint)


def _deciders(entity: Entity) -> list[str]:
    return [entity.head, *entity.it]


def _check(read: _Read, inventory: Inventory, catalog: Catalog) -> Iterator[Problem]:
    review = read.review
    entity = inventory.entity(review.entity)
    if entity is None:
        yield _at(
            read,
            ("entity",),
            f"unknown entity '{review.entity}'",
            suggest(review.entity, inventory.entity_index),
        )
        return
    if review.reviewer not in _deciders(entity):
        it = f" or IT ({', '.join(entity.it)})" if entity.it else ""
        yield _at(
            read,
            ("reviewer",),
            f"reviewer '{review.reviewer}' is not the head of {entity.id} ({entity.head}){it}",
            "only the entity's head, or its IT acting for the head, decides its review",
        )
    for ai, account_review in enumerate(review.accounts):
        index = inventory.account_index.get(account_review.account)
        if index is None or inventory.accounts[index].entity != entity.id:
            yield _at(
                read,
                ("accounts", ai, "account"),
                f"account '{account_review.account}' is not an account of {entity.id} "
                "in the inventory",
                "remove it from the review file, or start a new review",
            )
            continue
        account = inventory.accounts[index]
        platform = catalog.get(account.platform)
        held = {g.person for g in account.access}
        # The account is marked reviewed as a whole: nobody may hold it unreviewed.
        unreviewed = sorted(held - {h.person for h in account_review.holders})
        if unreviewed:
            yield _at(
                read,
                ("accounts", ai, "account"),
                f"{account.id} is also held by {', '.join(unreviewed)}, who "
                f"{'is' if len(unreviewed) == 1 else 'are'} not in the review",
                "add them under holders with a decision (or start a new review)",
            )
        for hi, holder in enumerate(account_review.holders):
            pointer: tuple[str | int, ...] = ("accounts", ai, "holders", hi, "decision")
            decision = holder.decision
            if decision is None:
                yield _at(
                    read,
                    ("accounts", ai, "holders", hi, "person"),
                    f"no decision for '{holder.person}' on {account.id}",
                    "set decision: keep, remove or {change: ROLE}",
                )
            elif isinstance(decision, Change):
                if holder.person not in held:
                    yield _at(
                        read,
                        pointer,
                        f"'{holder.person}' holds no grant on {account.id} any more",
                        "decide keep or remove for this holder",
                    )
                elif platform is not None and decision.change not in platform.roles:
                    yield _at(
                        read,
                        (*pointer, "change"),
                        f"role '{decision.change}' does not exist on {account.platform}",
                        "roles there: " + ", ".join(platform.roles),
                    )


def _check_git_author(read: _Read, inventory: Inventory) -> Iterator[Problem]:
    """The last commit that touched the file must be by the head or IT (by email)."""
    entity = inventory.entity(read.review.entity)
    if entity is None:
        return
    try:
        proc = subprocess.run(
            ["git", "log", "-1", "--format=%ae", "--", read.path.name],
            cwd=read.path.parent,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"--git-author: cannot run git ({exc})", hint="install git") from None
    author = proc.stdout.strip().lower()
    allowed = {
        person.email.lower(): person.id
        for person in (inventory.person(p) for p in _deciders(entity))
        if person is not None
    }
    if proc.returncode != 0 or not author:
        yield Problem(
            str(read.path), 1, 1, "--git-author: the file has no commit", "commit it first"
        )
    elif author not in allowed:
        yield Problem(
            str(read.path),
            1,
            1,
            f"last committed by {author}, who is not the head of {entity.id} nor its IT",
            "the head (or IT) commits the decisions; without --git-author only the "
            "reviewer field is checked",
        )
