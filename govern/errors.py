"""The one error family of govern: each error carries its exit code and a hint for the user.

Third-party exceptions are converted where they enter (a store, a loader); the CLI catches
`GovernError` once at the top, prints `message` (and `hint`), and exits with `exit_code`.
Messages never contain secret values.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from govern.textsafe import printable, printable_lines


class ExitCode(enum.IntEnum):
    """Process exit statuses, the same for every command (`govern --help` lists them)."""

    OK = 0
    FINDINGS = 1  # findings at or above --fail-on, drift found, a failing policy test
    INVALID = 2  # invalid input or usage
    UNAVAILABLE = 3  # a backend could not be reached or refused us
    INTERNAL = 70  # a bug in govern (EX_SOFTWARE)
    INTERRUPTED = 130  # Ctrl-C
    BROKEN_PIPE = 141  # the reader of standard output went away (128 + SIGPIPE)


class PlanExit(enum.IntEnum):
    """`govern plan --detailed-exitcode`, exactly as Terraform: any error is 1."""

    NO_CHANGES = 0
    ERROR = 1
    CHANGES = 2


# The names older code imports.
EXIT_OK = ExitCode.OK
EXIT_FINDINGS = ExitCode.FINDINGS
EXIT_INVALID = ExitCode.INVALID
EXIT_UNAVAILABLE = ExitCode.UNAVAILABLE


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, at a 1-based line and column."""

    path: str
    line: int
    column: int
    message: str
    hint: str | None = None

    def render(self) -> str:
        """One line; control characters from the input are escaped, never written raw."""
        text = f"{self.path}:{self.line}:{self.column}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return printable(text)


class GovernError(Exception):
    """Base error. `exit_code` is the process exit status the CLI uses."""

    exit_code: int = ExitCode.INVALID

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """Human-readable text for the terminal; one or more lines."""
        message = printable(self.message)
        return message if not self.hint else f"{message}\nhint: {printable_lines(self.hint)}"


class UsageError(GovernError):
    """Bad command-line usage or configuration (exit 2)."""


class InputError(GovernError):
    """An input file is invalid; carries every problem found in one run (exit 2)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.column, p.message))
        first = self.problems[0].render() if self.problems else "invalid input"
        super().__init__(first)

    def diagnostics(self) -> str:
        lines = [p.render() for p in self.problems]
        n = len(self.problems)
        lines.append(f"{n} problem{'s' if n != 1 else ''} found; nothing was changed.")
        return "\n".join(lines)


class BackendUnavailable(GovernError):
    """A backend (Vault, a platform API) could not be reached or refused us (exit 3)."""

    exit_code = ExitCode.UNAVAILABLE


class StoreError(GovernError):
    """A credential store operation failed for a reason the user must fix (exit 2)."""
