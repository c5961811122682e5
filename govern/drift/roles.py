"""Platform role names back to the inventory vocabulary.

Snapshot rows name roles as the platform's admin page does ("Super admin", "Manager",
"PRIMARY_OWNER"). A name resolves, in this order, to:

1. a role of the inventory vocabulary the platform has (`admin`, `editor`, ...);
2. the platform catalog's `label` of a role, or a part of it: alternatives separated by
   " / " and API constants in parentheses ("Super admin (ADMINISTRATOR)" accepts
   "Super admin", "ADMINISTRATOR" and the whole label);
3. `ALIASES` below, the documented table of names the labels do not spell out.

Names compare case-insensitively, with `_`, `-` and runs of spaces equal. Catalog overrides
in policies/ are honoured: labels come from the merged catalog, and an alias applies only
when its target role exists on the platform.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from govern.platforms import ROLES, Catalog, Platform

# platform key -> {platform's own name: inventory role}. Documented in docs/snapshots.md.
ALIASES: dict[str, dict[str, str]] = {
    "facebook": {
        # Classic Page roles and Business portfolio / task names.
        "admin": "admin",
        "full control": "admin",
        "MANAGE": "admin",
        "editor": "editor",
        "partial control": "editor",
        "CREATE_CONTENT": "editor",
        "moderator": "editor",
        "MODERATE": "editor",
        "MESSAGING": "editor",
        "advertiser": "analyst",
        "ADVERTISE": "analyst",
        "analyst": "analyst",
        "ANALYZE": "analyst",
        # The other Page tasks of the Graph API (assigned_users `tasks`; New Pages
        # Experience names start with PROFILE_PLUS_), from the SDK specs' task enum.
        "PROFILE_PLUS_FULL_CONTROL": "admin",
        "PROFILE_PLUS_MANAGE": "admin",
        "GLOBAL_STRUCTURE_MANAGEMENT": "admin",
        "PROFILE_PLUS_GLOBAL_STRUCTURE_MANAGEMENT": "admin",
        "PROFILE_PLUS_FACEBOOK_ACCESS": "editor",
        "PROFILE_PLUS_CREATE_CONTENT": "editor",
        "PROFILE_PLUS_MODERATE": "editor",
        "PROFILE_PLUS_MODERATE_DELEGATE_COMMUNITY": "editor",
        "PROFILE_PLUS_MESSAGING": "editor",
        "PROFILE_PLUS_MANAGE_LEADS": "editor",
        "PROFILE_PLUS_REVENUE": "editor",
        "MODERATE_COMMUNITY": "editor",
        "PAGES_MESSAGING": "editor",
        "PAGES_MESSAGING_SUBSCRIPTIONS": "editor",
        "READ_PAGE_MAILBOXES": "editor",
        "MANAGE_JOBS": "editor",
        "MANAGE_LEADS": "editor",
        "CASHIER_ROLE": "editor",
        "PROFILE_PLUS_ADVERTISE": "analyst",
        "PROFILE_PLUS_ANALYZE": "analyst",
        "VIEW_MONETIZATION_INSIGHTS": "analyst",
    },
    "instagram": {
        "full control": "admin",
        "MANAGE": "admin",
        "CONTENT": "editor",
        "MESSAGES": "editor",
        "COMMUNITY_ACTIVITY": "editor",
        "ADVERTISE": "analyst",
        "ANALYZE": "analyst",
    },
    "linkedin": {
        "curator": "editor",
        "CURATOR": "editor",
        # organizationAcls roles without a catalog label: limited, non-administrative.
        "CONTENT_ADMIN": "editor",
        "DIRECT_SPONSORED_CONTENT_POSTER": "analyst",
        "RECRUITING_POSTER": "analyst",
        "LEAD_GEN_FORMS_MANAGER": "analyst",
    },
    "youtube": {
        "subtitle editor": "editor",
        "viewer (limited)": "analyst",
        "editor (limited)": "editor",
    },
    "tiktok": {
        "admin": "admin",
        "ADMIN": "admin",
        "operator": "editor",
        "analyst": "analyst",
        # bc/member/get user_role: a standard member sees only the assets assigned to them.
        "STANDARD": "analyst",
    },
    "github": {
        # The REST API reports an organization owner as role "admin".
        "admin": "owner",
        "owner": "owner",
        "member": "editor",
        "billing manager": "analyst",
        # Pending invitations name their role differently (GET /orgs/{org}/invitations):
        # admin, direct_member, billing_manager (the last two covered by normalization here).
        "direct member": "editor",
    },
    "google-business": {
        # The Account Management API's Admin.role values (accounts.admins.list), kept here
        # too so that they resolve when a policy overrides the catalog's labels.
        "PRIMARY_OWNER": "owner",
        "OWNER": "owner",
        "MANAGER": "admin",
        "SITE_MANAGER": "editor",
        "communications manager": "editor",
    },
    "x": {"account login": "admin", "password": "admin", "login": "admin"},
    "threads": {"account login": "admin", "password": "admin", "login": "admin"},
}

_SEPARATORS = re.compile(r"[\s_-]+")
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")
_PAREN = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")


def normalize(name: str) -> str:
    return _SEPARATORS.sub(" ", name.strip().lower())


def _label_names(label: str) -> Iterator[str]:
    yield label
    for part in label.split(" / "):
        yield part
        match = _PAREN.match(part)
        if match:
            yield match[1]
            inner = [c.strip() for c in match[2].split(",")]
            if all(_CONSTANT.match(c) for c in inner):
                yield from inner


class RoleNames:
    """Resolves platform role names for one catalog; each platform's table is built once."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._tables: dict[str, dict[str, str]] = {}

    def _table(self, key: str) -> dict[str, str]:
        """normalized name -> role; built lowest precedence first so better sources win."""
        table = self._tables.get(key)
        if table is None:
            platform = self.catalog.platforms[key]
            table = {}
            for alias, role in ALIASES.get(key, {}).items():
                if role in platform.roles:
                    table[normalize(alias)] = role
            for role, spec in platform.roles.items():
                for name in _label_names(spec.label):
                    table[normalize(name)] = role
            for role in platform.roles:
                table[role] = role
            self._tables[key] = table
        return table

    def resolve(self, key: str, name: str) -> str | None:
        """The inventory role that `name` means on platform `key`, or None."""
        return self._table(key).get(normalize(name))

    def accepted(self, key: str) -> str:
        """What a snapshot may write for each role of platform `key`, for hints."""
        platform = self.catalog.platforms[key]
        return ", ".join(
            f"{role} ({platform.label(role)})" for role in ROLES if role in platform.roles
        )


def privilege(platform: Platform, role: str) -> tuple[bool, int, int]:
    """Orders roles by what they allow: administrative first, then how many roles they remove,
    then the vocabulary's order (an editor publishes, an analyst only reads)."""
    spec = platform.roles.get(role)  # type: ignore[call-overload]
    if spec is None:
        return (False, 0, 0)
    return (spec.administrative, len(spec.can_remove), len(ROLES) - ROLES.index(role))
