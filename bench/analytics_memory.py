"""Planner analytics at scale: the log's bytes in memory beside pm4py's DataFrame, and reads.

The store: ``--clients`` synthetic clients (default 10,000) generated once per backend through
the application service (``demo/population.py``, as ``polku generate``) and kept for the next
run: an SQLite file under ``bench/.cache``, a PostgreSQL schema ``bench_memory_<clients>_<seed>``
(dropped by hand). An interrupted generation resumes. The read models are caught up before
anything is measured (the background runner keeps them current in a server).

Measured, each in a new process on the kept store:

- **memory**: the bytes the planners' log holds in the process after its first read
  (``PlannerLog.read``: the facts and the effective log it keeps between requests), traced
  with ``tracemalloc`` around that read (what stays allocated afterwards); beside it the NumPy
  columns of :class:`pathways.analytics.Engine` for the whole log (``ndarray.nbytes`` plus its
  activity names). The anchor: the same log as pm4py's ``format_dataframe`` makes it (case,
  activity, timestamp, and the same attributes the planners' log keeps of each event: record
  position, event id, kind, sector, ref, link, detail, links as JSON), measured by
  ``DataFrame.memory_usage(deep=True)``; and the bare three-column frame for reference.
- **reads**: from process start (interpreter, imports, wiring) to a planner's first answer
  (``Analytics.answer``, the call ``GET /v1/analytics/{figure}`` makes: the directly-follows
  graph, perturbed), then later reads in the same process (the same question again; other
  figures, and the graph of one quarter, worked out afresh), then all of it again in a new
  process (a server restart). Any exception is counted as an error (a server would answer it
  with a 5xx).
- **after a write**: the graph asked again right after one new client was registered, as a
  server sees it while case workers write: the engine built on the last one (only the journeys
  the new facts touched are encoded), taking turns with the anchor, the engine built afresh
  from the whole log. These clients stay in the kept store.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CACHE = Path(__file__).parent / ".cache"
SEED = 1
QUARTER = timedelta(days=89)


def _settings(config: dict[str, Any]) -> Any:
    from runtime.settings import Settings

    return Settings(**config, _env_file=None)


def _kept_store(backend: str, clients: int) -> dict[str, Any]:
    """The settings of the kept store for ``backend`` and ``clients``."""
    CACHE.mkdir(exist_ok=True)
    if backend == "sqlite":
        return {"database_url": f"sqlite:///{CACHE / f'memory-{clients}-{SEED}.db'}"}
    import psycopg

    from bench.common import POSTGRES_URL

    schema = f"bench_memory_{clients}_{SEED}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    return {
        "database_url": POSTGRES_URL,
        "database_schema": schema,
        "keyring": str(CACHE / f"memory-pg-{clients}-{SEED}.keyring.json"),
    }


def _prepare(config: dict[str, Any], clients: int) -> None:
    """Generate what is missing of the population and catch every read model up."""
    from demo.population import generate
    from runtime.wiring import build_components, build_service

    settings = _settings(config)
    started = time.perf_counter()
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - shown[0] > 30 or done == total:
            shown[0] = time.perf_counter()
            print(f"  generating: {done:,}/{total:,} clients", flush=True)

    made = generate(lambda c: build_service(settings, clock=c), clients, SEED, progress=progress)
    if made.clients:
        print(
            f"  generated {made.clients:,} clients, {made.events:,} events"
            f" in {time.perf_counter() - started:.0f} s"
        )
    components = build_components(settings)
    try:
        started = time.perf_counter()
        for model in (components.planner, components.conformance):
            model.catch_up()
        print(f"  read models caught up in {time.perf_counter() - started:.1f} s")
    finally:
        components.close()


def _child(mode: str, config: dict[str, Any]) -> dict[str, Any]:
    """One measurement in this (new) process; returns what it found."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    way, _, source = mode.partition(":")
    if way == "image":
        return _image(config)
    if way == "memory":
        return _memory(config, source)
    return _reads(config, source)


def _built(config: dict[str, Any], source: str) -> Any:
    """The process's components, its planners' log read from ``source``: ``image`` (the kept
    image, then the facts after it) or ``table`` (every fact, the image left unread)."""
    from runtime.wiring import build_components

    components = build_components(_settings(config))
    if source == "table":
        components.planner.use_image = False
    return components


def _image(config: dict[str, Any]) -> dict[str, Any]:
    """Write the image of the log as it stands (what ``polku projections image`` does)."""
    components = _built(config, "table")
    try:
        started = time.perf_counter()
        header = components.planner.save_image()
        seconds = time.perf_counter() - started
        with components.store.transaction(write=False) as tx:
            size = tx.rows("SELECT SUM(LENGTH(data)) FROM {polku_planner_image}")[0][0]
    finally:
        components.close()
    assert header is not None
    return {"seconds": seconds, "bytes": int(size), "parts": header.parts, "facts": header.facts}


def _reads(config: dict[str, Any], source: str) -> dict[str, Any]:
    from domain.events import Actor
    from runtime.analytics import Analytics

    components = _built(config, source)
    analytics = Analytics(components)
    planner = Actor("p-bench-planner", "bench", "planner")
    errors = 0

    def ask(figure: str, start: datetime | None = None) -> float:
        nonlocal errors
        started = time.perf_counter()
        try:
            analytics.answer(planner, figure, start, None if start is None else start + QUARTER)
        except Exception as error:
            errors += 1
            print(f"  error: {error!r}", file=sys.stderr)
        return time.perf_counter() - started

    try:
        ask("dfg")
        first_at = time.time()
        again = [ask("dfg") for _ in range(5)]
        others = {f: ask(f) for f in ("variants", "transitions", "waiting-times")}
        others["dfg of 2022-Q1"] = ask("dfg", datetime(2022, 1, 1, tzinfo=UTC))
        facts = len(components.planner.log())
        after = _after_writes(components, ask)
    finally:
        components.close()
    return {
        "first_at": first_at,
        "again": again,
        "others": others,
        "after": after,
        "errors": errors,
        "facts": facts,
    }


AFTER_WRITES = 4
"""Reads after a write, each way (taking turns)."""


def _after_writes(components: Any, ask: Callable[[str], float]) -> dict[str, list[float]]:
    """The directly-follows graph asked right after one new client is registered (so the
    planners' log has one more journey: the request catches the model up, works that journey
    out and builds the engine of the new log), taking turns: the engine built on the last one
    (what a server does) and built afresh (the anchor: what it did before). Each run adds
    these few clients to the kept store, under refs of their own."""
    from demo.population import ACTOR
    from domain import commands as cmd
    from domain.application import CommandContext
    from pathways import analytics as engines

    found: dict[str, list[float]] = {"built on the last engine": [], "built afresh": []}
    for n in range(2 * AFTER_WRITES):
        way = "built afresh" if n % 2 else "built on the last engine"
        ref = f"bench-after-write-{time.time_ns()}"
        register = cmd.RegisterClient(
            client_ref=ref, preferred_language="fi", occurred_at=datetime.now(UTC)
        )
        components.service.register_client(register, CommandContext(actor=ACTOR))
        if way == "built afresh":
            engines._ENGINES._last = None
        found[way].append(ask("dfg"))
    return found


def _memory(config: dict[str, Any], source: str) -> dict[str, Any]:
    import gc
    import tracemalloc
    import warnings

    from pathways.analytics import Engine

    components = _built(config, source)
    try:
        components.planner.refresh()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        log = components.planner.log()
        gc.collect()
        ours = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
    finally:
        components.close()
    engine = Engine.of(log)
    columns = engine.case.nbytes + engine.activity.nbytes + engine.time_us.nbytes
    columns += sum(sys.getsizeof(n) for n in engine.names) + sys.getsizeof(engine.names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pandas as pd
        import pm4py

        events = [e for j in log.journeys for e in j]
        frame = pd.DataFrame(
            {
                "case": [e.fact.journey for e in events],
                "activity": [e.activity for e in events],
                "timestamp": pd.to_datetime([e.fact.occurred_at for e in events], utc=True),
            }
        )
        bare = pm4py.format_dataframe(frame, "case", "activity", "timestamp")
        bare_bytes = int(bare.memory_usage(deep=True).sum())
        del bare
        frame["position"] = [e.fact.position for e in events]
        frame["event_id"] = [e.fact.event_id for e in events]
        frame["kind"] = [e.fact.kind for e in events]
        frame["sector"] = [e.sector for e in events]
        frame["ref"] = [e.fact.ref for e in events]
        frame["link"] = [e.fact.link for e in events]
        frame["detail"] = [e.fact.detail for e in events]
        frame["links"] = [json.dumps(e.links) for e in events]
        full = pm4py.format_dataframe(frame, "case", "activity", "timestamp")
        full_bytes = int(full.memory_usage(deep=True).sum())
    return {
        "facts": len(events),
        "clients": len(log.journeys),
        "ours": ours,
        "engine": columns,
        "anchor": full_bytes,
        "bare": bare_bytes,
        "pm4py": pm4py.__version__,
    }


def _run(mode: str, config: dict[str, Any]) -> dict[str, Any]:
    started = time.time()
    out = subprocess.run(  # noqa: S603 - this very script, in a new process
        [sys.executable, "-m", "bench.analytics_memory", "--child", mode, json.dumps(config)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
        env=os.environ | {"PYTHONWARNINGS": "ignore"},
    )
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if "first_at" in found:
        found["first"] = found["first_at"] - started
    return found


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(_child(sys.argv[2], json.loads(sys.argv[3]))))
        return
    from bench.common import backends, parse_args

    args = parse_args(__doc__ or "", extra=[("--clients", int, 10_000)])
    for backend in backends(args.backend):
        print(f"{backend}: {args.clients:,} clients (seed {SEED})")
        config = _kept_store(backend, args.clients)
        _prepare(config, args.clients)
        image = _run("image", config)
        print(
            f"{backend:9} image of the log ({image['facts']:,} facts): {_mb(image['bytes'])} in"
            f" {image['parts']} parts, written in {image['seconds']:.1f} s"
        )
        for source in ("table", "image"):
            memory = _run(f"memory:{source}", config)
            print(
                f"{backend:9} memory, {memory['facts']:,} events of {memory['clients']:,}"
                f" clients, log read from the {source}: planner log {_mb(memory['ours'])}"
                f"   anchor pm4py {memory['pm4py']} DataFrame {_mb(memory['anchor'])}"
                f"   ratio {memory['ours'] / memory['anchor']:5.2f}  (target < 2)"
            )
        print(
            f"{'':9} for reference: the engine's NumPy columns of the whole log"
            f" {_mb(memory['engine'])}; pm4py's bare frame (case, activity, timestamp)"
            f" {_mb(memory['bare'])}"
        )
        for run in ("start", "restart"):
            # Taking turns: the log read from its table (the anchor: every fact read and worked
            # out again), then from its image and the facts after it.
            for source in ("table", "image"):
                reads = _run(f"reads:{source}", config)
                _print_reads(backend, f"{run}, log from the {source}", reads)


def _print_reads(backend: str, run: str, reads: dict[str, Any]) -> None:
    others = ", ".join(f"{f} {s * 1000:,.0f} ms" for f, s in reads["others"].items())
    print(
        f"{backend:9} {run}: first answer {reads['first']:.2f} s after process start"
        f" (target < 5 s); the same again {max(reads['again']) * 1000:,.1f} ms at most"
        f" (target < 200 ms); other figures, first asked: {others};"
        f" errors {reads['errors']}"
    )
    built = {way: statistics.median(t) for way, t in reads["after"].items()}
    print(
        f"{'':9} the same after one new client (median of {AFTER_WRITES}, taking turns):"
        f" {built['built on the last engine'] * 1000:,.0f} ms   anchor, the engine built"
        f" afresh {built['built afresh'] * 1000:,.0f} ms"
        f"   ratio {built['built on the last engine'] / built['built afresh']:.2f}"
        " (target < 200 ms)"
    )


if __name__ == "__main__":
    main()
