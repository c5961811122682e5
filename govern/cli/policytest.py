"""`govern test`: run the policy pack's tests."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli._common import emit, load_policy_dir, policies_option
from govern.errors import ExitCode


@click.command("test")
@click.argument(
    "directory", metavar="[DIR]", required=False, type=click.Path(path_type=Path), default=None
)
@policies_option
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["text", "junit"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE (default: stdout).")
@click.option("--verbose", "-v", is_flag=True, help="List passing cases too.")
def test(
    directory: Path | None, policies: str | None, fmt: str, output: str | None, verbose: bool
) -> None:
    """Run the policy tests in DIR (default: policies/tests/): each case audits a small
    inventory as of a day and expects exactly the findings it lists (rule, account, person),
    or none. Prints each failing case with a diff of findings (- expected, + found), like
    `opa test`; exits 1 when any case fails, 2 when a test file is invalid.

    \b
    Examples:
      govern test
      govern test policies/tests/ -v
      govern test --format junit -o policy-tests.xml
    """
    from govern.policytest import DEFAULT_DIR, discover, load_cases, render_junit, render_text, run

    policy = load_policy_dir(policies)
    cases = load_cases(discover(directory or DEFAULT_DIR))
    results = list(run(cases, policy))
    text = render_junit(results) if fmt == "junit" else render_text(results, verbose=verbose)
    emit(text, output)
    if not all(r.passed for r in results):
        raise SystemExit(ExitCode.FINDINGS)
