"""The policy pack (`policies/*.yaml`): rule settings, waivers and platform overrides.

Every YAML file in the directory may hold any of the sections below; a rule configured in
two files, or a platform overridden twice, is an error (say it once, in one place).

```yaml
version: 1
rules:
  manager-level:
    severity: error          # error | warning | info
    params: {levels: [C]}
  training-current:
    enabled: false
waivers:
  - rule: min-admins
    account: st-mary-youtube
    person: null             # optional: waive only findings about this person
    reason: "Second admin being recruited; interim approved by the vicar general"
    approved_by: vicar-general
    expires: 2027-01-31
platforms:                   # replaces the built-in catalog entry with the same key
  mastodon:
    name: Mastodon
    login: shared
    roles: {admin: {label: Login, administrative: true, can_remove: [admin]}}
```
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govern.errors import InputError, Problem
from govern.findings import Location, Severity
from govern.inventory.source import load_yaml, suggest, validation_problems
from govern.platforms import Catalog, PasswordRules, Platform, RoleSpec, builtin_catalog


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleConfig(_Strict):
    enabled: bool = True
    severity: Severity | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class Waiver(_Strict):
    rule: str
    account: str
    person: str | None = None
    reason: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)
    expires: dt.date


class PolicyFile(_Strict):
    version: Literal[1] = 1
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    platforms: dict[str, Platform] = Field(default_factory=dict)


@dataclass(frozen=True)
class PlacedWaiver:
    waiver: Waiver
    location: Location


@dataclass(frozen=True)
class Policy:
    """The merged policy pack: what the audit engine reads."""

    directory: str | None
    rules: dict[str, RuleConfig] = field(default_factory=dict)
    params: Mapping[str, BaseModel] = field(default_factory=dict)
    waivers: tuple[PlacedWaiver, ...] = ()
    catalog: Catalog = field(default_factory=builtin_catalog)
    rule_locations: dict[str, Location] = field(default_factory=dict)


def load_policy(directory: Path | None, *, required: bool = False) -> Policy:
    """Load every `*.yaml`/`*.yml` of `directory`. A missing directory means the defaults,
    unless `required` (the user named it explicitly)."""
    from govern.rules import REGISTRY

    if directory is None or not directory.exists():
        if required and directory is not None:
            raise InputError(
                [
                    Problem(
                        str(directory),
                        1,
                        1,
                        "policy directory not found",
                        "pass --policies DIR, or run `govern init`",
                    )
                ]
            )
        return _finish(None, {}, {}, (), {})
    if not directory.is_dir():
        raise InputError([Problem(str(directory), 1, 1, "--policies must be a directory")])

    problems: list[Problem] = []
    rules: dict[str, RuleConfig] = {}
    rule_locations: dict[str, Location] = {}
    waivers: list[PlacedWaiver] = []
    platforms: dict[str, Platform] = {}
    platform_locations: dict[str, Location] = {}
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    for path in files:
        try:
            data, source = load_yaml(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if data is None:
            continue
        try:
            policy_file = PolicyFile.model_validate(data)
        except ValidationError as exc:
            problems.extend(validation_problems(exc, source, known_fields=_policy_fields))
            continue
        for rule_id, config in policy_file.rules.items():
            where = source.locate(("rules", rule_id), key=True)
            if rule_id not in REGISTRY:
                problems.append(
                    _at(
                        where,
                        f"unknown rule '{rule_id}'",
                        suggest(rule_id, REGISTRY) or "see `govern rules`",
                    )
                )
                continue
            if rule_id in rules:
                problems.append(
                    _at(
                        where,
                        f"rule '{rule_id}' is configured twice",
                        f"first in {rule_locations[rule_id]}",
                    )
                )
                continue
            rules[rule_id] = config
            rule_locations[rule_id] = where
            try:
                REGISTRY[rule_id].Params.model_validate(config.params)
            except ValidationError as exc:
                problems.extend(
                    validation_problems(
                        exc, source, prefix=("rules", rule_id, "params"),
                        known_fields=_params_fields(REGISTRY[rule_id].Params),
                    )
                )
        for i, waiver in enumerate(policy_file.waivers):
            waivers.append(PlacedWaiver(waiver, source.locate(("waivers", i))))
        for key, platform in policy_file.platforms.items():
            where = source.locate(("platforms", key), key=True)
            if key in platforms:
                problems.append(
                    _at(
                        where,
                        f"platform '{key}' is overridden twice",
                        f"first in {platform_locations[key]}",
                    )
                )
            platforms[key] = platform
            platform_locations[key] = where
    if problems:
        raise InputError(problems)
    return _finish(str(directory), rules, rule_locations, tuple(waivers), platforms)


def _finish(
    directory: str | None,
    rules: dict[str, RuleConfig],
    rule_locations: dict[str, Location],
    waivers: tuple[PlacedWaiver, ...],
    platforms: dict[str, Platform],
) -> Policy:
    from govern.rules import REGISTRY

    params = {
        rule_id: rule.Params.model_validate(rules[rule_id].params if rule_id in rules else {})
        for rule_id, rule in REGISTRY.items()
    }
    return Policy(
        directory=directory,
        rules=rules,
        params=params,
        waivers=waivers,
        catalog=builtin_catalog().merged(platforms) if platforms else builtin_catalog(),
        rule_locations=rule_locations,
    )


def _params_fields(model: type[BaseModel]) -> Callable[[Sequence[str | int]], list[str]]:
    return lambda _loc: list(model.model_fields)


def _policy_fields(loc: Sequence[str | int]) -> list[str]:
    """Field names expected at `loc` of a policy file, for "did you mean" hints."""
    shapes: dict[tuple[str, ...], type[BaseModel]] = {
        (): PolicyFile,
        ("rules", "*"): RuleConfig,
        ("waivers", "*"): Waiver,
        ("platforms", "*"): Platform,
        ("platforms", "*", "roles", "*"): RoleSpec,
        ("platforms", "*", "password"): PasswordRules,
    }
    shape = tuple("*" if n % 2 else str(step) for n, step in enumerate(loc))
    model = shapes.get(shape)
    return list(model.model_fields) if model is not None else []


def _at(where: Location, message: str, hint: str | None = None) -> Problem:
    return Problem(where.path, where.line or 1, where.column or 1, message, hint)
