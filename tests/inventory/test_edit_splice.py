"""The splice writes what the whole-file ruamel round trip writes, touching only edited items.

Every test edits one file twice through the public `InventoryEditor` API: as revoke does,
and with `force_roundtrip=True` (the ruamel reference), and compares the two texts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from govern.errors import InputError
from govern.inventory.edit import InventoryEditor
from govern.inventory.source import parse
from tests.conftest import REPO

LEFT = dt.date(2026, 11, 22)
Op = tuple[Any, ...]


def edit(path: Path, ops: list[Op], *, force_roundtrip: bool = False) -> InventoryEditor:
    editor = InventoryEditor(path, force_roundtrip=force_roundtrip)
    for name, *args in ops:
        getattr(editor, name)(*args)
    return editor


def both(tmp_path: Path, text: str | bytes, ops: list[Op]) -> tuple[InventoryEditor, str, str]:
    """(the editor as revoke uses it, its text, the round trip's text) for `ops` on `text`."""
    path = tmp_path / "inventory.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    fast = edit(path, ops)
    return fast, fast.text(), edit(path, ops, force_roundtrip=True).text()


REVOKE_HPATEL: list[Op] = [
    ("remove_grants", "it-hpatel"),
    ("set_departed", "it-hpatel", LEFT),
    ("replace_it", "chancery", "it-hpatel", "it-lnguyen"),
    ("replace_it", "cathedral", "it-hpatel", "it-lnguyen"),
    ("replace_it", "charities", "it-hpatel", None),
    ("add_grant", "chancery-youtube", "it-lnguyen", "owner"),
    ("add_grant", "chancery-facebook", "it-lnguyen", "admin"),
    ("add_grant", "chancery-x", "dkim", "owner"),  # raises an existing grant
]

FLOW_GRANTS = """\
version: 1
organization:
  name: "Org"   # quoted
  domains: [org.test]

people:
  - {id: head, name: Head, email: head@org.test, level: A}
  - {id: vol, name: 'Vol', email: vol@org.test, level: C}
  # helpers
  - {id: heir, name: Heir, email: heir@org.test, level: B, status: active}
entities:
  - {id: parish, name: Parish, head: vol, it: [vol, heir]}
  - id: school
    name: School
    head: head
    it:
      - vol
accounts:
  - id: a1
    entity: parish
    platform: x
    handle: "@a1"
    access:
      - {person: head, role: admin}   # the head
      - {person: vol, role: admin}
      - {person: heir, role: editor}
    credential: {mfa: true}

  - id: a2
    entity: parish
    platform: facebook
    handle: a2
    access:
      - {person: vol, role: editor, note: "volunteer"}
      - {person: head, role: admin}
"""
FLOW_OPS: list[Op] = [
    ("remove_grants", "vol"),
    ("set_departed", "vol", LEFT),
    ("replace_head", "parish", "heir"),
    ("replace_it", "parish", "vol", "heir"),
    ("replace_it", "school", "vol", None),
    ("add_grant", "a1", "heir", "admin"),
    ("add_grant", "a2", "heir", "admin"),
]

BLOCK_FOUR_SPACES = """\
version: 1
organization:
    name: X   # four-space mappings
people:
-   id: p1
    name: P1
    level: A
-   id: p2
    name: P2
    email: p2@org.test
    level: C
    trained_on: 2026-01-01
accounts:
-   id: a
    access:
    -   person: p1
        role: admin
    -   person: p2   # goes
        role: editor
-   id: b
    handle: 'b'
    access:
    -   person: p2
        role: admin
        note: "the only one"
    -   person: p1
        role: editor
"""
BLOCK_OPS: list[Op] = [
    ("remove_grants", "p2"),
    ("set_departed", "p2", LEFT),
    ("add_grant", "a", "p3", "analyst"),
    ("add_grant", "b", "p1", "admin"),
]

NON_OFFSET_DASHES = """\
version: 1
organization:
  name: X
people:
- id: p1
  name: P1
- {id: p2, name: P2, email: p2@org.test, level: C}

entities:
- id: e
  head: p1
  it: [p2]   # one IT person
accounts:
- id: a
  access:
  - {person: p1, role: admin}
  - {person: p2, role: editor}
- id: b
  access:
  - person: p2
    role: admin
  - person: p1
    role: admin
"""
NON_OFFSET_OPS: list[Op] = [
    ("remove_grants", "p2"),
    ("set_departed", "p2", LEFT),
    ("replace_it", "e", "p2", "p3"),
    ("add_grant", "a", "p3", "admin"),
]


@pytest.mark.parametrize(
    "text, ops",
    [
        pytest.param((REPO / "inventory.yaml").read_text(), REVOKE_HPATEL, id="example"),
        pytest.param(FLOW_GRANTS, FLOW_OPS, id="flow-grants"),
        pytest.param(BLOCK_FOUR_SPACES, BLOCK_OPS, id="block-four-spaces"),
        pytest.param(NON_OFFSET_DASHES, NON_OFFSET_OPS, id="non-offset-dashes"),
        pytest.param(
            (REPO / "inventory.yaml").read_text().replace("\n", "\r\n"), REVOKE_HPATEL, id="crlf"
        ),
        pytest.param(FLOW_GRANTS.rstrip("\n"), FLOW_OPS, id="no-final-newline"),
    ],
)
def test_the_splice_writes_what_the_round_trip_writes(
    tmp_path: Path, text: str, ops: list[Op]
) -> None:
    fast, spliced, reference = both(tmp_path, text, ops)
    assert fast.last_path == "splice"
    assert spliced == reference
    assert spliced != text


def test_grant_edits_are_line_edits_and_the_rest_is_rewritten_item_by_item(
    tmp_path: Path,
) -> None:
    fast, spliced, reference = both(tmp_path, FLOW_GRANTS, FLOW_OPS)
    assert spliced == reference
    # The accounts' grant lists were edited as text; the person and the entities, whose
    # edits need key order or flow-style rewriting, were rewritten by ruamel one by one.
    assert fast.redumped == ["people[1]", "entities[0]", "entities[1]"]
    assert (
        "  - {id: vol, name: 'Vol', email: vol@org.test, level: C, status: departed, "
        "left_on: 2026-11-22}\n" in spliced
    )


def test_crlf_files_keep_crlf(tmp_path: Path) -> None:
    text = FLOW_GRANTS.replace("\n", "\r\n")
    fast, spliced, reference = both(tmp_path, text, FLOW_OPS)
    assert fast.last_path == "splice" and spliced == reference
    assert spliced.count("\n") == spliced.count("\r\n") > 30
    fast.save()
    assert (tmp_path / "inventory.yaml").read_bytes() == spliced.encode()


def test_a_large_revoke_splices(tmp_path: Path) -> None:
    text = "version: 1\npeople:\n  - {id: v, name: V, email: v@x.test, level: C}\naccounts:\n"
    text += "".join(
        f"  - id: a{i}\n    access:\n      - {{person: h, role: admin}}\n"
        f"      - {{person: v, role: admin}}\n    credential: {{mfa: true}}\n"
        for i in range(300)
    )
    fast, spliced, reference = both(
        tmp_path, text, [("remove_grants", "v"), ("set_departed", "v", LEFT)]
    )
    assert fast.last_path == "splice" and fast.redumped == ["people[0]"]
    assert spliced == reference
    assert spliced.count("person: v") == 0 and spliced.count("person: h") == 300


# -- what the splice leaves to ruamel ----------------------------------------------------------
ONE_ACCOUNT = """\
version: 1
people:
  - {id: v, name: V, email: v@x.test, level: C}
  - {id: h, name: H, email: h@x.test, level: A}
accounts:
  - id: a
    access:
      - {person: h, role: admin}
      - {person: v, role: admin}
  - id: b
    access:
      - {person: h, role: admin}
"""


@pytest.mark.parametrize(
    "text, ops, redumped",
    [
        pytest.param(
            ONE_ACCOUNT.replace(
                "      - {person: h, role: admin}\n      - {person: v, role: admin}\n",
                "    # flow style\n      [{person: h, role: admin}, {person: v, role: admin}]\n",
            ).replace("    access:\n    # flow", "    access:  # flow"),
            [("remove_grants", "v")],
            ["accounts[0]"],
            id="flow-access-list",
        ),
        pytest.param(
            ONE_ACCOUNT,
            [("remove_grants", "h")],
            ["accounts[1]"],
            id="last-grant-removed",
        ),
        pytest.param(
            ONE_ACCOUNT.replace("      - {person: v", "      # the volunteer\n      - {person: v"),
            [("remove_grants", "v"), ("add_grant", "a", "x", "admin")],
            ["accounts[0]"],
            id="comment-between-grants",
        ),
        pytest.param(
            ONE_ACCOUNT.replace("  - id: b\n", "\n  - id: b\n"),
            [("add_grant", "a", "x", "admin")],
            ["accounts[0]"],
            id="blank-line-after-the-last-grant",
        ),
        pytest.param(
            ONE_ACCOUNT.replace("{person: v, role: admin}", "{person: v, role: admin}  # v"),
            [("add_grant", "a", "v", "owner")],
            ["accounts[0]"],
            id="raised-grant-with-a-comment",
        ),
        pytest.param(
            ONE_ACCOUNT,
            [("add_grant", "b", "new", "2")],
            ["accounts[1]"],
            id="value-that-needs-quotes",
        ),
    ],
)
def test_unusual_accounts_are_rewritten_by_ruamel_alone(
    tmp_path: Path, text: str, ops: list[Op], redumped: list[str]
) -> None:
    fast, spliced, reference = both(tmp_path, text, ops)
    assert fast.last_path == "splice" and fast.redumped == redumped
    assert spliced == reference


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            ONE_ACCOUNT.replace(
                "      - {person: h, role: admin}\n", "      - &h {person: h, role: admin}\n", 1
            ).replace("- {person: h, role: admin}\n", "- *h\n"),
            id="anchors",
        ),
        pytest.param("\ufeff" + ONE_ACCOUNT, id="byte-order-mark"),
        pytest.param(ONE_ACCOUNT.replace("\n", "\r\n", 3), id="mixed-line-ends"),
        pytest.param(
            ONE_ACCOUNT.replace("  - id: b\n", "    note: |\n      a\n      \tb\n  - id: b\n"),
            id="tab",
        ),
    ],
)
def test_unusual_files_are_written_by_the_round_trip(tmp_path: Path, text: str) -> None:
    ops: list[Op] = [("remove_grants", "v"), ("set_departed", "v", LEFT)]
    fast, spliced, reference = both(tmp_path, text, ops)
    assert fast.last_path == "roundtrip"
    assert spliced == reference


def test_too_many_items_for_one_by_one_is_one_round_trip(tmp_path: Path) -> None:
    text = "version: 1\naccounts:\n" + "".join(
        f"  - id: a{i}\n    access: [{{person: h, role: admin}}, {{person: v, role: admin}}]\n"
        for i in range(200)
    )
    fast, spliced, reference = both(tmp_path, text, [("remove_grants", "v")])
    assert fast.last_path == "roundtrip" and spliced == reference


# -- property: over generated inventories ------------------------------------------------------
PEOPLE = [f"p{i}" for i in range(5)]
ROLES = ["admin", "editor", "owner", "analyst"]
# (mapping indent, sequence indent, dash offset), ruamel's names for a layout
LAYOUTS = [(2, 4, 2), (2, 2, 0), (4, 4, 0), (4, 4, 2)]


@dataclass
class Generated:
    """An inventory's text, and which item (section, id) each of its lines belongs to
    (comments and blank lines after an item belong to it, as ruamel attaches them)."""

    lines: list[tuple[str, tuple[str, str] | None]] = field(default_factory=list)
    grants: dict[str, list[str]] = field(default_factory=dict)  # account -> holders
    entities: list[str] = field(default_factory=list)

    def text(self, newline: str) -> str:
        return "".join(line + newline for line, _ in self.lines)


@st.composite
def inventories(draw: st.DrawFn) -> Generated:
    m, s, o = draw(st.sampled_from(LAYOUTS))
    gen = Generated()
    owner: tuple[str, str] | None = None

    def put(line: str, *, comment: bool = True) -> None:
        if comment and draw(st.integers(0, 9)) == 0:
            line += "   # note"
        gen.lines.append((line, owner))

    def between(col: int) -> None:
        """Blank lines or comments between items or sections, sometimes."""
        for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 3)) == 0 else 0):
            put(
                draw(st.sampled_from(["", " " * col + "# ---- group ----", "# top"])), comment=False
            )

    def dash(col: int) -> str:
        return " " * (col + o) + "-" + " " * (s - o - 1)

    def block_list(col: int, key: str, values: list[str]) -> None:
        if draw(st.booleans()):
            put(" " * col + f"{key}: [{', '.join(values)}]")
        else:
            put(" " * col + f"{key}:")
            for value in values:
                put(dash(col) + value)

    def mapping_item(col: int, pairs: list[tuple[str, str]], flow: bool) -> None:
        if flow:
            put(dash(col) + "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}")
            return
        for n, (k, v) in enumerate(pairs):
            put((dash(col) if n == 0 else " " * (col + s)) + f"{k}: {v}")

    put("version: 1")
    put("organization:")
    put(" " * m + "name: " + draw(st.sampled_from(["Org", '"Org"', "'Org'"])))
    between(0)
    put("people:")
    between(o)
    for p in PEOPLE:
        owner = ("people", p)
        pairs = [
            ("id", p),
            ("name", draw(st.sampled_from([p.upper(), f'"{p.upper()}"']))),
            ("email", f"{p}@org.test"),
            ("level", draw(st.sampled_from(["A", "C"]))),
        ]
        if draw(st.integers(0, 3)) == 0:
            pairs.append(("status", "active"))
        if draw(st.booleans()):
            pairs.append(("trained_on", "2026-01-02"))
        shape = draw(st.sampled_from(["flow", "block", "block", "block with tags"]))
        mapping_item(0, pairs, flow=shape == "flow")
        if shape == "block with tags":
            block_list(s, "tags", ["it", "comms"])
        between(o)
    owner = None
    put("entities:")
    for e in range(draw(st.integers(1, 3))):
        owner = ("entities", f"e{e}")
        gen.entities.append(f"e{e}")
        head = draw(st.sampled_from(PEOPLE))
        it = draw(st.lists(st.sampled_from(PEOPLE), max_size=3, unique=True))
        mapping_item(0, [("id", f"e{e}"), ("name", f"E{e}"), ("head", head)], flow=False)
        if it:
            block_list(s, "it", it)
        between(o)
    owner = None
    put("accounts:")
    for a in range(draw(st.integers(1, 5))):
        owner = ("accounts", f"a{a}")
        holders = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4, unique=True))
        gen.grants[f"a{a}"] = holders
        mapping_item(
            0,
            [
                ("id", f"a{a}"),
                ("entity", "e0"),
                ("platform", "facebook"),
                ("handle", draw(st.sampled_from([f"h{a}", f'"@h{a}"']))),
            ],
            flow=False,
        )
        grants = [[("person", h), ("role", draw(st.sampled_from(ROLES)))] for h in holders]
        style = draw(st.sampled_from(["flow-items", "block-items", "flow-items", "flow-list"]))
        if style == "flow-list":
            put(
                " " * s
                + "access: ["
                + ", ".join("{" + ", ".join(f"{k}: {v}" for k, v in g) + "}" for g in grants)
                + "]"
            )
        else:
            put(" " * s + "access:")
            for grant in grants:
                mapping_item(s, grant, flow=style == "flow-items")
                if draw(st.integers(0, 7)) == 0:
                    put(" " * (s + o) + "# about the next grant", comment=False)
        if draw(st.booleans()):
            put(" " * s + "credential:")
            put(" " * (s + m) + "mfa: true")
        between(o)
    return gen


@st.composite
def revokes(draw: st.DrawFn, gen: Generated) -> list[Op]:
    person = st.sampled_from([*PEOPLE, "heir"])
    ops: list[Op] = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["remove", "departed", "head", "it", "grant", "grant"]))
        if kind == "remove":
            ops.append(("remove_grants", draw(person)))
        elif kind == "departed":
            ops.append(("set_departed", draw(st.sampled_from(PEOPLE)), LEFT))
        elif kind == "head":
            ops.append(("replace_head", draw(st.sampled_from(gen.entities)), draw(person)))
        elif kind == "it":
            ops.append(
                (
                    "replace_it",
                    draw(st.sampled_from(gen.entities)),
                    draw(person),
                    draw(st.one_of(st.none(), person)),
                )
            )
        else:
            ops.append(
                (
                    "add_grant",
                    draw(st.sampled_from(sorted(gen.grants))),
                    draw(person),
                    draw(st.sampled_from(ROLES)),
                )
            )
    return ops


def edited_items(gen: Generated, ops: list[Op]) -> set[tuple[str, str]]:
    items: set[tuple[str, str]] = set()
    holders = {account: set(people) for account, people in gen.grants.items()}
    for name, *args in ops:
        if name == "remove_grants":
            items |= {("accounts", a) for a, people in holders.items() if args[0] in people}
        elif name == "add_grant":
            items.add(("accounts", args[0]))
            holders[args[0]].add(args[1])
        elif name == "set_departed":
            items.add(("people", args[0]))
        else:
            items.add(("entities", args[0]))
    return items


def outside_is_kept(gen: Generated, newline: str, edited: set[tuple[str, str]], new: str) -> bool:
    """Whether `new` is the original text with only the lines of `edited` items changed."""
    pattern = []
    for line, owner in gen.lines:
        if owner in edited:
            if not pattern or pattern[-1] != "(?s:.*?)":
                pattern.append("(?s:.*?)")
        else:
            pattern.append(re.escape(line + newline))
    return re.fullmatch("".join(pattern), new) is not None


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), newline=st.sampled_from(["\n", "\n", "\r\n"]))
def test_splice_equals_round_trip_on_generated_inventories(
    tmp_path: Path, data: st.DataObject, newline: str
) -> None:
    gen = data.draw(inventories())
    ops = data.draw(revokes(gen))
    text = gen.text(newline)
    path = tmp_path / "inventory.yaml"
    path.write_bytes(text.encode())
    outcomes = []
    for force in (False, True):
        editor = InventoryEditor(path, force_roundtrip=force)
        failures = []
        for name, *args in ops:
            try:
                getattr(editor, name)(*args)
            except KeyError as exc:
                failures.append((name, str(exc)))
        outcomes.append((editor, editor.text(), failures))
    (fast, spliced, failed), (_, reference, failed_too) = outcomes
    event(f"path: {fast.last_path}, {len(fast.redumped)} items rewritten by ruamel")
    assert failed == failed_too
    try:
        expected = parse("reference", reference)
    except InputError:
        # ruamel wrote invalid YAML (it can: `access:  # note` then `[]` on the next line,
        # or an item glued to the line before it); the splice did too only if it fell back.
        event("ruamel wrote invalid YAML")
        assert spliced == reference or parse("spliced", spliced) is not None
        return
    assert parse("spliced", spliced) == expected
    if fast.last_path == "splice":
        assert outside_is_kept(gen, newline, edited_items(gen, ops), spliced)
    stable = InventoryEditor(path, force_roundtrip=True).text() == text
    event(f"ruamel keeps the unedited file: {stable}")
    if stable:
        assert spliced == reference
