"""The platform catalog: which roles each platform has, which are administrative, who can
remove whom, and whether its login is personal or shared.

Inventories use one role vocabulary on every platform (`owner`, `admin`, `editor`,
`analyst`); the catalog maps it to each platform's own names. The built-in catalog
(`catalog.yaml`, with sources) can be extended or overridden per platform by a `platforms:`
section in any policy file: an entry there replaces the built-in entry of the same key.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ROLES: tuple[str, ...] = ("owner", "admin", "editor", "analyst")
Role = Literal["owner", "admin", "editor", "analyst"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleSpec(_Strict):
    label: str = Field(description="The platform's own name for this role.")
    administrative: bool = Field(
        default=False, description="True when holders can add and remove people."
    )
    can_remove: tuple[Role, ...] = Field(
        default=(), description="Roles whose holders a holder of this role can remove."
    )


class PasswordRules(_Strict):
    min_length: int = Field(default=12, ge=4, le=1024)
    max_length: int = Field(default=64, ge=4, le=1024)
    symbols: str | None = Field(
        default="!#$%&*+-=?@^_", description="Allowed symbols; null when none are allowed."
    )

    @model_validator(mode="after")
    def _lengths(self) -> PasswordRules:
        if self.min_length > self.max_length:
            raise ValueError("min_length is greater than max_length")
        return self


class Platform(_Strict):
    name: str
    login: Literal["personal", "shared"]
    roles: dict[Role, RoleSpec]
    password: PasswordRules | None = None
    admin_url: str | None = Field(default=None, description="Where admins manage access.")
    recovery_url: str | None = Field(
        default=None,
        description="The platform's own page for a hacked or compromised account "
        "(`govern lockdown` prints it).",
    )
    sources: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Platform:
        if not self.roles:
            raise ValueError("a platform needs at least one role")
        for spec in self.roles.values():
            for target in spec.can_remove:
                if target not in self.roles:
                    raise ValueError(f"can_remove names role {target!r} that this platform lacks")
        if self.login == "shared" and set(self.roles) != {"admin"}:
            raise ValueError("a shared-login platform has exactly one role, 'admin'")
        return self

    @property
    def shared(self) -> bool:
        return self.login == "shared"

    def is_admin(self, role: str) -> bool:
        spec = self.roles.get(role)  # type: ignore[call-overload]
        return spec is not None and spec.administrative

    def label(self, role: str) -> str:
        spec = self.roles.get(role)  # type: ignore[call-overload]
        return spec.label if spec is not None else role


class Catalog(_Strict):
    platforms: dict[str, Platform]

    def get(self, key: str) -> Platform | None:
        return self.platforms.get(key)

    def merged(self, overrides: dict[str, Platform]) -> Catalog:
        return Catalog(platforms={**self.platforms, **overrides})


@cache
def builtin_catalog() -> Catalog:
    """The catalog shipped with govern (`govern/platforms/catalog.yaml`)."""
    import yaml_rs

    text = resources.files(__package__).joinpath("catalog.yaml").read_text("utf-8")
    return Catalog.model_validate(yaml_rs.loads(text))
