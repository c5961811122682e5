"""Reading the inventory ahead (`govern.readahead`): the entry point guesses the file from
the command line, a thread parses it while the modules import, and the load takes it only
when it is the file loaded, unchanged; every other case reads and reports as always."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import click
import pytest

from govern import readahead
from govern.cli import _common
from govern.cli.main import cli
from govern.inventory.load import load_inventory
from govern.platforms import builtin_catalog
from tests.conftest import BASE
from tests.subprocess_cli import run_python

# Run the entry point (`python -m govern`) with `take` watched; print what each take gave.
WATCHED = """\
import atexit, runpy, sys
from govern import readahead
taken = []
real = readahead.take
def take(path):
    found = real(path)
    taken.append(found is not None)
    return found
readahead.take = take
atexit.register(lambda: print("taken", taken))
sys.argv = ["govern", *sys.argv[1:]]
runpy.run_module("govern", run_name="__main__")
"""


NO_INVENTORY = {**os.environ, "GOVERN_INVENTORY": ""}


def watched(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[list[bool], str]:
    """(what each take of the inventory gave, stderr) for `govern ARGS`."""
    done = run_python(
        cwd, WATCHED, *args, env={**os.environ, "GOVERN_INVENTORY": "", **(env or {})}
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("taken ")]
    assert line, (done.stdout, done.stderr)
    flags = line[-1].removeprefix("taken [").removesuffix("]")
    return [x == "True" for x in flags.split(", ") if x], done.stderr


@pytest.fixture
def here(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(BASE)
    (tmp_path / "other.yaml").write_text(BASE)
    return tmp_path


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["audit"], {}, "inventory.yaml"),
        (["audit", "--inventory", "other.yaml"], {}, "other.yaml"),
        (["audit", "--inventory=other.yaml"], {}, "other.yaml"),
        (["audit", "-i", "other.yaml"], {}, "other.yaml"),
        (["audit", "-iother.yaml"], {}, "other.yaml"),
        (["-v", "audit", "--format", "json", "-i", "other.yaml"], {}, "other.yaml"),
        (["audit"], {"GOVERN_INVENTORY": "other.yaml"}, "other.yaml"),
        (["audit", "-i", "other.yaml"], {"GOVERN_INVENTORY": "inventory.yaml"}, "other.yaml"),
        (["validate", "other.yaml"], {}, "other.yaml"),
        (["validate", "--policies", "pol", "other.yaml"], {}, "other.yaml"),
        (["validate", "-p", "pol", "other.yaml"], {}, "other.yaml"),
        (["validate", "other.yaml", "-i", "inventory.yaml"], {}, "other.yaml"),
        (["validate", "--", "other.yaml"], {}, "other.yaml"),
        (["who", "jdoe", "-i", "other.yaml"], {}, "other.yaml"),
        (["audit", "-i", "missing.yaml"], {}, None),  # no such file: nothing to read
        (["audit", "-i", "."], {}, None),  # not a file
        (["init"], {}, None),  # a command that loads no inventory
        (["creds", "list"], {}, None),
        (["--help"], {}, None),
        (["--unknown", "audit"], {}, None),  # unsure what comes before the command
        ([], {}, None),
    ],
)
def test_the_inventory_the_command_line_names(
    here: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    expected: str | None,
) -> None:
    monkeypatch.chdir(here)
    assert readahead.inventory_argument(args, env) == expected


def test_the_guess_reads_the_options_as_the_commands_declare_them() -> None:
    context = click.Context(cli)
    root = {opt for param in cli.params for opt in param.opts if not param.is_eager}
    assert root == readahead._ROOT_FLAGS
    assert all(p.is_flag for p in cli.params if isinstance(p, click.Option))
    assert readahead.DEFAULT == _common.DEFAULT_INVENTORY
    for name in readahead.COMMANDS:
        command = cli.get_command(context, name)
        assert command is not None, name
        (option,) = [p for p in command.params if "--inventory" in p.opts]
        assert set(option.opts) == {readahead.OPTION, readahead.SHORT}, name
        assert option.envvar == readahead.ENVVAR, name
    validate = cli.get_command(context, "validate")
    assert validate is not None
    valued = {
        opt
        for p in validate.params
        if isinstance(p, click.Option) and not p.is_flag
        for opt in p.opts
    }
    assert valued == readahead._VALIDATE_VALUES


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "other.yaml"],
        ["audit", "--inventory", "other.yaml", "--offline"],
        ["accounts", "-i", "other.yaml"],
        ["who", "bob", "--inventory=other.yaml"],
        ["report", "-i", "other.yaml", "-o", "site"],
        ["drift", "-i", "other.yaml"],
        ["plan", "-i", "other.yaml"],
    ],
)
def test_each_command_takes_the_inventory_read_ahead(here: Path, args: list[str]) -> None:
    """Every command that reads ahead loads that file first: the work is never wasted."""
    assert args[0] in readahead.COMMANDS
    taken, stderr = watched(here, *args)
    assert taken[:1] == [True], stderr


def test_a_load_of_another_file_leaves_the_read_ahead_for_its_own(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(here)
    readahead.start(["audit", "-i", "other.yaml"], {})
    assert readahead.take(here / "inventory.yaml") is None  # a policy file, another inventory
    found = readahead.take(here / "other.yaml")  # the same file, by another name
    assert found is not None and found[0] == BASE


def test_errors_are_reported_as_when_read_in_order(here: Path) -> None:
    """A file that fails to parse is read and reported by the load itself: same message,
    same position, exit 2."""
    (here / "bad.yaml").write_text(BASE + "  - id: [unclosed\n")
    taken, stderr = watched(here, "validate", "bad.yaml")
    assert taken == [False]
    in_order = (
        "import sys; sys.argv = ['govern', *sys.argv[1:]]\nfrom govern.cli.main import main\nmain()"
    )
    direct = run_python(here, in_order, "validate", "bad.yaml", env=NO_INVENTORY)
    assert direct.returncode == 2
    assert "bad.yaml:" in direct.stderr
    assert stderr == direct.stderr


def test_a_document_with_anchors_and_aliases_is_left_to_the_load(here: Path) -> None:
    """Its aliases' expansion is checked before it is parsed: the thread does not parse it."""
    text = BASE.replace("version: 1\n", "version: 1\nx-anchor: &a {k: v}\nx-alias: *a\n", 1)
    (here / "aliases.yaml").write_text(text)
    taken, _ = watched(here, "validate", "aliases.yaml")
    assert taken == [False]


def test_a_file_changed_after_it_was_read_ahead_is_read_again(here: Path) -> None:
    path = here / "other.yaml"
    readahead.start(["validate", str(path)], {})
    for thread in threading.enumerate():
        if thread.name == "govern-readahead":
            thread.join()
    changed = BASE.replace("version: 1\n", "version: 1\n# edited since\n", 1)
    path.write_text(changed)
    loaded = load_inventory(path, builtin_catalog())
    assert loaded.source.text == changed
    # Unchanged, the read-ahead is what loads (once).
    readahead.start(["validate", str(path)], {})
    assert readahead.take(path) is not None
    assert readahead.take(path) is None


def test_a_fifo_is_never_opened_for_reading_ahead(here: Path) -> None:
    """A FIFO named as the inventory: the guess finds no file, the command reports it."""
    os.mkfifo(here / "pipe.yaml")
    assert readahead.inventory_argument(["validate", "pipe.yaml"], {}) is None
    taken, stderr = watched(here, "validate", "pipe.yaml")
    assert taken == [False] and "not a regular file" in stderr


# Many reads ahead in one process, each while the main thread parses too (as it loads the
# policy pack). yaml_rs 0.1.6, first imported in a thread that then ends, crashes when a
# later thread parses (SIGSEGV, 8 runs in 10 with two reads ahead): `start` imports it in
# the main thread first.
CYCLES = """\
import sys
from pathlib import Path
from govern import readahead
path = Path(sys.argv[1])
for _ in range(30):
    readahead.start(["audit", "-i", str(path)], {})
    from govern.inventory.source import parse
    parse("p.yaml", path.read_text())
    assert readahead.take(path) is not None
print("ok")
"""


def test_reading_ahead_again_and_again_in_one_process_is_safe(here: Path) -> None:
    done = run_python(here, CYCLES, str(here / "other.yaml"), env=os.environ)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-2000:]
