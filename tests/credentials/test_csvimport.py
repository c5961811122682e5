"""govern.credentials.csvimport from the public API: a real CSV file, a real encrypted store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from govern.credentials import validate_ref
from govern.credentials.csvimport import import_rows, read_import
from govern.credentials.filestore import FileStore, ScryptParams
from govern.errors import UsageError

PASSPHRASE = "csv import test passphrase"


@dataclass
class Book:
    """Two declared accounts; st-mary-x's login is stored under another key."""

    inventory: Path
    accounts: dict[str, dict[str, str]] | None = field(
        default_factory=lambda: {
            "chancery-x": {"entity": "chancery", "platform": "x"},
            "st-mary-x": {"entity": "st-mary", "platform": "x"},
        }
    )

    def ref(self, account: str) -> str:
        return {"st-mary-x": "logins/st-mary"}.get(account, account)

    def account_meta(self, account: str) -> dict[str, str]:
        validate_ref(account)
        if self.accounts is None:
            return {}
        if account not in self.accounts:
            raise UsageError(f"account {account!r} is not declared")
        return dict(self.accounts[account])


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore.create(
        tmp_path / "credentials.enc",
        env={},
        passphrase=PASSPHRASE,
        use_keyring=False,
        kdf=ScryptParams(n=2**14),
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "logins.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_are_checked_and_only_declared_ids_are_shown(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufeffAccount,Username,Password,Notes,Owner\n"
        "chancery-x,chx, s3cret-one ,,\n"
        "hunter2-not-an-account,u,p,,\n"
        "st-mary-x,stm,pw-two,codes in safe,ops\n"
        "\n"
        "st-mary-x,stm,pw-three,,\n"
        ",u,p,,\n"
        "chancery-x,chx,,,\n",
    )
    rows = read_import(path, Book(tmp_path / "inventory.yaml"), set)
    assert rows.ignored == ("owner",)
    assert [(r.line, r.account, r.why) for r in rows.refused] == [
        (2, "chancery-x", "the password has leading or trailing spaces (spreadsheet artefact?)"),
        (3, "", "the account cell is not an account declared in inventory.yaml"),
        (6, "st-mary-x", "already appears on line 4"),
        (7, "", "no account id"),
        (8, "chancery-x", "no password"),
    ]
    [accepted] = rows.accepted
    assert accepted.ref == "logins/st-mary" and accepted.meta["entity"] == "st-mary"
    assert accepted.secret.username == "stm" and accepted.secret.fields == {
        "notes": "codes in safe"
    }


def test_import_is_all_or_nothing_unless_skipping(tmp_path: Path, store: FileStore) -> None:
    path = write(
        tmp_path,
        "account,username,password\nchancery-x,chx,pw-one\nst-mary-x,stm,\n",
    )
    rows = read_import(path, Book(tmp_path / "inventory.yaml"), set)
    with pytest.raises(UsageError, match=r"1 row\(s\) of .*logins.csv refused; nothing"):
        import_rows(store, path, rows, skip_invalid=False, actor="t", reason=None)
    assert store.list() == []
    assert import_rows(store, path, rows, skip_invalid=True, actor="t", reason=None) == 1
    [meta] = store.list()
    assert meta.ref == "chancery-x" and meta.reason == "import from logins.csv"
    # Stored now: refused unless replacing (the store is asked for its keys only then).
    again = read_import(path, Book(tmp_path / "inventory.yaml"), lambda: {"chancery-x"})
    assert again.refused[0].why.startswith("already in the store")
    replacing = read_import(path, Book(tmp_path / "inventory.yaml"), set)
    assert [c.ref for c in replacing.accepted] == ["chancery-x"]


def test_a_bad_header_is_refused_before_the_store_is_asked(tmp_path: Path) -> None:
    def never() -> set[str]:
        raise AssertionError("the store was asked")

    path = write(tmp_path, "account,user,pass\nchancery-x,a,b\n")
    with pytest.raises(UsageError, match=r"line 1: missing column\(s\) username, password"):
        read_import(path, Book(tmp_path / "inventory.yaml"), never)


def test_without_an_inventory_any_valid_id_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "account,username,password\nnew-account,u,pw\nbad id!,u,pw\n")
    rows = read_import(path, Book(tmp_path / "inventory.yaml", accounts=None), set)
    assert [c.ref for c in rows.accepted] == ["new-account"]
    assert [r.line for r in rows.refused] == [3]
