"""What a custom rule's finding is about, and what it sees of a shared login: the entity a
`for: entity` rule names, and the `account.credential` map (null without a shared login)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import invoke
from tests.policy.test_custom_rules import TODAY, write


def findings(org: Path, rule: str) -> list[dict[str, object]]:
    code, out, err = invoke(["audit", *TODAY, "-f", "json", "--fail-on", "never"], org)
    assert code == 0, err
    return [f for f in json.loads(out)["findings"] if f["rule"] == rule]


def test_an_entity_rule_names_the_entity(org: Path) -> None:
    write(
        org,
        """\
        custom_rules:
          - id: head-has-no-deputy
            severity: warning
            description: "Passes: an entity with a deputy. Fails: one without."
            for: entity
            when: entity.head.level == "A"
            message: "{entity.id} has no deputy"
        """,
    )
    [found] = findings(org, "head-has-no-deputy")
    assert (found["entity"], found["account"], found["person"]) == ("parish", None, None)
    assert found["message"] == "parish has no deputy"


def test_a_rule_reads_the_shared_login_and_sees_null_without_one(org: Path) -> None:
    write(
        org,
        """\
        custom_rules:
          - id: login-with-mfa
            severity: info
            description: "Lists shared logins with MFA. Passes: none. Fails: one with MFA."
            for: account
            when: account.credential != null && account.credential.mfa
            message: "{account.id} recovers through {account.credential.recovery_email}"
          - id: no-shared-login
            severity: info
            description: "Lists accounts without a shared login."
            for: account
            when: account.credential == null
            message: "{account.id} has no shared login"
        """,
    )
    [found] = findings(org, "login-with-mfa")
    assert found["account"] == "xacct"
    assert found["message"] == "xacct recovers through office@diocese.test"
    assert sorted(str(f["account"]) for f in findings(org, "no-shared-login")) == ["fb", "yt"]


def test_a_date_in_params_is_an_iso_string_like_every_other_date(org: Path) -> None:
    # Unquoted, YAML reads 2026-06-01 as a date, which CEL cannot take: govern hands the
    # expression its ISO string, as it does for `today` and every date of the inventory.
    write(
        org,
        """\
        custom_rules:
          - id: trained-before-cutoff
            severity: info
            description: "Passes: trained after the cut-off. Fails: trained before it."
            for: person
            when: person.trained_on < params.cutoff && person.level == "C"
            message: "{person.id} was trained before {params.cutoff}"
            params: {cutoff: 2026-06-02, quoted: "2026-06-02", nested: [{at: 2026-06-02}]}
        """,
    )
    found = findings(org, "trained-before-cutoff")
    assert sorted(str(f["person"]) for f in found) == ["mgr", "mgr2"]
    assert found[0]["message"].endswith("before 2026-06-02")  # type: ignore[union-attr]
