"""`json.dumps(value, indent=2)`, character for character, without the slow encoder.

CPython (3.11/3.12) uses its C accelerator for `json.dumps` only without `indent`; with it,
every value goes through the generator-based encoder of `json/encoder.py` (0.25-0.3 s for
the 11,000 findings of a large audit). Reports are plain trees of dicts, lists, strings,
integers, booleans and None: this lays those out directly (strings escaped by the C
function `json.dumps` itself uses), and hands anything else (floats, enums, non-string keys,
other types) to `json.dumps`, so the output is always the same.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _escape
from typing import Any


class _Unusual(Exception):
    """A value this writer leaves to `json.dumps`."""


def dumps_indented(value: Any) -> str:
    """Exactly `json.dumps(value, indent=2)`."""
    out: list[str] = []
    try:
        if type(value) in (dict, list, tuple):
            _container(value, "\n", out)
        else:
            out.append(_scalar(value))
    except (_Unusual, RecursionError):
        return json.dumps(value, indent=2)
    return "".join(out)


def _scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _escape(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise _Unusual


def _container(value: Any, newline: str, out: list[str]) -> None:
    """A dict, list or tuple at the indentation `newline` ("\\n" and spaces)."""
    if not value:
        out.append("{}" if type(value) is dict else "[]")
        return
    inner = newline + "  "
    if type(value) is dict:
        sep = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            kind = type(item)
            if kind is dict or kind is list or kind is tuple:
                out.append(sep + _escape(key) + ": ")
                _container(item, inner, out)
            elif kind is str:
                out.append(sep + _escape(key) + ": " + _escape(item))
            else:
                out.append(sep + _escape(key) + ": " + _scalar(item))
            sep = "," + inner
        out.append(newline + "}")
        return
    sep = "[" + inner
    for item in value:
        kind = type(item)
        if kind is dict or kind is list or kind is tuple:
            out.append(sep)
            _container(item, inner, out)
        elif kind is str:
            out.append(sep + _escape(item))
        else:
            out.append(sep + _scalar(item))
        sep = "," + inner
    out.append(newline + "]")
