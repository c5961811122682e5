"""Parsing YAML text with govern's bounds: the part of `source` that needs neither pydantic
nor PyYAML, so that `govern.readahead` can run it while those still import."""

from __future__ import annotations

import re
from typing import Any

# Bounds against "billion laughs": inventories have no use for deep alias expansion.
MAX_ALIAS_EVENTS = 100_000
MAX_BYTES = 64 * 1024 * 1024  # some 200,000 accounts; 10,000 take about 3 MiB

_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s\[\]{},]")
_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s\[\]{},]")


def anchors_and_aliases(text: str) -> tuple[bool, bool]:
    """Whether the text seems to define anchors (`&a`) and to use aliases (`*a`); either
    may be a false positive (a `*` in a plain scalar), never a false negative."""
    return (
        "&" in text and _ANCHOR.search(text) is not None,
        "*" in text and _ALIAS.search(text) is not None,
    )


def without_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def loads(text: str) -> Any:
    """`text` (without a byte-order mark) as plain Python data. The caller has checked what
    aliases expand to (`source.parse`); yaml_rs's errors propagate."""
    import yaml_rs

    return yaml_rs.loads(
        text, alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=MAX_ALIAS_EVENTS)
    )
