"""The CLI's one error boundary: exit codes from govern.errors.ExitCode, and `plan
--detailed-exitcode` exactly as Terraform (0 no changes, 1 any error, 2 changes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import govern.cli
from tests.cli.test_cli import invoke, org  # noqa: F401  (org: the fixture)

CLOSED = {"VAULT_ADDR": "http://127.0.0.1:9", "VAULT_TOKEN": "t"}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--bogus"], "No such option '--bogus'"),
        (["--mount", "../x"], "invalid Vault mount '../x'"),
        (["--alias-field", "nick"], "Invalid value for '--alias-field'"),
    ],
)
def test_plan_usage_errors_exit_1_with_detailed_exitcode(
    org: Path,  # noqa: F811
    args: list[str],
    said: str,
) -> None:
    """Terraform exits 1 for a bad flag under -detailed-exitcode; 2 would read as "changes"."""
    code, _, err = invoke(["plan", "--detailed-exitcode", *args], org, env=CLOSED)
    assert code == 1 and said in err
    code, _, err = invoke(["plan", *args], org, env=CLOSED)
    assert code == 2 and said in err


def test_plan_detailed_exitcode_leaves_other_commands_alone(org: Path) -> None:  # noqa: F811
    code, _, err = invoke(["audit", "--detailed-exitcode"], org)
    assert code == 2 and "No such option" in err


def test_no_exit_code_literal_in_the_cli() -> None:
    """Every exit status of the CLI comes from govern.errors (ExitCode, PlanExit)."""
    literal = re.compile(r"(?:SystemExit|\bexit)\(\s*\d")
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(Path(govern.cli.__file__).parent.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert found == []


def test_nothing_outside_the_cli_imports_it() -> None:
    """Dependencies point one way: the CLI calls the packages, never the reverse."""
    package = Path(govern.cli.__file__).parent.parent
    found = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if path.parent.name != "cli"
        and path.name != "__main__.py"
        and re.search(r"\bgovern\.cli\b|from govern import cli\b", path.read_text())
    ]
    assert found == []
