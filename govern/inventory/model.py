"""The inventory (format version 1) as strict, frozen pydantic models, with indexes built once.

Field names are a public contract: later tools, external checks and the JSON Schema
(`govern schema`) rely on them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import cache, cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from govern.inventory.refs import REF_PATTERN
from govern.platforms import Role

_SLUG_HELP = " Lowercase identifier: letters, digits, '.', '_' and '-'."
Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=128),
    Field(
        description="Lowercase identifier: letters, digits, '.', '_' and '-'.", examples=["st-mary"]
    ),
]
Email = Annotated[
    str,
    StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320),
    Field(examples=["jdoe@diocese.example"]),
]
Tags = Annotated[tuple[str, ...], Field(default=(), description="Free labels for filtering.")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class GithubConnector(_Model):
    api_url: str | None = Field(
        default=None,
        description="REST API root for GitHub Enterprise Server (e.g. https://ghe.example/api/v3); "
        "GOVERN_GITHUB_API_URL overrides it.",
    )


class MetaConnector(_Model):
    business_id: str | None = Field(
        default=None,
        description="Id of the Meta Business portfolio that owns the pages and Instagram accounts.",
        examples=["1234567890"],
    )


class GoogleConnector(_Model):
    pass


class LinkedinConnector(_Model):
    pass


class TiktokConnector(_Model):
    bc_id: str | None = Field(default=None, description="TikTok Business Center id.")


class Connectors(_Model):
    """Per-platform settings of the live connectors (docs/connectors.md); all optional."""

    github: GithubConnector | None = Field(
        default=None, description="GitHub: the API root for GitHub Enterprise Server."
    )
    meta: MetaConnector | None = Field(
        default=None, description="Meta (Facebook Pages, Instagram): the Business portfolio."
    )
    google: GoogleConnector | None = Field(
        default=None, description="Google Business Profile (no settings yet)."
    )
    linkedin: LinkedinConnector | None = Field(
        default=None, description="LinkedIn Company Pages (no settings yet)."
    )
    tiktok: TiktokConnector | None = Field(
        default=None, description="TikTok Business Center: its id."
    )


class Incident(_Model):
    """Who to call when an account is compromised (`govern lockdown` prints it)."""

    people: tuple[Slug, ...] = Field(
        default=(),
        description="Person ids of the designated incident contacts, in the order to call them.",
        examples=[["it-rlee", "jdoe"]],
    )
    phone: str | None = Field(
        default=None,
        description="Free text: the incident phone line or on-call number.",
        examples=["+1 555 0100 (24/7 IT line)"],
    )
    escalation: str | None = Field(
        default=None,
        description="Free text: who to escalate to and when (legal, communications, police).",
        examples=["Chancellor after 1 hour; communications office before any public post"],
    )


class Organization(_Model):
    name: str = Field(description="The organization's name.", examples=["Diocese of Example"])
    domains: tuple[str, ...] = Field(
        default=(),
        description="The organization's email domains (recovery emails must be on one of them).",
        examples=[["diocese.example"]],
    )
    connectors: Connectors = Field(
        default_factory=Connectors,
        description="Settings of the platform connectors (`govern drift --live`, `govern revoke`).",
    )
    incident: Incident | None = Field(
        default=None,
        description="Incident contacts of the organization, for entities that declare none.",
    )


PlatformIdentity = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class Identities(_Model):
    """A person's identity on each platform, as the platform's admin API returns it."""

    github: PlatformIdentity | None = Field(default=None, description="GitHub login.")
    meta: PlatformIdentity | None = Field(
        default=None,
        description="Meta business-scoped user id (as assigned_users and business_users "
        "return it).",
    )
    google: PlatformIdentity | None = Field(
        default=None,
        description="Google Business Profile admin id (the last part of the admin resource "
        "name accounts/{account}/admins/{admin}).",
    )
    linkedin: PlatformIdentity | None = Field(
        default=None, description="LinkedIn person URN (urn:li:person:...)."
    )
    tiktok: PlatformIdentity | None = Field(default=None, description="TikTok user id.")


@cache
def _no_identities() -> Identities:
    """The one `Identities` of every person who declares none. Shared, not built per person:
    the models are frozen, and building one runs a validation (30,000 people, 30,000
    validations). Made on first use so that importing the model builds nothing."""
    return Identities()


class Person(_Model):
    id: Slug = Field(
        description="Unique person id, used by entities and access grants." + _SLUG_HELP,
        examples=["jdoe"],
    )
    name: str = Field(description="Full name.")
    email: Email = Field(description="Work email address.")
    level: str = Field(description="Personnel level, e.g. A, B or C.", examples=["C"])
    status: Literal["active", "departed"] = Field(
        default="active", description="active, or departed (then left_on is required)."
    )
    left_on: dt.date | None = Field(default=None, description="Required when departed.")
    trained_on: dt.date | None = Field(
        default=None, description="Date of the last social media policy training."
    )
    identities: Identities = Field(
        default_factory=_no_identities,
        description="The person's identity on each platform (github, meta, google, ...), for "
        "live drift and revoke; without one, holders are matched by email where the "
        "platform returns it.",
    )
    tags: Tags = ()

    @property
    def departed(self) -> bool:
        return self.status == "departed"


class Entity(_Model):
    id: Slug = Field(description="Unique entity id." + _SLUG_HELP, examples=["st-mary"])
    name: str = Field(description="Display name of the entity.")
    head: Slug = Field(
        description="Person id of the entity's head (pastor, principal, director).",
        examples=["jdoe"],
    )
    it: tuple[Slug, ...] = Field(
        default=(),
        description="Person ids of IT personnel who may act for the head.",
        examples=[["it-rlee"]],
    )
    incident: Incident | None = Field(
        default=None,
        description="Incident contacts of this entity (default: organization.incident).",
    )
    tags: Tags = ()


class Grant(_Model):
    person: Slug = Field(
        description="Id of the person who holds the role." + _SLUG_HELP, examples=["jdoe"]
    )
    role: Role = Field(description="owner, admin, editor or analyst; must exist on the platform.")
    expires: dt.date | None = Field(
        default=None, description="Last day of time-bound access (e.g. a takeover)."
    )
    note: str | None = Field(
        default=None, description="Why the grant exists (optional), e.g. 'summer takeover'."
    )


CredentialRef = Annotated[
    str,
    StringConstraints(pattern=REF_PATTERN),
    Field(
        description="Key in the credential store: letters, digits, '.', '_' or '-', at most "
        "128, starting with a letter or digit.",
        examples=["st-mary-x"],
    ),
]


class Credential(_Model):
    ref: CredentialRef | None = Field(
        default=None, description="Key in the credential store; defaults to the account id."
    )
    mfa: bool = Field(default=False, description="Whether multi-factor authentication is on.")
    recovery_email: Email | None = Field(
        default=None,
        description="Recovery email of the shared login; must be on an organization domain.",
    )


class Reviewed(_Model):
    """When the account's access was last reviewed, and by whom (`govern review close`)."""

    on: dt.date = Field(description="Day the access review that covered the account was closed.")
    by: Slug = Field(
        description="Person id of the reviewer: the entity head, or IT acting for the head."
        + _SLUG_HELP,
        examples=["jdoe"],
    )


class Account(_Model):
    id: Slug = Field(
        description="Unique account id; the credential store key by default." + _SLUG_HELP,
        examples=["st-mary-facebook"],
    )
    entity: Slug = Field(description="Id of the entity that owns this account." + _SLUG_HELP)
    platform: str = Field(description="A key of the platform catalog.", examples=["facebook"])
    handle: str = Field(description="The account's handle or page name on the platform.")
    url: str | None = Field(default=None, description="Link to the account (optional).")
    platform_id: str | None = Field(
        default=None,
        description="The platform's id of the account when the handle is not enough: Facebook "
        "Page id, Instagram professional account id, Google Business Profile account id "
        "('123' or 'accounts/123'). GitHub uses the handle (organization login).",
    )
    access: tuple[Grant, ...] = Field(default=(), description="Who holds which role on it.")
    credential: Credential | None = Field(
        default=None, description="Only for platforms whose login is shared (e.g. x)."
    )
    reviewed: Reviewed | None = Field(
        default=None,
        description="Last access review of the account: {on: DATE, by: PERSON}; written by "
        "`govern review close`, checked by the rule review-current.",
    )
    tags: Tags = ()

    @property
    def credential_ref(self) -> str:
        if self.credential is not None and self.credential.ref:
            return self.credential.ref
        return self.id


class Inventory(_Model):
    """The whole declaration. Lists keep their order; indexes are computed once, on demand."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"title": "govern inventory (version 1)"},
    )

    version: Literal[1] = Field(description="Format version of this file; always 1.")
    organization: Organization = Field(description="The organization this file describes.")
    people: tuple[Person, ...] = Field(
        default=(),
        description="Everyone who heads an entity, acts as its IT, or holds access to an account.",
    )
    entities: tuple[Entity, ...] = Field(
        default=(), description="Parishes, schools, departments: the units that own accounts."
    )
    accounts: tuple[Account, ...] = Field(
        default=(), description="The social media accounts, each owned by one entity."
    )

    @cached_property
    def person_index(self) -> dict[str, int]:
        return {p.id: i for i, p in enumerate(self.people)}

    @cached_property
    def entity_index(self) -> dict[str, int]:
        return {e.id: i for i, e in enumerate(self.entities)}

    @cached_property
    def account_index(self) -> dict[str, int]:
        return {a.id: i for i, a in enumerate(self.accounts)}

    def person(self, person_id: str) -> Person | None:
        i = self.person_index.get(person_id)
        return None if i is None else self.people[i]

    def entity(self, entity_id: str) -> Entity | None:
        i = self.entity_index.get(entity_id)
        return None if i is None else self.entities[i]

    def incident_for(self, entity_id: str) -> Incident | None:
        """The entity's incident contacts, else the organization's."""
        entity = self.entity(entity_id)
        if entity is not None and entity.incident is not None:
            return entity.incident
        return self.organization.incident

    @cached_property
    def grants_by_person(self) -> dict[str, list[tuple[int, int]]]:
        """person id -> [(account index, grant index)]."""
        index: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for ai, account in enumerate(self.accounts):
            for gi, grant in enumerate(account.access):
                index[grant.person].append((ai, gi))
        return dict(index)
