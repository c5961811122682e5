"""A deterministic synthetic organization for the live-drift benchmark: the inventory govern
reads (every account with `platform_id` and `organization.connectors`, so `govern drift
--live` reads it through its connector) and, from the same model, what each emulated
platform reports (live_emulators.py).

    org = Organization(10000)
    org.inventory_yaml()          # the inventory text
    org.accounts("github")        # accounts of one catalog platform, with their observed holders

Ten accounts per entity, on GitHub (2), Facebook, Instagram, Google Business Profile (2),
LinkedIn (2) and TikTok (2): the five connectors get 2,000 accounts each at 10,000. Each
account is held by the entity's head and IT (administrative) and one manager (editor); the
platforms add a little drift: an undeclared holder on the accounts of every 25th entity, a
declared manager missing from those of every 40th. The TikTok connector reads the
organization's one Business Center, so its accounts are declared with the Business Center's
three members (who are not the entity heads: drift-head-without-admin on each).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

PLATFORMS = (
    "github",
    "github",
    "facebook",
    "instagram",
    "google-business",
    "google-business",
    "linkedin",
    "linkedin",
    "tiktok",
    "tiktok",
)
# catalog platform -> (administrative role, editor role) in the inventory's vocabulary and
# (administrative, editor) as the platform's API names them.
ROLES = {
    "github": (("owner", "editor"), ("admin", "member")),
    "facebook": (("admin", "editor"), ("MANAGE", "CREATE_CONTENT")),
    "instagram": (("admin", "editor"), ("MANAGE", "CONTENT")),
    "google-business": (("owner", "admin"), ("OWNER", "MANAGER")),
    "linkedin": (("admin", "editor"), ("ADMINISTRATOR", "CONTENT_ADMINISTRATOR")),
    "tiktok": (("admin", "analyst"), ("ADMIN", "STANDARD")),
}
NAMESPACE = {
    "github": "github",
    "facebook": "meta",
    "instagram": "meta",
    "google-business": "google",
    "linkedin": "linkedin",
    "tiktok": "tiktok",
}
DOMAIN = "bench.example"
BUSINESS_ID = "555000"
TIKTOK_BC = "7000000001"


@dataclass(frozen=True)
class Person:
    number: int
    id: str
    name: str

    @property
    def email(self) -> str:
        return f"{self.id}@{DOMAIN}"

    @property
    def meta(self) -> str:
        return str(100000000 + self.number)

    def identity(self, namespace: str) -> str:
        match namespace:
            case "github":
                return f"gh-{self.id}"
            case "meta":
                return self.meta
            case "google":
                return str(200000000 + self.number)
            case "linkedin":
                return f"urn:li:person:L{self.number}"
            case _:
                return str(300000000 + self.number)


@dataclass(frozen=True)
class Observed:
    identity: str
    name: str
    role: str  # the platform's role name


@dataclass
class Account:
    index: int
    id: str
    entity: int
    platform: str
    handle: str
    platform_id: str
    declared: list[tuple[str, str]] = field(default_factory=list)  # (person id, role)
    observed: list[Observed] = field(default_factory=list)


class Organization:
    def __init__(self, accounts: int) -> None:
        self.n = accounts
        self.entities = max(1, -(-accounts // 10))
        self.people: list[Person] = []
        for e in range(self.entities):
            for k, kind in enumerate(("head", "it", "ma", "mb", "mc")):
                number = e * 5 + k
                self.people.append(Person(number, f"{kind}{e:05d}", f"{kind.title()} {e:05d}"))
        # The Business Center's members: the social-media team of the first entity.
        self.team = self.people[:3]

    def person(self, entity: int, k: int) -> Person:
        return self.people[entity * 5 + k]

    def account(self, index: int) -> Account:
        entity = index // 10
        platform = PLATFORMS[index % 10]
        namespace = NAMESPACE[platform]
        (admin, editor), (api_admin, api_editor) = ROLES[platform]
        handle = f"e{entity:05d}-{platform}-{index % 10}"
        platform_id = {
            "github": f"org-{index:06d}",
            "facebook": str(700000000 + index),
            "instagram": str(700000000 + index),
            "google-business": f"accounts/{800000000 + index}",
            "linkedin": str(900000000 + index),
            "tiktok": str(600000000 + index),
        }[platform]
        if platform == "github":
            handle = platform_id
        account = Account(index, handle, entity, platform, handle, platform_id)
        holders = (
            self.team
            if platform == "tiktok"
            else [
                self.person(entity, 0),
                self.person(entity, 1),
                self.person(entity, 2 + index % 3),
            ]
        )
        for position, person in enumerate(holders):
            role, api_role = (admin, api_admin) if position < 2 else (editor, api_editor)
            account.declared.append((person.id, role))
            if platform != "tiktok" and position == 2 and entity % 40 == 39:
                continue  # declared, not on the platform: drift-missing-holder
            account.observed.append(Observed(person.identity(namespace), person.name, api_role))
        if platform != "tiktok" and entity % 25 == 24:
            outsider = Person(10_000_000 + index, f"outsider{index}", f"Outsider {index}")
            account.observed.append(
                Observed(outsider.identity(namespace), outsider.name, api_editor)
            )
        return account

    def all_accounts(self) -> Iterator[Account]:
        for index in range(self.n):
            yield self.account(index)

    def accounts(self, platform: str) -> Iterator[Account]:
        for index in range(self.n):
            if PLATFORMS[index % 10] == platform:
                yield self.account(index)

    def tiktok_members(self) -> list[Observed]:
        (_, _), (api_admin, api_editor) = ROLES["tiktok"]
        return [
            Observed(p.identity("tiktok"), p.name, api_admin if i < 2 else api_editor)
            for i, p in enumerate(self.team)
        ]

    def requests(self) -> dict[str, int]:
        """Requests govern needs per connector namespace: GitHub lists admins, members and
        invitations (3 a organization); Meta reads business_users once, then one
        assigned_users page per asset; the others one page per account."""
        counts = {"github": 0, "meta": 1, "google": 0, "linkedin": 0, "tiktok": 0}
        for index in range(self.n):
            platform = PLATFORMS[index % 10]
            counts[NAMESPACE[platform]] += 3 if platform == "github" else 1
        return counts

    def inventory_yaml(self) -> str:
        out = [
            f"# Synthetic organization for bench_live_drift.py: {self.n} accounts.\n",
            "version: 1\n",
            "organization:\n",
            "  name: Bench Diocese\n",
            f"  domains: [{DOMAIN}]\n",
            "  connectors:\n",
            f'    meta: {{business_id: "{BUSINESS_ID}"}}\n',
            f'    tiktok: {{bc_id: "{TIKTOK_BC}"}}\n',
            "people:\n",
        ]
        for p in self.people:
            out.append(
                f"  - {{id: {p.id}, name: {p.name}, email: {p.email}, level: C, "
                f"trained_on: 2026-06-01, identities: {{github: {p.identity('github')}, "
                f'meta: "{p.meta}", google: "{p.identity("google")}", '
                f'linkedin: "{p.identity("linkedin")}", tiktok: "{p.identity("tiktok")}"}}}}\n'
            )
        out.append("entities:\n")
        for e in range(self.entities):
            out.append(
                f"  - {{id: entity{e:05d}, name: Entity {e:05d}, head: {self.person(e, 0).id}, "
                f"it: [{self.person(e, 1).id}]}}\n"
            )
        out.append("accounts:\n")
        for account in self.all_accounts():
            out.append(
                f"  - id: {account.id}\n"
                f"    entity: entity{account.entity:05d}\n"
                f"    platform: {account.platform}\n"
                f"    handle: {account.handle}\n"
                f'    platform_id: "{account.platform_id}"\n'
                "    access:\n"
            )
            for person, role in account.declared:
                out.append(f"      - {{person: {person}, role: {role}}}\n")
        return "".join(out)
