"""revocation-ability: the reason given, by case (shared login, weaker roles, no role)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import BASE, at, brief, run_audit

RULE = "revocation-ability"
HEAD = "the head of St Test Parish"


def test_a_shared_login_the_head_side_does_not_hold(tmp_path: Path) -> None:
    text = BASE.replace(
        "      - {person: head, role: admin}\n      - {person: mgr, role: admin}",
        "      - {person: mgr, role: admin}",
    )
    findings = run_audit(tmp_path, text, rule=RULE)
    assert brief(findings) == [(RULE, *at(text, 34, "admin"))]
    assert findings[0].message == (
        f"'mgr' (Account login (shared password)) cannot be removed by {HEAD}: neither the "
        "head nor IT holds the shared login, so it cannot be rotated"
    )
    assert (findings[0].account, findings[0].person, findings[0].entity) == (
        "xacct",
        "mgr",
        "parish",
    )


def test_roles_too_weak_to_remove(tmp_path: Path) -> None:
    text = BASE.replace("{person: head, role: owner}", "{person: head, role: admin}").replace(
        "{person: mgr2, role: editor}", "{person: mgr2, role: owner}"
    )
    assert [f.message for f in run_audit(tmp_path, text, rule=RULE)] == [
        f"'mgr2' (Owner) cannot be removed by {HEAD}: their roles (head: Manager, it: Manager) "
        "cannot remove Owner"
    ]


def test_no_role_on_the_head_side(tmp_path: Path) -> None:
    text = BASE.replace(
        "      - {person: head, role: admin}\n      - {person: it, role: admin}\n"
        "      - {person: mgr, role: editor}",
        "      - {person: mgr, role: editor}",
    )
    messages = [f.message for f in run_audit(tmp_path, text, rule=RULE)]
    assert len(messages) == 1
    assert messages[0].startswith("'mgr' (Facebook access with partial control")
    assert messages[0].endswith(
        f"cannot be removed by {HEAD}: neither the head nor IT holds a role on the account"
    )
