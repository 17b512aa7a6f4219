"""Group commit: the saves of concurrent commands written in one PostgreSQL transaction.

Every save takes the events table's lock, notifies listeners and commits; with many clients
writing at once, each waits for the others' commits one by one, and each commit waits for its
own flush to disk. Here a save that arrives while another is being written queues up; the save
being written (the *leader*) takes the whole queue along in its next transaction, so one lock,
one NOTIFY and one flush serve every command in it.

What each command relies on still holds:

- **Order**: the events of one save stay together and in order; saves are written in the order
  they queued (notification ids follow it), all inside the table lock as before.
- **Per-journey version checks**: the unique key on (journey, version) still decides. If any save
  in a group breaks it, the group's transaction is rolled back whole and each of its saves is
  written again on its own: the one that conflicts gets the ``IntegrityError`` (and its command
  is decided again on the caught-up journey, as without grouping); the others are unaffected.
- **Idempotency** is decided on the journey before the save (a command id already recorded is
  answered from the record), so grouping does not change it.
- **Nothing half-written**: a group is one transaction; an error other than a conflict is raised
  to every save of the group, none of which was written.

The leader writes groups until its own save is written, then hands the lead to the first save
still waiting (or leaves none waiting). No thread waits on a timer: a group is whatever queued
during the previous transaction, so one writer alone pays only an uncontended lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent

from storage.pg_recorder import OneTripPostgresApplicationRecorder

__all__ = ["GroupCommitPostgresApplicationRecorder"]

MAX_GROUP = 64
"""Saves per transaction at most (one statement's parameters stay well under PostgreSQL's
65,535 for saves of a few events each)."""


class _Save:
    """One caller's save, waiting to be written."""

    __slots__ = ("error", "events", "finished", "ids", "leads", "wake")

    def __init__(self, events: list[StoredEvent]) -> None:
        self.events = events
        self.ids: Sequence[int] | None = None
        self.error: BaseException | None = None
        self.finished = False
        self.leads = False
        self.wake = threading.Event()

    def finish(self, ids: Sequence[int] | None, error: BaseException | None) -> None:
        self.ids, self.error, self.finished = ids, error, True
        self.wake.set()

    def outcome(self) -> Sequence[int] | None:
        if self.error is not None:
            raise self.error
        return self.ids


class GroupCommitPostgresApplicationRecorder(OneTripPostgresApplicationRecorder):
    """The one-trip recorder, with concurrent saves grouped into one transaction."""

    _group_lock: threading.Lock
    _waiting: list[_Save]
    _leading: bool

    def _group_state(self) -> None:
        # The library builds recorders through its own factory; set up on first use.
        if "_group_lock" not in self.__dict__:
            self.__dict__.setdefault("_group_lock", threading.Lock())
            self.__dict__.setdefault("_waiting", [])
            self.__dict__.setdefault("_leading", False)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events or any(v is not None for v in kwargs.values()):
            direct: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return direct
        self._group_state()
        mine = _Save(list(stored_events))
        with self._group_lock:
            self._waiting.append(mine)
            follows = self._leading
            self._leading = True
        if follows:
            mine.wake.wait()
            if mine.finished:
                return mine.outcome()
            # Handed the lead: the previous leader's own save was written before ours.
        try:
            while not mine.finished:
                with self._group_lock:
                    group = self._waiting[:MAX_GROUP]
                    del self._waiting[:MAX_GROUP]
                self._write(group)
        finally:
            with self._group_lock:
                if not mine.finished:  # only when interrupted: never written later, unseen
                    if mine in self._waiting:
                        self._waiting.remove(mine)
                    mine.finish(None, InterruptedError("the save was interrupted"))
                if self._waiting:
                    successor = self._waiting[0]
                    successor.leads = True
                    successor.wake.set()
                else:
                    self._leading = False
        return mine.outcome()

    def _write(self, group: list[_Save]) -> None:
        """Write ``group`` in one transaction; on a conflict, each save on its own."""
        if not group:
            return
        if len(group) == 1:
            self._write_alone(group[0])
            return
        try:
            ids = super().insert_events([e for save in group for e in save.events])
        except IntegrityError:
            for save in group:
                self._write_alone(save)
            return
        except BaseException as error:
            for save in group:
                save.finish(None, error)
            if not isinstance(error, Exception):
                raise
            return
        start = 0
        for save in group:
            end = start + len(save.events)
            save.finish(list(ids[start:end]) if ids is not None else None, None)
            start = end

    def _write_alone(self, save: _Save) -> None:
        try:
            ids = super().insert_events(save.events)
        except BaseException as error:
            save.finish(None, error)
            if not isinstance(error, Exception):
                raise
        else:
            save.finish(ids, None)
