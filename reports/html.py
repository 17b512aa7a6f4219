"""Readable, printable HTML pages for reports: one self-contained file, no scripts, no
external resources, every value escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

__all__ = ["Cell", "Section", "cell", "render_page"]

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #111; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .4rem; }
p.meta, p.note { color: #444; margin: .2rem 0; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: .25rem .4rem; text-align: left; vertical-align: top;
  white-space: pre-line; }
th { background: #eee; } td.bad { background: #fde2e2; } td.warn { background: #fff3cd; }
td.ok { background: #e6f4ea; } code { font-size: .9em; }
@media print { body { margin: 1cm; font-size: 10pt; } tr, td, th { page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; } }
"""


@dataclass(frozen=True)
class Section:
    heading: str
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    note: str = ""


@dataclass(frozen=True)
class Cell:
    """A cell whose text is already written (in any language), with its colour class (ok, warn,
    bad or none) given rather than read from the text."""

    text: str
    css: str = ""


def cell(value: object) -> str:
    """A table cell's text: times in ISO form with their zone, ``-`` for nothing."""
    if value is None:
        return "-"
    if isinstance(value, Cell):
        return value.text
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return ", ".join(cell(v) for v in value) or "-"
    return str(value)


def _td(value: object) -> str:
    text = cell(value)
    css = ""
    if isinstance(value, Cell):
        css = f' class="{escape(value.css)}"' if value.css else ""
    elif text.startswith("unlawful"):
        css = ' class="bad"'
    elif text.startswith("unsupported") or text in {
        "late-entry",
        "retracted",
        "added-late",
        "correction",
    }:
        css = ' class="warn"'
    elif text == "lawful":
        css = ' class="ok"'
    return f"<td{css}>{escape(text)}</td>"


def render_page(
    title: str,
    meta: Sequence[str],
    sections: Sequence[Section],
    *,
    lang: str = "en",
    none: str = "None.",
    next_link: tuple[str, str] | None = None,
) -> str:
    """The page: ``lang`` is its language (the html element's), ``none`` what an empty section
    says; ``next_link`` (its text and address) leads to the next page of a report given a page
    at a time, shown under the heading and at the end."""
    link = ""
    if next_link:
        text, href = next_link
        link = f'<p class="next"><a rel="next" href="{escape(href)}">{escape(text)}</a></p>'

    parts = [
        "<!doctype html>",
        f'<html lang="{escape(lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        *(f'<p class="meta">{escape(line)}</p>' for line in meta),
        *([link] if link else []),
    ]
    for section in sections:
        parts.append(f"<h2>{escape(section.heading)}</h2>")
        if section.note:
            parts.append(f'<p class="note">{escape(section.note)}</p>')
        if not section.rows:
            parts.append(f'<p class="note">{escape(none)}</p>')
            continue
        parts.append("<table><thead><tr>")
        parts.extend(f"<th>{escape(h)}</th>" for h in section.headers)
        parts.append("</tr></thead><tbody>")
        for row in section.rows:
            parts.append("<tr>" + "".join(_td(v) for v in row) + "</tr>")
        parts.append("</tbody></table>")
    parts.extend([*([link] if link else []), "</body></html>"])
    return "\n".join(parts)
