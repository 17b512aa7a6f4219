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

Each read model catches up on its own: one catch-up at a time *per model* in this process (a
lock of the model's own), so a model with a slow batch keeps no other model's readers waiting.
Because a batch's write transaction reads nothing but the model's own tracking row, two models'
catch-ups never wait on each other inside SQLite's single writer either. A read does at most a
bounded slice of the work (:meth:`TrackedProjection.refresh`: batches until
:attr:`~TrackedProjection.read_budget` seconds are spent, at least one) and answers with the
position it reflects (:class:`Freshness`); the background runner does the rest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from domain.application import JourneyService
from storage.event_batches import last_notifications
from storage.sql import ReadStore, SqlStore, Tx

__all__ = ["Freshness", "Progress", "TrackedProjection"]

_SELECT = "SELECT position FROM {polku_tracking} WHERE name = %s"
Progress = Callable[[int, int], None]
"""Called with (position reached, last position) after each batch."""


@dataclass(frozen=True)
class Freshness:
    """How fresh a read model's answer is: it reflects every notification up to ``position``;
    ``head`` was the last one recorded when it answered."""

    position: int
    head: int

    @property
    def behind(self) -> int:
        """Notifications recorded but not yet reflected (0: up to date when read)."""
        return max(0, self.head - self.position)


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

    def rows(
        self, statement: str, params: Sequence[Any] = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
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
    whole_journeys = False
    """Whether ``apply`` judges each journey a batch touches on its whole record as it stands
    (the ledger, conformance). Then, catching up a stretch of many batches, a journey is judged
    once — in the batch holding its last notification of the stretch — instead of in every
    batch it appears in: :meth:`due` says which journeys a batch must judge."""
    window_batches = 40
    """How many batches' stretch :meth:`due` looks ahead over (one query per stretch)."""
    read_budget = 0.2
    """Seconds of catch-up a read may do before it answers (at least one batch is applied)."""
    read_wait = 0.05
    """Seconds a read waits for another thread's catch-up of this model before answering
    with what is there."""

    def __init__(
        self,
        store: SqlStore,
        service: JourneyService,
        batch: int | None = None,
        *,
        source: Application[Any] | None = None,
        reads: ReadStore | None = None,
    ) -> None:
        self.store = store
        self.reads: ReadStore = store if reads is None else reads
        """Where the model's own queries read its rows: the store, or a replica in front of it
        (:mod:`storage.replica`). Catching up always writes to the store."""
        self.service = service
        self.source: Application[Any] = service if source is None else source
        """The application whose notification log the model reads (the journeys' by default)."""
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
        self._taking_turns = threading.Lock()  # this model's own: others are not held up
        self._last_of: dict[UUID, int] | None = None  # per journey, its last id in the stretch
        self._stretch = (0, 0)
        self._batch_stop = 0

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

    def due(self, notifications: Sequence[Notification]) -> list[UUID]:
        """The journeys this batch must judge (in order of first appearance): every journey it
        touches, except one that appears again later in the stretch being caught up — that one
        is judged there, on its whole record, which then holds this batch's events too."""
        touched = list(dict.fromkeys(UUID(str(n.originator_id)) for n in notifications))
        last_of = self._last_of
        if not self.whole_journeys or last_of is None:
            return touched
        return [j for j in touched if last_of.get(j, 0) <= self._batch_stop]

    def _look_ahead(self, position: int, stop: int, last: int) -> None:
        """Know each journey's last notification over the stretch from ``position`` on (for
        :meth:`due`); a stretch of one batch needs no look-ahead."""
        if not self.whole_journeys:
            return
        first, end = self._stretch
        if first <= position + 1 and stop <= end:
            return  # this batch lies inside the stretch already looked over
        end = min(last, position + self.batch * self.window_batches)
        if end <= stop:
            self._last_of, self._stretch = None, (0, 0)
            return
        self._last_of = last_notifications(self.source.recorder, position + 1, end, self.topics)
        self._stretch = (position + 1, end)

    def select(self, start: int, stop: int) -> Sequence[Notification]:
        """The notifications of a batch: ``start..stop``, at most :attr:`batch`, of
        :attr:`topics` (a model that decodes them itself may read them another way)."""
        return self.source.recorder.select_notifications(
            start=start, limit=self.batch, stop=stop, topics=self.topics
        )

    def clear(self, tx: Tx) -> None:
        """Delete every row of the model (for a rebuild)."""
        raise NotImplementedError

    def position(self) -> int:
        """The last notification id applied."""
        with self.store.transaction(write=False) as tx:
            rows = tx.rows("SELECT position FROM {polku_tracking} WHERE name = %s", (self.name,))
        return int(rows[0][0]) if rows else 0

    def catch_up(self, progress: Progress | None = None, *, max_batches: int | None = None) -> int:
        """Apply what was recorded since the tracked position (at most ``max_batches`` batches);
        returns how many notifications."""
        with self._taking_turns:
            return self._catch_up(progress, max_batches=max_batches)

    def refresh(self) -> Freshness:
        """What a read does first: a bounded slice of catching up, then how fresh the model is.

        Batches are applied until :attr:`read_budget` seconds are spent (at least one, if any
        is due); if another thread is catching this model up, the read waits at most
        :attr:`read_wait` for it and otherwise answers with what is there.
        """
        if self._taking_turns.acquire(timeout=self.read_wait):
            try:
                self._catch_up(None, deadline=time.monotonic() + self.read_budget)
            finally:
                self._taking_turns.release()
        head = self.source.recorder.max_notification_id() or 0
        return Freshness(min(self.position(), head), head)

    def _catch_up(
        self,
        progress: Progress | None,
        *,
        max_batches: int | None = None,
        deadline: float | None = None,
    ) -> int:
        applied = batches = 0
        while max_batches is None or batches < max_batches:
            if batches and deadline is not None and time.monotonic() >= deadline:
                return applied
            position = self.position()
            # The high-water mark first: every notification up to it is committed.
            last = self.source.recorder.max_notification_id() or 0
            if last <= position:
                return applied
            stop = min(last, position + self.batch)
            notifications = self.select(position + 1, stop)
            self._look_ahead(position, stop, last)
            self._batch_stop = stop
            deferred = _Deferred()
            self.apply(deferred, notifications)
            batches += 1
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
        return applied

    def rebuild(self, progress: Progress | None = None) -> int:
        """Forget everything and replay the whole notification log."""
        with self._taking_turns:
            with self.store.transaction() as tx:
                self.clear(tx)
                tx.execute("UPDATE {polku_tracking} SET position = 0 WHERE name = %s", (self.name,))
            return self._catch_up(progress)
