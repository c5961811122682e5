"""Report JSON (`--format json` and `sarif`): indented by two spaces, written by orjson.

`json.dumps(value, indent=2)` runs CPython's pure-Python encoder (its C accelerator is used
only without `indent`): a quarter of a second for the 11,000 findings of a large audit.
orjson writes the same layout in a few milliseconds.

Non-ASCII characters are then escaped (`\\u00e9`), as `json.dumps` does by default: a
report never carries a raw bidirectional override (U+202E) or line separator from an
inventory value into a terminal, a CI log or a code review. For the plain trees reports are
made of (dicts with string keys, lists, strings, integers, booleans, None) the text is
`json.dumps(value, indent=2)` character for character (tests/formats/test_jsontext.py).
What `json.dumps` refuses (a date, a dataclass, a non-string key) is refused here too, with
a TypeError.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

_OPTIONS = (
    orjson.OPT_INDENT_2
    # Leave these to `_refuse`, as json.dumps refuses them; orjson would write them its way.
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json.dumps escapes DEL too.
_NON_ASCII = re.compile(r"[^\x00-\x7e]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # beyond the BMP: a UTF-16 surrogate pair, as json.dumps writes it
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


def dumps_indented(value: Any) -> str:
    """`value` as indented, ASCII-only JSON text (see the module's docstring)."""
    text = orjson.dumps(value, default=_refuse, option=_OPTIONS).decode("utf-8")
    # Outside strings the text is printable ASCII, so escaping every other character
    # escapes exactly characters of string values (and keys).
    if text.isascii() and "\x7f" not in text:
        return text
    return _NON_ASCII.sub(_escape, text)
