"""Changes to the inventory without hand-editing YAML: add a person or an account, grant and
ungrant access (`govern people add`, `govern account add`, `govern grant`, `govern ungrant`).

Each change goes through the comment-keeping inventory editor. The edited text is parsed and
validated by the loader's own code (`validate_data`), so a bad value is refused exactly as
`govern validate` would refuse it once written (path:line:column, exit 2), and nothing is
written. A grant is also audited before and after, in memory: the findings it would add on
the touched account or person are returned so the caller can refuse the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from govern.audit import audit
from govern.errors import UsageError
from govern.findings import Finding, Report
from govern.fixes import fix_for
from govern.inventory.edit import InventoryEditor
from govern.inventory.load import LoadedInventory, validate_data
from govern.inventory.source import SourceMap, parse
from govern.inventory.textdiff import unified
from govern.policy import Policy


@dataclass(frozen=True)
class Written:
    """A change written: the branch it was committed on (None: not committed) and the
    warning when that commit failed."""

    branch: str | None = None
    warning: str | None = None


@dataclass
class Change:
    """An edit of the inventory, checked and not yet written."""

    path: Path
    editor: InventoryEditor
    before: LoadedInventory
    after: LoadedInventory
    diff: str
    summary: str
    new_findings: list[Finding] = field(default_factory=list)
    report: Report | None = None

    @property
    def changed(self) -> bool:
        return bool(self.diff)

    def save(self) -> bool:
        return self.editor.save()

    def write(self, *, branch: str | None = None) -> Written:
        """Write the change; with `branch`, commit it there. The branch is checked before
        the write (git present, a work tree, no uncommitted edits to the inventory), so a
        refusal changes nothing; a failed commit after the write is a warning to finish by
        hand, not an error (the inventory is written)."""
        from govern.gitutil import check_branch, commit_on_branch

        repo = check_branch(self.path, branch, [self.path]) if branch else None
        self.save()
        if repo is None:
            return Written()
        warning = commit_on_branch(repo, [self.path], f"govern: {self.summary}", what="the change")
        return Written(branch=repo.branch, warning=warning)

    def explanations(self) -> dict[str, str]:
        """Each new finding's rule and its explanation."""
        infos = {info.id: info.explanation for info in (self.report.rules if self.report else ())}
        return {f.rule: infos.get(f.rule, "") for f in self.new_findings}


def _loaded_text(display: str, text: str, policy: Policy) -> LoadedInventory:
    data = parse(display, text)
    return validate_data(data, SourceMap(display, text, data), policy.catalog)


def _change(
    path: Path,
    policy: Policy,
    edit: Callable[[InventoryEditor, LoadedInventory], str],
) -> Change:
    display = str(path)
    editor = InventoryEditor(path)
    original = editor.text()
    before = _loaded_text(display, original, policy)
    summary = edit(editor, before)
    new = editor.checked_text()
    after = _loaded_text(display, new, policy)
    diff = unified(original, new, fromfile=f"a/{path.name}", tofile=f"b/{path.name}")
    return Change(path, editor, before, after, diff, summary)


def _check_person(loaded: LoadedInventory, person: str) -> None:
    if loaded.inventory.person(person) is None:
        raise UsageError(
            f"no person '{person}' in {loaded.path}",
            hint="add them first: govern people add ID --name ... --email ... --level ...",
        )


def _check_account(loaded: LoadedInventory, account: str) -> None:
    if account not in loaded.inventory.account_index:
        raise UsageError(
            f"no account '{account}' in {loaded.path}",
            hint="see `govern accounts`, or add it: govern account add ID ...",
        )


def add_person(
    path: Path,
    policy: Policy,
    person_id: str,
    *,
    name: str,
    email: str,
    level: str,
    trained_on: dt.date | None = None,
) -> Change:
    def edit(editor: InventoryEditor, before: LoadedInventory) -> str:
        if before.inventory.person(person_id) is not None:
            raise UsageError(f"person '{person_id}' is already in {before.path}")
        entry: dict[str, Any] = {"id": person_id, "name": name, "email": email, "level": level}
        if trained_on is not None:
            entry["trained_on"] = trained_on
        editor.add_entry("people", entry)
        return f"added person {person_id}"

    return _change(path, policy, edit)


def set_trained(path: Path, policy: Policy, person_id: str, on: dt.date) -> Change:
    def edit(editor: InventoryEditor, before: LoadedInventory) -> str:
        _check_person(before, person_id)
        editor.set_trained(person_id, on)
        return f"recorded {person_id}'s policy training on {on}"

    return _change(path, policy, edit)


def add_account(
    path: Path,
    policy: Policy,
    account_id: str,
    *,
    entity: str,
    platform: str,
    handle: str,
    url: str | None = None,
    platform_id: str | None = None,
    credential_ref: str | None = None,
    mfa: bool = False,
) -> Change:
    def edit(editor: InventoryEditor, before: LoadedInventory) -> str:
        if account_id in before.inventory.account_index:
            raise UsageError(f"account '{account_id}' is already in {before.path}")
        entry: dict[str, Any] = {
            "id": account_id,
            "entity": entity,
            "platform": platform,
            "handle": handle,
        }
        if url is not None:
            entry["url"] = url
        if platform_id is not None:
            entry["platform_id"] = platform_id
        if credential_ref is not None or mfa:
            credential: dict[str, Any] = {}
            if credential_ref is not None:
                credential["ref"] = credential_ref
            credential["mfa"] = mfa
            entry["credential"] = credential
        editor.add_entry("accounts", entry)
        return f"added account {account_id}"

    change = _change(path, policy, edit)
    _compare(change, policy, None, account=account_id, person="")
    return change


def grant(
    path: Path,
    policy: Policy,
    person: str,
    account: str,
    role: str,
    *,
    expires: dt.date | None = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> Change:
    """Give `person` `role` on `account`; `new_findings` lists what the rules would add."""

    def edit(editor: InventoryEditor, before: LoadedInventory) -> str:
        _check_person(before, person)
        _check_account(before, account)
        editor.put_grant(account, person, role, expires=expires, note=note)
        return f"granted {role} on {account} to {person}" + (f" until {expires}" if expires else "")

    change = _change(path, policy, edit)
    _compare(change, policy, today, account=account, person=person)
    return change


def ungrant(path: Path, policy: Policy, person: str, account: str) -> Change:
    """Remove `person`'s grant on `account`; `new_findings` lists what the rules would add
    (an account left without enough admins): shown, not refused."""
    removed: list[str | None] = []

    def edit(editor: InventoryEditor, before: LoadedInventory) -> str:
        _check_person(before, person)
        _check_account(before, account)
        role = editor.remove_grant(account, person)
        if role is None:
            raise UsageError(f"{person} holds no grant on {account}; nothing was changed")
        removed.append(role)
        return f"removed {person}'s {role} on {account}"

    change = _change(path, policy, edit)
    _compare(change, policy, None, account=account, person=person)
    return change


def _compare(
    change: Change, policy: Policy, today: dt.date | None, *, account: str, person: str
) -> None:
    """The unwaived findings on the account or the person that the change adds."""

    def key(f: Finding) -> tuple[Any, ...]:
        return (f.rule, f.account, f.person, f.entity, f.message)

    def touched(f: Finding) -> bool:
        return not f.waived and (f.account == account or f.person == person)

    before = audit(change.before, policy, today=today)
    after = audit(change.after, policy, today=today)
    old = {key(f) for f in before.findings if touched(f)}
    change.report = after
    change.new_findings = [
        replace(f, fix=fix_for(f, change.after.inventory))
        for f in after.findings
        if touched(f) and key(f) not in old
    ]


__all__ = ["Change", "add_account", "add_person", "grant", "set_trained", "ungrant"]
