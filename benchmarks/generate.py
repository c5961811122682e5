#!/usr/bin/env python3
"""Deterministic generator of synthetic govern inventories (format version 1).

    python benchmarks/generate.py --accounts 10000 --seed 1 -o benchmarks/data/inv-10000.yaml

Proportions (per account): 3 people, ~6 grants, 0.1 entity, ~10% of accounts on x and
~5% on threads (shared logins, with a ``credential``); roles follow the platform catalog
(govern/platforms/catalog.yaml). Every entity has a head and one or two IT people
drawn from ``people``; the other holders are "designated managers".

A sprinkling (``--violation-rate``, default 2%) of each kind of finding `govern audit`
looks for is planted: head without an admin-type role, manager below level C, departed
person still holding a grant, expired grant, shared login with MFA off or an off-domain
recovery email, stale or missing training, fewer than two admin holders, an access review
missing or over a year old (`reviewed:`, drawn from a random stream of its own so that the
rest of the inventory is the one generated before reviews existed; ``--without-reviews``
writes that inventory, where every account is a review-current finding).

The YAML is written as text (block style, like the format's example), not through a YAML
dumper, atomically (temporary file in the target directory, then rename). The same
arguments give byte-identical output: no wall-clock date is used, every date is relative
to ``--as-of`` (a fixed default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_AS_OF = "2026-11-15"
ORG_NAME = "Diocese of X"
DOMAIN = "dioceseofx.org"

FIRST = [
    "Aaron",
    "Abigail",
    "Adam",
    "Agnes",
    "Alice",
    "Ambrose",
    "Andrew",
    "Anna",
    "Anthony",
    "Barbara",
    "Benedict",
    "Bernard",
    "Brigid",
    "Carmen",
    "Catherine",
    "Cecilia",
    "Charles",
    "Chiara",
    "Christopher",
    "Clare",
    "Daniel",
    "David",
    "Dominic",
    "Dorothy",
    "Edmund",
    "Elena",
    "Elizabeth",
    "Emily",
    "Felix",
    "Frances",
    "Francis",
    "Gabriel",
    "Gemma",
    "George",
    "Grace",
    "Gregory",
    "Helen",
    "Hugh",
    "Ignatius",
    "Irene",
    "Isaac",
    "Jacob",
    "James",
    "Jane",
    "Joan",
    "John",
    "Joseph",
    "Josephine",
    "Jude",
    "Julia",
    "Kateri",
    "Kevin",
    "Lawrence",
    "Leo",
    "Lucy",
    "Luke",
    "Margaret",
    "Maria",
    "Mark",
    "Martha",
    "Martin",
    "Mary",
    "Matthew",
    "Michael",
    "Monica",
    "Nicholas",
    "Oscar",
    "Patrick",
    "Paul",
    "Peter",
    "Philip",
    "Rita",
    "Robert",
    "Rose",
    "Ruth",
    "Samuel",
    "Sarah",
    "Sebastian",
    "Simon",
    "Stephen",
    "Teresa",
    "Thomas",
    "Timothy",
    "Vincent",
    "Veronica",
    "William",
]
LAST = [
    "Abbott",
    "Adams",
    "Alvarez",
    "Baker",
    "Barnes",
    "Bell",
    "Bennett",
    "Brennan",
    "Brooks",
    "Burke",
    "Byrne",
    "Campbell",
    "Carroll",
    "Carter",
    "Chavez",
    "Clarke",
    "Collins",
    "Connolly",
    "Cooper",
    "Costa",
    "Cruz",
    "Daly",
    "Davies",
    "Delaney",
    "Diaz",
    "Doherty",
    "Doyle",
    "Duffy",
    "Dunne",
    "Egan",
    "Evans",
    "Farrell",
    "Fischer",
    "Fitzgerald",
    "Flynn",
    "Foley",
    "Ford",
    "Gallagher",
    "Garcia",
    "Gomez",
    "Grant",
    "Gray",
    "Green",
    "Hale",
    "Hayes",
    "Healy",
    "Hughes",
    "Jensen",
    "Kane",
    "Keane",
    "Kelly",
    "Kennedy",
    "Kowalski",
    "Lambert",
    "Lynch",
    "Madden",
    "Maguire",
    "Martinez",
    "Meyer",
    "Moran",
    "Morris",
    "Murphy",
    "Nolan",
    "Novak",
    "Nowak",
    "Ortiz",
    "Quinn",
    "Reilly",
    "Reyes",
    "Rossi",
    "Ryan",
    "Santos",
    "Schmidt",
    "Shea",
    "Silva",
    "Sullivan",
    "Sweeney",
    "Thornton",
    "Torres",
    "Vargas",
    "Walsh",
    "Ward",
    "Weber",
    "Whelan",
    "Wolfe",
    "Young",
]
SAINTS = [
    "Mary",
    "Joseph",
    "Peter",
    "Paul",
    "John",
    "Patrick",
    "Brigid",
    "Anne",
    "Michael",
    "Francis",
    "Clare",
    "Anthony",
    "Teresa",
    "Vincent",
    "Monica",
    "Augustine",
    "Dominic",
    "Catherine",
    "Benedict",
    "Scholastica",
    "Thomas",
    "Luke",
    "Mark",
    "Matthew",
    "Jude",
    "James",
    "Andrew",
    "Stephen",
    "Lawrence",
    "Agnes",
    "Cecilia",
    "Rita",
    "Columba",
    "Kevin",
    "Gabriel",
]
KINDS = (
    ("Parish", 55),
    ("School", 20),
    ("Youth Ministry", 8),
    ("Food Bank", 5),
    ("Retreat Centre", 4),
    ("Choir", 4),
    ("Charity Shop", 4),
)
# Mirrors govern/platforms/catalog.yaml: name, weight, administrative roles (the head's
# first), other roles, shared login, url prefix. Shared logins have the one role "admin".
PLATFORMS: tuple[tuple[str, int, tuple[str, ...], tuple[str, ...], bool, str], ...] = (
    ("facebook", 26, ("admin",), ("editor", "analyst"), False, "https://facebook.com/"),
    ("instagram", 20, ("admin",), ("editor", "analyst"), False, "https://instagram.com/"),
    ("youtube", 10, ("owner", "admin"), ("editor", "analyst"), False, "https://youtube.com/@"),
    ("x", 10, ("admin",), (), True, "https://x.com/"),
    ("linkedin", 8, ("admin",), ("editor", "analyst"), False, "https://linkedin.com/company/"),
    ("google-business", 9, ("owner",), ("admin", "editor"), False, "https://g.page/"),
    ("tiktok", 7, ("admin",), ("editor", "analyst"), False, "https://tiktok.com/@"),
    ("threads", 5, ("admin",), (), True, "https://threads.net/@"),
    ("github", 5, ("owner",), ("editor", "analyst"), False, "https://github.com/"),
)
NOTES = (
    "takeover",
    "covering parental leave",
    "event season",
    "agency contract",
    "interim comms lead",
    "migration from old page",
)
# Plain scalars YAML 1.1 (PyYAML) would resolve to something other than a string.
RESERVED = frozenset(["y", "n", "yes", "no", "on", "off", "true", "false", "null"])


@dataclass
class Person:
    id: str
    name: str
    level: str = ""
    status: str = "active"
    left_on: dt.date | None = None
    trained_on: dt.date | None = None
    manager: bool = False  # holds a grant somewhere while not head/IT of that entity
    holder: bool = False


@dataclass
class Grant:
    person: str
    role: str
    expires: dt.date | None = None
    note: str | None = None


@dataclass
class Account:
    id: str
    entity: str
    platform: str
    handle: str
    url: str | None
    access: list[Grant] = field(default_factory=list)
    credential: tuple[bool, str] | None = None  # (mfa, recovery_email)
    reviewed: tuple[dt.date, str] | None = None  # (on, by)


@dataclass
class Entity:
    id: str
    name: str
    head: str
    it: list[str]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Generator:
    def __init__(
        self,
        accounts: int,
        seed: int,
        as_of: dt.date,
        violation_rate: float,
        reviews: bool = True,
    ) -> None:
        self.n_accounts = accounts
        self.rng = random.Random(seed)
        # Reviews draw from their own stream: with or without them, the rest is the same.
        self.review_rng = random.Random(seed + 1_000_003) if reviews else None
        self.as_of = as_of
        self.vr = violation_rate
        self.seed = seed
        self.people: list[Person] = []
        self.entities: list[Entity] = []
        self.accounts: list[Account] = []
        self._ids: set[str] = set()

    # -- helpers ----------------------------------------------------------------------
    def _chance(self, p: float) -> bool:
        return self.rng.random() < p

    def _violate(self) -> bool:
        return self.rng.random() < self.vr

    def _days(self, lo: int, hi: int) -> dt.date:
        return self.as_of + dt.timedelta(days=self.rng.randint(lo, hi))

    def _unique(self, base: str) -> str:
        if base not in self._ids and base not in RESERVED and len(base) >= 3:
            self._ids.add(base)
            return base
        i = 2
        while f"{base}{i}" in self._ids:
            i += 1
        self._ids.add(f"{base}{i}")
        return f"{base}{i}"

    def _pick(self, table: tuple[tuple[str, int], ...]) -> str:
        names = [t[0] for t in table]
        weights = [t[1] for t in table]
        return self.rng.choices(names, weights)[0]

    # -- model ------------------------------------------------------------------------
    def build(self) -> None:
        rng = self.rng
        n_people = 3 * self.n_accounts
        for _ in range(n_people):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            pid = self._unique(_slug(first[0] + last))
            self.people.append(Person(id=pid, name=f"{first} {last}"))

        n_entities = max(1, round(self.n_accounts / 10))
        # Partition people into contiguous pools, one per entity (about 30 each).
        bounds = [round(i * n_people / n_entities) for i in range(n_entities + 1)]
        # Partition accounts among entities: 10 on average, 3..17 each, exact total.
        sizes = [10] * n_entities
        for _ in range(n_entities // 2):
            d = rng.randint(0, 7)
            a, b = rng.randrange(n_entities), rng.randrange(n_entities)
            if sizes[a] - d >= 3 and sizes[b] + d <= 17:
                sizes[a] -= d
                sizes[b] += d
        sizes[-1] += self.n_accounts - sum(sizes)
        if sizes[-1] < 1:  # tiny inventories
            sizes = [self.n_accounts // n_entities] * n_entities
            sizes[-1] += self.n_accounts - sum(sizes)

        handles: set[str] = set()
        ent_ids: set[str] = set()
        for e in range(n_entities):
            pool = self.people[bounds[e] : bounds[e + 1]]
            kind = self._pick(KINDS)
            saint = rng.choice(SAINTS)
            town = rng.choice(LAST)
            name = f"St {saint} {kind}, {town}" if kind != "Parish" else f"St {saint} Parish"
            base = _slug(f"st-{saint}" + ("" if kind == "Parish" else f"-{kind.split()[0]}"))
            eid = base
            n = 2
            while eid in ent_ids:
                eid = f"{base}-{n}"
                n += 1
            ent_ids.add(eid)
            head = pool[0]
            it = pool[1:3] if self._chance(0.3) else pool[1:2]
            managers = pool[len(it) + 1 :]
            ent = Entity(id=eid, name=name, head=head.id, it=[p.id for p in it])
            self.entities.append(ent)
            head.holder = True
            for p in it:
                p.holder = True
            for _ in range(sizes[e]):
                self._account(ent, head, it, managers, handles)

        self._finish_people()

    def _account(
        self,
        ent: Entity,
        head: Person,
        it: list[Person],
        managers: list[Person],
        handles: set[str],
    ) -> None:
        rng = self.rng
        idx = rng.choices(range(len(PLATFORMS)), [p[1] for p in PLATFORMS])[0]
        platform, _, admin_roles, other_roles, shared, url_prefix = PLATFORMS[idx]
        base = ent.id.replace("-", "")
        handle = base
        n = 2
        while f"{platform}/{handle}" in handles:
            handle = f"{base}{n}"
            n += 1
        handles.add(f"{platform}/{handle}")
        aid = f"{ent.id}-{platform}" + (handle[len(base) :] and f"-{handle[len(base) :]}")
        url = f"{url_prefix}{handle}" if self._chance(0.5) else None
        acc = Account(id=aid, entity=ent.id, platform=platform, handle=handle, url=url)

        # Head: administrative role (violation: a lesser role, or none at all).
        if self._violate() and not shared:
            if self._chance(0.5):
                acc.access.append(self._grant(head.id, other_roles[-1]))
        else:
            acc.access.append(self._grant(head.id, admin_roles[0]))
        # IT: administrative (violation: a lesser role, leaving a single admin holder).
        for p in it:
            role = admin_roles[-1]
            if self._violate() and not shared:
                role = other_roles[-1]
            acc.access.append(self._grant(p.id, role))
        # Designated managers: ~6 grants per account in all.
        k = max(0, rng.choice((3, 4, 4, 5, 5, 5, 6)) - len(it) + (len(it) == 2))
        for p in rng.sample(managers, min(k, len(managers))):
            p.holder = True
            p.manager = True
            role = "admin" if shared else rng.choice(other_roles)
            acc.access.append(self._grant(p.id, role))
        if shared:
            mfa = not self._violate()
            email = f"comms@{DOMAIN}"
            if self._violate():
                email = f"{ent.id.replace('-', '')}.social@gmail.com"
            acc.credential = (mfa, email)
        if self.review_rng is not None:
            # Reviewed by the head within the year (violation: never, or over a year ago).
            draw = self.review_rng.random()
            if draw >= self.vr:
                lo, hi = (-900, -370) if draw < 2 * self.vr else (-330, -1)
                on = self.as_of + dt.timedelta(days=self.review_rng.randint(lo, hi))
                acc.reviewed = (on, head.id)
        self.accounts.append(acc)

    def _grant(self, person: str, role: str) -> Grant:
        g = Grant(person=person, role=role)
        if self._chance(0.12):
            g.expires = self._days(-300, -1) if self._chance(2 * self.vr) else self._days(60, 900)
            if self._chance(0.4):
                g.note = self.rng.choice(NOTES)
        return g

    def _finish_people(self) -> None:
        rng = self.rng
        for p in self.people:
            if p.manager:
                p.level = "C" if not self._chance(self.vr / 3) else rng.choice("AB")
            else:
                p.level = rng.choices("ABC", (2, 3, 5))[0]
            if p.holder:
                if self._chance(self.vr / 8):  # departed but still holding grants
                    p.status = "departed"
                    p.left_on = self._days(-400, -10)
                if self._chance(self.vr / 4):
                    p.trained_on = None if self._chance(0.3) else self._days(-900, -370)
                else:
                    p.trained_on = self._days(-330, -5)
            else:
                if self._chance(0.06):
                    p.status = "departed"
                    p.left_on = self._days(-1500, -10)
                if self._chance(0.4):
                    p.trained_on = self._days(-1200, -5)

    # -- emit -------------------------------------------------------------------------
    def emit(self) -> str:
        out: list[str] = []
        w = out.append
        w(
            f"# Synthetic govern inventory: {self.n_accounts} accounts, seed {self.seed}, "
            f"as of {self.as_of.isoformat()}.\n"
            "# Generated by benchmarks/generate.py -- do not edit by hand.\n"
            "version: 1\n"
            "organization:\n"
            f'  name: "{ORG_NAME}"\n'
            f"  domains: [{DOMAIN}]\n"
            "\n# --- people -------------------------------------------------------------\n"
            "people:\n"
        )
        for p in self.people:
            w(
                f"  - id: {p.id}\n    name: {p.name}\n    email: {p.id}@{DOMAIN}\n"
                f"    level: {p.level}\n    status: {p.status}\n"
            )
            if p.left_on:
                w(f"    left_on: {p.left_on.isoformat()}\n")
            if p.trained_on:
                w(f"    trained_on: {p.trained_on.isoformat()}\n")
        w("\n# --- entities " + "-" * 59 + "\nentities:\n")
        for e in self.entities:
            w(f"  - id: {e.id}\n    name: {e.name}\n    head: {e.head}\n")
            if e.it:
                w(f"    it: [{', '.join(e.it)}]\n")
        w("\n# --- accounts " + "-" * 59 + "\naccounts:\n")
        for a in self.accounts:
            w(
                f"  - id: {a.id}\n    entity: {a.entity}\n    platform: {a.platform}\n"
                f"    handle: {a.handle}\n"
            )
            if a.url:
                w(f"    url: {a.url}\n")
            w("    access:\n")
            for g in a.access:
                w(f"      - person: {g.person}\n        role: {g.role}\n")
                if g.expires:
                    w(f"        expires: {g.expires.isoformat()}\n")
                if g.note:
                    w(f'        note: "{g.note}"\n')
            if a.credential:
                mfa, email = a.credential
                w(
                    "    credential:          # shared login\n"
                    f"      mfa: {'true' if mfa else 'false'}\n"
                    f"      recovery_email: {email}\n"
                )
            if a.reviewed:
                w(f"    reviewed: {{on: {a.reviewed[0].isoformat()}, by: {a.reviewed[1]}}}\n")
        return "".join(out)


def generate(
    accounts: int,
    seed: int = 1,
    as_of: str = DEFAULT_AS_OF,
    violation_rate: float = 0.02,
    reviews: bool = True,
) -> str:
    """Return the inventory text for ``accounts`` accounts."""
    g = Generator(accounts, seed, dt.date.fromisoformat(as_of), violation_rate, reviews)
    g.build()
    return g.emit()


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cache_path(
    accounts: int, seed: int = 1, directory: Path | None = None, reviews: bool = True
) -> Path:
    """``benchmarks/data/inv-<N>-s<seed>-<hash>.yaml`` (``-norev`` before the suffix without
    reviews); the hash is of this generator's source, so a changed generator never reuses a
    stale cached inventory."""
    directory = directory or Path(__file__).resolve().parent / "data"
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]
    return directory / f"inv-{accounts}-s{seed}-{digest}{'' if reviews else '-norev'}.yaml"


def ensure(
    accounts: int,
    seed: int = 1,
    directory: Path | None = None,
    log: Callable[[str], object] | None = None,
) -> Path:
    """Return the cached inventory for (accounts, seed), generating it if absent."""
    path = cache_path(accounts, seed, directory)
    if not path.exists():
        if log:
            log(f"generating {path} ...")
        write_atomic(path, generate(accounts, seed))
    return path


def git_rev(repo: Path) -> str | None:
    """HEAD of the work tree, with "+dirty" when tracked files differ from it."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev + ("+dirty" if dirty.strip() else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, required=True, help="number of accounts (N)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument(
        "--as-of",
        default=DEFAULT_AS_OF,
        help=f"reference date all dates are relative to (default {DEFAULT_AS_OF})",
    )
    ap.add_argument(
        "--violation-rate",
        type=float,
        default=0.02,
        help="probability of each planted violation kind (default 0.02)",
    )
    ap.add_argument(
        "--without-reviews",
        action="store_true",
        help="no `reviewed:` on any account (the inventory of before issue 13: every account "
        "is a review-current finding)",
    )
    ap.add_argument("-o", "--output", required=True, help="output file ('-' for stdout)")
    args = ap.parse_args(argv)
    if args.accounts < 1:
        ap.error("--accounts must be >= 1")
    text = generate(
        args.accounts, args.seed, args.as_of, args.violation_rate, not args.without_reviews
    )
    if args.output == "-":
        sys.stdout.write(text)
    else:
        write_atomic(Path(args.output), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
