"""Planner analytics against pm4py on the same log (target: ≥ 3x faster, identical results).

The log: ``--clients`` synthetic journeys (default 100,000) written through the application
service on the library's in-memory store — every command checked, as in ``polku generate`` —
then read back from the notification log into the planners' event log, exactly as the
``planner`` read model does. The log is cached under ``bench/.cache`` (same seed, same log).

Both sides then get the same log in their own form, converted before the clock starts (the
conversion times are printed too): pm4py a pandas DataFrame (case, activity, timestamp), sorted;
ours the integer-coded NumPy columns of :class:`pathways.analytics.Engine`. Timed:

- the directly-follows graph with frequencies (pm4py ``discover_dfg``) and mean and median
  durations (``discover_performance_dfg``) — ours computes all three, plus clients per edge,
  in one pass;
- the variants (``get_variants``);
- the sector transition matrix: pm4py's DFG on the service-start log with sectors as
  activities; ours :func:`pathways.analytics.transition_matrix` (repeats collapsed, so pm4py's
  self-loops are left out of the comparison).

Every result is asserted equal before any figure is printed.
"""

from __future__ import annotations

import logging
import pickle
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import structlog

from bench.common import parse_args
from demo.population import generate
from domain.application import JourneyService
from domain.journey import JourneyIds
from pathways.analytics import Engine, routes_of, transition_matrix, variants
from pathways.disclosure import CellKeyControl, RecordKeys
from pathways.eventlog import EventLog, Fact, fact_of

SEED = 1
CACHE = Path(__file__).parent / ".cache"
T = TypeVar("T")


def _facts(clients: int) -> list[Fact]:
    path = CACHE / f"facts-v3-{clients}-{SEED}.pickle"
    if path.exists():
        with path.open("rb") as cached:
            facts: list[Fact] = pickle.load(cached)  # noqa: S301 - our own cache file
            return facts
    services: list[JourneyService] = []

    def build(clock: Callable[[], Any]) -> JourneyService:
        services.append(JourneyService({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock))
        return services[-1]

    started = time.perf_counter()
    last_shown = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last_shown[0] > 5 or done == total:
            last_shown[0] = time.perf_counter()
            print(f"  generating: {done:,}/{total:,} clients", flush=True)

    generate(build, clients, SEED, progress=progress)
    recorder = services[0].recorder
    facts = []
    position = 0
    while True:
        page = recorder.select_notifications(start=position + 1, limit=10_000)
        if not page:
            break
        for notification in page:
            fact = fact_of(services[0].decode_sealed(notification), notification.id)
            if fact is not None:
                facts.append(fact)
        position = page[-1].id
    print(f"  generated {len(facts):,} events in {time.perf_counter() - started:.0f} s")
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        pickle.dump(facts, out, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
    return facts


def _best(run: Callable[[], T], repeats: int) -> tuple[T, float]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return result, best


def main() -> None:
    args = parse_args(__doc__ or "", extra=[("--clients", int, 100_000), ("--repeats", int, 3)])
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pandas as pd
        import pm4py

        print(f"pm4py {pm4py.__version__}, pandas {pd.__version__}")
        log = EventLog.of(_facts(args.clients))
        print(f"log: {len(log.journeys):,} clients, {len(log):,} events")

        started = time.perf_counter()
        engine = Engine.of(log)
        routes = routes_of(log)
        ours_convert = time.perf_counter() - started
        started = time.perf_counter()
        record_keys = RecordKeys(JourneyIds(b"bench pseudonym secret, 32 bytes").pseudonym)
        control = CellKeyControl(record_keys).for_log(log)
        keys_derive = time.perf_counter() - started
        started = time.perf_counter()
        frame = pd.DataFrame(
            {
                "case:concept:name": [str(n) for n, j in enumerate(log.journeys) for _ in j],
                "concept:name": [e.activity for j in log.journeys for e in j],
                "time:timestamp": pd.to_datetime(
                    [e.fact.occurred_at for j in log.journeys for e in j], utc=True
                ),
            }
        )
        sectors = frame[frame["concept:name"].str.startswith("service started: ")].copy()
        sectors["concept:name"] = sectors["concept:name"].str.removeprefix("service started: ")
        theirs_convert = time.perf_counter() - started
        print(
            f"conversion (not timed below): ours {ours_convert:.2f} s, pm4py {theirs_convert:.2f} s"
        )

        def ours() -> tuple[Any, ...]:
            return engine.dfg(), engine.variants(), transition_matrix(routes)

        def protected() -> tuple[Any, ...]:
            """The same figures as a planner gets them: cell keys, perturbed, suppressed."""
            edges = []
            for count, clients, mean, median, key in engine.dfg_cells(control.keys()).values():
                cell = control.cell_of(clients, key)
                edges.append(
                    (
                        cell.clients,
                        cell.count(count, "pairs"),
                        cell.measure(mean, "mean"),
                        cell.measure(median, "median"),
                    )
                )
            return (
                edges,
                variants(routes, control=control),
                transition_matrix(routes, control=control),
            )

        def theirs() -> tuple[Any, ...]:
            dfg, _, _ = pm4py.discover_dfg(frame)
            performance, _, _ = pm4py.discover_performance_dfg(frame)
            variants = pm4py.get_variants(frame)
            moves, _, _ = pm4py.discover_dfg(sectors)
            return dfg, performance, variants, moves

        (dfg, our_variants, matrix), ours_s = _best(ours, args.repeats)
        (edges, _, _), protected_s = _best(protected, args.repeats)
        (their_dfg, performance, their_variants, moves), theirs_s = _best(theirs, args.repeats)

    assert dict(their_dfg) == {edge: v[0] for edge, v in dfg.items()}, "DFG frequencies differ"
    for edge, (_, _, mean, median) in dfg.items():
        assert abs(performance[edge]["mean"] - mean) < 1e-3, edge
        assert abs(performance[edge]["median"] - median) < 1e-3, edge
    assert their_variants == our_variants, "variants differ"
    assert len(edges) == len(dfg)
    their_moves = {edge: n for edge, n in moves.items() if edge[0] != edge[1]}
    assert {(c.from_sector, c.to_sector) for c in matrix} == their_moves.keys()
    assert all(
        c.transitions == their_moves[(c.from_sector, c.to_sector)]
        for c in matrix
        if not c.suppressed
    ), "transition matrix differs"
    print(
        f"identical: {len(dfg)} DFG edges (frequency, mean, median),"
        f" {len(our_variants):,} variants, {len(matrix)} sector transitions"
    )
    print(
        f"analytics  DFG + durations + variants + transitions   ours {ours_s:8.3f} s"
        f"   pm4py {theirs_s:8.3f} s   speed-up {theirs_s / ours_s:6.1f}x  (target ≥ 3x)"
    )
    print(
        f"protected  the same with cell keys (planner's figures) ours {protected_s:8.3f} s"
        f"   pm4py {theirs_s:8.3f} s   speed-up {theirs_s / protected_s:6.1f}x  (target ≥ 3x;"
        f" record keys derived once in {keys_derive:.2f} s, cached)"
    )
    ours_all, theirs_all = ours_s + ours_convert, theirs_s + theirs_convert
    print(
        f"analytics  the same, conversion included            ours {ours_all:8.3f} s"
        f"   pm4py {theirs_all:8.3f} s   speed-up {theirs_all / ours_all:6.1f}x"
    )


if __name__ == "__main__":
    main()
