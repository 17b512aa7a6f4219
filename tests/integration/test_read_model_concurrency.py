"""Read models catch up when read; a web page reads several at once, from several threads of
one process. They must neither fail nor apply a notification twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from eventsourcing.persistence import Notification

from readmodels.runner import ReadModelRunner
from readmodels.tracking import Freshness, TrackedProjection
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


def _blocked_in_apply(model: TrackedProjection) -> tuple[threading.Event, threading.Event]:
    """Make ``model``'s next batch stop inside ``apply`` until released: (inside, release)."""
    inside, release = threading.Event(), threading.Event()
    original = model.apply

    def slow_apply(tx: Tx, notifications: Sequence[Notification]) -> None:
        inside.set()
        assert release.wait(30)
        original(tx, notifications)

    model.apply = slow_apply  # type: ignore[method-assign]
    return inside, release


def _within(seconds: float, work: Callable[[], object]) -> object:
    """``work``'s result if it returns within ``seconds`` (on another thread), else fail."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"still waiting after {seconds} s"
    return result[0]


def test_a_slow_catch_up_of_one_model_keeps_no_reader_of_another_waiting(
    settings: Settings,
) -> None:
    """While the ledger's catch-up is stuck in a long batch, the caseload catches up and
    answers, and a ledger read answers at once with what it has, saying how far behind it is."""
    components = build_components(settings)
    try:
        components.service.register_client(register("client-1"), CTX)
        components.service.execute("client-1", member("p-3", day(1)), CTX)
        head = components.service.recorder.max_notification_id()
        inside, release = _blocked_in_apply(components.ledger)
        stuck = threading.Thread(target=components.ledger.catch_up, daemon=True)
        stuck.start()
        assert inside.wait(10)
        try:
            entries = _within(5, lambda: components.caseload.caseload("p-3"))
            assert [e.client_ref for e in entries] == ["client-1"]  # type: ignore[attr-defined]
            assert components.caseload.position() == head
            page = _within(5, lambda: components.ledger.page())
            assert page.freshness == Freshness(0, head)  # type: ignore[attr-defined]
        finally:
            release.set()
            stuck.join(10)
        assert components.ledger.page().freshness == Freshness(head, head)
    finally:
        components.close()


def test_a_read_does_a_bounded_slice_of_catching_up_and_says_how_fresh_it_is(
    settings: Settings,
) -> None:
    components = build_components(settings)
    try:
        components.service.register_client(register("client-1"), CTX)
        for n in range(9):
            components.service.execute("client-1", member(f"p-{n}", day(n + 1)), CTX)
        head = components.service.recorder.max_notification_id() or 0
        ledger = components.ledger
        ledger.batch, ledger.read_budget = 2, 0.0  # one batch of two per read
        seen = [ledger.page().freshness.position for _ in range(6)]
        assert seen == [2, 4, 6, 8, 10, 10]
        assert head == 10
        assert ledger.page().freshness.behind == 0
    finally:
        components.close()


def test_the_runner_serves_every_model_in_turn(settings: Settings) -> None:
    """With a slow ledger first in line and a backlog, the caseload is not kept waiting until the
    ledger reaches the head: each model gets a batch per round."""
    components = build_components(settings)
    try:
        components.service.register_client(register("client-1"), CTX)
        for n in range(11):
            components.service.execute("client-1", member(f"p-{n}", day(n + 1)), CTX)
        ledger, caseload = components.ledger, components.caseload
        ledger.batch = caseload.batch = 1
        original = ledger.apply

        def slow_apply(tx: Tx, notifications: Sequence[Notification]) -> None:
            time.sleep(0.1)
            original(tx, notifications)

        ledger.apply = slow_apply  # type: ignore[method-assign]
        runner = ReadModelRunner(
            components.service,
            [ledger, caseload],
            subscribe=settings.database_url.startswith("postgresql"),
        )
        runner.start()
        try:
            deadline = time.monotonic() + 20
            while ledger.position() < 6 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert 6 <= ledger.position() < 12
            assert caseload.position() >= 5
            assert runner.caught_up.wait(20)
            assert ledger.position() == caseload.position() == 12
        finally:
            runner.stop()
    finally:
        components.close()
