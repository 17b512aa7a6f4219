"""A journey's audit and its log report, a page at a time, against the whole report at once.

One journey of ``--events`` events (default 2,000; ``bench/journeys.py``) is written through
the service, and ``--reads`` rows (default 50,000) are put in its access log. Then, on the same
store and in the same run, through the use cases the routes call (an auditor reading):

- ours: the first page of the log report (``--limit`` reads and disclosures, default 100) and
  the first page of the journey's audit (``--limit`` entries of each list),
  each with its peak memory (tracemalloc) and the size of its JSON answer;
- anchor: the whole report at once (``limit=None``, as every answer was before paging).

Both are measured with the journey in the process's cache (a warm-up read first), so the
figures compare what is built per request, not the reading of the journey's rows. Each read
adds a row to the log: the counts grow by a few during the run.
Run: ``python -m bench.report_pages [--backend sqlite|postgres|both] [--reads 50000]``.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from bench.common import backends, parse_args, report, store
from bench.journeys import RecordClock, build_long_journey
from domain.events import Actor
from reports.audit import as_json
from runtime.audit import AuditReports
from runtime.reads import Reader
from runtime.wiring import build_components
from storage.sql import utc_text

REF = "long-reports"
AUDITOR = Reader(Actor("p-auditor", "audit-office", "auditor"), "bench report_pages")


def _timed(run: Callable[[], bytes]) -> tuple[float, float, int]:
    """Seconds of one run, the peak traced MB of another, and the answer's bytes."""
    started = time.perf_counter()
    answer = run()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak, len(answer)


def _measure(backend: str, reports: AuditReports, limit: int) -> None:
    def log_report(size: int | None) -> bytes:
        return as_json(reports.log_report(AUDITOR, REF, None, None, limit=size))

    def audit(size: int | None) -> bytes:
        return as_json(reports.journey(AUDITOR, REF, None, None, limit=size))

    for what, make in (("log report", log_report), ("journey audit", audit)):
        make(limit)  # warm: the journey is then in the process's cache for both
        page_s, page_mb, page_b = _timed(partial(make, limit))
        whole_s, whole_mb, whole_b = _timed(partial(make, None))
        report(
            backend,
            f"{what} first page ({limit})",
            f"{page_s * 1000:.0f} ms",
            f"{whole_s * 1000:.0f} ms",
            page_s / whole_s,
            "the whole report as anchor",
        )
        print(
            f"{'':9}   peak memory: first page {page_mb:.1f} MB, whole {whole_mb:.1f}"
            f" MB; answer {page_b / 1e3:.0f} kB against {whole_b / 1e3:.0f} kB"
        )


def main() -> None:
    args = parse_args(
        __doc__.splitlines()[0],
        [("--events", int, 2_000), ("--reads", int, 50_000), ("--limit", int, 100)],
    )
    for backend in backends(args.backend):
        with store(backend) as s:
            clock = RecordClock()
            service = s.service(clock)
            build_long_journey(service, clock, REF, args.events)
            service.close()
            components = build_components(s.settings)
            try:
                journey = str(components.service.journey_id(REF))
                start = clock.now
                rows = [
                    (
                        journey,
                        utc_text(start + timedelta(seconds=n)),
                        f"p-reader-{n % 40}",
                        "city-social",
                        "caseworker",
                        "GET /v1/journeys/{client_ref}",
                        None,
                    )
                    for n in range(args.reads)
                ]
                with components.store.transaction() as tx:
                    tx.executemany(
                        "INSERT INTO {polku_access_log} VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        rows,
                    )
                _measure(backend, AuditReports(components), args.limit)
            finally:
                components.close()


if __name__ == "__main__":
    main()
