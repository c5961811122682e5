"""Bad policy packs give an `InputError` with file, line, column and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import InputError, Problem
from govern.policy import load_policy


def pack(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "policies"
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / name.replace("_", ".")).write_text(text, encoding="utf-8")
    return directory


def problems(directory: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_policy(directory, required=True)
    return info.value.problems


def only(directory: Path) -> Problem:
    found = problems(directory)
    assert len(found) == 1, [p.render() for p in found]
    return found[0]


def test_valid_pack_loads(tmp_path: Path) -> None:
    directory = pack(
        tmp_path,
        rules_yaml="version: 1\nrules:\n  min-admins:\n"
        "    severity: warning\n    params: {count: 3}\n",
    )
    policy = load_policy(directory, required=True)
    assert policy.params["min-admins"].count == 3  # type: ignore[attr-defined]
    assert str(policy.rule_locations["min-admins"]).endswith("rules.yaml:3:3")


def test_unknown_rule_suggests(tmp_path: Path) -> None:
    directory = pack(
        tmp_path,
        rules_yaml=(
            "version: 1\nrules:\n  admin-retention: {severity: error}\n  manager-levl:\n"
            "    severity: error\n"
        ),
    )
    problem = only(directory)
    assert problem.path == str(directory / "rules.yaml")
    assert (problem.line, problem.column) == (4, 3)
    assert problem.message == "unknown rule 'manager-levl'"
    assert problem.hint == "did you mean 'manager-level'?"


def test_unknown_rule_without_a_close_match(tmp_path: Path) -> None:
    problem = only(pack(tmp_path, rules_yaml="rules:\n  zzz: {}\n"))
    assert (problem.line, problem.column) == (2, 3)
    assert problem.hint == "see `govern rules`"


def test_manager_level_empty_levels(tmp_path: Path) -> None:
    problem = only(
        pack(
            tmp_path,
            rules_yaml=("version: 1\nrules:\n  manager-level:\n    params:\n      levels: []\n"),
        )
    )
    assert (problem.line, problem.column) == (5, 15)
    assert problem.message.startswith("levels: ")
    assert "at least 1 item" in problem.message


def test_manager_level_unknown_role(tmp_path: Path) -> None:
    problem = only(
        pack(
            tmp_path,
            rules_yaml=(
                "version: 1\nrules:\n  manager-level:\n    params:\n      roles: [owner, boss]\n"
            ),
        )
    )
    assert (problem.line, problem.column) == (5, 14)
    assert "unknown role(s) ['boss']" in problem.message


def test_grant_expiry_negative_warn_days(tmp_path: Path) -> None:
    problem = only(
        pack(
            tmp_path,
            rules_yaml=("version: 1\nrules:\n  grant-expiry:\n    params: {warn_days: -1}\n"),
        )
    )
    assert (problem.line, problem.column) == (4, 25)
    assert problem.message == "warn_days: Input should be greater than or equal to 0"


def test_unknown_param_suggests(tmp_path: Path) -> None:
    problem = only(
        pack(tmp_path, rules_yaml=("rules:\n  grant-expiry:\n    params:\n      warn_dayz: 3\n"))
    )
    assert (problem.line, problem.column) == (4, 7)
    assert problem.message == "unknown field 'warn_dayz'"
    assert problem.hint == "did you mean 'warn_days'?"


def test_bad_severity(tmp_path: Path) -> None:
    problem = only(pack(tmp_path, rules_yaml="rules:\n  min-admins: {severity: fatal}\n"))
    assert (problem.line, problem.column) == (2, 26)
    assert "'error', 'warning' or 'info'" in problem.message


def test_unknown_field_in_a_rule_suggests(tmp_path: Path) -> None:
    problem = only(pack(tmp_path, rules_yaml="rules:\n  min-admins:\n    enabeld: false\n"))
    assert (problem.line, problem.column) == (3, 5)
    assert problem.hint == "did you mean 'enabled'?"


WAIVER = """\
version: 1
waivers:
  - rule: min-admins
    account: parish-fb
    reason: Second admin being recruited
    approved_by: bishop
    expires: 2030-01-31
"""


def test_valid_waiver_is_placed(tmp_path: Path) -> None:
    policy = load_policy(pack(tmp_path, waivers_yaml=WAIVER), required=True)
    (placed,) = policy.waivers
    assert placed.waiver.account == "parish-fb"
    assert (placed.location.line, placed.location.column) == (3, 5)


def test_unknown_field_in_a_waiver(tmp_path: Path) -> None:
    found = problems(pack(tmp_path, waivers_yaml=WAIVER.replace("approved_by:", "aproved_by:")))
    assert [(p.line, p.column, p.message, p.hint) for p in found] == [
        (3, 5, "missing required field 'approved_by'", None),
        (6, 5, "unknown field 'aproved_by'", "did you mean 'approved_by'?"),
    ]
    found = problems(pack(tmp_path / "b", waivers_yaml=WAIVER + "    approver: me\n"))
    assert [(p.line, p.column, p.message, p.hint) for p in found] == [
        (8, 5, "unknown field 'approver'", "did you mean 'approved_by'?"),
    ]


def test_waiver_missing_field_and_bad_date_in_one_run(tmp_path: Path) -> None:
    text = WAIVER.replace("    reason: Second admin being recruited\n", "").replace(
        "2030-01-31", "2030-02-30"
    )
    found = problems(pack(tmp_path, waivers_yaml=text))
    assert [(p.line, p.column) for p in found] == [(3, 5), (6, 14)]
    assert found[0].message == "missing required field 'reason'"
    assert found[1].message.startswith("expires: Input should be a valid date")


def test_rule_configured_in_two_files(tmp_path: Path) -> None:
    directory = pack(
        tmp_path,
        a_yaml="rules:\n  min-admins: {severity: info}\n",
        b_yaml="version: 1\nrules:\n  min-admins:\n    severity: warning\n",
    )
    problem = only(directory)
    assert problem.path == str(directory / "b.yaml")
    assert (problem.line, problem.column) == (3, 3)
    assert problem.message == "rule 'min-admins' is configured twice"
    assert problem.hint == f"first in {directory / 'a.yaml'}:2:3"


def test_platform_overridden_in_two_files(tmp_path: Path) -> None:
    entry = "platforms:\n  mastodon: {name: M, login: shared, roles: {admin: {label: L}}}\n"
    directory = pack(tmp_path, a_yaml=entry, b_yml=entry)
    problem = only(directory)
    assert problem.path == str(directory / "b.yml")
    assert (problem.line, problem.column) == (2, 3)
    assert problem.hint == f"first in {directory / 'a.yaml'}:2:3"


def test_invalid_platform_override_shared_login_with_editor(tmp_path: Path) -> None:
    problem = only(
        pack(
            tmp_path,
            platforms_yaml=(
                "version: 1\nplatforms:\n  facebook:\n    name: FB\n    login: shared\n"
                "    roles:\n      editor: {label: Ed}\n"
            ),
        )
    )
    assert (problem.line, problem.column) == (4, 5)
    assert problem.message.startswith("facebook: ")
    assert "shared-login platform has exactly one role, 'admin'" in problem.message


def test_platform_override_unknown_role_field_suggests(tmp_path: Path) -> None:
    found = problems(
        pack(
            tmp_path,
            platforms_yaml=(
                "platforms:\n  mastodon:\n    name: M\n    login: shared\n"
                "    roles:\n      admin: {lable: Login}\n"
            ),
        )
    )
    assert [(p.line, p.column, p.message, p.hint) for p in found] == [
        (6, 14, "missing required field 'label'", None),
        (6, 15, "unknown field 'lable'", "did you mean 'label'?"),
    ]


def test_syntax_errors_in_two_files_are_both_reported(tmp_path: Path) -> None:
    directory = pack(
        tmp_path, a_yaml="rules: [\n", b_yaml="rules:\n  min-admins: {}\n  min-admins: {}\n"
    )
    found = problems(directory)
    assert [(Path(p.path).name, p.line, p.column) for p in found] == [
        ("a.yaml", 1, 8),
        ("b.yaml", 3, 3),
    ]
    assert "unclosed bracket" in found[0].message
    assert "duplicate key 'min-admins'" in found[1].message


def test_missing_explicit_policies_directory(tmp_path: Path) -> None:
    problem = only(tmp_path / "nope")
    assert (problem.path, problem.line, problem.column) == (str(tmp_path / "nope"), 1, 1)
    assert problem.message == "policy directory not found"
    assert problem.hint is not None and "--policies" in problem.hint


def test_missing_default_policies_directory_means_defaults(tmp_path: Path) -> None:
    policy = load_policy(tmp_path / "nope", required=False)
    assert policy.directory is None and policy.rules == {}
    assert policy.params["grant-expiry"].warn_days == 14  # type: ignore[attr-defined]


def test_policies_path_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules: {}\n")
    problem = only(path)
    assert (problem.path, problem.line, problem.column) == (str(path), 1, 1)
    assert "must be a directory" in problem.message


def test_policy_file_that_is_a_list(tmp_path: Path) -> None:
    problem = only(pack(tmp_path, rules_yaml="- min-admins\n"))
    assert (problem.line, problem.column) == (1, 1)
    assert "valid dictionary" in problem.message


def test_empty_policy_file_is_ignored(tmp_path: Path) -> None:
    policy = load_policy(pack(tmp_path, rules_yaml="# nothing yet\n"), required=True)
    assert policy.rules == {}
