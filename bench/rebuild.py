"""Read-model rebuild rate against a raw scan of the event table (target: ≥ 50% of the scan).

A generated population is written through the service; then, on the same store and in the same
run:

- anchor: a raw scan of the event table — every row fetched in notification order, in pages of
  the rebuild's batch size, with the driver alone (no decoding, no Python objects beyond rows);
- second anchor: the same scan through the event store, decoding every event (what any reader
  of the events must do before it can use them);
- ours: ``polku projections rebuild planner`` — the planners' event log, rebuilt from scratch:
  notifications read, each one's row picked from its stored JSON (the fast path; an event it
  does not know is decoded) and written in batches, with the tracking position, one
  transaction per batch. ``bench/planner_decode.py`` sets it beside the old path, which
  decoded every event.

The other read models are timed too, for information (they are not what the target is about:
the ledger and conformance recompute a journey's verdicts whenever it appears in a batch).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from psycopg.rows import tuple_row

from bench.common import Store, backends, parse_args, populate, report, store
from runtime.wiring import Components, build_components

SEED = 7


def _raw_scan(components: Components, batch: int) -> int:
    """Fetch every stored event row, page by page in notification order; the row count."""
    recorder: Any = components.service.recorder
    datastore = recorder.datastore
    table = recorder.events_table_name
    if components.store.backend == "sqlite":
        statement = (
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {table}"
            " WHERE rowid > ? ORDER BY rowid LIMIT ?"
        )
        with datastore.transaction(commit=False) as cursor:
            cursor.row_factory = None
            return _pages(cursor, statement, batch)
    statement = (
        "SELECT notification_id, originator_id, originator_version, topic, state"
        f' FROM "{datastore.schema}"."{table}"'
        " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    )
    with datastore.get_connection() as conn:
        return _pages(conn.cursor(row_factory=tuple_row), statement, batch)


def _pages(cursor: Any, statement: str, batch: int) -> int:
    """Run ``statement`` (after id, limit) page after page; how many rows came back."""
    rows, last = 0, 0
    while True:
        cursor.execute(statement, (last, batch))
        page = cursor.fetchall()
        if not page:
            return rows
        rows += len(page)
        last = page[-1][0]


def _decoding_scan(components: Components, batch: int) -> int:
    """Read every notification through the event store and decode it into an event object
    (personal part left sealed): what any reader of the events has to do, with no output."""
    service = components.service
    last, count = 0, 0
    while True:
        page = service.recorder.select_notifications(start=last + 1, limit=batch)
        if not page:
            return count
        for notification in page:
            service.decode_sealed(notification)
        count += len(page)
        last = page[-1].id


def _timed(run: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    count = run()
    return count, time.perf_counter() - started


def measure(s: Store, clients: int) -> None:
    populate(s, clients, SEED)
    components = build_components(s.settings)
    try:
        batch = s.settings.projection_batch_size
        for model in components.read_models.values():
            model.catch_up()  # warm: tables exist, caches as in service
        scans = [_timed(lambda: _raw_scan(components, batch)) for _ in range(3)]
        rebuilds = [_timed(components.planner.rebuild) for _ in range(3)]
        decodes = [_timed(lambda: _decoding_scan(components, batch)) for _ in range(3)]
        scanned, scan_s = min(scans, key=lambda x: x[1])
        decoded, decode_s = min(decodes, key=lambda x: x[1])
        rebuilt, rebuild_s = min(rebuilds, key=lambda x: x[1])
        ours = rebuilt / rebuild_s
        for anchor_name, anchor in (
            ("raw scan (rows only)", scanned / scan_s),
            ("scan + decode", decoded / decode_s),
        ):
            report(
                s.backend,
                f"rebuild planner vs {anchor_name}",
                f"{ours:,.0f}/s",
                f"{anchor:,.0f}/s",
                ours / anchor,
                "target ≥ 0.50",
            )
        fresh = build_components(s.settings)
        try:
            _, cold = _timed(lambda: len(fresh.planner.log()))
            _, warm = _timed(lambda: len(fresh.planner.log()))
        finally:
            fresh.close()
        print(
            f"{s.backend:9}   for information: planner log for analytics, first read"
            f" {cold:.2f} s, later reads {warm * 1000:.1f} ms"
        )
        for name in ("caseload", "ledger", "conformance"):
            count, seconds = _timed(components.read_models[name].rebuild)
            print(f"{s.backend:9}   for information: rebuild {name:12} {count / seconds:,.0f}/s")
    finally:
        components.close()


def main() -> None:
    args = parse_args(__doc__ or "", extra=[("--clients", int, 2000)])
    for backend in backends(args.backend):
        with store(backend) as s:
            measure(s, args.clients)


if __name__ == "__main__":
    main()
