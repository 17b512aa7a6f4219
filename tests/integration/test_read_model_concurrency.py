"""Read models catch up when read; a web page reads several at once, from several threads of
one process. They must neither fail nor apply a notification twice."""

from __future__ import annotations

import threading
from collections.abc import Callable

from api.app import build_components
from api.settings import Settings
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
