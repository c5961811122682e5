"""Chart geometry for the report's inline SVG: numbers and labels only; the templates draw
(and escape) them. A fixed viewBox scales to any screen width."""

from __future__ import annotations

from typing import Any

WIDTH = 520
LABEL = 170  # left column for labels
VALUE = 40  # right column for the numbers
ROW = 30
BAR = 18
TOP = 8


def _short(label: str, size: int = 24) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def _plot_width() -> int:
    return WIDTH - LABEL - VALUE


def bars(
    chart_id: str, title: str, rows: list[tuple[str, int]], *, limit: int | None = None
) -> dict[str, Any]:
    """One horizontal bar per row; `limit` draws a dashed line at that value."""
    top = max([value for _, value in rows] + [limit or 0, 1])
    scale = _plot_width() / top
    out = []
    for n, (label, value) in enumerate(rows):
        out.append(
            {
                "label": label,
                "short": _short(label),
                "value": value,
                "y": TOP + n * ROW,
                "w": round(value * scale, 1),
                "over": limit is not None and value > limit,
            }
        )
    return {
        "id": chart_id,
        "title": title,
        "kind": "bars",
        "width": WIDTH,
        "height": TOP * 2 + max(len(rows), 1) * ROW,
        "label_w": LABEL,
        "bar_h": BAR,
        "rows": out,
        "limit": limit,
        "limit_x": None if limit is None else round(LABEL + limit * scale, 1),
    }


def stacked_bars(
    chart_id: str,
    title: str,
    rows: list[tuple[str, list[tuple[str, int]]]],
    classes: dict[str, str],
) -> dict[str, Any]:
    """One bar per row, split into segments (e.g. error/warning/info) with a legend."""
    top = max([sum(v for _, v in parts) for _, parts in rows] + [1])
    scale = _plot_width() / top
    out = []
    for n, (label, parts) in enumerate(rows):
        x = float(LABEL)
        segments = []
        for key, value in parts:
            w = round(value * scale, 1)
            if value:
                segments.append({"key": key, "cls": classes[key], "x": x, "w": w, "value": value})
            x += w
        out.append(
            {
                "label": label,
                "short": _short(label),
                "y": TOP + n * ROW,
                "segments": segments,
                "parts": parts,
                "total": sum(v for _, v in parts),
            }
        )
    return {
        "id": chart_id,
        "title": title,
        "kind": "stacked",
        "width": WIDTH,
        "height": TOP * 2 + max(len(rows), 1) * ROW,
        "label_w": LABEL,
        "bar_h": BAR,
        "rows": out,
        "legend": list(classes),
    }
