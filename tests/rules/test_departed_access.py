"""departed-access: a departed person as entity head, as IT, or holding a grant."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import BASE, at, brief, departed, run_audit


def test_a_departed_entity_head_is_reported_at_the_head_position(tmp_path: Path) -> None:
    text = departed("head")
    findings = run_audit(tmp_path, text, rule="departed-access")
    assert brief(findings) == [
        ("departed-access", *at(text, 11, "head, it")),
        ("departed-access", *at(text, 18, "head")),
        ("departed-access", *at(text, 26, "head")),
        ("departed-access", *at(text, 34, "head")),
    ]
    entity = findings[0]
    assert entity.message == "entity head 'head' left on 2026-10-01"
    assert (entity.person, entity.entity, entity.account) == ("head", "parish", None)
    assert [f.account for f in findings[1:]] == ["fb", "yt", "xacct"]


def test_a_departed_it_person_and_their_grants(tmp_path: Path) -> None:
    text = departed("it")
    findings = run_audit(tmp_path, text, rule="departed-access")
    assert brief(findings) == [
        ("departed-access", *at(text, 11, "it]")),
        ("departed-access", *at(text, 19, "it")),
        ("departed-access", *at(text, 27, "it")),
    ]
    assert findings[0].message == "IT person 'it' left on 2026-10-01"
    assert (findings[0].person, findings[0].entity) == ("it", "parish")
    assert findings[1].message == "'it' left on 2026-10-01 but still holds admin"
    assert (findings[1].account, findings[1].person, findings[1].entity) == ("fb", "it", "parish")


def test_a_departed_person_who_holds_nothing_passes(tmp_path: Path) -> None:
    text = BASE.replace(
        "entities:",
        "  - {id: gone, name: Gone, email: gone@diocese.test, level: C, status: departed, "
        "left_on: 2026-01-01}\nentities:",
    )
    assert run_audit(tmp_path, text, rule="departed-access") == []


def test_every_departed_person_is_reported(tmp_path: Path) -> None:
    text = departed("mgr2", text=departed("mgr"))
    findings = run_audit(tmp_path, text, rule="departed-access")
    assert sorted((f.person, f.account) for f in findings) == [
        ("mgr", "fb"),
        ("mgr", "xacct"),
        ("mgr2", "yt"),
    ]
