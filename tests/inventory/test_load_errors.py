"""Bad inventories give an `InputError` listing every problem with line, column and hint.

Line numbers refer to `samples.BASE` (printed with numbers in its module).
"""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from govern.errors import InputError

from .samples import BASE, edit, insert, load, only_problem, problems_of, write


def test_base_inventory_is_valid(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, BASE))
    assert [p.id for p in loaded.inventory.people] == ["alice", "bob"]
    assert loaded.inventory.accounts[0].access[1].role == "editor"


# --- YAML syntax --------------------------------------------------------------------------


def test_unclosed_flow_bracket_at_end_of_file(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, BASE + "tags: [a, b\n")
    assert (problem.line, problem.column) == (29, 7)
    assert "unclosed bracket" in problem.message


def test_unclosed_flow_bracket_mid_file_names_the_bracket(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 4, "  domains: [org.example"))
    # The parser notices at the next ':'; the hint points back at the opening bracket.
    assert (problem.line, problem.column) == (5, 7)
    assert problem.message.startswith("YAML syntax error")
    assert problem.hint == "check the flow sequence that starts at line 4, column 12"


def test_bad_indentation(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 11, "   name: Bob"))
    assert (problem.line, problem.column) == (11, 4)
    assert "YAML syntax error" in problem.message


def test_tab_indentation_points_at_the_tab(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 11, "\tname: Bob"))
    assert (problem.line, problem.column) == (11, 1)
    assert "tab" in problem.message
    assert problem.hint is not None and "spaces" in problem.hint


def test_tab_indentation_of_a_key(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 3, "\tname: Org"))
    assert (problem.line, problem.column) == (3, 1)
    assert "tab" in problem.message


# --- duplicate keys -----------------------------------------------------------------------


def test_duplicate_top_level_key(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, BASE + "version: 1\n")
    assert (problem.line, problem.column) == (29, 1)
    assert problem.message == "duplicate key 'version'"
    assert problem.hint is not None and "first defined at line 1" in problem.hint


def test_duplicate_key_inside_an_account(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, insert(BASE, 23, "    handle: other"))
    assert (problem.line, problem.column) == (24, 5)
    assert problem.message == "duplicate key 'handle'"
    assert problem.hint is not None and "first defined at line 23" in problem.hint


def test_every_duplicate_key_is_reported(tmp_path: Path) -> None:
    text = insert(insert(BASE, 23, "    handle: other"), 7, "    name: Alicia")
    found = problems_of(tmp_path, text)
    assert [(p.line, p.column, p.message) for p in found] == [
        (8, 5, "duplicate key 'name'"),
        (25, 5, "duplicate key 'handle'"),
    ]


# --- unknown fields, secrets, types, dates ------------------------------------------------


def test_unknown_field_suggests_the_right_one(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 24, "    acess:"))
    assert (problem.line, problem.column) == (24, 5)
    assert problem.message == "unknown field 'acess'"
    assert problem.hint == "did you mean 'access'?"


def test_unknown_field_in_a_person_suggests(tmp_path: Path) -> None:
    missing, unknown = problems_of(tmp_path, edit(BASE, 9, "    levle: C"))
    assert (missing.line, missing.column) == (6, 5)
    assert missing.message == "missing required field 'level'"
    assert (unknown.line, unknown.column) == (9, 5)
    assert unknown.message == "unknown field 'levle'"
    assert unknown.hint == "did you mean 'level'?"


def test_password_field_is_refused_without_echoing_it(tmp_path: Path) -> None:
    secret = "hunter2-Corr3ct-Horse"
    found = problems_of(tmp_path, insert(BASE, 23, f"    password: {secret}"))
    assert len(found) == 1
    problem = found[0]
    assert (problem.line, problem.column) == (24, 5)
    assert problem.message == "unknown field 'password'"
    assert problem.hint is not None and "never put secrets in the inventory" in problem.hint
    with pytest.raises(InputError) as info:
        load(tmp_path / "inventory.yaml")
    assert secret not in info.value.diagnostics()
    assert secret not in str(info.value)


def test_secret_in_a_wrongly_typed_field_is_not_echoed(tmp_path: Path) -> None:
    secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    with pytest.raises(InputError) as info:
        load(write(tmp_path, edit(BASE, 9, f"    level: [{secret}]")))
    assert secret not in info.value.diagnostics()


def test_level_as_a_list(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 9, "    level: [C]"))
    assert (problem.line, problem.column) == (9, 12)
    assert problem.message == "level: Input should be a valid string"


def test_access_as_a_string(tmp_path: Path) -> None:
    text = edit(BASE, 24, "    access: alice")
    text = "".join(text.splitlines(keepends=True)[:24])
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.column) == (24, 13)
    assert problem.message.startswith("access: Input should be a valid")


def test_impossible_month(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, insert(BASE, 9, "    trained_on: 2026-13-01"))
    assert (problem.line, problem.column) == (10, 17)
    assert problem.message.startswith("trained_on: Input should be a valid date")
    assert "month" in problem.message


def test_left_on_yesterday(tmp_path: Path) -> None:
    text = insert(BASE, 13, "    status: departed\n    left_on: yesterday")
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.column) == (15, 14)
    assert problem.message.startswith("left_on: Input should be a valid date")


def test_bad_status_value(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, insert(BASE, 13, "    status: gone"))
    assert (problem.line, problem.column) == (14, 13)
    assert "'active' or 'departed'" in problem.message


def test_version_2(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 1, "version: 2"))
    assert (problem.line, problem.column) == (1, 10)
    assert problem.message == "version: Input should be 1"


def test_missing_required_field_points_at_its_parent(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 8, None))
    assert (problem.line, problem.column) == (6, 5)
    assert problem.message == "missing required field 'email'"


# --- references ---------------------------------------------------------------------------


def test_unknown_platform_suggests(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 22, "    platform: facebok"))
    assert (problem.line, problem.column) == (22, 15)
    assert problem.message == "unknown platform 'facebok'"
    assert problem.hint == "did you mean 'facebook'?"


def test_unknown_platform_without_a_close_match_lists_them(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 22, "    platform: myspace"))
    assert problem.hint is not None and problem.hint.startswith("known: ")
    assert "youtube" in problem.hint


def test_role_that_the_platform_lacks(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 26, "        role: owner"))
    assert (problem.line, problem.column) == (26, 15)
    assert problem.message == "role 'owner' does not exist on facebook"
    assert problem.hint is not None and problem.hint.startswith("roles there: admin (")


def test_dangling_person_references_suggest(tmp_path: Path) -> None:
    text = edit(edit(BASE, 17, "    head: alic"), 27, "      - person: bobb")
    found = problems_of(tmp_path, text)
    assert [(p.line, p.column, p.message, p.hint) for p in found] == [
        (17, 11, "unknown person 'alic'", "did you mean 'alice'?"),
        (27, 17, "unknown person 'bobb'", "did you mean 'bob'?"),
    ]


def test_dangling_it_reference(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 18, "    it: [bob, carol]"))
    assert (problem.line, problem.column) == (18, 15)
    assert problem.message == "unknown person 'carol'"


def test_dangling_entity_reference_suggests(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 21, "    entity: parsh"))
    assert (problem.line, problem.column) == (21, 13)
    assert problem.message == "unknown entity 'parsh'"
    assert problem.hint == "did you mean 'parish'?"


def test_duplicate_person_id(tmp_path: Path) -> None:
    text = insert(
        BASE, 13, "  - id: alice\n    name: Alice 2\n    email: a2@org.example\n    level: C"
    )
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.column) == (14, 9)
    assert problem.message == "duplicate person id 'alice'"
    assert problem.hint == "first defined at line 6"


def test_duplicate_entity_id(tmp_path: Path) -> None:
    text = insert(BASE, 18, "  - id: parish\n    name: Again\n    head: bob")
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.column) == (19, 9)
    assert problem.message == "duplicate entity id 'parish'"
    assert problem.hint == "first defined at line 15"


def test_duplicate_account_id(tmp_path: Path) -> None:
    text = BASE + "  - id: parish-fb\n    entity: parish\n    platform: youtube\n    handle: y\n"
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.column) == (29, 9)
    assert problem.message == "duplicate account id 'parish-fb'"
    assert problem.hint == "first defined at line 20"


def test_departed_without_left_on(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, insert(BASE, 13, "    status: departed"))
    assert (problem.line, problem.column) == (14, 13)
    assert problem.message == "person 'bob' is departed but has no 'left_on' date"
    assert problem.hint == "add left_on: YYYY-MM-DD"


def test_departed_with_left_on_is_valid(tmp_path: Path) -> None:
    text = insert(BASE, 13, "    status: departed\n    left_on: 2026-01-31")
    loaded = load(write(tmp_path, text))
    assert loaded.inventory.people[1].departed


def test_two_grants_for_one_person_on_one_account(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 27, "      - person: alice"))
    assert (problem.line, problem.column) == (27, 17)
    assert problem.message == "'alice' has two grants on account 'parish-fb'"
    assert problem.hint == "keep one grant per person and account"


# --- all problems in one run --------------------------------------------------------------


def test_three_distinct_errors_give_three_problems(tmp_path: Path) -> None:
    text = edit(
        edit(edit(BASE, 22, "    platform: facebok"), 18, "    itt: [bob]"), 9, "    level: [C]"
    )
    found = problems_of(tmp_path, text)
    assert [(p.line, p.column, p.message, p.hint) for p in found] == [
        (9, 12, "level: Input should be a valid string", None),
        (18, 5, "unknown field 'itt'", "did you mean 'it'?"),
        (22, 15, "unknown platform 'facebok'", "did you mean 'facebook'?"),
    ]


def test_schema_and_reference_errors_in_one_run(tmp_path: Path) -> None:
    text = edit(edit(edit(BASE, 1, "version: 2"), 17, "    head: alic"), 26, "        role: owner")
    found = problems_of(tmp_path, text)
    assert [(p.line, p.column) for p in found] == [(1, 10), (17, 11), (26, 15)]


def test_invalid_person_causes_no_dangling_reference_noise(tmp_path: Path) -> None:
    # alice is declared (with a bad email); references to her are not "unknown person".
    found = problems_of(tmp_path, edit(BASE, 8, "    email: not-an-email"))
    assert [(p.line, p.column, p.message) for p in found] == [
        (8, 12, "email: must be an email address like name@example.org"),
    ]


def test_invalid_entity_causes_no_dangling_reference_noise(tmp_path: Path) -> None:
    found = problems_of(tmp_path, edit(BASE, 18, "    it: bob"))
    assert len(found) == 1, [p.render() for p in found]
    assert (found[0].line, found[0].column) == (18, 9)


# --- whole-file problems ------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    problem = only_problem(tmp_path, content)
    assert (problem.line, problem.column) == (1, 1)
    assert problem.message == "the file is empty"
    assert problem.hint is not None and "version: 1" in problem.hint


def test_top_level_list(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "- version: 1\n- accounts: []\n")
    assert (problem.line, problem.column) == (1, 1)
    assert problem.message.startswith("expected a mapping")


def test_top_level_scalar(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "just some text\n")
    assert problem.message.startswith("expected a mapping")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load(tmp_path / "nope.yaml")
    (problem,) = info.value.problems
    assert (problem.path, problem.line, problem.column) == (str(tmp_path / "nope.yaml"), 1, 1)
    assert problem.message == "file not found"
    assert problem.hint is not None and "--inventory" in problem.hint


def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load(tmp_path)
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (1, 1)
    assert "is a directory" in problem.message


def test_non_utf8_byte_position(tmp_path: Path) -> None:
    content = edit(BASE, 11, "    name: B\udcffob").encode("utf-8", "surrogateescape")
    problem = only_problem(tmp_path, content)
    assert (problem.line, problem.column) == (11, 12)
    assert problem.message == "not valid UTF-8 (byte 0xff)"
    assert problem.hint == "save the file as UTF-8"


def test_latin1_file_on_the_first_line(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "# Diöcese\n".encode("latin-1") + BASE.encode())
    assert (problem.line, problem.column) == (1, 5)
    assert "0xf6" in problem.message


def test_utf8_bom_loads(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, b"\xef\xbb\xbf" + BASE.encode()))
    assert loaded.inventory.organization.name == "Org"
    assert loaded.locate(("accounts", 0, "access", 1, "role")).line == 28


def test_utf8_bom_with_an_error_keeps_positions(tmp_path: Path) -> None:
    text = edit(BASE, 22, "    platform: facebok")
    problem = only_problem(tmp_path, b"\xef\xbb\xbf" + text.encode())
    assert (problem.line, problem.column) == (22, 15)


# --- anchors and aliases ------------------------------------------------------------------

LAUGHS = "".join(
    ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    + [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 10)]
)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def test_billion_laughs_is_refused_without_eating_memory(tmp_path: Path) -> None:
    before = _peak_rss_mb()
    problem = only_problem(tmp_path, LAUGHS)
    assert _peak_rss_mb() - before < 200
    assert "alias" in problem.message
    assert problem.hint is not None and "anchors and aliases" in problem.hint
    assert problem.line >= 2


def test_aliases_of_a_large_scalar_are_refused_without_eating_memory(tmp_path: Path) -> None:
    # Few alias events, but each copies a 1 MB string: the event bound alone lets ~1 GB through.
    text = "big: &big " + "x" * 1_000_000 + "\ncopies: [" + ", ".join(["*big"] * 1000) + "]\n"
    before = _peak_rss_mb()
    problem = only_problem(tmp_path, text)
    assert _peak_rss_mb() - before < 200
    assert "alias" in problem.message
    assert problem.line == 2


def test_a_benign_alias_loads(tmp_path: Path) -> None:
    text = edit(edit(BASE, 9, "    level: &lvl C"), 13, "    level: *lvl")
    loaded = load(write(tmp_path, text))
    assert [p.level for p in loaded.inventory.people] == ["C", "C"]
    assert loaded.locate(("people", 1)).line == 10
    assert loaded.locate(("people", 1, "level"), key=True).line == 13


def test_an_undefined_alias_fails_cleanly(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edit(BASE, 13, "    level: *nowhere"))
    assert problem.line == 13
    assert problem.message.startswith("YAML syntax error")


def test_schema_invalid_items_still_get_their_reference_checks_in_the_same_run(
    tmp_path: Path,
) -> None:
    """An account with a schema error (a misspelt field) still has its platform, entity,
    people and roles checked in the same run; a field that failed the schema is not also
    reported as a bad reference."""
    from govern.inventory.load import load_inventory
    from govern.platforms import builtin_catalog

    text = (
        "version: 1\n"
        "organization: {name: X, domains: [x.test]}\n"
        "people:\n"
        "  - {id: ann, name: Ann, email: ann@x.test, level: C}\n"
        "entities:\n"
        "  - {id: parish, name: P, head: anne, colour: blue}\n"
        "accounts:\n"
        "  - id: fb\n"
        "    entity: parsh\n"
        "    platform: facebok\n"
        "    handle: fb\n"
        "    acess: []\n"
        "  - id: yt\n"
        "    entity: parish\n"
        "    platform: youtube\n"
        "    handle: yt\n"
        "    url: [not, a, string]\n"
        "    access:\n"
        "      - {person: bob, role: owner}\n"
        "      - {person: ann, role: boss}\n"
    )
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_inventory(path, builtin_catalog())
    found = {(p.line, p.message) for p in caught.value.problems}
    assert found == {
        (6, "unknown field 'colour'"),
        (6, "unknown person 'anne'"),
        (9, "unknown entity 'parsh'"),
        (10, "unknown platform 'facebok'"),
        (12, "unknown field 'acess'"),
        (17, "url: Input should be a valid string"),
        (19, "unknown person 'bob'"),
        (20, "role: Input should be 'owner', 'admin', 'editor' or 'analyst'"),
    }


def test_schema_invalid_person_is_still_checked_for_departure_date(tmp_path: Path) -> None:
    from govern.inventory.load import load_inventory
    from govern.platforms import builtin_catalog

    path = tmp_path / "inventory.yaml"
    path.write_text(
        "version: 1\n"
        "organization: {name: X}\n"
        "people:\n"
        "  - {id: ann, name: Ann, email: not-an-email, level: C, status: departed}\n"
        "  - {id: bob, name: Bob, email: bob@x.test, level: [C], status: departed,"
        " left_on: someday}\n"
    )
    with pytest.raises(InputError) as caught:
        load_inventory(path, builtin_catalog())
    found = sorted((p.line, p.message) for p in caught.value.problems)
    assert found == [
        (4, "email: must be an email address like name@example.org"),
        (4, "person 'ann' is departed but has no 'left_on' date"),
        (5, "left_on: Input should be a valid date or datetime, input is too short"),
        (5, "level: Input should be a valid string"),
    ]
