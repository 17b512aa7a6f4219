"""Small SQL tables beside the event store (API tokens, the access log, read-model indexes),
in the same database, through the event store's own connections.

Sharing the event store's connections matters on SQLite: every write in the process then goes
through the library's one writer lock, so writers queue in order instead of colliding on the
file lock and backing off. On PostgreSQL the tables live in the configured schema.
Statements use ``%s`` placeholders (turned into ``?`` on SQLite) and ``{name}`` for tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from psycopg import sql
from psycopg.rows import tuple_row

from domain.application import JourneyService

__all__ = [
    "META_TABLE",
    "ReadStore",
    "SqlStore",
    "Tx",
    "datastore_of",
    "postgres_tx",
    "sqlstate",
    "utc_text",
]

META_TABLE = "CREATE TABLE IF NOT EXISTS {polku_meta} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
"""Facts about the store itself: schemes and versions, the KEK in use (never a key)."""


def datastore_of(service: JourneyService) -> SQLiteDatastore | PostgresDatastore:
    """The database behind the service's event store: the one way Polku reaches it."""
    recorder = service.recorder
    if isinstance(recorder, SQLiteApplicationRecorder | PostgresApplicationRecorder):
        return recorder.datastore
    raise TypeError(f"Polku keeps its tables beside SQLite or PostgreSQL, not {type(recorder)}")


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error or of the driver error behind it, if any."""
    while exc is not None:
        code = getattr(exc, "sqlstate", None)
        if isinstance(code, str):
            return code
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


_ZERO = timedelta(0)


def utc_text(at: datetime) -> str:
    """A time as fixed-width UTC ISO text, so that text order is time order in any database."""
    if at.microsecond and at.utcoffset() == _ZERO:  # the common case, without strftime
        return at.isoformat()
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class Tx(Protocol):
    """One transaction: run statements, read rows."""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    def rows(
        self, statement: str, params: Sequence[Any] = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        """The rows of a query. ``binary``: fetched in the driver's binary format where it has
        one (PostgreSQL: a ``BYTEA`` comes as its bytes, not as hex text three times slower
        to take apart); the rows are the same."""
        ...

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for many parameter rows (batched by the driver)."""

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many rows into ``{table}`` at once (``COPY`` on PostgreSQL)."""


class _SqliteTx:
    def __init__(self, cursor: Any, names: dict[str, str]) -> None:
        self._cursor = cursor
        self._names = names

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(statement.format(**self._names).replace("%s", "?"), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cursor.executemany(statement.format(**self._names).replace("%s", "?"), rows)

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        # Table and column names are this code's own constants (an unknown table is a KeyError).
        names, marks = ", ".join(columns), ", ".join("?" * len(columns))
        statement = f"INSERT INTO {self._names[table]} ({names}) VALUES ({marks})"  # noqa: S608
        self._cursor.executemany(statement, rows)

    def rows(
        self, statement: str, params: Sequence[Any] = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        # Plain tuples straight from the driver: the event store's cursors make a
        # ``sqlite3.Row`` of every row, which would then be copied into a tuple.
        cursor = getattr(self._cursor, "sqlite_cursor", self._cursor)  # the library's wrapper
        factory, cursor.row_factory = cursor.row_factory, None
        try:
            self.execute(statement, params)
            return cast("list[tuple[Any, ...]]", cursor.fetchall())
        finally:
            cursor.row_factory = factory


class _PostgresTx:
    def __init__(self, conn: Any, names: dict[str, str]) -> None:
        self._conn = conn
        self._names = names

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(statement.format(**self._names), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._conn.cursor().executemany(statement.format(**self._names), rows)

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        if not rows:
            return
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.SQL(self._names[table]), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with self._conn.cursor().copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def rows(
        self, statement: str, params: Sequence[Any] = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        # Tuples made by the driver (the event store's connections make a dict of every row).
        with self._conn.cursor(row_factory=tuple_row, binary=binary) as cursor:
            cursor.execute(statement.format(**self._names), tuple(params))
            return cast("list[tuple[Any, ...]]", cursor.fetchall())


def postgres_tx(conn: Any, names: dict[str, str]) -> Tx:
    """A :class:`Tx` on a psycopg connection already inside a transaction (the replica's)."""
    return _PostgresTx(conn, names)


class ReadStore(Protocol):
    """Where read-only transactions come from: the store itself, or a replica in front of it
    (:mod:`storage.replica`)."""

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Tx]: ...


class SqlStore:
    """Transactions on Polku's own tables, on the event store's database and connections."""

    TABLES = (
        "polku_api_tokens",
        "polku_access_log",
        "polku_tracking",
        "polku_journeys",
        "polku_party_journeys",
        "polku_ledger",
        "polku_client_keys",
        "polku_planner_log",
        "polku_planner_image",
        "polku_planner_conformance",
        "polku_planner_queries",
        "polku_meta",
        "polku_webhooks",
        "polku_webhook_dead_letters",
        "polku_feed_orgs",
        "polku_household_members",
        "polku_web_sessions",
        "polku_oidc_logins",
        "polku_directory_organisations",
        "polku_directory_professionals",
    )

    def __init__(self, service: JourneyService) -> None:
        self._datastore = datastore_of(service)
        self.backend = "sqlite" if isinstance(self._datastore, SQLiteDatastore) else "postgres"
        if isinstance(self._datastore, SQLiteDatastore):
            self._names = {name: name for name in self.TABLES}
        else:
            schema = self._datastore.schema
            self._names = {
                name: sql.Identifier(schema, name).as_string(None) for name in self.TABLES
            }

    @property
    def table_names(self) -> dict[str, str]:
        """Each of :attr:`TABLES` as written in statements (schema-qualified on PostgreSQL)."""
        return dict(self._names)

    def close(self) -> None:
        """Nothing of its own to close: the event store owns the connections."""

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """A transaction, committed when the block ends (if ``write``), rolled back on error."""
        if isinstance(self._datastore, SQLiteDatastore):
            with self._datastore.transaction(commit=write) as cursor:
                yield _SqliteTx(cursor, self._names)
            return
        with self._datastore.get_connection() as conn, conn.transaction():
            yield _PostgresTx(conn, self._names)

    def compact_after_delete(self, table: str) -> None:
        """Make deleted rows' bytes go away: checkpoint SQLite's WAL into the database file (so no
        older page images remain), or rewrite the table on PostgreSQL (``VACUUM FULL``)."""
        if isinstance(self._datastore, SQLiteDatastore):
            with self._datastore.get_connection(commit=True) as conn:
                conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        with self._datastore.get_connection() as conn:
            conn.execute(f"VACUUM FULL {self._names[table]}")

    def journey_ids_in_store(self, service: JourneyService) -> list[str]:
        """Every aggregate id in the event table (for migrations that visit every journey)."""
        table = service.recorder.events_table_name  # type: ignore[attr-defined]
        with self.transaction(write=False) as tx:
            if isinstance(self._datastore, SQLiteDatastore):
                rows = tx.rows(f"SELECT DISTINCT originator_id FROM {table}")  # noqa: S608
            else:
                rows = tx.rows(
                    sql.SQL("SELECT DISTINCT originator_id FROM {}.{}")
                    .format(sql.Identifier(self._datastore.schema), sql.Identifier(table))
                    .as_string(None)
                )
        return [str(row[0]) for row in rows]

    def delete_journey_events(self, service: JourneyService, journey: str) -> None:
        """Delete one aggregate's rows from the event table (a migration that has copied them
        under a new id; nothing else deletes events)."""
        table = service.recorder.events_table_name  # type: ignore[attr-defined]
        with self.transaction() as tx:
            if isinstance(self._datastore, SQLiteDatastore):
                tx.execute(f"DELETE FROM {table} WHERE originator_id = %s", (journey,))  # noqa: S608
            else:
                statement = sql.SQL("DELETE FROM {}.{} WHERE originator_id = %s").format(
                    sql.Identifier(self._datastore.schema), sql.Identifier(table)
                )
                tx.execute(statement.as_string(None), (journey,))

    def columns(self, table: str) -> set[str]:
        """The column names of one of Polku's tables (empty if it does not exist)."""
        if table not in self.TABLES:
            raise KeyError(table)
        with self.transaction(write=False) as tx:
            if isinstance(self._datastore, SQLiteDatastore):
                rows = tx.rows(f"SELECT name FROM pragma_table_info('{table}')")  # noqa: S608
            else:
                rows = tx.rows(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = %s AND table_name = %s",
                    (self._datastore.schema, table),
                )
        return {str(row[0]) for row in rows}

    def ensure(self, *statements: str) -> None:
        """Run ``CREATE … IF NOT EXISTS`` statements."""
        with self.transaction() as tx:
            for statement in statements:
                tx.execute(statement)
