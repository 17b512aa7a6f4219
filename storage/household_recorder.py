"""The household stream's own event table on SQLite.

The eventsourcing library names an application's table after the application on PostgreSQL
(``polkuhouseholds_events``), but on SQLite every application records into ``stored_events``.
Households must not share the journeys' table: the journeys' notification log feeds their read
models, which would then meet household events. This recorder, chosen through the library's
``APPLICATION_RECORDER_TOPIC`` seam (``runtime/wiring.py``), gives the household service the same
table name on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

__all__ = ["HOUSEHOLD_EVENTS_TABLE", "HouseholdSQLiteRecorder"]

HOUSEHOLD_EVENTS_TABLE = "polkuhouseholds_events"


class HouseholdSQLiteRecorder(SQLiteApplicationRecorder):
    def __init__(
        self, datastore: SQLiteDatastore, events_table_name: str = HOUSEHOLD_EVENTS_TABLE
    ) -> None:
        super().__init__(datastore, events_table_name)
