"""Custom rules in CEL, from the outside: they fire with positions, are waivable, take a
severity, appear in every format and in `govern rules`/`govern explain`; bad expressions are
exit 2 at path:line:column."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.cli.test_cli import invoke
from tests.conftest import after_command

TODAY = ["--today", "2026-11-22", "--offline"]

RULES = """\
custom_rules:
  - id: no-youtube-editors
    severity: warning
    description: |
      Nobody edits a YouTube channel: its managers are admins or owners.
      Passes: mgr2 is admin of yt. Fails: mgr2 is editor of yt.
    for: grant
    when: account.platform == params.platform && !platform.administrative(grant.role)
    message: "{grant.person.name} is {grant.role} of {account.id} on {platform.name}"
    params: {platform: youtube}
  - id: head-is-level-a
    severity: error
    description: "Entity heads are level A. Passes: level A. Fails: level B."
    for: entity
    when: entity.head.level != "A"
    message: "{entity.id}'s head {entity.head.id} is level {entity.head.level}"
"""


def write(org: Path, text: str, name: str = "custom.yaml") -> None:
    (org / "policies" / name).write_text(textwrap.dedent(text))


def test_custom_rule_fires_at_the_item_and_is_an_ordinary_finding(org: Path) -> None:
    write(org, RULES)
    code, out, err = invoke(["audit", *TODAY, "-f", "json", "--fail-on", "warning"], org)
    assert code == 1, err
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "no-youtube-editors"]
    assert found == [
        {
            "rule": "no-youtube-editors",
            "severity": "warning",
            "account": "yt",
            "person": "mgr2",
            "entity": None,
            "message": "Manager Two is editor of yt on YouTube channel",
            "waived": False,
            "location": {"path": "inventory.yaml", "line": 28, "column": 9},
            "fix": None,  # a custom rule names no fix (built-in rules do: govern/fixes.py)
        }
    ]
    code, out, _ = invoke(["audit", *TODAY, "-f", "sarif", "--fail-on", "never"], org)
    driver = json.loads(out)["runs"][0]["tool"]["driver"]
    assert "no-youtube-editors" in [r["id"] for r in driver["rules"]]
    # a waiver silences it; a severity in `rules:` changes it
    write(
        org,
        """\
        rules:
          no-youtube-editors: {severity: info}
        waivers:
          - rule: no-youtube-editors
            account: yt
            person: mgr2
            reason: editor during the summer camp
            approved_by: head
            expires: 2027-01-31
        """,
        "waivers.yaml",
    )
    code, out, _ = invoke(["audit", *TODAY, "-f", "json", "--fail-on", "warning"], org)
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "no-youtube-editors"]
    assert code == 0 and [(f["severity"], f["waived"]) for f in found] == [("info", True)]


def test_custom_rules_are_listed_and_explained(org: Path) -> None:
    write(org, RULES)
    code, out, _ = invoke(["rules"], org)
    line = next(x for x in out.splitlines() if x.startswith("no-youtube-editors"))
    assert code == 0 and " on " in line and "warning" in line and "Nobody edits" in line
    code, out, _ = invoke(["explain", "no-youtube-editors"], org)
    assert code == 0 and "Passes: mgr2 is admin of yt. Fails: mgr2 is editor of yt." in out
    assert "Custom rule for each grant, a violation when:  (policies/custom.yaml:8:11)" in out
    assert 'platform: "youtube"' in out


def test_head_rule_passes_when_heads_are_level_a(org: Path) -> None:
    write(org, RULES)
    code, out, _ = invoke(["audit", *TODAY, "-f", "json", "--fail-on", "never"], org)
    assert not [f for f in json.loads(out)["findings"] if f["rule"] == "head-is-level-a"]
    inventory = org / "inventory.yaml"
    inventory.write_text(
        inventory.read_text().replace(
            "email: head@diocese.test, level: A", "email: head@diocese.test, level: B"
        )
    )
    code, out, _ = invoke(["audit", *TODAY, "-f", "json"], org)
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "head-is-level-a"]
    assert code == 1 and [(f["entity"], f["message"]) for f in found] == [
        ("parish", "parish's head head is level B")
    ]


def bad(org: Path, when: str, **extra: str) -> str:
    fields = {"id": "r1", "for": "account", "message": "m", **extra}
    body = "".join(f"    {k}: {v}\n" for k, v in fields.items())
    write(org, f"custom_rules:\n  - severity: error\n    description: d\n    when: {when}\n{body}")
    code, _, err = invoke(["audit", *TODAY], org)
    assert code == 2 and "Traceback" not in err, err
    return err


def test_syntax_error_at_its_position(org: Path) -> None:
    err = bad(org, 'account.platform == "x" &&')
    assert "policies/custom.yaml:4:37: Syntax error" in err, err
    err = bad(org, "'account.platform ==* 1'")
    assert "policies/custom.yaml:4:31: Syntax error" in err, err


def test_unknown_variable_and_template_and_id_clash(org: Path) -> None:
    err = bad(org, 'acount.platform == "x"')
    assert "policies/custom.yaml:4:11: unknown variable 'acount'" in err
    assert "variables: account, params, platform, today" in err
    err = bad(org, "'true'", message='"{grant.role}"')
    assert "unknown variable 'grant' in the message" in err
    err = bad(org, "'true'", id="min-admins")
    assert "custom rule id 'min-admins' clashes with a built-in rule" in err
    err = bad(org, "'true'", **{"for": "group"})
    assert "policies/custom.yaml:" in err and "for" in err


def test_cost_bounds_and_evaluation_errors(org: Path) -> None:
    nested = ".".join(["account.access.exists(g, g.role == 'x')"] * 1)
    err = bad(org, " || ".join([nested] * 5))
    assert "more than 4 comprehension macros" in err
    err = bad(org, "account.handle > 3")
    assert "policies/custom.yaml:4:11: custom rule 'r1' failed on account fb" in err
    assert "No such overload" in err
    # A null on the way: the Python translation leaves the item to the library, which fails.
    err = bad(org, "grant.expires < today", **{"for": "grant"})
    assert "policies/custom.yaml:4:11: custom rule 'r1' failed on account fb, person " in err
    err = bad(org, "account.credential.mfa")
    assert "policies/custom.yaml:4:11: custom rule 'r1' failed on account " in err


def test_expressions_have_no_io(org: Path) -> None:
    """CEL has no function that reads a file or the network; any function outside the
    standard ones is refused when the pack loads, at its position."""
    err = bad(org, "read('/etc/passwd') != ''")
    assert "policies/custom.yaml:4:11: unknown function 'read'" in err
    err = bad(org, "account.handle.open() == ''")
    assert "policies/custom.yaml:4:26: unknown function 'open'" in err


KINDS = """\
custom_rules:
  - id: untrained-c
    severity: warning
    description: "Level C people are trained this year. Passes: trained. Fails: not."
    for: person
    when: person.level == "C" && (person.trained_on == null || person.trained_on < today)
    message: "{person.id} trained on {person.trained_on}"
  - id: shared-without-owner
    severity: warning
    description: "Shared logins have an owner role. Passes: owner. Fails: none."
    for: account
    when: account.shared && !account.access.exists(g, g.role == "owner")
    message: "{account.id} of {account.entity} has no owner"
  - id: parish-head
    severity: warning
    description: "Heads of parishes are level A. Passes: A. Fails: B."
    for: entity
    when: entity.head.level != params.level
    message: "{entity.id}'s head is {entity.head} ({entity.name})"
    params: {level: B}
"""


def test_person_account_and_entity_rules_read_their_variables(org: Path) -> None:
    write(org, KINDS)
    inventory = org / "inventory.yaml"
    inventory.write_text(
        inventory.read_text()
        .replace(
            "mgr2@diocese.test, level: C, trained_on: 2026-06-01", "mgr2@diocese.test, level: C"
        )
        .replace("St Test Parish", "St David Parish")
    )
    code, out, err = invoke(["audit", "--today", "2026-06-01", "--offline", "-f", "json"], org)
    assert code == 0, err
    found = [
        (f["rule"], f["message"], f["location"]["line"], f["location"]["column"])
        for f in json.loads(out)["findings"]
        if f["rule"] in ("untrained-c", "shared-without-owner", "parish-head")
    ]
    assert found == [
        ("untrained-c", "mgr2 trained on null", 9, 5),
        ("parish-head", "parish's head is head (St David Parish)", 11, 5),
        ("shared-without-owner", "xacct of parish has no owner", 29, 5),
    ]


def test_cost_bounds_are_inclusive(org: Path) -> None:
    # 2000 characters and 4 comprehension macros are allowed; one more of either is not.
    def expression(length: int) -> str:
        head = 'account.handle == "'
        return head + "x" * (length - len(head) - 1) + '"'

    for when, ok in ((expression(2000), True), (expression(2001), False)):
        write(
            org,
            "custom_rules:\n  - {id: r1, severity: error, description: d, for: account, "
            f"message: m, when: '{when}'}}\n",
        )
        code, _, err = invoke(["audit", *TODAY], org)
        assert (code != 2) is ok, err
        if not ok:  # at the expression's first character
            assert "policies/custom.yaml:2:80: expression longer than 2000 characters" in err
    macro = "account.access.exists(g, g.role == 'x')"
    write(
        org,
        "custom_rules:\n  - {id: r1, severity: error, description: d, for: account, "
        f'message: m, when: "{" || ".join([macro] * 4)}"}}\n',
    )
    code, _, err = invoke(["audit", *TODAY], org)
    assert code != 2, err
    write(
        org,
        "custom_rules:\n  - {id: r1, severity: error, description: d, for: account, "
        f"message: m, when: '{'!' * 300}true'}}\n",
    )
    code, _, err = invoke(["audit", *TODAY], org)
    assert code in (0, 1, 2) and "Traceback" not in err and "internal error" not in err, err
    err = bad(org, " || ".join([macro] * 5))
    assert "policies/custom.yaml:4:11: more than 4 comprehension macros" in err


def test_an_unknown_message_variable_is_reported_at_its_place(org: Path) -> None:
    err = bad(org, "'true'", message='"id {grant.role}"')
    assert "policies/custom.yaml:7:18: unknown variable 'grant' in the message" in err


def test_compile_errors_are_frozen_values() -> None:
    import dataclasses

    from govern.rules.custom import CompileError, compile_expression

    with pytest.raises(CompileError) as caught:
        compile_expression("acount.id == 'x'", "account")
    assert (caught.value.line, caught.value.column) == (1, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        caught.value.line = 2  # type: ignore[misc]


# After a command: whether the CEL library was loaded.
LIBRARY_PROBE = (
    "import govern.rules.custom as custom\n"
    "print('library loaded' if custom._LIBRARY else 'library not loaded')\n"
)


def library_loaded(org: Path) -> tuple[bool, list[dict[str, object]]]:
    args = ["audit", *TODAY, "-f", "json", "--fail-on", "never"]
    report, verdict = after_command(org, args, LIBRARY_PROBE)
    return verdict == "library loaded", json.loads(report)["findings"]


def test_a_pack_in_the_translated_subset_never_loads_the_library(org: Path) -> None:
    """Expressions in the subset govern translates are checked without the CEL library, and
    decided without it; an expression outside it (a macro) is compiled by the library when
    its policy loads, and an error in it is still reported there."""
    write(org, RULES)
    loaded, findings = library_loaded(org)
    assert not loaded
    assert {f["rule"] for f in findings} >= {"no-youtube-editors"}
    write(
        org,
        """\
        custom_rules:
          - id: an-owner-somewhere
            severity: info
            description: "Passes: no owner. Fails: an owner."
            for: account
            when: account.access.exists(g, g.role == "owner")
            message: "{account.id} has an owner"
        """,
        "macro.yaml",
    )
    loaded, findings = library_loaded(org)
    assert loaded
    assert {f["rule"] for f in findings} >= {"no-youtube-editors", "an-owner-somewhere"}
