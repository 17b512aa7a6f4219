"""The one-round-trip PostgreSQL recorder sends what the library's own recorder sends.

``storage.pg_recorder`` overrides the library's ``insert_events`` to send the table lock, the
NOTIFY and the insert as one query. That is only sound while those are the statements the
library would send: this test captures the library's own statements on a real server and fails
when a new release changes them (another lock, another notification, another table).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import sql

from runtime.settings import Settings
from runtime.wiring import build_service
from storage.pg_recorder import OneTripPostgresApplicationRecorder
from storage.sql import datastore_of

pytestmark = pytest.mark.postgres


@contextmanager
def _statements_sent() -> Iterator[list[str]]:
    """Every statement psycopg cursors execute meanwhile, as text."""
    sent: list[str] = []

    def recording(method: Callable[..., Any]) -> Callable[..., Any]:
        def run(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
            text = (
                query.as_string(cursor.connection) if isinstance(query, sql.Composable) else query
            )
            sent.append(" ".join(str(text).split()))
            return method(cursor, query, *args, **kwargs)

        return run

    with (
        patch.object(psycopg.Cursor, "execute", recording(psycopg.Cursor.execute)),
        patch.object(psycopg.Cursor, "executemany", recording(psycopg.Cursor.executemany)),
    ):
        yield sent


def _event() -> StoredEvent:
    return StoredEvent(uuid4(), 1, "tests:Probe", b"{}")


def _insert_target(statement: str) -> str:
    found = re.match(r"INSERT INTO (\S+) (?:AS t )?\(\s*([^)]*)\)", statement)
    assert found is not None, statement
    return f"{found.group(1)} ({' '.join(found.group(2).split())})"


def test_one_trip_insert_sends_the_librarys_lock_notify_and_insert(
    postgres_settings: Settings,
) -> None:
    service = build_service(postgres_settings)
    try:
        ours = service.recorder
        assert isinstance(ours, OneTripPostgresApplicationRecorder)
        datastore = datastore_of(service)
        assert isinstance(datastore, PostgresDatastore)
        assert not datastore.enable_db_functions  # the library's function path skips tracking
        library = PostgresApplicationRecorder(datastore, events_table_name=ours.events_table_name)

        with _statements_sent() as theirs:
            library.insert_events([_event()])
        with _statements_sent() as mine:
            ours.insert_events([_event()])
    finally:
        service.close()

    *their_preamble, their_insert = theirs
    (one_trip,) = mine
    *my_preamble, my_insert = [part.strip() for part in one_trip.split("; ")]
    assert my_preamble == their_preamble  # the same lock statements and NOTIFY, in order
    assert any(s.startswith("LOCK TABLE") and "EXCLUSIVE MODE" in s for s in my_preamble)
    assert any(s.startswith("NOTIFY") for s in my_preamble)
    assert _insert_target(my_insert) == _insert_target(their_insert)
    assert my_insert.endswith("RETURNING notification_id")
    assert their_insert.endswith("RETURNING notification_id")
