"""Commands per second on one client's journey, against a raw single-row committed insert.

Target: at least 50% of the raw insert rate on the same backend. Our side is the
whole command: validation, loading the journey (from the cache, fast-forwarded), the invariant
checks and the committed save. The anchor inserts one row of the same size per transaction into
a plain table on the same database, with the same journal settings.
Run: ``make bench`` or ``python -m bench.commands [--backend sqlite|postgres|both]``.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from datetime import UTC, datetime

import psycopg
from eventsourcing.persistence import StoredEvent

from bench.common import POSTGRES_URL, Store, backends, parse_args, report, store
from bench.journeys import CTX, disclosures
from domain import commands as cmd

COMMANDS = 400


def _ours(s: Store) -> tuple[float, int]:
    service = s.service()
    service.register_client(
        cmd.RegisterClient(
            occurred_at=datetime.now(UTC), client_ref="bench-cmd", preferred_language="fi"
        ),
        CTX,
    )
    commands = disclosures(COMMANDS, datetime.now(UTC))
    started = time.perf_counter()
    for command in commands:
        service.execute("bench-cmd", command, CTX)
    elapsed = time.perf_counter() - started
    row = service.recorder.select_events(service.journey_id("bench-cmd"), desc=True, limit=1)[0]
    service.close()
    return COMMANDS / elapsed, len(row.state)


def _recorder_floor(s: Store, size: int) -> float:
    """The event store's own insert of one event per transaction, with no domain work."""
    service = s.service()
    ident, payload = uuid.uuid4(), os.urandom(size)
    started = time.perf_counter()
    for n in range(COMMANDS):
        service.recorder.insert_events(
            [StoredEvent(originator_id=ident, originator_version=n + 1, topic="t", state=payload)]
        )
    elapsed = time.perf_counter() - started
    service.close()
    return COMMANDS / elapsed


def _raw_sqlite(s: Store, size: int) -> float:
    assert s.sqlite_path is not None
    conn = sqlite3.connect(s.sqlite_path.with_name("raw.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE raw (id TEXT, version INTEGER, topic TEXT, state BLOB,"
        " PRIMARY KEY (id, version))"
    )
    payload, ident = os.urandom(size), str(uuid.uuid4())
    started = time.perf_counter()
    for n in range(COMMANDS):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO raw VALUES (?, ?, ?, ?)", (ident, n, "t", payload))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return COMMANDS / elapsed


def _raw_postgres(s: Store, size: int) -> float:
    payload, ident = os.urandom(size), uuid.uuid4()
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        table = f"{s.postgres_schema}.raw"
        conn.execute(
            f"CREATE TABLE {table} (id uuid, version int, topic text, state bytea,"
            " PRIMARY KEY (id, version))"
        )
        started = time.perf_counter()
        for n in range(COMMANDS):
            conn.execute(f"INSERT INTO {table} VALUES (%s, %s, %s, %s)", (ident, n, "t", payload))
        elapsed = time.perf_counter() - started
    return COMMANDS / elapsed


def main() -> None:
    args = parse_args(__doc__ or "")
    for backend in backends(args.backend):
        with store(backend) as s:
            ours, size = _ours(s)
            anchor = _raw_sqlite(s, size) if backend == "sqlite" else _raw_postgres(s, size)
            floor = _recorder_floor(s, size)
            report(
                backend,
                "commands/s, one client",
                f"{ours:,.0f}/s",
                f"{anchor:,.0f}/s",
                ours / anchor,
                "target >= 0.50",
            )
            print(
                f"{'':9} (the event store's own insert, no domain work: {floor:,.0f}/s,"
                f" {floor / anchor:.2f} of the anchor)"
            )


if __name__ == "__main__":
    main()
