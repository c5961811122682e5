"""Snapshot files: who holds which role on each platform, as exported from its admin pages.

Two formats, one meaning (docs/snapshots.md): CSV with a header row, or YAML. Each row names
an account (`account`, or `platform` + `handle`), a person (`person` id, or `email` matched to
people case-insensitively) and a `role` (the inventory vocabulary or the platform's own
label), with optional `observed_on`, `source` and `state`. Every problem of every file is
reported in one run as `path:line:column: message (hint)` (exit 2), never as a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from govern.drift.roles import RoleNames, privilege
from govern.drift.sources import Observation, ObservedAccount, ObservedHolder, UnknownAccount
from govern.errors import InputError, Problem
from govern.findings import Location, Pointer
from govern.inventory.model import Inventory
from govern.inventory.source import SourceMap, load_yaml, read_text, suggest, validation_problems
from govern.platforms import Catalog, Platform

DEFAULT_DIR = "snapshots"
FORMATS = {".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}
COLUMNS = (
    "account",
    "platform",
    "handle",
    "person",
    "email",
    "role",
    "observed_on",
    "source",
    "state",
    "name",
    "note",
)
# Header spellings some exports use, normalized (lowercase, `_` for spaces and dashes).
HEADER_ALIASES = {
    "account_id": "account",
    "person_id": "person",
    "e_mail": "email",
    "email_address": "email",
    "date": "observed_on",
    "status": "state",
}
# `state` values: a row counts as holding the role only when its state is one of HOLDING.
# Pending invitations and requests (LinkedIn REQUESTED, Google pendingInvitation) do not.
HOLDING = frozenset({"", "active", "approved", "accepted", "granted"})
NOT_HOLDING = frozenset(
    {"pending", "requested", "invited", "revoked", "rejected", "removed", "declined"}
)


@dataclass(frozen=True)
class Row:
    """One snapshot row before it is matched to the inventory. A row with no person, email
    and role only says that its account is covered (and held by nobody it lists)."""

    location: Location
    account: str | None = None
    platform: str | None = None
    handle: str | None = None
    person: str | None = None
    email: str | None = None
    role: str | None = None
    observed_on: dt.date | None = None
    source: str | None = None
    state: str | None = None
    # Where each field is, when the format knows (YAML); else the row's location.
    where: Mapping[str, Location] = field(default_factory=dict)

    def at(self, name: str) -> Location:
        return self.where.get(name, self.location)

    @property
    def coverage_only(self) -> bool:
        return self.person is None and self.email is None and self.role is None


# --- finding the files -----------------------------------------------------------------------


def discover(paths: Sequence[str]) -> list[tuple[Path, str]]:
    """(path, display) of every snapshot file named by `paths` (files, or directories searched
    recursively for *.csv, *.yaml, *.yml; hidden entries skipped). Raises `InputError`."""
    problems: list[Problem] = []
    found: dict[Path, str] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if child.is_file() and child.suffix.lower() in FORMATS:
                    found.setdefault(child.resolve(), str(child))
        elif path.is_file():
            if path.suffix.lower() not in FORMATS:
                problems.append(
                    Problem(
                        given, 1, 1, "not a snapshot file", "snapshots end in .csv, .yaml or .yml"
                    )
                )
            else:
                found.setdefault(path.resolve(), given)
        else:
            problems.append(Problem(given, 1, 1, "no such file or directory", "check --snapshots"))
    if problems:
        raise InputError(problems)
    return [(Path(display), display) for display in found.values()]


# --- CSV ------------------------------------------------------------------------------------


def _header_name(cell: str) -> str:
    name = "_".join(cell.strip().lower().replace("-", " ").split())
    return HEADER_ALIASES.get(name, name)


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(path: Path, display: str) -> list[Row]:
    text = read_text(path).removeprefix("\ufeff")
    if not text.strip():
        raise InputError(
            [
                Problem(
                    display,
                    1,
                    1,
                    "the file is empty",
                    "a snapshot CSV starts with a header row, e.g. account,email,role",
                )
            ]
        )
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]), strict=True
    )
    problems: list[Problem] = []
    rows: list[Row] = []
    columns: list[str] | None = None
    previous = 0
    try:
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if columns is None:
                columns = _read_header(display, line, cells, problems)
                if columns is None:
                    break
                continue
            row = _csv_row(display, line, columns, cells, problems)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        problems.append(
            Problem(
                display,
                reader.line_num or 1,
                1,
                f"CSV syntax error: {exc}",
                "quote fields that contain the delimiter, quotes or line breaks",
            )
        )
    if columns is None and not problems:
        problems.append(Problem(display, 1, 1, "no header row", "e.g. account,email,role"))
    if problems:
        raise InputError(problems)
    return rows


def _read_header(
    display: str, line: int, cells: list[str], problems: list[Problem]
) -> list[str] | None:
    columns = [_header_name(c) for c in cells]
    bad = False
    seen: set[str] = set()
    for number, name in enumerate(columns, start=1):
        if name in seen and name:
            problems.append(Problem(display, line, 1, f"column '{name}' appears twice"))
            bad = True
        seen.add(name)
        if name not in COLUMNS:
            close = suggest(name, [c for c in COLUMNS if c not in columns])
            if close is not None or not name:
                what = f"column {number} has no name" if not name else f"unknown column '{name}'"
                problems.append(Problem(display, line, 1, what, close))
                bad = True
            # other extra columns of an export (e.g. "last login") are ignored
    if "role" not in seen:
        problems.append(Problem(display, line, 1, "missing column 'role'"))
        bad = True
    if "person" not in seen and "email" not in seen:
        problems.append(Problem(display, line, 1, "missing column 'person' or 'email'"))
        bad = True
    if "account" not in seen and not {"platform", "handle"} <= seen:
        problems.append(
            Problem(
                display,
                line,
                1,
                "missing column 'account' (or 'platform' and 'handle')",
                "name the account by its inventory id, or by platform and handle",
            )
        )
        bad = True
    return None if bad else columns


def _csv_row(
    display: str, line: int, columns: list[str], cells: list[str], problems: list[Problem]
) -> Row | None:
    location = Location(display, line, 1)
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
        problems.append(
            Problem(
                display,
                line,
                1,
                f"the row has {len(cells)} fields but the header has {len(columns)}",
                "quote fields that contain the delimiter",
            )
        )
        return None
    values: dict[str, str] = {}
    for name, cell in zip(columns, cells, strict=False):
        if name in COLUMNS and cell.strip():
            values[name] = cell.strip()
    observed_on = None
    if "observed_on" in values:
        try:
            observed_on = dt.date.fromisoformat(values["observed_on"])
        except ValueError:
            problems.append(
                Problem(
                    display,
                    line,
                    1,
                    f"observed_on: '{values['observed_on']}' is not a date",
                    "use YYYY-MM-DD",
                )
            )
            return None
    return Row(
        location=location,
        account=values.get("account"),
        platform=values.get("platform"),
        handle=values.get("handle"),
        person=values.get("person"),
        email=values.get("email"),
        role=values.get("role"),
        observed_on=observed_on,
        source=values.get("source"),
        state=values.get("state"),
    )


# --- YAML -----------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class HolderEntry(_Strict):
    person: str | None = Field(default=None, description="Inventory person id.")
    email: str | None = Field(default=None, description="Matched to people, case-insensitive.")
    role: str = Field(description="Inventory role or the platform's own label.")
    name: str | None = Field(default=None, description="Display name (ignored).")
    state: str | None = None
    observed_on: dt.date | None = None
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _someone(self) -> HolderEntry:
        if self.person is None and self.email is None:
            raise ValueError("a holder needs 'person' or 'email'")
        return self


class AccountEntry(_Strict):
    account: str | None = Field(default=None, description="Inventory account id.")
    platform: str | None = None
    handle: str | None = None
    observed_on: dt.date | None = None
    source: str | None = None
    holders: tuple[HolderEntry, ...] = Field(
        description="Everyone the admin page lists; an empty list means nobody."
    )


class SnapshotFile(_Strict):
    version: int = Field(default=1, ge=1, le=1)
    source: str | None = Field(default=None, description="E.g. 'LinkedIn admin page export'.")
    observed_on: dt.date | None = None
    # One account per file ...
    account: str | None = None
    platform: str | None = None
    handle: str | None = None
    holders: tuple[HolderEntry, ...] | None = None
    # ... or many.
    accounts: tuple[AccountEntry, ...] | None = None


def _yaml_fields(loc: Sequence[str | int]) -> list[str]:
    names = [k for k in loc if isinstance(k, str)]
    model: type[BaseModel] = SnapshotFile
    if names[:1] == ["accounts"]:
        model = AccountEntry
        names = names[1:]
    if names[:1] == ["holders"]:
        model = HolderEntry
    return list(model.model_fields)


def read_yaml(path: Path, display: str) -> list[Row]:
    data, source = load_yaml(path, display=display)
    if data is None:
        raise InputError(
            [
                Problem(
                    display,
                    1,
                    1,
                    "the file is empty",
                    "a snapshot names an account and lists its holders",
                )
            ]
        )
    if not isinstance(data, dict):
        raise InputError(
            [
                Problem(
                    display, 1, 1, "expected a mapping with 'account' and 'holders', or 'accounts'"
                )
            ]
        )
    try:
        snap = SnapshotFile.model_validate(data)
    except ValidationError as exc:
        found = validation_problems(exc, source, known_fields=_yaml_fields)
        raise InputError(
            [replace(p, message=p.message.replace("Value error, ", "")) for p in found]
        ) from None
    problems: list[Problem] = []
    entries: list[tuple[Pointer, AccountEntry]] = []
    single = snap.holders is not None or snap.account is not None or snap.handle is not None
    if single and snap.accounts is not None:
        where = source.locate(("accounts",), key=True)
        problems.append(
            Problem(
                display,
                where.line or 1,
                where.column or 1,
                "use either top-level 'holders' or 'accounts', not both",
            )
        )
    elif single:
        if snap.holders is None:
            problems.append(
                Problem(
                    display,
                    1,
                    1,
                    "missing required field 'holders'",
                    "list everyone the admin page shows; [] for nobody",
                )
            )
        else:
            entries.append(
                (
                    (),
                    AccountEntry(
                        account=snap.account,
                        platform=snap.platform,
                        handle=snap.handle,
                        holders=snap.holders,
                    ),
                )
            )
    elif snap.accounts is not None:
        entries.extend((("accounts", i), e) for i, e in enumerate(snap.accounts))
    else:
        problems.append(
            Problem(
                display,
                1,
                1,
                "no holders in this snapshot",
                "give 'account' and 'holders', or a list of 'accounts'",
            )
        )
    if problems:
        raise InputError(problems)
    return list(_yaml_rows(snap, entries, source))


def _yaml_rows(
    snap: SnapshotFile, entries: list[tuple[Pointer, AccountEntry]], source: SourceMap
) -> Iterator[Row]:
    def where(pointer: Pointer, names: Iterable[str]) -> dict[str, Location]:
        return {name: source.locate((*pointer, name)) for name in names}

    account_fields = ("account", "platform", "handle")
    for pointer, entry in entries:
        entry_where = where(pointer, account_fields)
        common: dict[str, Any] = {
            "account": entry.account,
            "platform": entry.platform,
            "handle": entry.handle,
        }
        observed_on = entry.observed_on or snap.observed_on
        src = entry.source or snap.source
        if not entry.holders:
            yield Row(
                location=source.locate((*pointer, "holders")),
                observed_on=observed_on,
                source=src,
                where=entry_where,
                **common,
            )
        for index, holder in enumerate(entry.holders):
            at = (*pointer, "holders", index)
            yield Row(
                location=source.locate(at),
                person=holder.person,
                email=holder.email,
                role=holder.role,
                state=holder.state,
                observed_on=holder.observed_on or observed_on,
                source=holder.source or src,
                where={**entry_where, **where(at, ("person", "email", "role", "state"))},
                **common,
            )


# --- matching rows to the inventory ---------------------------------------------------------


def _norm_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


class _Matcher:
    """Indexes of the inventory built once: accounts by handle, people by email."""

    def __init__(self, inventory: Inventory, catalog: Catalog) -> None:
        self.inventory = inventory
        self.catalog = catalog
        self.roles = RoleNames(catalog)
        self.by_handle = {(a.platform, _norm_handle(a.handle)): a.id for a in inventory.accounts}
        self.by_email = {p.email.lower(): p.id for p in inventory.people}

    def match(self, rows: Iterable[Row], observation: Observation) -> list[Problem]:
        problems: list[Problem] = []
        unknown: dict[str, list[Any]] = {}
        for row in rows:
            problem = self._one(row, observation, unknown)
            if problem is not None:
                problems.append(problem)
        observation.unknown.extend(
            UnknownAccount(label, location, count) for label, (location, count) in unknown.items()
        )
        return problems

    def _problem(self, row: Row, name: str, message: str, hint: str | None = None) -> Problem:
        at = row.at(name)
        return Problem(at.path, at.line or 1, at.column or 1, message, hint)

    def _one(
        self, row: Row, observation: Observation, unknown: dict[str, list[Any]]
    ) -> Problem | None:
        inv = self.inventory
        if row.platform is not None and row.platform not in self.catalog.platforms:
            return self._problem(
                row,
                "platform",
                f"unknown platform '{row.platform}'",
                suggest(row.platform, self.catalog.platforms) or "a key of the platform catalog",
            )
        account_id: str | None
        if row.account is not None:
            account_id = row.account if row.account in inv.account_index else None
            label = row.account
            if account_id is not None and row.platform is not None:
                platform = inv.accounts[inv.account_index[account_id]].platform
                if platform != row.platform:
                    return self._problem(
                        row,
                        "platform",
                        f"account '{account_id}' is on {platform}, not {row.platform}",
                        "check the snapshot's account column",
                    )
        elif row.platform is not None and row.handle is not None:
            account_id = self.by_handle.get((row.platform, _norm_handle(row.handle)))
            label = f"{row.platform} {row.handle}"
        else:
            return self._problem(
                row,
                "account",
                "the row names no account",
                "give 'account', or 'platform' and 'handle'",
            )
        state = (row.state or "").strip().lower()
        if state not in HOLDING and state not in NOT_HOLDING:
            return self._problem(
                row,
                "state",
                f"unknown state '{row.state}'",
                "use active/approved (holds the role) or pending/requested/invited/revoked",
            )
        if not row.coverage_only and row.person is None and row.email is None:
            return self._problem(
                row, "person", "the row names nobody", "give 'person' (a person id) or 'email'"
            )
        if not row.coverage_only and row.role is None:
            return self._problem(row, "role", "the row has no role")
        if account_id is None:
            entry = unknown.setdefault(label, [row.location, 0])
            entry[1] += 1
            return None
        account = inv.accounts[inv.account_index[account_id]]
        observed = observation.accounts.setdefault(
            account_id, ObservedAccount(account_id, row.location)
        )
        if row.coverage_only or state not in HOLDING:
            return None
        assert row.role is not None
        role = self.roles.resolve(account.platform, row.role)
        if role is None:
            return self._problem(
                row,
                "role",
                f"unknown role '{row.role}' on {account.platform}",
                f"write one of: {self.roles.accepted(account.platform)}",
            )
        person = row.person if row.person in inv.person_index else None
        if person is None and row.email is not None:
            person = self.by_email.get(row.email.lower())
        holder = ObservedHolder(
            identity=row.person or row.email or "",
            person=person,
            role=role,
            label=row.role,
            location=row.location,
            observed_on=row.observed_on,
            source=row.source,
        )
        _add(observed, holder, self.catalog.platforms[account.platform])
        return None


def _add(observed: ObservedAccount, holder: ObservedHolder, platform: Platform) -> None:
    """Add a holder; the same person twice keeps their most privileged role."""
    key = holder.person or holder.identity.lower()
    at = observed.index.get(key)
    if at is None:
        observed.index[key] = len(observed.holders)
        observed.holders.append(holder)
    elif privilege(platform, holder.role) > privilege(platform, observed.holders[at].role):
        observed.holders[at] = holder


def read_rows(path: Path, display: str) -> list[Row]:
    kind = FORMATS.get(path.suffix.lower())
    if kind == "csv":
        return read_csv(path, display)
    return read_yaml(path, display)


def load_snapshots(paths: Sequence[str], inventory: Inventory, catalog: Catalog) -> Observation:
    """Read every snapshot file named by `paths` and match it to `inventory`. Raises
    `InputError` listing every problem of every file."""
    observation = Observation()
    problems: list[Problem] = []
    matcher = _Matcher(inventory, catalog)
    for path, display in discover(paths):
        observation.files.append(display)
        try:
            rows = read_rows(path, display)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(matcher.match(rows, observation))
    if problems:
        raise InputError(problems)
    return observation


__all__ = ["DEFAULT_DIR", "Row", "discover", "load_snapshots", "read_csv", "read_yaml"]
