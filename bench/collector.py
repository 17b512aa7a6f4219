"""Big loads with Python's cyclic collector held off, against the same loads with it running.

Loads that make many objects at once hold the collector off (``domain/collector.py``): a long
journey decoded, the planners' log read into memory. On one store, in one run, each load is
timed both ways, taking turns (``--rounds``, default 5, best of each):

- ours: the load as the service does it, the collector held off;
- anchor: the same load with the collector running as usual (the hold switched off).

A held-off collector is postponed, not skipped, so each figure is also given with a full
collection run right after the load (``gc.collect()``): the work the load leaves to whoever
allocates next.

Loads: a long journey of ``--events`` events (default 20,000; ``bench/journeys.py``) read
afresh (``get_record``) and read again after the service's cache dropped it (the first read
of it in a server); the planners' log of a generated population (``--clients``, default 3,000)
read by a new process's model (``PlannerLog.log``).

Run: ``python -m bench.collector [--backend sqlite|postgres|both]``.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator

from bench.common import Store, backends, parse_args, populate, report, store
from bench.journeys import RecordClock, build_long_journey
from domain import collector
from runtime.settings import Settings
from runtime.wiring import Components, build_components

REF = "long-collector"


@contextlib.contextmanager
def _held(on: bool) -> Iterator[None]:
    """The service's hold as it is (``on``), or switched off for the anchor."""
    collector.HOLDING = on
    try:
        yield
    finally:
        collector.HOLDING = True


def _timed(load: Callable[[], object], held: bool) -> tuple[float, float]:
    """Seconds of one load, and of the load with a full collection right after it."""
    gc.collect()
    with _held(held), _PREPARED:
        started = time.perf_counter()
        kept = load()
        loaded = time.perf_counter() - started
        gc.collect()
        collected = time.perf_counter() - started
    del kept
    return loaded, collected


class _Prepared:
    """A new process's components for each planner load, wired before the clock starts (and
    closed after it stops): the model's first read is what is timed, not the wiring."""

    settings: Settings | None = None
    components: Components

    def __enter__(self) -> None:
        if self.settings is not None:
            self.components = build_components(self.settings)

    def __exit__(self, *_: object) -> None:
        if self.settings is not None:
            self.components.close()


_PREPARED = _Prepared()


def _compare(backend: str, what: str, load: Callable[[], object], rounds: int) -> None:
    ours: list[tuple[float, float]] = []
    anchor: list[tuple[float, float]] = []
    for _ in range(rounds):
        ours.append(_timed(load, held=True))
        anchor.append(_timed(load, held=False))
    for index, label in ((0, what), (1, f"{what}, then gc.collect()")):
        best, base = min(t[index] for t in ours), min(t[index] for t in anchor)
        report(
            backend,
            label,
            f"{best * 1000:,.0f} ms",
            f"{base * 1000:,.0f} ms",
            best / base,
            "collector running; none set",
        )


def measure(s: Store, events: int, clients: int, rounds: int) -> None:
    clock = RecordClock()
    service = s.service(clock)
    count = build_long_journey(service, clock, REF, events)
    print(f"{s.backend:9} a journey of {count:,} events written")

    def cold_journey() -> object:
        service._forget(service.journey_id(REF))  # as if the cache never held it
        return service.peek(REF, lambda journey: journey.version)

    _compare(s.backend, f"{count:,}-event record read", lambda: service.get_record(REF), rounds)
    _compare(s.backend, f"{count:,}-event journey, cold", cold_journey, rounds)
    service.close()

    populate(s, clients, seed=1)
    components = build_components(s.settings)
    components.planner.catch_up()
    components.close()

    def planner_log() -> object:
        return _PREPARED.components.planner.log()

    _PREPARED.settings = s.settings

    _compare(s.backend, f"planners' log, {clients:,} clients", planner_log, rounds)


def main() -> None:
    args = parse_args(
        (__doc__ or "").splitlines()[0],
        [("--events", int, 20_000), ("--clients", int, 3_000), ("--rounds", int, 5)],
    )
    for backend in backends(args.backend):
        with store(backend) as s:
            measure(s, args.events, args.clients, args.rounds)


if __name__ == "__main__":
    main()
