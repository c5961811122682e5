"""Shell completion (click's `_GOVERN_COMPLETE`), --version, and examples in every --help."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from govern import __version__
from govern.cli.main import cli
from tests.ecosystem.conftest import REPO, run, tool


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F"), ("zsh", "compdef"), ("fish", "complete")],
)
def test_completion_script_is_printed(shell: str, marker: str) -> None:
    exe = tool("govern", install="-e .")
    proc = run([exe], env={"_GOVERN_COMPLETE": f"{shell}_source"})
    assert proc.returncode == 0, proc.stderr
    assert marker in proc.stdout and "_GOVERN_COMPLETE" in proc.stdout


def test_completion_completes_commands() -> None:
    exe = tool("govern", install="-e .")
    proc = run(
        [exe],
        env={"_GOVERN_COMPLETE": "bash_complete", "COMP_WORDS": "govern in", "COMP_CWORD": "1"},
    )
    assert "plain,init" in proc.stdout.split(), proc.stdout


def test_completion_is_documented() -> None:
    assert "_GOVERN_COMPLETE=bash_source govern" in (REPO / "docs" / "ci.md").read_text()


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf command (a group's help lists its subcommands, each with examples)."""
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # loads lazily registered commands too
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            found.extend(commands(command, (*prefix, name)))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", commands(cli), ids=" ".join)
def test_every_command_help_has_examples(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`govern {' '.join(path)} --help` shows no example"
