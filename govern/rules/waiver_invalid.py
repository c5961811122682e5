"""Waivers are current and name a real rule and account.

A waiver (in `policies/*.yaml`, section `waivers`) accepts a finding for a stated reason,
approved by a named person, until a date. The engine marks matching findings `waived`; they
still appear in every report. This rule reports waivers that no longer do their job: expired
(`expires` is in the past), naming an unknown rule, an unknown account or an unknown person.
Waivers cannot waive this rule.

Passes: `{rule: min-admins, account: st-mary-x, reason: ..., approved_by: ...,
expires: 2099-01-01}`.
Fails: the same waiver with `expires: 2020-01-01`.
"""

from __future__ import annotations

from collections.abc import Iterator

from govern.findings import Severity, Violation
from govern.inventory.source import suggest
from govern.rules._base import Context, RuleParams

ID = "waiver-invalid"
SEVERITY = Severity.ERROR


class Params(RuleParams):
    pass


def check(ctx: Context, params: Params) -> Iterator[Violation]:
    from govern.rules import REGISTRY

    inventory = ctx.inventory
    for placed in ctx.waivers:
        waiver = placed.waiver
        problems = []
        if (waiver.rule not in REGISTRY and waiver.rule not in ctx.custom) or waiver.rule == ID:
            hint = suggest(waiver.rule, [r for r in (*REGISTRY, *ctx.custom) if r != ID])
            problems.append(f"names unknown rule '{waiver.rule}'" + (f" ({hint})" if hint else ""))
        if waiver.account not in inventory.account_index:
            problems.append(f"names unknown account '{waiver.account}'")
        if waiver.person is not None and inventory.person(waiver.person) is None:
            problems.append(f"names unknown person '{waiver.person}'")
        if waiver.expires < ctx.today:
            problems.append(f"expired on {waiver.expires}")
        for problem in problems:
            yield Violation(
                f"waiver of {waiver.rule} for {waiver.account} {problem}",
                (),
                account=waiver.account,
                person=waiver.person,
                location=placed.location,
            )
