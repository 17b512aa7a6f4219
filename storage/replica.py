"""Reads on a PostgreSQL streaming replica, writes on the primary (``POLKU_REPLICA_URL``).

:class:`ReplicaReads` stands where a read model takes its read-only transactions
(:class:`~storage.sql.ReadStore`), and :meth:`ReplicaReads.caught_up` tells journey reads
(``runtime/reads.py``) when the journey service on the replica may answer. Writes
(``write=True``) always go to the primary. A read goes
to the replica only once the replica has replayed the primary's WAL up to where the primary's
flushed WAL stood when the read began (``pg_current_wal_flush_lsn()``): every write
acknowledged before the read — the reader's own included — is then on the replica, so a read
never sees less than the primary would have shown it (read-your-writes, and reads never go back
in time). The read waits at most ``max_lag`` seconds for that; then it is served by the primary,
and the replica is left alone for ``retry_after`` seconds (one log line per such stretch, with
figures only). A replica that cannot be reached is handled the same way: the primary answers,
one log line says so, and the replica is tried again after ``retry_after`` seconds.

A read that is under way on the replica when the replica stops fails like any read on a server
that stops; the next read goes to the primary.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog

from storage.sql import SqlStore, Tx, postgres_tx

__all__ = ["ReplicaReads", "ReplicaStats", "on_replica"]

log = structlog.get_logger("polku.replica")

_CHECK = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn,"
    " pg_wal_lsn_diff(%s::pg_lsn, COALESCE(pg_last_wal_replay_lsn(), '0/0'))"
)


class _ReplicaTx:
    """A read-only transaction on the replica (see :func:`on_replica`)."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def execute(self, statement: str, params: Any = ()) -> None:
        self._tx.execute(statement, params)

    def rows(
        self, statement: str, params: Any = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        return self._tx.rows(statement, params, binary=binary)

    def executemany(self, statement: str, rows: Any) -> None:
        raise TypeError("the replica is read-only: write through the primary")

    def insert_many(self, table: str, columns: Any, rows: Any) -> None:
        raise TypeError("the replica is read-only: write through the primary")


def on_replica(tx: Tx) -> bool:
    """Whether ``tx`` reads the replica (else the primary)."""
    return isinstance(tx, _ReplicaTx)


@dataclass
class ReplicaStats:
    """Read transactions served so far, by where (for tests, benchmarks and the docs' figures;
    one answer may take several)."""

    replica: int = 0
    primary_behind: int = 0
    """Reads the primary served because the replica had not caught up in time."""
    primary_down: int = 0
    """Reads the primary served because the replica could not be reached."""
    waits: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))
    """Seconds each replica read waited for the replica to reach the primary's position (the
    last 10,000)."""


class ReplicaReads:
    """Read-only transactions on the replica when it has caught up, else on the primary."""

    def __init__(
        self,
        url: str,
        primary: SqlStore,
        *,
        max_lag: float,
        pool_size: int = 5,
        retry_after: float = 5.0,
        connect_timeout: int = 2,
    ) -> None:
        if primary.backend != "postgres":
            raise ValueError("a replica needs PostgreSQL as the primary store")
        self._url = url
        self._primary = primary
        self._names = primary.table_names
        self.max_lag = max_lag
        self.retry_after = retry_after
        self._connect_timeout = connect_timeout
        self._pool_size = pool_size
        self._idle: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._avoid_until = 0.0
        self._avoiding: str | None = None
        """Why the replica is being left alone (``behind`` or ``down``), or None."""
        self._skipped = 0
        self.stats = ReplicaStats()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """A write transaction on the primary; a read on the replica once it has replayed the
        primary's flushed position as of now, else on the primary."""
        if write:
            with self._primary.transaction() as tx:
                yield tx
            return
        conn = self._caught_up()
        if conn is None:
            with self._primary.transaction(write=False) as tx:
                yield tx
            return
        try:
            with conn.transaction():
                yield _ReplicaTx(postgres_tx(conn, self._names))
        except psycopg.OperationalError:
            conn.close()
            self._mark("down", "the replica failed during a read")
            raise
        except BaseException:
            self._give_back(conn)
            raise
        self._give_back(conn)

    def caught_up(self) -> bool:
        """Whether the replica has replayed the primary's flushed position as of now (waiting
        for it as a read does): then a read elsewhere on the replica — the journeys' event
        store on it — sees every write acknowledged so far. Counted and logged as a read is."""
        conn = self._caught_up()
        if conn is None:
            return False
        self._give_back(conn)
        return True

    def failed(self, error: BaseException) -> None:
        """A read on the replica that did not go through :meth:`transaction` failed: leave the
        replica for the primary (the caller reads the primary instead)."""
        self._mark("down", "a read on the replica failed", error=type(error).__name__)
        self.stats.primary_down += 1

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # --- helpers ---------------------------------------------------------------------------

    def _caught_up(self) -> psycopg.Connection[Any] | None:
        """A replica connection that has replayed the primary's position, or None (then the
        primary serves the read, and why is counted and, once per stretch, logged)."""
        with self._lock:
            if self._avoiding is not None and time.monotonic() < self._avoid_until:
                self._skipped += 1
                if self._avoiding == "behind":
                    self.stats.primary_behind += 1
                else:
                    self.stats.primary_down += 1
                return None
        with self._primary.transaction(write=False) as tx:
            target = str(tx.rows("SELECT pg_current_wal_flush_lsn()::text")[0][0])
        started = time.monotonic()
        try:
            conn = self._connection()
            pause, behind = 0.001, 0.0
            while True:
                recovering, replayed, behind = conn.execute(_CHECK, (target, target)).fetchone()  # type: ignore[misc]
                if not recovering:
                    conn.close()
                    self._mark("down", "the replica is not in recovery (promoted?)")
                    self.stats.primary_down += 1
                    return None
                if replayed:
                    break
                waited = time.monotonic() - started
                if waited >= self.max_lag:
                    self._give_back(conn)
                    self._mark(
                        "behind",
                        "the replica is behind the primary",
                        waited_s=round(waited, 3),
                        behind_bytes=int(behind or 0),
                    )
                    self.stats.primary_behind += 1
                    return None
                time.sleep(min(pause, self.max_lag - waited))
                pause = min(pause * 2, 0.02)
        except psycopg.OperationalError as error:
            self._mark("down", "the replica cannot be reached", error=type(error).__name__)
            self.stats.primary_down += 1
            return None
        with self._lock:
            if self._avoiding is not None:
                log.info(
                    "replica_reads_resumed",
                    was=self._avoiding,
                    primary_reads_meanwhile=self._skipped,
                )
                self._avoiding, self._skipped = None, 0
            self.stats.replica += 1
            self.stats.waits.append(time.monotonic() - started)
        return conn

    def _connection(self) -> psycopg.Connection[Any]:
        with self._lock:
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed and not conn.broken:
                    return conn
        return psycopg.connect(self._url, autocommit=True, connect_timeout=self._connect_timeout)

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        if conn.closed or conn.broken:
            return
        with self._lock:
            if len(self._idle) < self._pool_size:
                self._idle.append(conn)
                return
        conn.close()

    def _mark(self, why: str, message: str, **figures: object) -> None:
        """Leave the replica alone for :attr:`retry_after` seconds; log the first time."""
        with self._lock:
            first = self._avoiding != why
            self._avoiding, self._avoid_until = why, time.monotonic() + self.retry_after
        if why == "down":
            self.close()
        if first:
            log.warning(
                "replica_reads_on_primary",
                reason=why,
                detail=message,
                retry_after_s=self.retry_after,
                max_lag_s=self.max_lag,
                **figures,
            )
