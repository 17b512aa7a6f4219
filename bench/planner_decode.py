"""Planner-log rebuild with the fast path (facts read straight from the stored JSON) against
the normal path (every event decoded into an event object first); target: twice the rate or more.

A generated population is written through the service; then, on the same store and in the same
run, the planner log is rebuilt from scratch over and over, the two paths taking turns (the
machine may be shared, so the best of each path's rounds is compared):

- anchor: ``PlannerLog.fast = False`` — what a rebuild did before the fast path: notifications
  read through the event store, each decoded by the library's transcoder and mapper into an
  event, then turned into its fact, every pseudonym worked out afresh;
- ours: ``PlannerLog.fast = True`` — notifications read as plain rows, each one's state parsed
  by ``pydantic_core.from_json`` and the row's few fields picked from it, no event built;
  pseudonyms remembered between batches.

Both write the same rows (tests/integration/test_planner_fast_path.py), in the same batches and
transactions, so the difference is the reading and decoding alone.
"""

from __future__ import annotations

import time

from bench.common import Store, backends, parse_args, populate, report, store
from runtime.wiring import build_components

SEED = 7


def measure(s: Store, clients: int, rounds: int) -> None:
    populate(s, clients, SEED)
    components = build_components(s.settings)
    planner = components.planner
    try:
        planner.catch_up()  # warm: tables exist, caches as in service
        best = {True: float("inf"), False: float("inf")}
        count = 0
        for _ in range(rounds):
            for fast in (False, True):  # interleaved: a busy moment hits both
                planner.fast = fast
                started = time.perf_counter()
                count = planner.rebuild()
                best[fast] = min(best[fast], time.perf_counter() - started)
        ours, anchor = count / best[True], count / best[False]
        report(
            s.backend,
            "rebuild planner, fast vs decoded",
            f"{ours:,.0f}/s",
            f"{anchor:,.0f}/s",
            ours / anchor,
            "target ≥ 2.0",
        )
    finally:
        planner.fast = True
        components.close()


def main() -> None:
    args = parse_args(__doc__ or "", extra=[("--clients", int, 2000), ("--rounds", int, 5)])
    for backend in backends(args.backend):
        with store(backend) as s:
            measure(s, args.clients, args.rounds)


if __name__ == "__main__":
    main()
