"""`govern creds import FILE.csv`: logins from a spreadsheet export, every row checked first.

Columns account,username,password[,notes]. A row is refused when its account is not declared
in the inventory, its password is missing or has spreadsheet-artefact spaces, the account
appears twice, or it already has a credential (unless replacing). Nothing is stored while a
row is refused, unless the caller skips invalid rows. No message ever quotes a cell other
than a declared account id: any other cell may hold a password.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from govern.credentials import CredentialStore, NewCredential, Secret
from govern.errors import UsageError
from govern.fsutil import MiB, read_regular
from govern.inventory.source import decode_utf8

MAX_CSV_BYTES = 16 * MiB  # a spreadsheet export of some 100,000 logins
REQUIRED = ("account", "username", "password")
KNOWN = (*REQUIRED, "notes")


class AccountBook(Protocol):
    """The inventory's accounts as the credential commands see them."""

    @property
    def inventory(self) -> Path: ...

    @property
    def accounts(self) -> Mapping[str, Mapping[str, str]] | None: ...

    def ref(self, account: str) -> str: ...

    def account_meta(self, account: str) -> dict[str, str]: ...


@dataclass(frozen=True)
class Refusal:
    """A refused row: its first line, the account id when declared (else ""), and why."""

    line: int
    account: str
    why: str


@dataclass(frozen=True)
class ImportRows:
    accepted: tuple[NewCredential, ...]
    refused: tuple[Refusal, ...]
    ignored: tuple[str, ...]  # column names that are not imported


def read_import(path: Path, book: AccountBook, stored: Callable[[], set[str]]) -> ImportRows:
    """Parse and check the CSV at `path`; `stored` gives the store keys that already have a
    credential (an empty set when replacing), asked once the header is known to be right.
    Never echoes a password or username."""
    try:
        raw = read_regular(path, limit=MAX_CSV_BYTES)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    # The byte is not shown: it may belong to a password.
    text = decode_utf8(raw, str(path), show_byte=False, hint="export or save the CSV as UTF-8")
    handle = io.StringIO(text.removeprefix("\ufeff"), newline="")
    with handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip().lower() for h in next(reader, [])]
        except csv.Error:
            raise UsageError(f"{path}: line 1: not a CSV header") from None
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise UsageError(
                f"{path}: line 1: missing column(s) {', '.join(missing)}",
                hint="columns: account,username,password[,notes]",
            )
        ignored = tuple(h for h in header if h not in KNOWN)
        existing = stored()
        index: dict[str, int] = {name: header.index(name) for name in KNOWN if name in header}
        accepted: list[NewCredential] = []
        refused: list[Refusal] = []
        seen: dict[str, int] = {}
        line = reader.line_num
        while True:
            start = line + 1
            try:
                row = next(reader, None)
            except csv.Error as exc:
                raise UsageError(f"{path}: line {start}: malformed CSV ({exc})") from None
            line = reader.line_num
            if row is None:
                break
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):  # the cells no longer line up with their columns
                shifted = (
                    f"{len(row)} cells where the header has {len(header)} (a comma inside an "
                    "unquoted value? quote it)"
                )
                refused.append(Refusal(start, "", shifted))
                continue
            cells = {name: (row[i] if i < len(row) else "") for name, i in index.items()}
            account = cells["account"].strip()
            why = _refusal(book, account, cells, seen, existing)
            if why:
                # Only a declared account id is shown: any other cell may hold a password.
                declared = book.accounts is not None and account in book.accounts
                refused.append(Refusal(start, account if declared else "", why))
                continue
            seen[account] = start
            fields = {"notes": cells["notes"]} if cells.get("notes") else {}
            secret = Secret(
                username=cells["username"].strip() or None,
                password=cells["password"],
                fields=fields,
            )
            accepted.append(
                NewCredential(ref=book.ref(account), secret=secret, meta=book.account_meta(account))
            )
    return ImportRows(tuple(accepted), tuple(refused), ignored)


def _refusal(
    book: AccountBook,
    account: str,
    cells: Mapping[str, str],
    seen: Mapping[str, int],
    existing: set[str],
) -> str | None:
    if not account:
        return "no account id"
    try:
        book.account_meta(account)
    except UsageError:  # its message quotes the cell, which may be a password
        where = book.inventory.name if book.inventory else "the inventory"
        return f"the account cell is not an account declared in {where}"
    if account in seen:
        return f"already appears on line {seen[account]}"
    if not cells["password"]:
        return "no password"
    if cells["password"] != cells["password"].strip():
        return "the password has leading or trailing spaces (spreadsheet artefact?)"
    if book.ref(account) in existing:
        return "already in the store (use --replace to store a new version)"
    return None


def import_rows(
    store: CredentialStore,
    path: Path,
    rows: ImportRows,
    *,
    skip_invalid: bool,
    actor: str,
    reason: str | None,
) -> int:
    """Store the accepted rows in one write; all or nothing: with a refused row and without
    `skip_invalid`, nothing is stored (UsageError). Returns how many were stored."""
    if rows.refused and not skip_invalid:
        raise UsageError(
            f"{len(rows.refused)} row(s) of {path} refused; nothing was imported",
            hint="fix them, or use --skip-invalid",
        )
    if rows.accepted:
        store.put_many(
            list(rows.accepted), rotated_by=actor, reason=reason or f"import from {path.name}"
        )
    return len(rows.accepted)
