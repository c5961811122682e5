"""The `govern` command: global options, error handling, exit codes."""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import traceback
from typing import Any, NoReturn

import click

from govern import __version__
from govern.errors import ExitCode, GovernError

EPILOG = """\b
Exit codes (every command):
  0  clean
  1  findings at or above --fail-on (or drift found, or a policy test failed)
  2  invalid input or usage; the message says where (path:line:column)
  3  a backend (Vault, a platform) could not be reached
  70 internal error (a bug; --verbose shows the traceback); 130 Ctrl-C; 141 output closed
  govern plan --detailed-exitcode follows Terraform: 0 no changes, 1 any error, 2 changes

\b
Examples:
  govern validate                      # schema and references only (pre-commit)
  govern audit                         # ./inventory.yaml against ./policies
  govern audit --format sarif -o govern.sarif
  govern who jdoe                      # everything jdoe holds
  govern explain revocation-ability
"""


# ctx.meta key: the exit code of every error, set by a command whose exit codes differ
# (`plan --detailed-exitcode`: 1, as Terraform). Set while its arguments are parsed, so it
# covers usage errors too; context meta is shared with the group's context.
ERROR_EXIT = "govern.error_exit"


def fail(exc: GovernError, code: int | None = None) -> NoReturn:
    """The one way a command reports a project error: `error: ...` on standard error, then
    exit with the error's code (or `code`, e.g. Terraform's 1 for `plan --detailed-exitcode`).
    Only the error boundary (`ErrorBoundary`) calls it."""
    click.echo(f"error: {exc.diagnostics()}", err=True)
    raise SystemExit(exc.exit_code if code is None else code)


class ErrorBoundary:
    """The CLI's one error boundary, mixed into click groups and commands: a project error
    becomes `error: ...` and its exit code, Ctrl-C 130, a reader gone away 141, any other
    exception an internal error (70, the traceback only with --verbose). `govern` runs every
    command through it (`GovernGroup`); the credential commands carry it too, so they behave
    the same when run on their own."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except GovernError as exc:
            fail(exc, ctx.meta.get(ERROR_EXIT))
        except click.ClickException as exc:
            override = ctx.meta.get(ERROR_EXIT)
            if override is None:
                raise
            exc.show()
            ctx.exit(override)
        except (click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except BrokenPipeError:
            # The reader went away (`govern rules | head -1`): stop quietly, as a tool killed by
            # SIGPIPE does, and keep Python from complaining again when it flushes stdout.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(ExitCode.BROKEN_PIPE)
        except Exception as exc:  # a bug: say so plainly, trace only on request
            verbose = bool(ctx.find_root().params.get("verbose"))
            if verbose:
                click.echo(traceback.format_exc(), err=True)
            click.echo(
                f"internal error: {type(exc).__name__}. This is a bug in govern; please report "
                "it" + ("" if verbose else " with the output of --verbose") + ".",
                err=True,
            )
            override = ctx.meta.get(ERROR_EXIT)
            ctx.exit(ExitCode.INTERNAL if override is None else override)


class GovernGroup(ErrorBoundary, click.Group):
    """Runs commands through the error boundary. Subcommands load on first use (see
    COMMANDS)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        global _running
        _running = cmd_name
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, attribute = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):  # pragma: no cover - wiring error
                raise TypeError(f"{module}.{attribute} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


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


# Subcommands are imported when used: `govern validate` in a pre-commit hook should not pay
# for cryptography, ruamel and the Vault transport (click's documented lazy-loading pattern).
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("govern.cli.audit", "validate"),
    "audit": ("govern.cli.audit", "audit"),
    "rules": ("govern.cli.audit", "rules_command"),
    "explain": ("govern.cli.audit", "explain"),
    "who": ("govern.cli.query", "who"),
    "accounts": ("govern.cli.query", "accounts"),
    "creds": ("govern.cli.creds", "creds"),
    "login": ("govern.cli.creds", "login"),
    "store": ("govern.cli.creds", "store"),
    "init": ("govern.cli.init", "init"),
    "test": ("govern.cli.policytest", "test"),
    "schema": ("govern.cli.schema", "schema"),
    "drift": ("govern.cli.drift", "drift"),
    "plan": ("govern.cli.enforce", "plan"),
    "apply": ("govern.cli.enforce", "apply"),
    "revoke": ("govern.cli.offboard", "revoke"),
    "lockdown": ("govern.cli.lockdown", "lockdown"),
    "log": ("govern.cli.offboard", "log_group"),
    "review": ("govern.cli.review", "review"),
    "report": ("govern.cli.report", "report"),
    "people": ("govern.cli.people", "people"),
    "grant": ("govern.cli.changes", "grant"),
    "ungrant": ("govern.cli.changes", "ungrant"),
    "account": ("govern.cli.changes", "account"),
    "remind": ("govern.cli.remind", "remind"),
}


# Read-only commands that read a whole inventory and leave nothing behind but their output
# (written and flushed, or written atomically and closed, before they return). They end
# without tearing the interpreter down: freeing a 10,000-account inventory object by object
# costs a tenth of `govern audit`'s time, for a process that is about to exit anyway (mypy
# ends the same way). The exit handlers still run (coverage data, logging).
QUICK_EXIT = frozenset({"validate", "audit"})
_running: str | None = None  # the subcommand click resolved (GovernGroup.get_command)


def main() -> None:
    try:
        cli.main(prog_name="govern", standalone_mode=True)
    except SystemExit as exc:
        if _running in QUICK_EXIT:
            _quick_exit(exc)
        raise
    except BaseException:  # pragma: no cover - last resort, should be unreachable
        sys.exit(ExitCode.INVALID)


def _quick_exit(exc: SystemExit) -> None:
    """Exit as `exc` would, without freeing every object first. Returns (and the exit goes
    the usual way) when the exit status is not a plain number or the output cannot be
    flushed: then Python's own exit reports it as always."""
    code = exc.code
    if code is None:
        code = 0
    if not isinstance(code, int):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()
    os._exit(code)
