"""Reading the events of many journeys in one query, for read models catching up.

A read model catching up a batch of notifications re-reads every journey the batch touches;
one query per journey is a round trip each (on PostgreSQL ~0.3 ms plus a transaction). This
reads them all in one query per few hundred journeys, in each journey's version order, through
the event store's own connections — the same rows the library's ``select_events`` would give.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

__all__ = ["CHUNK", "last_notifications", "select_events_of"]

CHUNK = 500
"""Journeys per query (under SQLite's limit on parameters)."""


def select_events_of(
    recorder: AggregateRecorder, journeys: Sequence[UUID]
) -> dict[UUID, list[StoredEvent]]:
    """Each journey's stored events in version order (a journey without events is left out)."""
    found: dict[UUID, list[StoredEvent]] = {}
    for start in range(0, len(journeys), CHUNK):
        chunk = journeys[start : start + CHUNK]
        for stored in _select(recorder, chunk):
            found.setdefault(UUID(str(stored.originator_id)), []).append(stored)
    return found


def _select(recorder: AggregateRecorder, journeys: Sequence[UUID]) -> list[StoredEvent]:
    if isinstance(recorder, SQLiteAggregateRecorder):
        # Only placeholders and the library's own table name go into the text.
        marks = ",".join("?" * len(journeys))
        table = recorder.events_table_name
        statement = (
            f"SELECT * FROM {table} WHERE originator_id IN ({marks})"  # noqa: S608
            " ORDER BY originator_id, originator_version"
        )
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(statement, [j.hex for j in journeys])
            return [
                StoredEvent(
                    originator_id=recorder.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]
    if isinstance(recorder, PostgresAggregateRecorder):
        query = SQL(
            "SELECT * FROM {schema}.{table} WHERE originator_id = ANY(%s)"
            " ORDER BY originator_id, originator_version"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, [list(journeys)])
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]
    # Any other recorder (the in-memory one): one journey at a time.
    return [stored for journey in journeys for stored in recorder.select_events(journey)]


def last_notifications(
    recorder: AggregateRecorder, start: int, stop: int, topics: Sequence[str] = ()
) -> dict[UUID, int] | None:
    """Each journey's last notification id in ``start..stop`` (inclusive; of ``topics`` only if
    given); None for a recorder this cannot ask (then every batch is judged as it comes)."""
    if isinstance(recorder, SQLiteAggregateRecorder):
        table = recorder.events_table_name
        statement = (
            f"SELECT originator_id, MAX(rowid) FROM {table}"  # noqa: S608 (the library's table)
            " WHERE rowid >= ? AND rowid <= ?"
        )
        params: list[Any] = [start, stop]
        if topics:
            statement += f" AND topic IN ({','.join('?' * len(topics))})"
            params += list(topics)
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(statement + " GROUP BY originator_id", params)
            return {
                UUID(str(recorder.convert_originator_id(r[0]))): int(r[1]) for r in c.fetchall()
            }
    if isinstance(recorder, PostgresAggregateRecorder):
        query = SQL(
            "SELECT originator_id, MAX(notification_id) FROM {schema}.{table}"
            " WHERE notification_id >= %s AND notification_id <= %s"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        pg_params: list[Any] = [start, stop]
        if topics:
            query += SQL(" AND topic = ANY(%s)")
            pg_params.append(list(topics))
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query + SQL(" GROUP BY originator_id"), pg_params)
            return {UUID(str(row["originator_id"])): int(row["max"]) for row in curs.fetchall()}
    return None
