"""Reads on a streaming replica (``POLKU_REPLICA_URL``): the replica's lag under a stream of
writes, and the planners' read latency on the replica beside the primary's, in one run.

PostgreSQL only. The bench makes its own replica of the server with ``pg_basebackup -R`` on
port 5499 (``tools/replica_server.py``: root, runuser and local replication connections, as
``.ci/run`` allows), removed when it ends. The store holds ``--clients`` generated
clients (``demo/population.py``).

1. Lag: for ``--seconds`` one writer records commands as fast as one client goes (a client
   registered, a team member added), while a probe notes the primary's flushed WAL position
   every 50 ms and times how long the replica takes to replay it: what a read routed to the
   replica waits. Anchor: the writer's own command time, which every writer already waits.
2. Cold read: a new process's first read of the planner log (every fact, ``PlannerLog.read``)
   from the replica; anchor: the same from the primary.
3. Under writes: an auditor's figure (``variants``, exact) asked over and over while the writer
   runs, on a process reading the replica (including its wait for the replica to reach the
   primary's position) and on one reading the primary, turn about.
4. Journey reads (``Reads.journey``, an auditor, each read access-logged on the primary): 200
   clients read once by a new process and then again, from the replica (which keeps no
   journeys in memory) and from the primary (whose journey cache the first reads fill).

Run: ``python -m bench.replica [--clients 2000] [--seconds 10]``.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence

import psycopg

from bench.common import POSTGRES_URL, backends, parse_args, report, store
from demo.population import generate
from domain.events import Actor
from runtime.analytics import Analytics
from runtime.reads import Reader, Reads
from runtime.settings import Settings
from runtime.wiring import Components, build_components
from tests.support import CTX, day, member, register
from tools.replica_server import ReplicaServer, ReplicaUnavailableError, make_replica

AUDITOR = Actor("p-auditor", "audit-office", "auditor")
PORT = 5499


def _ms(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _probe(primary_url: str, replica_url: str, stop: threading.Event, delays: list[float]) -> None:
    """Every 50 ms: the primary's flushed position, and the time until the replica replays it."""
    with (
        psycopg.connect(primary_url, autocommit=True) as primary,
        psycopg.connect(replica_url, autocommit=True) as replica,
    ):
        while not stop.is_set():
            row = primary.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()
            assert row is not None
            started = time.perf_counter()
            while True:
                done = replica.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (row[0],)
                ).fetchone()
                if done is not None and done[0]:
                    break
                time.sleep(0.0005)
            delays.append(time.perf_counter() - started)
            stop.wait(0.05)


def _write(components: Components, stop: threading.Event, took: list[float]) -> None:
    n = 0
    while not stop.is_set():
        ref = f"stream-{n}"
        started = time.perf_counter()
        components.service.register_client(register(ref, day(400)), CTX)
        components.service.execute(ref, member("p-stream", day(401)), CTX)
        took.append((time.perf_counter() - started) / 2)
        n += 1


def _journeys(settings: Settings, refs: list[str]) -> tuple[list[float], list[float]]:
    """Each journey read by a new process, then each again: the two lists of seconds."""
    components = build_components(settings)
    try:
        reads, reader = Reads(components), Reader(AUDITOR, "bench")
        rounds: list[list[float]] = [[], []]
        for times in rounds:
            for ref in refs:
                started = time.perf_counter()
                reads.journey(reader, ref).view()
                times.append(time.perf_counter() - started)
        return rounds[0], rounds[1]
    finally:
        components.close()


def _run(settings: Settings, replica: ReplicaServer, seconds: float) -> None:
    on_replica_settings = settings.model_copy(
        update={"replica_url": replica.url, "replica_max_lag_seconds": 5.0}
    )
    primary = build_components(settings)
    on_replica = build_components(on_replica_settings)
    try:
        for model in primary.read_models.values():
            model.catch_up()
        replica.wait_until_caught_up()

        def cold(configured: Settings) -> float:
            fresh = build_components(configured)
            try:
                return _timed(fresh.planner.read)
            finally:
                fresh.close()

        facts = len(primary.planner.facts())
        cold_replica = statistics.median(cold(on_replica_settings) for _ in range(3))
        cold_primary = statistics.median(cold(settings) for _ in range(3))
        report(
            "postgres",
            f"planner log cold read ({facts:,} facts)",
            f"{1000 * cold_replica:.0f} ms",
            f"{1000 * cold_primary:.0f} ms",
            cold_replica / cold_primary,
            "replica vs primary, median of 3",
        )

        stop = threading.Event()
        delays: list[float] = []
        commands: list[float] = []
        threads = [
            threading.Thread(target=_probe, args=(POSTGRES_URL, replica.url, stop, delays)),
            threading.Thread(target=_write, args=(primary, stop, commands)),
        ]
        for thread in threads:
            thread.start()
        reads: dict[str, list[float]] = {"replica": [], "primary": []}
        ended = time.monotonic() + seconds
        try:
            while time.monotonic() < ended:
                for name, components in (("replica", on_replica), ("primary", primary)):
                    started = time.perf_counter()
                    Analytics(components).answer(AUDITOR, "variants")
                    reads[name].append(time.perf_counter() - started)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        print(
            f"postgres  under writes: {len(commands) / seconds:,.0f} commands/s by one writer,"
            f" {len(delays)} lag probes, {len(reads['replica'])} figures per side"
        )
        report(
            "postgres",
            "replica lag under writes p50",
            f"{_ms(delays, 0.5):.1f} ms",
            f"{_ms(commands, 0.5):.1f} ms",
            _ms(delays, 0.5) / _ms(commands, 0.5),
            "replay delay vs the command's own time",
        )
        report(
            "postgres",
            "replica lag under writes p99 / max",
            f"{_ms(delays, 0.99):.1f}/{1000 * max(delays):.1f} ms",
            f"{_ms(commands, 0.99):.1f} ms",
            _ms(delays, 0.99) / _ms(commands, 0.99),
            "replay delay vs the command's own time",
        )
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            ours, anchor = _ms(reads["replica"], q), _ms(reads["primary"], q)
            report(
                "postgres",
                f"figure under writes {label}",
                f"{ours:.1f} ms",
                f"{anchor:.1f} ms",
                ours / anchor,
                "replica (with its wait) vs primary",
            )
        refs = [f"gen-7-{n:06d}" for n in range(0, 2000, 10)]
        replica.wait_until_caught_up()
        first_replica, again_replica = _journeys(on_replica_settings, refs)
        first_primary, again_primary = _journeys(settings, refs)
        for label, ours_s, anchor_s in (
            ("first", first_replica, first_primary),
            ("again", again_replica, again_primary),
        ):
            for q in (0.5, 0.99):
                ours, anchor = _ms(ours_s, q), _ms(anchor_s, q)
                report(
                    "postgres",
                    f"journey read + view, {label}, p{int(q * 100)}",
                    f"{ours:.1f} ms",
                    f"{anchor:.1f} ms",
                    ours / anchor,
                    f"replica vs primary, {len(refs)} clients",
                )
        assert on_replica.replica is not None
        stats = on_replica.replica.stats
        print(
            f"postgres  replica reads: {stats.replica} transactions on the replica,"
            f" {stats.primary_behind} on the primary (replica behind),"
            f" {stats.primary_down} (replica down); wait p50 {_ms(stats.waits, 0.5):.1f} ms,"
            f" p99 {_ms(stats.waits, 0.99):.1f} ms"
        )
    finally:
        on_replica.close()
        primary.close()


def main() -> None:
    args = parse_args(__doc__ or "", [("--clients", int, 2000), ("--seconds", float, 10.0)])
    if "postgres" not in backends("postgres"):
        return
    try:
        replica = make_replica(POSTGRES_URL, PORT)
    except ReplicaUnavailableError as error:
        print(f"postgres: skipped, no replica ({error})")
        return
    print(f"postgres  replica made with pg_basebackup in {replica.backup_seconds:.1f} s")
    try:
        with store("postgres") as s:
            began = time.perf_counter()
            generate(lambda c: s.service(c), args.clients, 7)
            print(
                f"postgres  {args.clients} clients generated in {time.perf_counter() - began:.0f} s"
            )
            _run(s.settings, replica, args.seconds)
    finally:
        replica.remove()


if __name__ == "__main__":
    main()
