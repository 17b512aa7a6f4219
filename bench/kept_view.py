"""The view at (now, now) of a long journey from the fold kept between views, against a fold
from the first event, and against the view of a short journey.

One journey of ``--events`` events (default 20,000; ``bench/journeys.py``, one in nine entries
late, some retracted) and one of 1,000 are written through the service on the same store. The
record read is the service's cached journey (``peek``), as the API's reads get it. Measured in
the same run, medians of ``--rounds`` (default 15):

- ours: the long journey's view at (now, now) through ``view`` (the process's kept fold,
  ``projections.journey_view.FOLDS``): asked again with nothing new; after one more disclosure
  recorded in order; after one recorded 20 hours late (it lands about 20 steps back and the
  disclosures after it are judged again); and the first page (100 entries) of its FHIR export;
- anchors: the same view folded from the first event (``fresh_view``: every view before the
  kept folds), and the view of the 1,000-event journey (the target: the long journey's
  view at (now, now) within 2x of it);
- for information: the first view (folded afresh) and the second (the same events seen again:
  the fold is made and kept), the bytes the kept fold holds
  and the peak memory growth of six first FHIR pages built at once in threads (tracemalloc;
  target < 100 MB); and the same first pages with nothing of the journey in memory (a
  server's first read of it: the service's journey and the fold dropped), one alone and six at once.

Run: ``python -m bench.kept_view [--backend sqlite|postgres|both] [--events 20000]``.
"""

from __future__ import annotations

import gc
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta

from bench.common import backends, parse_args, report, store
from bench.journeys import CTX, RecordClock, build_long_journey, disclosures
from domain.application import JourneyService
from domain.journey import JourneyRecord
from projections.fhir import Window, fhir_page
from projections.journey_view import FOLDS, fresh_view, view


def _median_ms(run: Callable[[], object], rounds: int, before: Callable[[], object]) -> float:
    samples = []
    for _ in range(rounds):
        before()
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _measure(backend: str, service: JourneyService, clock: RecordClock, rounds: int) -> None:
    def record(ref: str) -> JourneyRecord:
        return service.peek(ref, lambda j: j.record())

    def long_view() -> object:
        return view(record("long"), clock.now, clock.now)

    shared = iter(range(10**9))

    def disclosure(hours_back: int) -> Callable[[], object]:
        def record_one() -> object:
            clock.now += timedelta(minutes=30)
            (one,) = disclosures(1, clock.now - timedelta(hours=hours_back, minutes=5))
            named = one.model_copy(update={"disclosure_id": f"bench-{next(shared)}"})
            return service.execute("long", named, CTX)

        return record_one

    FOLDS.forget()
    started = time.perf_counter()
    long_view()  # folded afresh; the record is remembered
    first_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    long_view()  # the same events seen again: the fold is made and kept
    second_ms = (time.perf_counter() - started) * 1000
    FOLDS.forget()  # made again under tracing (slower), for its bytes alone
    long_view()
    tracemalloc.start()
    long_view()
    held = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    events = len(record("long").events)

    def nothing() -> None:
        return None

    fresh_ms = _median_ms(lambda: fresh_view(record("long"), clock.now, clock.now), 5, nothing)
    short_ms = _median_ms(lambda: fresh_view(record("short"), clock.now, clock.now), 15, nothing)
    again_ms = _median_ms(long_view, rounds, nothing)
    in_order_ms = _median_ms(long_view, rounds, disclosure(0))
    late_ms = _median_ms(long_view, rounds, disclosure(20))
    page_ms = _median_ms(
        lambda: fhir_page(record("long"), clock.now, clock.now, window=Window(0, 100)),
        rounds,
        disclosure(0),
    )
    for what, ms in (
        ("view again, nothing new", again_ms),
        ("view after one entry in order", in_order_ms),
        ("view after one entry 20 h late", late_ms),
        ("FHIR first page after one entry", page_ms),
    ):
        report(
            backend,
            f"{what} ({events:,} ev)",
            f"{ms:.1f} ms",
            f"{short_ms:.1f} ms",
            ms / short_ms,
            "anchor: a 1,000-event journey's view folded afresh; target <= 2",
        )

    def first_page() -> object:
        return fhir_page(record("long"), clock.now, clock.now, window=Window(0, 100))

    threads = [threading.Thread(target=first_page) for _ in range(6)]
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    six_mb = (tracemalloc.get_traced_memory()[1] - base) / 1e6
    tracemalloc.stop()
    print(
        f"{'':9}   six first FHIR pages at once, the fold kept: peak memory growth {six_mb:.1f} MB"
        " (target < 100 MB)"
    )
    _cold(service, clock)
    print(
        f"{'':9}   the same view folded from the first event {fresh_ms:.0f} ms"
        f" ({fresh_ms / short_ms:.1f}x the short journey's); the first view {first_ms:.0f} ms,"
        f" the second, which makes the fold, {second_ms:.0f} ms; the kept fold holds"
        f" {held:.1f} MB"
    )


def _cold(service: JourneyService, clock: RecordClock) -> None:
    """The first FHIR pages of the long journey with nothing of it in memory (a server's first
    read of it): as the API reads, each request takes its copy of the service's journey, the
    first reading it into the cache while the others wait for it."""
    ref = "long"

    def drop() -> None:
        service._forget(service.journey_id(ref))
        FOLDS.forget()
        gc.collect()

    def first_page() -> object:
        record = service.get_journey(ref).record()
        return fhir_page(record, clock.now, clock.now, window=Window(0, 100))

    def six() -> float:
        threads = [threading.Thread(target=first_page) for _ in range(6)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - started

    drop()
    started = time.perf_counter()
    first_page()
    one_ms = (time.perf_counter() - started) * 1000
    drop()
    six_s = six()
    drop()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    six()
    six_mb = (tracemalloc.get_traced_memory()[1] - base) / 1e6
    tracemalloc.stop()
    print(
        f"{'':9}   nothing in memory (a server's first read): first FHIR page {one_ms:.0f} ms;"
        f" six at once {six_s:.2f} s, peak memory growth {six_mb:.1f} MB (target < 100 MB)"
    )


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], [("--events", int, 20_000), ("--rounds", int, 15)])
    for backend in backends(args.backend):
        with store(backend) as s:
            clock = RecordClock()
            service = s.service(clock)
            build_long_journey(service, clock, "long", args.events)
            build_long_journey(service, clock, "short", 1000)
            _measure(backend, service, clock, args.rounds)
            service.close()


if __name__ == "__main__":
    main()
