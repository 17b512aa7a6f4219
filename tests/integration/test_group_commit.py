"""Group commit: concurrent saves written in one transaction, each save still its own.

The first save of each test is held inside its transaction for a moment, so the saves that
arrive meanwhile queue up and are written together by the next transaction: grouping is made
certain, not left to the scheduler.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any
from unittest.mock import patch
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain import commands as cmd
from domain.application import JourneyService
from runtime.settings import Settings
from runtime.wiring import build_service
from storage.group_commit import GroupCommitPostgresApplicationRecorder
from storage.pg_recorder import OneTripPostgresApplicationRecorder
from tests.support import CTX, T0, register

pytestmark = pytest.mark.postgres


@contextmanager
def _transactions(
    first_holds: float = 0.3, fails: Callable[[int], BaseException | None] = lambda n: None
) -> Iterator[list[int]]:
    """The events per transaction the recorder sends, in order; the first transaction is held
    ``first_holds`` seconds; ``fails(n)`` may give an error for transaction ``n`` to raise."""
    sizes: list[int] = []
    lock = threading.Lock()
    write = OneTripPostgresApplicationRecorder.insert_events

    def counted(
        self: OneTripPostgresApplicationRecorder, events: Sequence[StoredEvent], **kw: Any
    ) -> Any:
        with lock:
            n = len(sizes)
            sizes.append(len(events))
        if n == 0:
            time.sleep(first_holds)
        error = fails(n)
        if error is not None:
            raise error
        return write(self, events, **kw)

    with patch.object(OneTripPostgresApplicationRecorder, "insert_events", counted):
        yield sizes


def _service(settings: Settings) -> JourneyService:
    service = build_service(settings)
    assert isinstance(service.recorder, GroupCommitPostgresApplicationRecorder)
    return service


def _stored(journey: UUID, version: int) -> StoredEvent:
    return StoredEvent(journey, version, "tests:Probe", b"{}")


def _rows(settings: Settings, service: JourneyService) -> list[tuple[UUID, int, int]]:
    table = f"{settings.database_schema}.{service.recorder.events_table_name}"  # type: ignore[attr-defined]
    with psycopg.connect(settings.database_url) as conn:
        return [
            (r[0], r[1], r[2])
            for r in conn.execute(
                f"SELECT originator_id, originator_version, notification_id"  # noqa: S608
                f" FROM {table} ORDER BY notification_id"
            )
        ]


def _insert(recorder: Any, journey: UUID) -> Any:
    return recorder.insert_events([_stored(journey, 1)])


def _at_once(saves: list[Callable[[], Any]]) -> list[Any]:
    """Run ``saves`` in threads, the first a little ahead; each one's result or error."""
    results: list[Any] = [None] * len(saves)

    def run(i: int) -> None:
        try:
            results[i] = saves[i]()
        except Exception as error:  # the error is the result
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(saves))]
    threads[0].start()
    time.sleep(0.05)
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_concurrent_commands_share_transactions_and_keep_their_order(
    postgres_settings: Settings,
) -> None:
    service = _service(postgres_settings)
    refs = [f"client-g{i}" for i in range(16)]
    try:
        for ref in refs:
            service.register_client(register(ref), CTX)

        def commands(ref: str) -> Callable[[], list[int]]:
            def run() -> list[int]:
                return [
                    service.execute(
                        ref,
                        cmd.AddTeamMember(
                            occurred_at=T0 + timedelta(hours=n + 1),
                            party_id=f"p{n}",
                            member_type="professional",
                            role="nurse",
                            organisation="org-a",
                            sector="health_care",
                        ),
                        CTX,
                    ).version
                    for n in range(10)
                ]

            return run

        with _transactions() as sizes:
            results = _at_once([commands(ref) for ref in refs])
        assert results == [list(range(2, 12))] * 16
        assert len(sizes) < 16 * 10, "no two saves were written in one transaction"
        assert max(sizes) > 1
        rows = _rows(postgres_settings, service)
        assert len(rows) == 16 * 11
        for ref in refs:
            journey = service.journey_id(ref)
            versions = [v for j, v, _ in rows if j == journey]
            assert versions == list(range(1, 12))  # notification order follows each journey
            assert [e.originator_version for e in service.get_record(ref).events] == versions
    finally:
        service.close()


def test_a_conflict_in_a_group_fails_only_its_own_save(postgres_settings: Settings) -> None:
    service = _service(postgres_settings)
    recorder = service.recorder
    first, taken, other = uuid4(), uuid4(), uuid4()
    try:
        with _transactions() as sizes:
            results = _at_once(
                [
                    lambda: recorder.insert_events([_stored(first, 1)]),
                    lambda: recorder.insert_events([_stored(taken, 1), _stored(taken, 2)]),
                    lambda: recorder.insert_events([_stored(taken, 2)]),
                    lambda: recorder.insert_events([_stored(other, 1)]),
                ]
            )
        assert sizes[:2] == [1, 4]  # the three that queued were tried together
        assert [type(r) for r in results] == [list, list, IntegrityError, list]
        stored = [(j, v) for j, v, _ in _rows(postgres_settings, service)]
        assert sorted(stored, key=str) == sorted(
            [(first, 1), (taken, 1), (taken, 2), (other, 1)], key=str
        )
        ids = {(j, v): n for j, v, n in _rows(postgres_settings, service)}
        assert results[1] == [ids[(taken, 1)], ids[(taken, 2)]]
        assert results[3] == [ids[(other, 1)]]
    finally:
        service.close()


def test_a_failed_group_writes_none_of_its_saves_and_the_next_save_goes_through(
    postgres_settings: Settings,
) -> None:
    service = _service(postgres_settings)
    recorder = service.recorder
    journeys = [uuid4() for _ in range(4)]
    try:
        broken = RuntimeError("the connection broke")
        with _transactions(fails=lambda n: broken if n == 1 else None) as sizes:
            results = _at_once([partial(_insert, recorder, j) for j in journeys])
            later = recorder.insert_events([_stored(uuid4(), 1)])
        assert sizes[:2] == [1, 3]
        assert isinstance(results[0], list)
        assert results[1:] == [broken] * 3
        assert [j for j, _, _ in _rows(postgres_settings, service)][:1] == [journeys[0]]
        assert len(_rows(postgres_settings, service)) == 2
        assert later is not None
        assert len(later) == 1
    finally:
        service.close()
