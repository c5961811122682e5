"""The `govern` command: global options, error handling, exit codes."""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from govern import __version__
from govern.errors import EXIT_INVALID, GovernError

EPILOG = """\b
Exit codes (every command):
  0  clean
  1  findings at or above --fail-on (or drift found)
  2  invalid input or usage; the message says where (path:line:column)
  3  a backend (Vault, a platform) could not be reached

\b
Examples:
  govern validate                      # schema and references only (pre-commit)
  govern audit                         # ./inventory.yaml against ./policies
  govern audit --format sarif -o govern.sarif
  govern who jdoe                      # everything jdoe holds
  govern explain revocation-ability
"""


class GovernGroup(click.Group):
    """Runs commands with one error boundary: project errors become a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GovernError as exc:
            click.echo(f"error: {exc.diagnostics()}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug: say so plainly, trace only on request
            verbose = bool(ctx.find_root().params.get("verbose"))
            if verbose:
                click.echo(traceback.format_exc(), err=True)
            click.echo(
                f"internal error: {type(exc).__name__}. This is a bug in govern; please report "
                "it" + ("" if verbose else " with the output of --verbose") + ".",
                err=True,
            )
            ctx.exit(70)


@click.group(
    cls=GovernGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EPILOG,
)
@click.version_option(__version__, "--version", "-V", prog_name="govern")
@click.option("--verbose", "-v", is_flag=True, help="Show internal tracebacks on crashes.")
def cli(verbose: bool) -> None:
    """Governance as code for an organization's social media accounts.

    Declare accounts, owning entities, heads and managers in inventory.yaml; check them
    against the policy pack in policies/; keep shared logins encrypted.
    """


def _register() -> None:
    from govern.cli import audit, creds, drift, enforce, init, offboard, query, schema

    for command in (
        *audit.COMMANDS,
        *query.COMMANDS,
        creds.creds,
        creds.login,
        creds.store,
        *init.COMMANDS,
        *schema.COMMANDS,
        *drift.COMMANDS,
        *offboard.COMMANDS,
        *enforce.COMMANDS,
    ):
        cli.add_command(command)


_register()


def main() -> None:
    try:
        cli.main(prog_name="govern", standalone_mode=True)
    except SystemExit:
        raise
    except BaseException:  # pragma: no cover - last resort, should be unreachable
        sys.exit(EXIT_INVALID)
