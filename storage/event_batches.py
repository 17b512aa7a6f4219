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

from eventsourcing.persistence import AggregateRecorder, Notification, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

__all__ = ["CHUNK", "last_notifications", "notifications_as_text", "select_events_of"]

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


def notifications_as_text(
    recorder: AggregateRecorder, start: int, limit: int, stop: int
) -> list[Notification] | None:
    """The notifications ``start..stop`` (inclusive, at most ``limit``), as the library's
    ``select_notifications`` gives them but for the originator id, left as the text the store
    holds (SQLite: 32 hex digits; PostgreSQL: read as text, the hyphenated form) instead of a
    UUID built per row; and the rows fetched as plain tuples. For a read model that decodes the
    state itself (the event store's decoding takes text ids as well). None for a recorder this
    cannot ask: read through the library then."""
    if isinstance(recorder, SQLiteAggregateRecorder):
        table = recorder.events_table_name
        statement = (
            "SELECT rowid, originator_id, originator_version, topic, state"  # noqa: S608
            f" FROM {table} WHERE rowid >= ? AND rowid <= ? ORDER BY rowid LIMIT ?"
        )
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(statement, (start, stop, limit))
            return [
                Notification(
                    id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3], state=r[4]
                )
                for r in c.fetchall()
            ]
    if isinstance(recorder, PostgresAggregateRecorder):
        query = SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state"
            " FROM {schema}.{table} WHERE notification_id >= %s AND notification_id <= %s"
            " ORDER BY notification_id LIMIT %s"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        connection = recorder.datastore.get_connection()
        with connection as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(query, (start, stop, limit), prepare=True)
            rows = curs.fetchall()
        return [
            Notification(
                id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3], state=bytes(r[4])
            )
            for r in rows
        ]
    return None
