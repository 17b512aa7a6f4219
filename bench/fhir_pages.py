"""The FHIR export of a long journey, a page at a time, against the whole Bundle at once.

One journey of ``--events`` events (default 20,000; ``bench/journeys.py``, one in nine entries
late) is written through the service. Then, on the same store and in the same run, each from
the journey's rows read afresh:

- ours: the first page of the export (``--count`` entries, default 100) — the target is
  < 200 ms — and its peak memory (tracemalloc);
- anchor: the whole Bundle at once, as every export was before paging, and its peak memory;
- for information: the view at (now, now) of the same record, the floor of any export (the
  export folds the view before it builds a single entry), and six first pages built at once in
  threads (peak memory growth, target < 100 MB).

Run: ``python -m bench.fhir_pages [--backend sqlite|postgres|both] [--events 20000]``.
"""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Callable

from bench.common import backends, parse_args, report, store
from bench.journeys import RecordClock, build_long_journey
from domain.application import JourneyService
from domain.journey import JourneyRecord
from projections.fhir import Window, fhir_page
from projections.journey_view import view

REF = "long-fhir"


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """Seconds of one run, and the peak traced MB of another (tracing slows a run down)."""
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak


def _measure(backend: str, service: JourneyService, count: int) -> None:
    def record() -> JourneyRecord:
        return service.get_record(REF)

    def first_page() -> object:
        return fhir_page(record(), window=Window(0, count))

    def whole() -> object:
        return fhir_page(record())

    page_s, page_mb = _timed(first_page)
    whole_s, whole_mb = _timed(whole)
    view_s, _ = _timed(lambda: view(record()))
    report(
        backend,
        f"FHIR first page ({count} entries)",
        f"{page_s * 1000:.0f} ms",
        f"{whole_s * 1000:.0f} ms",
        page_s / whole_s,
        "whole Bundle as anchor; target first page < 200 ms",
    )
    print(
        f"{'':9}   peak memory: first page {page_mb:.1f} MB, whole Bundle {whole_mb:.1f}"
        f" MB; view at (now, now) of the same record {view_s * 1000:.0f} ms"
    )
    threads = [threading.Thread(target=first_page) for _ in range(6)]
    tracemalloc.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    together = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"{'':9}   six first pages at once: peak memory growth {together:.1f} MB")


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], [("--events", int, 20_000), ("--count", int, 100)])
    for backend in backends(args.backend):
        with store(backend) as s:
            clock = RecordClock()
            service = s.service(clock)
            build_long_journey(service, clock, REF, args.events)
            _measure(backend, service, args.count)
            service.close()


if __name__ == "__main__":
    main()
