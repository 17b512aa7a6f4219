"""Process-mining exports of the planners' event log: OCEL 2.0 (JSON and SQLite) and XES.

Both carry the effective log of :mod:`pathways.eventlog` — the same events, activities and
valid times the analytics use, so a process-mining tool finds the same directly-follows graph
and variants. They are pseudonymous microdata, not aggregates: a client is ``client-000001``
(numbered afresh, at random, in every export), events are numbered, every party who is not a
professional on the client's team and every consent is a per-client pseudonym of its type,
professionals appear under keyed pseudonyms; no client ref, party id, name or free text is
written.

OCEL 2.0 object types: ``client``, ``party``, ``organisation``, ``consent``; every event is
linked to its client (qualifier ``client``) and to the objects it touches, with qualifiers such
as ``member``, ``coordinator``, ``provider``, ``recipient`` or ``relied on``.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import quoteattr

from pathways.eventlog import PSEUDONYM_LABELS, EventLog, LoggedEvent

__all__ = ["OBJECT_TYPES", "ocel_json", "write_ocel_json", "write_ocel_sqlite", "write_xes"]

OBJECT_TYPES = ("client", "party", "organisation", "consent")
_ATTRIBUTES = ("sector", "detail")
"""Event attributes written (both vocabulary terms, absent when not set)."""


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class _Row:
    event_id: str
    case: str
    activity: str
    time: str
    attributes: dict[str, str]
    relationships: tuple[tuple[str, str, str], ...]
    """(object id, object type, qualifier)."""

    def first(self, kind: str) -> str | None:
        """The first related object of ``kind`` (XES's ``org:resource``, ``org:group``)."""
        return next((ident for ident, k, _ in self.relationships if k == kind), None)


def _rows(log: EventLog) -> Iterator[_Row]:
    """Every event as a row. Cases are numbered by a fresh random permutation for every export,
    so a case name says nothing of the journey's id or ref, and two releases cannot be linked
    by it."""
    numbers = list(range(1, len(log.journeys) + 1))
    secrets.SystemRandom().shuffle(numbers)
    number = 0
    for journey, case_number in zip(log.journeys, numbers, strict=True):
        case = f"client-{case_number:06d}"
        for event in journey:
            number += 1
            yield _row(number, case, event)


def _row(number: int, case: str, event: LoggedEvent) -> _Row:
    attributes = {
        name: value
        for name, value in (("sector", event.sector), ("detail", event.fact.detail))
        if value is not None
    }
    related = [(case, "client", "client")]
    for kind, ident, qualifier in event.links:
        # Per-client pseudonyms (consent-1, informal-1…) are made global by their client.
        local = ident.split("-", 1)[0] in PSEUDONYM_LABELS
        scoped = f"{case}/{ident}" if local else ident
        related.append((scoped, kind, qualifier))
    return _Row(
        f"e{number}",
        case,
        event.activity,
        _time(event.fact.occurred_at),
        attributes,
        tuple(dict.fromkeys(related)),
    )


def ocel_json(log: EventLog) -> dict[str, Any]:
    """The log as an OCEL 2.0 JSON document."""
    events = []
    objects: dict[str, str] = {}
    event_types: dict[str, set[str]] = {}
    for row in _rows(log):
        event_types.setdefault(row.activity, set()).update(row.attributes)
        for ident, kind, _ in row.relationships:
            objects.setdefault(ident, kind)
        events.append(
            {
                "id": row.event_id,
                "type": row.activity,
                "time": row.time,
                "attributes": [{"name": k, "value": v} for k, v in row.attributes.items()],
                "relationships": [
                    {"objectId": ident, "qualifier": qualifier}
                    for ident, _, qualifier in row.relationships
                ],
            }
        )
    return {
        "objectTypes": [{"name": t, "attributes": []} for t in OBJECT_TYPES],
        "eventTypes": [
            {"name": name, "attributes": [{"name": a, "type": "string"} for a in sorted(attrs)]}
            for name, attrs in sorted(event_types.items())
        ],
        "objects": [
            {"id": ident, "type": kind, "attributes": [], "relationships": []}
            for ident, kind in objects.items()
        ],
        "events": events,
    }


def write_ocel_json(log: EventLog, out: TextIO) -> None:
    json.dump(ocel_json(log), out, ensure_ascii=False)


def _table_names(names: list[str]) -> dict[str, str]:
    """A distinct SQL-friendly suffix per type name (OCEL's ``*_map_type`` tables)."""
    out: dict[str, str] = {}
    for name in names:
        base = re.sub(r"\W+", "_", name).strip("_") or "type"
        suffix, n = base, 1
        while suffix in out.values():
            n += 1
            suffix = f"{base}_{n}"
        out[name] = suffix
    return out


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def write_ocel_sqlite(log: EventLog, path: Path) -> None:
    """The log as an OCEL 2.0 SQLite database at ``path`` (which must not exist yet)."""
    rows = list(_rows(log))
    activities = sorted({r.activity for r in rows})
    event_tables = _table_names(activities)
    object_tables = _table_names(list(OBJECT_TYPES))
    objects: dict[str, str] = {}
    for row in rows:
        for ident, kind, _ in row.relationships:
            objects.setdefault(ident, kind)
    conn = sqlite3.connect(f"file:{path}?mode=rwc", uri=True)
    try:
        with conn:
            conn.execute("CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
            conn.execute("CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
            conn.execute(
                "CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT,"
                " ocel_qualifier TEXT, PRIMARY KEY (ocel_event_id, ocel_object_id,"
                " ocel_qualifier))"
            )
            conn.execute(
                "CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT,"
                " ocel_qualifier TEXT, PRIMARY KEY (ocel_source_id, ocel_target_id,"
                " ocel_qualifier))"
            )
            conn.execute("CREATE TABLE event_map_type (ocel_type TEXT, ocel_type_map TEXT)")
            conn.execute("CREATE TABLE object_map_type (ocel_type TEXT, ocel_type_map TEXT)")
            conn.executemany("INSERT INTO event_map_type VALUES (?, ?)", event_tables.items())
            conn.executemany("INSERT INTO object_map_type VALUES (?, ?)", object_tables.items())
            for suffix in event_tables.values():
                conn.execute(
                    f"CREATE TABLE {_quote('event_' + suffix)} (ocel_id TEXT PRIMARY KEY,"
                    " ocel_time TIMESTAMP, sector TEXT, detail TEXT)"
                )
            for suffix in object_tables.values():
                conn.execute(
                    f"CREATE TABLE {_quote('object_' + suffix)} (ocel_id TEXT,"
                    " ocel_time TIMESTAMP, ocel_changed_field TEXT)"
                )
            conn.executemany(
                "INSERT INTO event VALUES (?, ?)", ((r.event_id, r.activity) for r in rows)
            )
            conn.executemany("INSERT INTO object VALUES (?, ?)", objects.items())
            conn.executemany(
                "INSERT INTO event_object VALUES (?, ?, ?)",
                ((r.event_id, ident, q) for r in rows for ident, _, q in r.relationships),
            )
            for activity, suffix in event_tables.items():
                conn.executemany(
                    f"INSERT INTO {_quote('event_' + suffix)} VALUES (?, ?, ?, ?)",  # noqa: S608
                    (
                        (
                            r.event_id,
                            r.time.replace("T", " ").removesuffix("Z"),
                            r.attributes.get("sector"),
                            r.attributes.get("detail"),
                        )
                        for r in rows
                        if r.activity == activity
                    ),
                )
            for kind, suffix in object_tables.items():
                conn.executemany(
                    f"INSERT INTO {_quote('object_' + suffix)} VALUES (?, ?, NULL)",  # noqa: S608
                    ((ident, "1970-01-01 00:00:00") for ident, k in objects.items() if k == kind),
                )
    finally:
        conn.close()


def write_xes(log: EventLog, out: TextIO) -> None:
    """The log as XES (IEEE 1849): one trace per client, events in valid-time order, each with
    ``lifecycle:transition`` (``complete``), ``org:resource`` (the first party it touches, by
    pseudonym, else its organisation, else ``unrecorded``) and ``org:group`` (the first
    organisation), so that organisational mining (handover of work, working together) runs."""
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(
        '<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">\n'
    )
    for name, prefix in (
        ("Concept", "concept"),
        ("Time", "time"),
        ("Organizational", "org"),
        ("Lifecycle", "lifecycle"),
    ):
        uri = f"http://www.xes-standard.org/{prefix}.xesext"
        out.write(f'  <extension name="{name}" prefix="{prefix}" uri="{uri}"/>\n')
    out.write('  <classifier name="Activity" keys="concept:name"/>\n')
    case: str | None = None
    for row in _rows(log):
        if row.case != case:
            if case is not None:
                out.write("  </trace>\n")
            out.write(f'  <trace>\n    <string key="concept:name" value={quoteattr(row.case)}/>\n')
            case = row.case
        out.write("    <event>\n")
        out.write(f'      <string key="concept:name" value={quoteattr(row.activity)}/>\n')
        out.write(f'      <date key="time:timestamp" value="{row.time}"/>\n')
        out.write('      <string key="lifecycle:transition" value="complete"/>\n')
        group = row.first("organisation")
        resource = row.first("party") or group or "unrecorded"
        out.write(f'      <string key="org:resource" value={quoteattr(resource)}/>\n')
        if group is not None:
            out.write(f'      <string key="org:group" value={quoteattr(group)}/>\n')
        for key, value in row.attributes.items():
            out.write(f"      <string key={quoteattr(key)} value={quoteattr(value)}/>\n")
        out.write("    </event>\n")
    if case is not None:
        out.write("  </trace>\n")
    out.write("</log>\n")
