"""Read models catch up when read; a web page reads several at once, from several threads of
one process. They must neither fail nor apply a notification twice."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from eventsourcing.persistence import Notification

from runtime.settings import Settings
from runtime.wiring import build_components
from storage.sql import Tx
from tests.support import CTX, day, member, register

THREADS = 8


def test_concurrent_reads_catch_the_read_models_up_once_without_errors(
    settings: Settings,
) -> None:
    components = build_components(settings)
    try:
        components.service.register_client(register("client-1"), CTX)
        for n in range(12):
            components.service.execute("client-1", member(f"p-{n}", day(n + 1)), CTX)
        readers: list[Callable[[], object]] = [
            lambda: components.caseload.caseload("p-3"),
            components.planner.log,
            components.conformance.catch_up,
            lambda: components.ledger.entries(None, None),
        ]
        start = threading.Barrier(THREADS)
        errors: list[BaseException] = []

        def read(n: int) -> None:
            start.wait()
            try:
                readers[n % len(readers)]()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=read, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        caught_up = components.caseload.caseload("p-3")
        assert [e.client_ref for e in caught_up] == ["client-1"]
        assert components.caseload.rebuild() > 0
        assert components.caseload.caseload("p-3") == caught_up
    finally:
        components.close()


def test_working_out_a_batch_does_not_hold_the_writer(settings: Settings) -> None:
    """A command recorded while a read model works out its batch goes through at once: the
    batch is computed outside the write transaction (on SQLite, holding the single writer for
    a long recomputation kept commands waiting until the connection pool gave up)."""
    components = build_components(settings)
    other = build_components(settings)  # another process, as it were
    try:
        components.service.register_client(register("client-1"), CTX)
        ledger = components.ledger
        original = ledger.apply
        written: list[int] = []

        def apply_and_meanwhile_write(tx: Tx, notifications: Sequence[Notification]) -> None:
            original(tx, notifications)
            if not written:  # a case worker's command, in the middle of the batch
                recorded = other.service.execute("client-1", member("p-9", day(3)), CTX)
                written.append(recorded.version)

        ledger.apply = apply_and_meanwhile_write  # type: ignore[method-assign]
        ledger.catch_up()
        assert written == [2]
        # The command's own event is caught up by the next round, not lost or doubled.
        assert ledger.position() == components.service.recorder.max_notification_id()
    finally:
        other.close()
        components.close()
