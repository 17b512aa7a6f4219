"""Read models fed from the event store's notification log, with a tracking position.

Each batch of notifications is applied in one transaction together with the new position, so a
notification is applied exactly once even if the process dies mid-way; a restart resumes from
the stored position. The library's SQLite recorder cannot subscribe, so read models catch up
when read (and ``polku projections rebuild`` replays them from scratch, in batches).

A batch is worked out *before* its write transaction opens: ``apply`` runs against a
:class:`_Deferred` transaction that only records the writes (reading journeys as it needs), and
the writes are then replayed in a short transaction that first checks the position is still
the one the batch started from — if another catch-up got there first, the batch is dropped and
the loop goes on from the new position. So a long recomputation never holds SQLite's single
writer, and commands and access-log writes are not kept waiting behind it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import Notification

from domain.application import JourneyService
from storage.sql import SqlStore, Tx

__all__ = ["Progress", "TrackedProjection"]

_SELECT = "SELECT position FROM {polku_tracking} WHERE name = %s"
Progress = Callable[[int, int], None]
"""Called with (position reached, last position) after each batch."""

_LOCKS: weakref.WeakKeyDictionary[SqlStore, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()


def _catch_up_lock(store: SqlStore) -> threading.RLock:
    """One catch-up at a time per store in this process, whichever read model it feeds.

    A web page asks for several things at once, so request threads catch read models up side
    by side. On SQLite a catch-up holds the single writer connection while it reads journeys on
    a second connection; a second catch-up waiting for the writer in the pool's queue blocks
    that read until the pool times out, and both requests fail. Taking turns here avoids it.
    """
    with _LOCKS_LOCK:
        lock = _LOCKS.get(store)
        if lock is None:
            lock = _LOCKS[store] = threading.RLock()
        return lock


class _Deferred:
    """A stand-in transaction for ``apply``: writes are kept, to be replayed later."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.writes.append(("execute", (statement, params)))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.writes.append(("executemany", (statement, rows)))

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        self.writes.append(("insert_many", (table, columns, rows)))

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise TypeError("read models read journeys through the service, not inside apply")

    def replay(self, tx: Tx) -> None:
        for method, args in self.writes:
            getattr(tx, method)(*args)


_TRACKING = (
    "CREATE TABLE IF NOT EXISTS {polku_tracking} (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
)


class TrackedProjection:
    """Base of the read models: subclasses set ``name``/``topics`` and implement ``apply``."""

    name: str = ""
    topics: Sequence[str] = ()
    """Notification topics to read (empty: all)."""
    tables: Sequence[str] = ()
    """``CREATE … IF NOT EXISTS`` statements."""
    schema = 1
    """The shape of the model's tables. A store whose model was built with another shape drops
    ``upgrade_drops`` (the old tables), creates ``tables`` afresh and replays the log from the
    start; the shape in force is kept in the tracking table as ``<name>:schema``."""
    upgrade_drops: Sequence[str] = ()
    batch = 500

    def __init__(self, store: SqlStore, service: JourneyService, batch: int | None = None) -> None:
        self.store = store
        self.service = service
        if batch is not None:
            self.batch = batch
        store.ensure(_TRACKING)
        self._upgrade()
        store.ensure(*self.tables)
        with store.transaction() as tx:
            tx.execute(
                "INSERT INTO {polku_tracking} VALUES (%s, 0) ON CONFLICT DO NOTHING", (self.name,)
            )
        # Two catch-ups at once (a request and the runner) must not apply a batch twice: on
        # PostgreSQL the tracking row is locked for the batch; SQLite serialises writers.
        self._select = _SELECT + (" FOR UPDATE" if store.backend == "postgres" else "")
        self._taking_turns = _catch_up_lock(store)

    def _upgrade(self) -> None:
        """Drop the tables of an older shape and start the model again from position 0."""
        key = f"{self.name}:schema"
        with self.store.transaction() as tx:
            rows = tx.rows("SELECT position FROM {polku_tracking} WHERE name = %s", (key,))
            stored = int(rows[0][0]) if rows else 1
            if stored == self.schema:
                return
            for statement in self.upgrade_drops:
                tx.execute(statement)
            tx.execute("DELETE FROM {polku_tracking} WHERE name IN (%s, %s)", (self.name, key))
            tx.execute("INSERT INTO {polku_tracking} VALUES (%s, %s)", (key, self.schema))

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        raise NotImplementedError

    def clear(self, tx: Tx) -> None:
        """Delete every row of the model (for a rebuild)."""
        raise NotImplementedError

    def position(self) -> int:
        """The last notification id applied."""
        with self.store.transaction(write=False) as tx:
            rows = tx.rows("SELECT position FROM {polku_tracking} WHERE name = %s", (self.name,))
        return int(rows[0][0]) if rows else 0

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply what was recorded since the tracked position; returns how many notifications."""
        with self._taking_turns:
            return self._catch_up(progress)

    def _catch_up(self, progress: Progress | None) -> int:
        applied = 0
        while True:
            position = self.position()
            # The high-water mark first: every notification up to it is committed.
            last = self.service.recorder.max_notification_id() or 0
            if last <= position:
                return applied
            stop = min(last, position + self.batch)
            notifications = self.service.recorder.select_notifications(
                start=position + 1, limit=self.batch, stop=stop, topics=self.topics
            )
            deferred = _Deferred()
            self.apply(deferred, notifications)
            with self.store.transaction() as tx:
                if int(tx.rows(self._select, (self.name,))[0][0]) != position:
                    continue  # another catch-up applied this batch meanwhile
                deferred.replay(tx)
                tx.execute(
                    "UPDATE {polku_tracking} SET position = %s WHERE name = %s", (stop, self.name)
                )
            applied += len(notifications)
            if progress is not None:
                progress(stop, last)

    def rebuild(self, progress: Progress | None = None) -> int:
        """Forget everything and replay the whole notification log."""
        with self._taking_turns:
            with self.store.transaction() as tx:
                self.clear(tx)
                tx.execute("UPDATE {polku_tracking} SET position = 0 WHERE name = %s", (self.name,))
            return self._catch_up(progress)
