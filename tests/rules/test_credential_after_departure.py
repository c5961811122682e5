"""credential-after-departure: a reader (holder, entity head or IT) who left on or after the
day the current password was stored means it must be rotated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govern.rules import CustodyRecord
from tests.conftest import at, brief, departed, run_audit

# The X password was stored late on 2026-09-01.
ROTATED = dt.datetime(2026, 9, 1, 22, 30, tzinfo=dt.UTC)
CUSTODY = {"xacct": CustodyRecord(ref="xacct", updated_at=ROTATED)}


@pytest.mark.parametrize(
    ("left_on", "fires"),
    [("2026-08-31", False), ("2026-09-01", True), ("2026-09-02", True)],
)
def test_a_holder_who_left_on_or_after_the_rotation_day(
    tmp_path: Path, left_on: str, fires: bool
) -> None:
    text = departed("mgr", left_on)
    findings = run_audit(tmp_path, text, rule="credential-after-departure", custody=CUSTODY)
    if not fires:
        assert findings == []
        return
    assert brief(findings) == [("credential-after-departure", *at(text, 36, "{mfa"))]
    assert findings[0].message == (
        f"'mgr' could read this password and left on {left_on}, after its last rotation on "
        "2026-09-01: rotate it"
    )
    assert (findings[0].account, findings[0].person, findings[0].entity) == (
        "xacct",
        "mgr",
        "parish",
    )


def test_the_entity_head_and_it_are_readers_too(tmp_path: Path) -> None:
    # IT holds no grant on xacct, but reads the shared login as the entity's IT.
    text = departed("it", "2026-10-01")
    findings = run_audit(tmp_path, text, rule="credential-after-departure", custody=CUSTODY)
    assert [(f.account, f.person) for f in findings] == [("xacct", "it")]


def test_every_departed_reader_is_named(tmp_path: Path) -> None:
    text = departed("mgr", "2026-10-02", departed("it", "2026-10-01"))
    findings = run_audit(tmp_path, text, rule="credential-after-departure", custody=CUSTODY)
    assert [f.person for f in findings] == ["it", "mgr"]


def test_a_departed_person_who_could_not_read_it(tmp_path: Path) -> None:
    # mgr2 holds only the YouTube channel.
    text = departed("mgr2", "2026-10-01")
    assert run_audit(tmp_path, text, rule="credential-after-departure", custody=CUSTODY) == []


def test_needs_a_dated_record_of_a_declared_credential(tmp_path: Path) -> None:
    text = departed("mgr", "2026-10-01")
    undated = {"xacct": CustodyRecord(ref="xacct", updated_at=None)}
    assert run_audit(tmp_path, text, rule="credential-after-departure", custody=undated) == []
    assert run_audit(tmp_path, text, rule="credential-after-departure", custody={}) == []
    assert run_audit(tmp_path, text, rule="credential-after-departure") == []
    # fb has no credential block: a record under its id is not a shared password.
    text = departed("mgr", "2026-10-01").replace(
        "{person: mgr, role: admin}", "{person: it, role: admin}"
    )
    fb = {"fb": CustodyRecord(ref="fb", updated_at=ROTATED)}
    assert run_audit(tmp_path, text, rule="credential-after-departure", custody=fb) == []
