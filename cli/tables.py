"""Plain-text tables for the command line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

__all__ = ["fmt_time", "render_table"]


def fmt_time(value: datetime | None) -> str:
    """A date (or date and time, if not midnight-free) in ISO form with its zone."""
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M %Z").strip()


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; an em-dash row when there are no rows."""
    cells = [[str(h) for h in headers]] + [["-" if v is None else str(v) for v in r] for r in rows]
    if len(cells) == 1:
        cells.append(["—"] + [""] * (len(headers) - 1))
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
