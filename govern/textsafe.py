"""Inventory values made inert for terminals and CI logs: control characters shown, not obeyed.

A value may carry an ESC sequence (clears a terminal, sets its title, hides text), a newline
that puts `::add-mask::` or `::error::` at column 0 of a GitHub Actions log, or a bidi override
that makes a reviewer read something else. Every human-facing output escapes them to visible
`\\xNN` / `\\uNNNN` text; JSON and SARIF carry them escaped by JSON itself.
"""

from __future__ import annotations

import re

# C0 controls (newline and tab included: a value is one line), DEL, C1 controls, and the
# invisible characters that change how text is laid out or read: line/paragraph separators,
# bidi embeddings, overrides and isolates, zero-width marks, the BOM.
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control or layout character written out (`\\n`, `\\x1b`, ...)."""
    return _CONTROL.sub(_escape, text)


def printable_lines(text: str) -> str:
    """Like `printable`, but the newlines between lines are kept (a multi-line message)."""
    return "\n".join(printable(line) for line in text.split("\n"))
