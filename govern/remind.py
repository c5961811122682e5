"""`govern remind`: one plain-language email per person and per entity head, listing what
needs them in the next days. Nobody gets an empty message.

A person hears about their own grants that end within the window, their policy training
falling due, and the findings about them. An entity head hears about the grants on the
entity's accounts that end, the shared passwords falling due for rotation, the access reviews
waiting for their decisions, and the findings on the entity (as `govern audit --entity`). A
person who is both gets one message with both parts.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import smtplib
import ssl
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from govern.credentials import CredentialMetadata
from govern.credentials.confirm import CONFIRM_ACTION
from govern.errors import BackendUnavailable, UsageError
from govern.findings import Finding, Report
from govern.inventory.load import LoadedInventory
from govern.inventory.model import Inventory, Person
from govern.policy import Policy
from govern.review import Status
from govern.rules import CustodyRecord
from govern.scope import Scope, narrow

# Rules whose findings the reminder words itself (from the inventory and the store).
_OWN_WORDS = {"grant-expiry", "training-current", "credential-age"}


@dataclass(frozen=True)
class Item:
    kind: str  # grant, training, password, review, finding
    text: str


@dataclass
class Reminder:
    person: Person
    own: list[Item] = field(default_factory=list)
    entities: dict[str, list[Item]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.own) + sum(len(items) for items in self.entities.values())

    def body(self, organization: str, within: int, inv: Inventory) -> str:
        lines = [
            f"Hello {self.person.name},",
            "",
            *_wrap(
                f"This is the reminder of {organization} about its social media accounts: "
                f"what needs you in the next {within} days."
            ),
        ]
        if self.own:
            lines += ["", "For you:"]
            lines += [line for item in self.own for line in _wrap(item.text, bullet=True)]
        for entity_id, items in self.entities.items():
            entity = inv.entity(entity_id)
            name = entity.name if entity else entity_id
            lines += ["", f"As head of {name}:"]
            lines += [line for item in items for line in _wrap(item.text, bullet=True)]
        lines += [
            "",
            *_wrap(
                "Nothing here needs a reply. Whoever keeps the inventory can make each "
                "change (the commands are given), or ask them for help."
            ),
            "",
            "-- govern",
        ]
        return "\n".join(lines) + "\n"

    def subject(self) -> str:
        n = self.count
        return f"Social media accounts: {n} thing{'s' if n != 1 else ''} to look at"

    def message(
        self, *, sender: str, organization: str, within: int, inv: Inventory, when: dt.datetime
    ) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = email.utils.formataddr((self.person.name, self.person.email))
        msg["Subject"] = self.subject()
        msg["Date"] = email.utils.format_datetime(when)
        msg["Message-ID"] = email.utils.make_msgid(
            idstring=f"govern-remind-{self.person.id}", domain=sender.rpartition("@")[2] or None
        )
        msg.set_content(self.body(organization, within, inv))
        return msg


def _wrap(text: str, *, bullet: bool = False) -> list[str]:
    """Plain-text lines of at most 72 characters; a command in backticks is never split."""
    first, rest = ("  - ", "    ") if bullet else ("", "")
    glued = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", "\0"), text)
    lines = textwrap.wrap(
        glued,
        72,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    )
    return [line.replace("\0", " ") for line in lines]


def parse_within(value: str) -> int:
    """`30d` or `30`: a number of days (exit 2 otherwise)."""
    text = value.strip().lower().removesuffix("d")
    if not text.isdigit() or int(text) > 3650:
        raise UsageError(f"--within: '{value}' is not a number of days", hint="e.g. 30d")
    return int(text)


def collect(
    inv: Inventory,
    policy: Policy,
    report: Report,
    *,
    today: dt.date,
    within: int,
    custody: Mapping[str, CustodyRecord] | None,
    reviews: Iterable[Status] = (),
    unconfirmed: Iterable[CredentialMetadata] = (),
) -> list[Reminder]:
    """The reminders to send, one per person with something to report, in inventory order."""
    horizon = today + dt.timedelta(days=within)
    people = {p.id: p for p in inv.people if not p.departed}
    out: dict[str, Reminder] = {}

    def own(person_id: str, item: Item) -> None:
        if person_id in people:
            out.setdefault(person_id, Reminder(people[person_id])).own.append(item)

    def head(entity_id: str, item: Item) -> None:
        entity = inv.entity(entity_id)
        if entity is not None and entity.head in people:
            reminder = out.setdefault(entity.head, Reminder(people[entity.head]))
            reminder.entities.setdefault(entity_id, []).append(item)

    for account in inv.accounts:
        for grant in account.access:
            if grant.expires is None or grant.expires > horizon or grant.person not in people:
                continue
            ends = _when(grant.expires, today, past="ended")
            who = people[grant.person].name
            extend = f"govern grant {grant.person} {account.id} {grant.role} --expires NEW-DATE"
            own(
                grant.person,
                Item(
                    "grant",
                    f"Your {grant.role} access to {account.id} {ends}. If you still need it, "
                    f"ask the head of the parish or office to extend it (`{extend}`).",
                ),
            )
            head(
                account.entity,
                Item(
                    "grant",
                    f"{who}'s {grant.role} access to {account.id} {ends}: extend it "
                    f"(`{extend}`) or remove it (`govern ungrant {grant.person} {account.id}`).",
                ),
            )
    training = policy.params["training-current"]
    max_training = int(getattr(training, "max_age_days", 365))
    roles = set(getattr(training, "roles", ("owner", "admin", "editor")))
    managers: set[str] = set()
    for account in inv.accounts:  # designated managers: not the entity's head or IT
        entity = inv.entity(account.entity)
        staff = {entity.head, *entity.it} if entity else set()
        managers.update(
            g.person
            for g in account.access
            if g.role in roles and g.person in people and g.person not in staff
        )
    for person_id in sorted(managers, key=lambda p: inv.person_index[p]):
        trained = people[person_id].trained_on
        if trained is None:
            own(
                person_id,
                Item(
                    "training",
                    "No social media policy training is recorded "
                    "for you: please take it and tell whoever keeps the inventory.",
                ),
            )
            continue
        due = trained + dt.timedelta(days=max_training)
        if due <= horizon:
            own(
                person_id,
                Item(
                    "training",
                    f"Your social media policy training (last on "
                    f"{trained}) is due {_when(due, today, past='was due')}.",
                ),
            )
    if custody is not None:
        ages = policy.params["credential-age"]
        max_age = int(getattr(ages, "max_age_days", 180))
        for account in inv.accounts:
            record = custody.get(account.credential_ref or "")
            if record is None or record.updated_at is None:
                continue
            due = record.updated_at.date() + dt.timedelta(days=max_age)
            if due <= horizon:
                head(
                    account.entity,
                    Item(
                        "password",
                        f"The shared password of {account.id} (last changed "
                        f"{record.updated_at.date()}) is due for a change "
                        f"{_when(due, today, past='was due')} (`govern creds rotate "
                        f"{account.credential_ref}`).",
                    ),
                )
    by_ref = {a.credential_ref: a for a in inv.accounts if a.credential_ref}
    for meta in unconfirmed:
        rotated = by_ref.get(meta.ref)
        if rotated is not None:
            head(
                rotated.entity,
                Item(
                    "confirm",
                    f"The new password of {rotated.id} (version {meta.current_version}, "
                    f"{meta.updated_at.date()}, by {meta.rotated_by or 'someone'}) is not "
                    "confirmed as set on the platform: until it is, the old one still opens "
                    f"the account. Once it is set: `govern creds confirm {rotated.id}`.",
                ),
            )
    for status in reviews:
        for progress in status.entities:
            if progress.pending and progress.reviewer in people:
                n = progress.pending
                item = Item(
                    "review",
                    f"Access review {status.name}: {n} decision{'s' if n != 1 else ''} "
                    f"waiting for you in {progress.path}, due {progress.due}.",
                )
                entity = inv.entity(progress.entity)
                if entity is not None and entity.head == progress.reviewer:
                    head(progress.entity, item)
                else:
                    own(progress.reviewer, item)
    open_findings = [f for f in report.findings if not f.waived and f.rule not in _OWN_WORDS]
    for person_id in people:
        for finding in open_findings:
            if finding.person == person_id:
                own(person_id, Item("finding", _finding_text(finding)))
    scoped = Report(inventory=report.inventory, findings=tuple(open_findings))
    for entity in inv.entities:
        for finding in narrow(scoped, inv, Scope(frozenset({entity.id}))).findings:
            head(entity.id, Item("finding", _finding_text(finding)))
    order = {p.id: n for n, p in enumerate(inv.people)}
    return sorted(out.values(), key=lambda r: order[r.person.id])


def unconfirmed_rotations(
    metadata: Iterable[CredentialMetadata],
    log: Iterable[Mapping[str, object]],
    *,
    today: dt.date,
    after_days: int,
) -> list[CredentialMetadata]:
    """Rotations (a version after the first) made more than `after_days` days ago that no
    `govern creds confirm` record of the audit log names (by store key and version)."""
    confirmed = set()
    for record in log:
        details = record.get("details")
        if record.get("action") == CONFIRM_ACTION and isinstance(details, dict):
            confirmed.add((details.get("ref"), details.get("version")))
    return [
        m
        for m in metadata
        if m.current_version > 1
        and (today - m.updated_at.date()).days > after_days
        and (m.ref, m.current_version) not in confirmed
    ]


def gather(
    loaded: LoadedInventory,
    policy: Policy,
    *,
    today: dt.date,
    within: int,
    reviews: Path,
    log_path: Path,
    store_spec: str | None,
    env: Mapping[str, str],
    offline: bool = False,
    confirm_days: int = 7,
) -> list[Reminder]:
    """What `govern remind` sends: the audit (with the store's custody records unless
    `offline`), the password changes not confirmed on the platform `confirm_days` after the
    rotation (the store's metadata against the audit log), the review campaigns under
    `reviews`, collected into one reminder per person with something to report."""
    from govern import auditlog
    from govern.audit import audit
    from govern.credentials import open_store
    from govern.custody import read_custody
    from govern.fixes import with_fixes
    from govern.review import review_names, status

    custody = None
    unconfirmed: list[CredentialMetadata] = []
    if not offline:
        where = Path(loaded.path).absolute().parent
        custody, _ = read_custody(store_spec, inventory_dir=where, env=env)
        if custody:
            records = auditlog.read(log_path) if log_path.exists() else []
            metadata = open_store(store_spec, inventory_dir=where, env=env).list()
            unconfirmed = unconfirmed_rotations(
                metadata, records, today=today, after_days=confirm_days
            )
    campaigns = [status(reviews, name, today=today) for name in review_names(reviews)]
    report = with_fixes(audit(loaded, policy, today=today, custody=custody), loaded.inventory)
    return collect(
        loaded.inventory,
        policy,
        report,
        today=today,
        within=within,
        custody=custody,
        reviews=campaigns,
        unconfirmed=unconfirmed,
    )


def sender_for(inv: Inventory, sender: str | None) -> str:
    """The From address: `sender`, else govern@ the organization's first domain."""
    domains = inv.organization.domains
    found = sender or (f"govern@{domains[0]}" if domains else None)
    if found is None:
        raise UsageError(
            "--from: no sender address (the inventory lists no organization domain)",
            hint="govern remind --from it@example.org ...",
        )
    return found


def compose(
    reminders: Iterable[Reminder],
    inv: Inventory,
    *,
    sender: str,
    within: int,
    when: dt.datetime,
) -> list[tuple[str, EmailMessage]]:
    """(person id, message) for each reminder."""
    return [
        (
            r.person.id,
            r.message(
                sender=sender, organization=inv.organization.name, within=within, inv=inv, when=when
            ),
        )
        for r in reminders
    ]


def smtp_login(
    store_spec: str | None, inventory_dir: Path, env: Mapping[str, str]
) -> tuple[str, str] | None:
    """The store's `smtp` credential as (username, password); None when it has none."""
    from govern.credentials import CredentialNotFound, open_store

    store = open_store(store_spec, inventory_dir=inventory_dir, env=env)
    path = getattr(store, "path", None)
    if isinstance(path, Path) and not path.exists():
        return None
    try:
        secret = store.get("smtp")
    except CredentialNotFound:
        return None
    if not secret.username:
        raise UsageError(
            "the store's `smtp` credential has no username",
            hint="govern creds set smtp --username USER",
        )
    return secret.username, secret.password


def _finding_text(finding: Finding) -> str:
    text = f"{finding.message[0].upper()}{finding.message[1:]} (rule {finding.rule})."
    return text + (f" To fix: {finding.fix}" if finding.fix else "")


def _when(day: dt.date, today: dt.date, *, past: str) -> str:
    days = (day - today).days
    if days < 0:
        return f"{past} on {day}"
    if days == 0:
        return f"ends today ({day})" if past == "ended" else f"today ({day})"
    verb = "ends" if past == "ended" else "by"
    if verb == "by":
        return f"by {day} (in {days} day{'s' if days != 1 else ''})"
    return f"ends on {day} (in {days} day{'s' if days != 1 else ''})"


def write_eml(messages: Iterable[tuple[str, EmailMessage]], directory: Path) -> list[Path]:
    """Each message as DIRECTORY/PERSON.eml (atomic writes)."""
    from govern.fsutil import atomic_write_text

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for person_id, msg in messages:
        path = directory / f"{person_id}.eml"
        atomic_write_text(path, msg.as_string())
        written.append(path)
    return written


def parse_server(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--smtp: '{value}' is not HOST:PORT", hint="e.g. smtp.example.org:587")
    return host.strip("[]"), int(port)


def send(
    messages: Iterable[EmailMessage],
    server: str,
    *,
    login: tuple[str, str] | None,
    timeout: float = 30.0,
) -> int:
    """Send through one SMTP connection: STARTTLS whenever the server offers it (required
    before a login), then AUTH with `login`. Returns the number sent. Unreachable: exit 3."""
    host, port = parse_server(server)
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            elif login is not None:
                raise BackendUnavailable(
                    f"SMTP server {host}:{port} does not offer STARTTLS: the login from the "
                    "store is not sent in clear"
                )
            if login is not None:
                smtp.login(*login)
            sent = 0
            for msg in messages:
                smtp.send_message(msg)
                sent += 1
            return sent
    except smtplib.SMTPAuthenticationError as exc:
        raise BackendUnavailable(
            f"SMTP server {host}:{port} refused the login (code {exc.smtp_code})",
        ) from None
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise BackendUnavailable(f"SMTP server {host}:{port}: {reason}") from None


__all__ = ["Item", "Reminder", "collect", "parse_server", "parse_within", "send", "write_eml"]
