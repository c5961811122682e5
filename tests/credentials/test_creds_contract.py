"""The CredentialStore contract, run against the file store and a real OpenBao (KV v2)."""

from __future__ import annotations

import json
import time

import pytest

from govern.credentials import (
    CredentialNotFound,
    CredentialStore,
    NewCredential,
    Secret,
)
from govern.errors import UsageError

LOGIN = Secret(
    username="stbrendan",
    password="Tr0ub4dor&3-unique-π",
    fields={"totp_seed": "JBSWY3DPEHPK3PXP", "recovery_codes": "1111\n2222"},
)
META = {"entity": "chancery", "platform": "x"}


def put(
    store: CredentialStore, ref: str, secret: Secret = LOGIN, reason: str = "set", **meta: str
) -> None:
    store.put(ref, secret, meta=meta or META, rotated_by="alice", reason=reason)


def test_round_trip_keeps_username_password_and_fields(store: CredentialStore) -> None:
    put(store, "chancery-x")
    got = store.get("chancery-x")
    assert got == LOGIN
    assert got.username == "stbrendan"
    assert got.password == "Tr0ub4dor&3-unique-π"
    assert dict(got.fields) == {"totp_seed": "JBSWY3DPEHPK3PXP", "recovery_codes": "1111\n2222"}


def test_put_returns_metadata_without_secret(store: CredentialStore) -> None:
    meta = store.put("chancery-x", LOGIN, meta=META, rotated_by="alice", reason="first login")
    assert (meta.ref, meta.current_version, meta.versions) == ("chancery-x", 1, 1)
    assert (meta.rotated_by, meta.reason) == ("alice", "first login")
    assert dict(meta.meta) == {"account": "chancery-x", **META}
    assert meta.created_at == meta.updated_at
    assert store.metadata("chancery-x") == meta
    text = json.dumps(meta.to_json()) + repr(meta)
    for value in (LOGIN.password, LOGIN.username, *LOGIN.fields.values()):
        assert value not in text


def test_new_versions_keep_older_ones_readable(store: CredentialStore) -> None:
    put(store, "chancery-x")
    time.sleep(0.01)
    second = LOGIN.replace_password("second-password-2")
    meta = store.put("chancery-x", second, meta=META, rotated_by="bob", reason="jdoe left")
    assert (meta.current_version, meta.versions) == (2, 2)
    assert (meta.rotated_by, meta.reason) == ("bob", "jdoe left")
    assert meta.updated_at > meta.created_at
    assert store.get("chancery-x").password == "second-password-2"
    assert store.get("chancery-x", 1) == LOGIN
    assert store.get("chancery-x", 2) == second
    assert store.metadata("chancery-x") == meta


def test_missing_credentials_and_versions(store: CredentialStore) -> None:
    assert store.metadata("nobody") is None
    with pytest.raises(CredentialNotFound, match="nobody"):
        store.get("nobody")
    with pytest.raises(CredentialNotFound):
        store.delete("nobody")
    put(store, "chancery-x")
    with pytest.raises(CredentialNotFound, match="version 5"):
        store.get("chancery-x", 5)


def test_list_is_sorted_metadata_of_every_credential(store: CredentialStore) -> None:
    assert store.list() == []
    for ref in ("parish-b", "chancery-x", "parish-a"):
        put(store, ref)
    put(store, "parish-a", LOGIN.replace_password("rotated!"), reason="rotation")
    listed = store.list()
    assert [m.ref for m in listed] == ["chancery-x", "parish-a", "parish-b"]
    assert [m.current_version for m in listed] == [1, 2, 1]
    assert listed[1].reason == "rotation"
    assert listed == [store.metadata(r) for r in ("chancery-x", "parish-a", "parish-b")]


def test_delete_removes_every_version(store: CredentialStore) -> None:
    put(store, "chancery-x")
    put(store, "chancery-x")
    put(store, "other")
    store.delete("chancery-x")
    assert store.metadata("chancery-x") is None
    assert [m.ref for m in store.list()] == ["other"]
    with pytest.raises(CredentialNotFound):
        store.get("chancery-x", 1)
    put(store, "chancery-x")  # a new credential starts again at version 1
    assert store.metadata("chancery-x").current_version == 1  # type: ignore[union-attr]


def test_put_many_stores_each_item(store: CredentialStore) -> None:
    items = [
        NewCredential(
            ref=f"acct-{i}", secret=Secret(password=f"pw-{i}"), meta={"platform": "facebook"}
        )
        for i in range(5)
    ]
    result = store.put_many(items, rotated_by="importer", reason="import from logins.csv")
    assert [m.ref for m in result] == [f"acct-{i}" for i in range(5)]
    assert all(m.current_version == 1 and m.rotated_by == "importer" for m in result)
    assert store.get("acct-3") == Secret(password="pw-3")


def test_rotate_many_writes_a_new_version_keeping_everything_but_the_password(
    store: CredentialStore,
) -> None:
    for i in range(6):
        put(
            store,
            f"acct-{i}",
            Secret(username=f"u{i}", password=f"pw-{i}", fields={"totp_seed": f"SEED{i}"}),
            platform=f"p{i}",
        )
    put(
        store,
        "acct-2",
        Secret(username="u2", password="pw-2-new", fields={"totp_seed": "S"}),
        reason="rotated",
        platform="p2",
    )
    refs = [f"acct-{i}" for i in range(6)] + ["absent"]
    done = store.rotate_many(
        refs, lambda ref: f"generated-for-{ref}", rotated_by="revoker", reason="revoke jdoe"
    )
    assert [(r.ref, r.status, r.version) for r in done] == [
        *((f"acct-{i}", "rotated", 3 if i == 2 else 2) for i in range(6)),
        ("absent", "missing", None),
    ]
    for i in range(6):
        ref = f"acct-{i}"
        secret = store.get(ref)
        assert secret.password == f"generated-for-{ref}"
        assert secret.username == f"u{i}" and dict(secret.fields) == {
            "totp_seed": "S" if i == 2 else f"SEED{i}"
        }
        meta = store.metadata(ref)
        assert meta is not None
        assert (meta.rotated_by, meta.reason, dict(meta.meta)) == (
            "revoker",
            "revoke jdoe",
            {"account": ref, "platform": f"p{i}"},
        )
    assert store.get("acct-2", version=2).password == "pw-2-new"  # older versions are kept
    assert store.rotate_many([], lambda ref: "x", rotated_by="a", reason="b") == []


def test_rotate_many_skips_what_a_resumed_run_already_rotated(store: CredentialStore) -> None:
    put(store, "done-before", Secret(password="pw-1"))
    put(store, "other-reason", Secret(password="pw-1"))
    put(store, "todo", Secret(password="pw-1"))
    first = store.rotate_many(
        ["done-before"], lambda ref: "first-run-pw", rotated_by="revoker", reason="revoke jdoe"
    )
    assert [(r.status, r.version) for r in first] == [("rotated", 2)]
    since = store.metadata("done-before").updated_at  # type: ignore[union-attr]
    put(store, "other-reason", Secret(password="pw-2"), reason="set")
    again = store.rotate_many(
        ["done-before", "other-reason", "todo"],
        lambda ref: "second-run-pw",
        rotated_by="revoker",
        reason="revoke jdoe",
        unless_since=since,
    )
    assert [(r.ref, r.status, r.version) for r in again] == [
        ("done-before", "already", 2),
        ("other-reason", "rotated", 3),
        ("todo", "rotated", 2),
    ]
    assert store.get("done-before").password == "first-run-pw"
    # A rotation for the same reason before `since` (an earlier revoke) is done again.
    later = store.metadata("todo").updated_at  # type: ignore[union-attr]
    time.sleep(0.01)
    last = store.rotate_many(
        ["done-before"],
        lambda ref: "third-run-pw",
        rotated_by="revoker",
        reason="revoke jdoe",
        unless_since=later.replace(year=later.year + 1),
    )
    assert [(r.status, r.version) for r in last] == [("rotated", 3)]


def test_rotate_many_refuses_bad_input_before_any_write(store: CredentialStore) -> None:
    put(store, "once", Secret(password="pw-1"))
    with pytest.raises(UsageError):
        store.rotate_many(["once", "once"], lambda ref: "x", rotated_by="a", reason="b")
    with pytest.raises(UsageError):
        store.rotate_many(["once", "../x"], lambda ref: "x", rotated_by="a", reason="b")
    with pytest.raises(UsageError):
        store.rotate_many(["once"], lambda ref: "x", rotated_by="", reason="b")
    assert store.get("once").password == "pw-1"


def test_put_many_refuses_a_ref_given_twice(store: CredentialStore) -> None:
    items = [
        NewCredential(ref="twice", secret=Secret(password=f"pw-{i}"), meta={}) for i in range(2)
    ]
    with pytest.raises(UsageError):
        store.put_many(items, rotated_by="importer", reason="import")
    assert store.metadata("twice") is None


@pytest.mark.parametrize("ref", ["", "../x", "a/b", ".hidden", "x" * 129, "sp ace", "ü"])
def test_invalid_refs_are_refused_before_any_write(store: CredentialStore, ref: str) -> None:
    with pytest.raises(UsageError, match="invalid account id"):
        put(store, ref)
    assert store.list() == []


@pytest.mark.parametrize(
    "meta",
    [{"rotated_by": "mallory"}, {"Bad-Key": "x"}, {"notes": "line\nbreak"}, {"long": "x" * 600}],
)
def test_bad_metadata_is_refused(store: CredentialStore, meta: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        store.put("chancery-x", LOGIN, meta=meta, rotated_by="alice", reason="set")
    assert store.metadata("chancery-x") is None


def test_describe_names_the_store(store: CredentialStore) -> None:
    text = store.describe()
    assert text.startswith(("file:/", "vault:http://127.0.0.1:"))
    assert "(mount t-" in text or text.endswith("credentials.enc")


def test_secret_repr_and_str_hide_values() -> None:
    text = repr(LOGIN) + str(LOGIN) + f"{LOGIN}" + repr([LOGIN])
    for value in (LOGIN.password, LOGIN.username, *LOGIN.fields.values()):
        assert value not in text
    assert "password=<hidden>" in text
    assert "recovery_codes" in text  # field names are not secret
    assert repr(Secret(password="p")) == "Secret(username=None, password=<hidden>, fields=[])"


def test_secret_rejects_empty_password_and_reserved_fields() -> None:
    with pytest.raises(UsageError, match="password"):
        Secret(password="")
    with pytest.raises(UsageError, match="reserved"):
        Secret(password="p", fields={"username": "x"})
    with pytest.raises(UsageError, match="field name"):
        Secret(password="p", fields={"TOTP Seed": "x"})
