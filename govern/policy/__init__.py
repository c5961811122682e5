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
custom_rules:                # rules in CEL (govern.rules.custom; docs/policy.md)
  - id: no-tiktok-for-youth
    severity: error
    description: "Youth groups are not on TikTok. Passes: ... Fails: ..."
    for: account             # account | grant | person | entity
    when: account.platform == "tiktok" && "youth" in account.entity.tags
    message: "{account.id}: youth groups may not have a TikTok account"
    params: {}
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
from govern.inventory.source import SourceMap, load_yaml, suggest, validation_problems
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


class CustomRuleSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    severity: Severity
    description: str = Field(min_length=1)
    for_: Literal["account", "grant", "person", "entity"] = Field(alias="for")
    when: str = Field(min_length=1)
    message: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)


class PolicyFile(_Strict):
    version: Literal[1] = 1
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    platforms: dict[str, Platform] = Field(default_factory=dict)
    custom_rules: tuple[CustomRuleSpec, ...] = ()


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
    # Custom rules (CEL) by id, compiled: govern.rules.custom.CustomRule.
    custom: Mapping[str, Any] = field(default_factory=dict)


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
        return _finish(None, {}, {}, (), {}, {})
    if not directory.is_dir():
        raise InputError([Problem(str(directory), 1, 1, "--policies must be a directory")])

    problems: list[Problem] = []
    rules: dict[str, RuleConfig] = {}
    rule_locations: dict[str, Location] = {}
    waivers: list[PlacedWaiver] = []
    platforms: dict[str, Platform] = {}
    platform_locations: dict[str, Location] = {}
    custom: dict[str, Any] = {}
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    parsed = []
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
        parsed.append((policy_file, source))
        custom.update(_custom_rules(policy_file, source, custom, problems))
    for policy_file, source in parsed:
        known = {**REGISTRY, **custom}
        for rule_id, config in policy_file.rules.items():
            where = source.locate(("rules", rule_id), key=True)
            if rule_id not in known:
                problems.append(
                    _at(
                        where,
                        f"unknown rule '{rule_id}'",
                        suggest(rule_id, known) or "see `govern rules`",
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
            if rule_id in custom:
                if config.params:
                    problems.append(
                        _at(where, "a custom rule's params are set in its custom_rules entry")
                    )
                continue
            try:
                REGISTRY[rule_id].Params.model_validate(config.params)
            except ValidationError as exc:
                problems.extend(
                    validation_problems(
                        exc,
                        source,
                        prefix=("rules", rule_id, "params"),
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
    return _finish(str(directory), rules, rule_locations, tuple(waivers), platforms, custom)


def _finish(
    directory: str | None,
    rules: dict[str, RuleConfig],
    rule_locations: dict[str, Location],
    waivers: tuple[PlacedWaiver, ...],
    platforms: dict[str, Platform],
    custom: dict[str, Any],
) -> Policy:
    from govern.rules import REGISTRY

    params = {
        rule_id: rule.Params.model_validate(rules[rule_id].params if rule_id in rules else {})
        for rule_id, rule in {**REGISTRY, **custom}.items()
    }
    return Policy(
        directory=directory,
        rules=rules,
        params=params,
        waivers=waivers,
        catalog=builtin_catalog().merged(platforms) if platforms else builtin_catalog(),
        rule_locations=rule_locations,
        custom=custom,
    )


def _custom_rules(
    policy_file: PolicyFile, source: SourceMap, seen: Mapping[str, Any], problems: list[Problem]
) -> dict[str, Any]:
    """Compile a file's custom rules; an id clashing with another rule, or an expression
    that does not compile, is a problem at its position."""
    if not policy_file.custom_rules:
        return {}
    from govern.rules import DRIFT_RULES, REGISTRY
    from govern.rules.custom import CompileError, CustomRule

    found: dict[str, Any] = {}
    for i, spec in enumerate(policy_file.custom_rules):
        if spec.id in REGISTRY or spec.id in DRIFT_RULES or spec.id in seen or spec.id in found:
            kind = "a built-in rule" if spec.id not in seen and spec.id not in found else "twice"
            problems.append(
                _at(
                    source.locate(("custom_rules", i, "id")),
                    f"custom rule id '{spec.id}' clashes with {kind}"
                    if kind != "twice"
                    else f"custom rule '{spec.id}' is defined twice",
                    "choose another id",
                )
            )
            continue
        try:
            found[spec.id] = CustomRule(
                ID=spec.id,
                SEVERITY=spec.severity,
                kind=spec.for_,
                description=spec.description,
                when=spec.when,
                message=spec.message,
                params=spec.params,
                where=source.locate(("custom_rules", i, "when")),
            )
        except CompileError as exc:
            field_name = "message" if "in the message" in exc.message else "when"
            where = source.locate(("custom_rules", i, field_name))
            line, column = _inside(source, where, exc.line, exc.column)
            problems.append(Problem(where.path, line, column, exc.message, exc.hint))
    return found


def _inside(source: SourceMap, where: Location, line: int, column: int) -> tuple[int, int]:
    """The file position of (line, column) of a scalar that starts at `where`: a plain or
    quoted scalar on its own line, or a block scalar (`|`, `>`) starting on the next line."""
    start_line, start_column = where.line or 1, where.column or 1
    lines = source.text.splitlines()
    first = lines[start_line - 1][start_column - 1 :] if start_line <= len(lines) else ""
    if first[:1] in ("|", ">"):
        body = lines[start_line : start_line + line]
        text = body[line - 1] if len(body) >= line else ""
        indent = len(text) - len(text.lstrip())
        return start_line + line, indent + column
    quoted = 1 if first[:1] in ("'", '"') else 0
    if line == 1:
        return start_line, start_column + quoted + column - 1
    return start_line + line - 1, column


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
        ("custom_rules", "*"): CustomRuleSpec,
    }
    shape = tuple("*" if n % 2 else str(step) for n, step in enumerate(loc))
    model = shapes.get(shape)
    return list(model.model_fields) if model is not None else []


def _at(where: Location, message: str, hint: str | None = None) -> Problem:
    return Problem(where.path, where.line or 1, where.column or 1, message, hint)
