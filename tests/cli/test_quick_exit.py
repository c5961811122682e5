"""`govern validate` and `govern audit` end without tearing the interpreter down
(govern.cli.main.QUICK_EXIT), yet behave as any exit: the whole report reaches a pipe and a
file, the exit code is the command's, and exit handlers (coverage data, logging) still run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BASE
from tests.subprocess_cli import run_python

# Runs govern's own entry point with one exit handler and one object freed only when the
# interpreter is torn down, each leaving a trace on stderr.
PROGRAM = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
    "class Witness:\n"
    "    def __del__(self): sys.__stderr__.write('torn down\\n')\n"
    "witness = Witness()\n"
    "from govern.cli.main import main\n"
    "sys.argv = ['govern', *sys.argv[1:]]\n"
    "main()\n"
)


def govern(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return run_python(cwd, PROGRAM, *args, env=env)


@pytest.fixture
def org(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "inventory.yaml").write_text(BASE)
    return tmp_path


def test_validate_output_exit_code_and_exit_handlers(org: Path) -> None:
    done = govern(org, "validate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("inventory.yaml: valid (")
    assert "exit handler ran" in done.stderr
    assert "torn down" not in done.stderr  # the quick exit


def test_other_commands_exit_the_usual_way(org: Path) -> None:
    done = govern(org, "rules")
    assert done.returncode == 0, done.stderr
    assert "exit handler ran" in done.stderr and "torn down" in done.stderr


def test_audit_report_is_whole_on_a_pipe_with_the_findings_exit_code(org: Path) -> None:
    # An account without a review date is a warning: exit 1 with --fail-on warning.
    done = govern(org, "audit", "--offline", "--format", "json", "--fail-on", "warning")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)  # the whole document, flushed before the exit
    assert report["findings"] and report["summary"]["warning"] >= 1
    assert "exit handler ran" in done.stderr and "torn down" not in done.stderr


def test_audit_report_to_a_file_and_an_error_exit(org: Path) -> None:
    done = govern(org, "audit", "--offline", "-f", "sarif", "-o", "out.sarif", "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    assert json.loads((org / "out.sarif").read_text())["version"] == "2.1.0"
    broken = govern(org, "audit", "--offline", "--inventory", "missing.yaml")
    assert broken.returncode == 2
    assert "missing.yaml" in broken.stderr and "exit handler ran" in broken.stderr
