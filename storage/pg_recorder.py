"""A PostgreSQL application recorder that stores a save in one round trip.

The library's recorder takes the table lock, notifies listeners and inserts the events in a
pipelined transaction of several statements. This subclass sends the same statements as one
simple query, which PostgreSQL runs as one implicit transaction: the same lock (so notification
ids commit in order), the same NOTIFY, the same unique key on (journey, version), one round
trip. It is chosen through the library's ``APPLICATION_RECORDER_TOPIC`` setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import ClientCursor, Connection, sql

__all__ = ["OneTripPostgresApplicationRecorder"]


class OneTripPostgresApplicationRecorder(PostgresApplicationRecorder):
    _statements: dict[int, str]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        params = [
            value
            for e in stored_events
            for value in (e.originator_id, e.originator_version, e.topic, e.state)
        ]
        with self.datastore.get_connection() as conn, ClientCursor(conn) as curs:
            curs.execute(self._statement(len(stored_events), conn), params)
            while curs.nextset():
                pass
            return [row["notification_id"] for row in curs.fetchall()]

    def _statement(self, count: int, conn: Connection[Any]) -> str:
        """The lock, notify and insert statements for ``count`` events, composed once."""
        cache = self.__dict__.setdefault("_statements", {})
        if count not in cache:
            rows = sql.SQL(", ").join(sql.SQL("(%s, %s, %s, %s)") for _ in range(count))
            statement = sql.SQL("; ").join(
                [
                    *self.lock_table_statements,
                    sql.SQL("NOTIFY {0}").format(sql.Identifier(self.channel_name)),
                    sql.SQL(
                        "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state)"
                        " VALUES {2} RETURNING notification_id"
                    ).format(
                        sql.Identifier(self.datastore.schema),
                        sql.Identifier(self.events_table_name),
                        rows,
                    ),
                ]
            )
            cache[count] = statement.as_string(conn)
        return str(cache[count])
