"""tools/mutate.py on a throwaway project: it finds the mutants, the tests that run each line
(in the pytest process and in a subprocess), kills what a test catches and reports the rest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

MUTATE = REPO / "tools" / "mutate.py"

CORE = """\
def at_least(value, floor):
    return value >= floor


def label(count):
    if count == 1:
        return "one"
    return "many"


def unused():
    return 0
"""

MAIN = """\
import sys

from toy.core import at_least

sys.exit(0 if at_least(int(sys.argv[1]), 5) else 1)
"""

TESTS = """\
import subprocess
import sys

from toy.core import label


def test_at_least_only_in_a_subprocess():
    assert subprocess.run([sys.executable, "-m", "toy", "5"]).returncode == 0
    assert subprocess.run([sys.executable, "-m", "toy", "4"]).returncode == 1


def test_label():
    assert label(1) == "one"
    assert label(2) != "one"
"""

IN_SUBPROCESS = "toy/core.py:2:11:cmp-negate"
IN_PROCESS = "toy/core.py:6:7:cmp-negate"
SURVIVOR = "toy/core.py:8:4:delete-return"
DEAD = "toy/core.py:12:4:delete-return"
UNTESTED = "toy/core.py:12:11:const-incr"


def make_project(root: Path) -> None:
    (root / "toy").mkdir()
    (root / "toy" / "__init__.py").write_text("")
    (root / "toy" / "core.py").write_text(CORE)
    (root / "toy" / "__main__.py").write_text(MAIN)
    (root / "tests").mkdir()
    (root / "tests" / "test_toy.py").write_text(TESTS)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)


def mutate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MUTATE), "--root", str(root), *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_lists_the_mutants_with_stable_ids(tmp_path: Path) -> None:
    make_project(tmp_path)
    done = mutate(tmp_path, "--module", "toy/*.py", "--list")
    assert done.returncode == 0, done.stderr
    ids = [line.split()[0] for line in done.stdout.splitlines()]
    assert ids == [
        "toy/__main__.py:5:0:delete-call",
        "toy/__main__.py:5:9:const-incr",
        "toy/__main__.py:5:14:cond-negate",
        "toy/__main__.py:5:36:const-incr",
        "toy/__main__.py:5:41:const-incr",
        "toy/__main__.py:5:49:const-incr",
        "toy/core.py:2:4:delete-return",
        "toy/core.py:2:11:cmp-boundary",
        IN_SUBPROCESS,
        IN_PROCESS,
        "toy/core.py:6:7:cond-negate",
        "toy/core.py:6:16:const-incr",
        "toy/core.py:7:8:delete-return",
        SURVIVOR,
        DEAD,
        UNTESTED,
    ]
    assert f"{IN_SUBPROCESS}  cmp-negate: `value >= floor` -> `(value < floor)`" in done.stdout


def test_kills_what_a_test_catches_in_process_and_in_a_subprocess(tmp_path: Path) -> None:
    make_project(tmp_path)
    (tmp_path / "equivalent.yaml").write_text(f"- id: {DEAD}\n  reason: nothing calls unused()\n")
    out = tmp_path / "results" / "mutation.json"
    only = [
        arg
        for mutant in (IN_SUBPROCESS, IN_PROCESS, SURVIVOR, DEAD, UNTESTED)
        for arg in ("--only", mutant)
    ]
    done = mutate(
        tmp_path,
        "--module",
        "toy/core.py",
        *only,
        "--jobs",
        "2",
        "--equivalent",
        "equivalent.yaml",
        "--out",
        str(out),
        "--markdown",
        "summary.md",
    )
    assert done.returncode == 0, done.stderr
    core = json.loads(out.read_text())["modules"]["toy/core.py"]
    summary = (tmp_path / "summary.md").read_text()
    assert "| toy/core.py | 5 | 2 | 1 | 1 | 1 | 50.0% |" in summary
    assert f"- `{SURVIVOR}` delete-return" in summary
    # at_least() runs only in a subprocess: its mutant is killed all the same.
    counts = ("mutants", "killed", "survived", "no_tests", "equivalent", "score")
    assert [core[c] for c in counts] == [5, 2, 1, 1, 1, 50.0]
    assert [(s["id"], s["status"]) for s in core["survivors"]] == [
        (SURVIVOR, "survived"),
        (UNTESTED, "no-tests"),
    ]
    assert core["command"].startswith("python tools/mutate.py ")
    assert core["date"].endswith("Z")
    assert 'toy/core.py:8  delete-return: `return "many"` -> `pass`' in done.stdout
    assert "50.0%" in done.stdout
    # The repository itself is never touched.
    assert (tmp_path / "toy" / "core.py").read_text() == CORE


def test_a_mutant_that_hangs_is_killed_by_timeout(tmp_path: Path) -> None:
    make_project(tmp_path)
    (tmp_path / "toy" / "core.py").write_text(
        "def countdown(n):\n"
        "    while True:\n"
        "        if n <= 0:\n"
        "            break\n"
        "        n -= 1\n"
        "    return n\n"
    )
    (tmp_path / "tests" / "test_toy.py").write_text(
        "from toy.core import countdown\n\n\ndef test_countdown():\n    assert countdown(3) == 0\n"
    )
    out = tmp_path / "mutation.json"
    only = ("--only", "toy/core.py:4:12:delete-break")
    done = mutate(tmp_path, "--module", "toy/core.py", *only, "--timeout", "20", "--out", str(out))
    assert done.returncode == 0, done.stderr
    core = json.loads(out.read_text())["modules"]["toy/core.py"]
    assert [core[c] for c in ("mutants", "killed", "timeout")] == [1, 1, 1]
