"""Read the inventory ahead: parse it on a second core while the command's modules import.

A command such as `govern audit` spends about a third of a second importing its modules
(pydantic, click, the rules) and, on 10,000 accounts, about twice that reading and parsing
the inventory with yaml_rs, which lets other threads run while it parses. The entry point
(`govern`, `python -m govern`) guesses from the command line alone, before those imports,
which file the command will load, and reads it in a thread meanwhile. `load_inventory`
takes the result when it loads that same file, unchanged since. In every other case (the
command loads another file, or none; the file changed or was replaced; reading or parsing
failed; the document uses anchors and aliases, whose expansion the load checks before
parsing) the result is left unused, and the file is read, parsed and reported on as it
always is. The guess only decides what is read early, never what is loaded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# The commands whose first step is loading the inventory (`cli._common.load`).
COMMANDS = frozenset({"validate", "audit", "accounts", "who", "report", "drift", "plan"})
# As `cli._common.inventory_option` declares them (a test checks they agree).
OPTION, SHORT, ENVVAR, DEFAULT = "--inventory", "-i", "GOVERN_INVENTORY", "inventory.yaml"
# The root command's options before the command's name: flags only.
_ROOT_FLAGS = frozenset({"-v", "--verbose"})
# `validate [INVENTORY]`: its options that take a value (a test checks them).
_VALIDATE_VALUES = frozenset({OPTION, SHORT, "--policies", "-p"})


class _Ahead:
    def __init__(self, path: str) -> None:
        self.path = path
        self.result: tuple[tuple[int, ...], str, Any] | None = None
        self.thread = threading.Thread(target=self._read, name="govern-readahead", daemon=True)

    def _read(self) -> None:
        from govern.fsutil import read_regular
        from govern.inventory.yamltext import MAX_BYTES, anchors_and_aliases, loads, without_bom

        try:
            before = _identity(self.path)
            text = read_regular(Path(self.path), limit=MAX_BYTES).decode("utf-8")
            body = without_bom(text)
            if all(anchors_and_aliases(body)):
                return  # the load checks what the aliases expand to, then parses
            self.result = (before, text, loads(body))
        except Exception:
            return


_pending: _Ahead | None = None


def inventory_argument(args: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The inventory file the command line `args` (without the program's name) will load,
    when it runs one of COMMANDS; None when it does not, or when unsure."""
    rest = list(args)
    while rest and rest[0] in _ROOT_FLAGS:
        rest.pop(0)
    if not rest or rest[0] not in COMMANDS:
        return None
    command, rest = rest[0], rest[1:]
    named: str | None = None
    positional: str | None = None
    i = 0
    while i < len(rest):
        token = rest[i]
        if token == "--":
            if command == "validate" and positional is None and i + 1 < len(rest):
                positional = rest[i + 1]
            break
        if token in (OPTION, SHORT) and i + 1 < len(rest):
            named = rest[i + 1]
        elif token.startswith(OPTION + "="):
            named = token[len(OPTION) + 1 :]
        elif token.startswith(SHORT) and not token.startswith("--"):
            named = token[len(SHORT) :]
        elif (
            command == "validate"
            and positional is None
            and not token.startswith("-")
            and (i == 0 or rest[i - 1] not in _VALIDATE_VALUES)
        ):
            positional = token
        i += 1
    path = positional or named or environ.get(ENVVAR) or DEFAULT
    return path if os.path.isfile(path) else None


def start(args: Sequence[str], environ: Mapping[str, str] = os.environ) -> None:
    """Begin reading the inventory that `args` will load, if there is one (see above)."""
    global _pending
    path = inventory_argument(args, environ)
    if path is None:
        return
    # Imported here, in the main thread, before the thread starts. yaml_rs 0.1.6 must be:
    # first imported in a thread that then ends, it crashes (SIGSEGV) when another thread
    # parses (test_reading_ahead_again_and_again_in_one_process_is_safe fails without this
    # import). And the thread never waits on an import lock that the main thread holds
    # while it imports the rest.
    import yaml_rs  # noqa: F401

    import govern.fsutil
    import govern.inventory.yamltext  # noqa: F401

    _pending = _Ahead(os.path.abspath(path))
    _pending.thread.start()


def take(path: Path) -> tuple[str, Any] | None:
    """The text and data of `path` read ahead, if it was and is unchanged since; once."""
    global _pending
    ahead = _pending
    if ahead is None or os.path.abspath(path) != ahead.path:
        return None
    _pending = None
    ahead.thread.join()
    result, ahead.result = ahead.result, None
    if result is None:
        return None
    identity, text, data = result
    try:
        if _identity(ahead.path) != identity:
            return None
    except OSError:
        return None
    return text, data


def _identity(path: str) -> tuple[int, ...]:
    info = os.stat(path)
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
