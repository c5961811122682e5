"""`govern init`: a repository that audits clean at once, and never a clobbered file."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from click.testing import CliRunner

from govern import scaffold
from govern.cli.main import cli
from tests.ecosystem.conftest import REPO, govern

EXPECTED = {
    "inventory.yaml",
    "policies/rules.yaml",
    "policies/waivers.yaml",
    "policies/platforms.yaml",
    "policies/tests/example.yaml",
    ".github/workflows/govern.yml",
    ".github/workflows/govern-review.yml",
    ".github/workflows/govern-report.yml",
    ".github/workflows/govern-remind.yml",
    ".github/workflows/govern-drift.yml",
    ".pre-commit-config.yaml",
    ".gitignore",
    "README.md",
    "schema/inventory.schema.json",
}


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_init_then_audit_exits_0_in_a_real_process(tmp_path: Path) -> None:
    made = govern("init", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert set(snapshot(tmp_path)) == EXPECTED
    for path in EXPECTED:
        assert f"created {path}" in made.stdout
    assert "Next steps" in made.stdout
    for command in (["validate"], ["audit"], ["audit", "--fail-on", "warning"]):
        proc = govern(*command, cwd=tmp_path)
        assert proc.returncode == 0, (command, proc.stdout, proc.stderr)


def test_init_into_a_new_nested_directory(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    result = CliRunner().invoke(cli, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert set(snapshot(target)) == EXPECTED
    assert f"cd {target}" in result.output


def test_second_init_exits_2_lists_the_files_and_changes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    before = snapshot(tmp_path)
    again = runner.invoke(cli, ["init", str(tmp_path)])
    assert again.exit_code == 2
    assert "nothing was written" in again.output and "--force" in again.output
    for path in EXPECTED:
        assert str(tmp_path / path) in again.output
    assert snapshot(tmp_path) == before


def test_one_existing_file_blocks_the_whole_scaffold(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("our own readme\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "1 file(s) already exist" in result.output
    assert str(tmp_path / "README.md") in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]
    assert (tmp_path / "README.md").read_text() == "our own readme\n"


def test_force_overwrites_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "inventory.yaml").write_text("version: 1\n")
    result = CliRunner().invoke(cli, ["init", "--force", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"overwrote {tmp_path / 'inventory.yaml'}" in result.output
    assert f"created {tmp_path / 'README.md'}" in result.output
    assert "Example Organization" in (tmp_path / "inventory.yaml").read_text()


def test_a_file_where_the_directory_should_be_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "plain-file"
    target.write_text("x")
    result = CliRunner().invoke(cli, ["init", str(target)])
    assert result.exit_code == 2
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "policies").write_text("not a directory")
    result = CliRunner().invoke(cli, ["init", "--force", str(tmp_path / "d")])
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output and "Traceback" not in result.output


def test_package_option_lands_in_the_workflow(tmp_path: Path) -> None:
    spec = "git+https://git.example.org/it/govern@v0.1.0"
    assert CliRunner().invoke(cli, ["init", "--package", spec, str(tmp_path)]).exit_code == 0
    workflow = yaml.safe_load((tmp_path / ".github/workflows/govern.yml").read_text())
    assert workflow["env"]["GOVERN_PACKAGE"] == spec


def test_default_package_is_this_version(scaffolded: Path) -> None:
    workflow = yaml.safe_load((scaffolded / ".github/workflows/govern.yml").read_text())
    assert workflow["env"]["GOVERN_PACKAGE"] == scaffold.default_package()


def test_no_placeholder_survives(scaffolded: Path) -> None:
    for path in EXPECTED:
        text = (scaffolded / path).read_text()
        for placeholder in ("{today}", "{version}", "{package}"):
            assert placeholder not in text, (path, placeholder)


def test_scaffolded_rules_match_the_default_policy_pack() -> None:
    shipped = yaml.safe_load(scaffold.template("policies/rules.yaml"))
    ours = yaml.safe_load((REPO / "policies" / "rules.yaml").read_text())
    assert shipped["rules"] == ours["rules"], (
        "govern/scaffold/templates/policies/rules.yaml differs from policies/rules.yaml"
    )


def test_templates_are_package_data() -> None:
    """Every template is readable through importlib.resources (what an installed wheel has),
    and the package-data globs of pyproject.toml cover each template's extension."""
    import tomllib

    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["govern"]
    for name in scaffold.TEMPLATES.values():
        assert scaffold.template(name)
        relative = f"scaffold/templates/{name}"
        assert any(
            Path(relative).match(g) or Path(relative).match(g.removeprefix("**/")) for g in globs
        ), relative
        assert not os.path.basename(name).startswith("."), "dot files escape package-data globs"
