"""Small SQL tables beside the event store (API tokens, the access log, read-model indexes),
on the same database: the SQLite file or the PostgreSQL database and schema in the settings.

Statements are written with ``%s`` placeholders; on SQLite they are turned into ``?``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit

from psycopg_pool import ConnectionPool

from api.settings import Settings

__all__ = ["SqlStore", "Tx"]


class Tx(Protocol):
    """One transaction: run statements, read rows."""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(statement.replace("%s", "?"), tuple(params))

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._conn.execute(statement.replace("%s", "?"), tuple(params)).fetchall())


class _PostgresTx:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(statement, tuple(params))

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._conn.execute(statement, tuple(params)).fetchall())


class SqlStore:
    """Transactions on Polku's own tables, on whichever backend the settings name."""

    def __init__(self, settings: Settings) -> None:
        self.backend = "sqlite" if settings.database_url.startswith("sqlite") else "postgres"
        self._local = threading.local()
        self._pool: ConnectionPool[Any] | None = None
        self._sqlite_path = settings.database_url.removeprefix("sqlite:///")
        if self.backend == "postgres":
            url = urlsplit(settings.database_url)
            schema = settings.database_schema
            self._pool = ConnectionPool(
                conninfo=settings.database_url.replace("postgres://", "postgresql://", 1)
                if url.scheme == "postgres"
                else settings.database_url,
                min_size=1,
                max_size=settings.postgres_pool_size,
                kwargs={"options": f"-c search_path={schema}"},
                open=True,
                timeout=10,
            )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A transaction, committed when the block ends, rolled back if it raises."""
        if self._pool is not None:
            with self._pool.connection() as conn, conn.transaction():
                yield _PostgresTx(conn)
            return
        conn = self._sqlite()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _sqlite(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._sqlite_path, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def ensure(self, *statements: str) -> None:
        """Run ``CREATE … IF NOT EXISTS`` statements."""
        with self.transaction() as tx:
            for statement in statements:
                tx.execute(statement)
