"""Commands from 16 concurrent clients on PostgreSQL, with group commit, against raw inserts.

Ours: 16 threads, each recording ``--commands`` disclosures on its own client's journey
through the service (validation, the cached journey, the checks, the save), with group commit
on (``POLKU_GROUP_COMMIT``, the default) and, for information, off. Anchor: 16 threads, each
with its own connection, inserting one row of the same size per committed transaction into a
plain table on the same database. Target: ours at least 0.5x the anchor. CPU per command (this
process's CPU time over the commands) is printed too, since the ratio moves with the disk.
The pool is 16 connections for ours (the server's default is 5), as the anchor has 16.
Run: ``python -m bench.group_commit [--commands 60] [--threads 16]`` (PostgreSQL only: SQLite
has one writer at a time and no group commit).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg

from bench.common import POSTGRES_URL, Store, backends, parse_args, report, store
from bench.journeys import CTX, disclosures
from domain import commands as cmd
from runtime.wiring import build_service


def _threads(count: int, work: Callable[[int], None]) -> float:
    """Seconds for ``count`` threads to run ``work(i)``, started together."""
    start = threading.Barrier(count + 1)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as error:
            errors.append(error)
            raise

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - began


def _ours(s: Store, threads: int, commands: int, group_commit: bool) -> tuple[float, float, int]:
    """(commands/s, CPU ms per command, bytes per event) with group commit on or off."""
    settings = s.settings.model_copy(
        update={"group_commit": group_commit, "postgres_pool_size": threads}
    )
    service = build_service(settings)
    refs = [f"bench-gc-{group_commit}-{i}" for i in range(threads)]
    now = datetime.now(UTC)
    for ref in refs:
        service.register_client(
            cmd.RegisterClient(occurred_at=now, client_ref=ref, preferred_language="fi"), CTX
        )
    todo = [disclosures(commands, now) for _ in refs]

    def work(i: int) -> None:
        for command in todo[i]:
            service.execute(refs[i], command, CTX)

    cpu = time.process_time()
    elapsed = _threads(threads, work)
    cpu = time.process_time() - cpu
    row = service.recorder.select_events(service.journey_id(refs[0]), desc=True, limit=1)[0]
    service.close()
    total = threads * commands
    return total / elapsed, cpu / total * 1000, len(row.state)


def _raw(s: Store, threads: int, commands: int, size: int) -> float:
    table = f"{s.postgres_schema}.raw"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} (id uuid, version int, topic text, state bytea,"
            " PRIMARY KEY (id, version))"
        )
    connections = [psycopg.connect(POSTGRES_URL, autocommit=True) for _ in range(threads)]
    payload = os.urandom(size)

    def work(i: int) -> None:
        ident = uuid.uuid4()
        for n in range(commands):
            connections[i].execute(
                f"INSERT INTO {table} VALUES (%s, %s, %s, %s)",
                (ident, n, "t", payload),
            )

    try:
        elapsed = _threads(threads, work)
    finally:
        for conn in connections:
            conn.close()
    return threads * commands / elapsed


def main() -> None:
    args = parse_args(__doc__ or "", [("--commands", int, 60), ("--threads", int, 16)])
    if "postgres" not in backends("postgres"):
        return
    with store("postgres") as s:
        grouped, grouped_cpu, size = _ours(s, args.threads, args.commands, group_commit=True)
        single, single_cpu, _ = _ours(s, args.threads, args.commands, group_commit=False)
        anchor = _raw(s, args.threads, args.commands, size)
        report(
            "postgres",
            f"commands/s, {args.threads} clients",
            f"{grouped:,.0f}/s",
            f"{anchor:,.0f}/s",
            grouped / anchor,
            "group commit vs raw concurrent inserts; target >= 0.50",
        )
        print(
            f"{'':9} group commit off: {single:,.0f}/s ({single / anchor:.2f} of the anchor);"
            f" CPU per command {grouped_cpu:.2f} ms on, {single_cpu:.2f} ms off"
        )


if __name__ == "__main__":
    main()
