"""Catching the ledger and conformance up over a long journey: judged once per stretch against
judged in every batch it appears in (how they worked before), on the same store in one run.

The store holds one journey of ``--events`` events (``bench/journeys.py``, one in nine entries
a late disclosure) and ``--clients`` short journeys of the synthetic population. Each model is
rebuilt from nothing twice per variant (the faster run counts): ours judges each journey once in
every stretch of ``window_batches`` batches (in the batch holding its last notification there),
the anchor judges every journey in every batch it appears in. Both end with the same rows
(``tests/integration/test_judged_once.py``). Issue 20: a 10k-event journey took the ledger 41 s
(11,117 notifications), ~60x the population's rate.
Run: ``python -m bench.catch_up [--backend sqlite|postgres|both] [--events 10000]``.
"""

from __future__ import annotations

import time

from bench.common import backends, parse_args, report, store
from bench.journeys import RecordClock, build_long_journey
from demo.population import generate
from readmodels.tracking import TrackedProjection
from runtime.wiring import build_components


def _rebuild(model: TrackedProjection, whole_journeys: bool) -> tuple[int, float]:
    """The faster of two rebuilds with the given way of judging: (notifications, seconds)."""
    cls = type(model)
    kept = cls.whole_journeys
    cls.whole_journeys = whole_journeys
    try:
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            count = model.rebuild()
            runs.append((count, time.perf_counter() - started))
        return min(runs, key=lambda run: run[1])
    finally:
        cls.whole_journeys = kept


def main() -> None:
    args = parse_args(__doc__ or "", [("--events", int, 10_000), ("--clients", int, 200)])
    for backend in backends(args.backend):
        with store(backend) as s:
            clock = RecordClock()
            service = s.service(clock=clock)
            events = build_long_journey(service, clock, "long-journey", args.events)
            service.close()
            generate(lambda c: s.service(c), args.clients, 7)
            components = build_components(s.settings)
            try:
                print(
                    f"{backend:9} store: one journey of {events:,} events and"
                    f" {args.clients} population clients"
                )
                for name in ("ledger", "conformance"):
                    model = components.read_models[name]
                    count, ours = _rebuild(model, whole_journeys=True)
                    _, anchor = _rebuild(model, whole_journeys=False)
                    report(
                        backend,
                        f"rebuild {name} ({count:,} notifications)",
                        f"{ours:.2f} s ({count / ours:,.0f}/s)",
                        f"{anchor:.2f} s ({count / anchor:,.0f}/s)",
                        ours / anchor,
                        "judged once per stretch vs in every batch; lower is better",
                    )
            finally:
                components.close()


if __name__ == "__main__":
    main()
