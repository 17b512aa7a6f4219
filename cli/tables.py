"""Plain-text tables for the command line."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime

__all__ = ["FORMATS", "add_format", "emit", "fmt_time", "render_table"]

FORMATS = ("table", "json", "csv")


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


def add_format(command: argparse.ArgumentParser) -> None:
    """``--format table|json|csv`` for a command whose answer is a table."""
    command.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="a table for reading (default), JSON (a list of objects) or CSV for spreadsheets",
    )


def emit(headers: Sequence[str], rows: Sequence[Sequence[object]], fmt: str) -> str:
    """The rows as a padded table, a JSON list of objects keyed by the headers, or CSV."""
    if fmt == "json":
        return json.dumps(
            [dict(zip(headers, (_plain(v) for v in row), strict=True)) for row in rows],
            ensure_ascii=False,
            indent=2,
        )
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([["" if v is None else _plain(v) for v in row] for row in rows])
        return out.getvalue().rstrip("\n")
    return render_table(
        headers, [[fmt_time(v) if isinstance(v, datetime) else v for v in row] for row in rows]
    )


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)
