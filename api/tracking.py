"""Read models fed from the event store's notification log, with a tracking position.

Each batch of notifications is applied in one transaction together with the new position, so a
notification is applied exactly once even if the process dies mid-way; a restart resumes from
the stored position. The library's SQLite recorder cannot subscribe, so read models catch up
when read (and ``polku projections rebuild`` replays them from scratch, in batches).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence

from eventsourcing.persistence import Notification

from api.sqlstore import SqlStore, Tx
from domain.application import JourneyService

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
    batch = 500

    def __init__(self, store: SqlStore, service: JourneyService, batch: int | None = None) -> None:
        self.store = store
        self.service = service
        if batch is not None:
            self.batch = batch
        store.ensure(_TRACKING, *self.tables)
        with store.transaction() as tx:
            tx.execute(
                "INSERT INTO {polku_tracking} VALUES (%s, 0) ON CONFLICT DO NOTHING", (self.name,)
            )
        # Two catch-ups at once (a request and the runner) must not apply a batch twice: on
        # PostgreSQL the tracking row is locked for the batch; SQLite serialises writers.
        self._select = _SELECT + (" FOR UPDATE" if store.backend == "postgres" else "")
        self._taking_turns = _catch_up_lock(store)

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
            with self.store.transaction() as tx:
                rows = tx.rows(
                    self._select,
                    (self.name,),
                )
                position = int(rows[0][0])
                # The high-water mark first: every notification up to it is committed.
                last = self.service.recorder.max_notification_id() or 0
                if last <= position:
                    return applied
                stop = min(last, position + self.batch)
                notifications = self.service.recorder.select_notifications(
                    start=position + 1, limit=self.batch, stop=stop, topics=self.topics
                )
                self.apply(tx, notifications)
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
