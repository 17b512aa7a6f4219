"""Change-feed throughput: events/s delivered to 10 concurrent consumers, against a raw scan of
the event table in the same run.

The store holds a synthetic population (``polku generate``'s generator). Ten consumers — the
ten organisations on the most teams (the population has nine, so the first has two
consumers) — each follow their feed from the start to the head at the
same time, in threads, through :meth:`runtime.feed.Feed.page` (the use case the route calls:
cursors, the reads rule at each event, access-log rows), 500 items a page. Each consumer has to
look at every event of the log, so beside the events *delivered* per second we give the events
*examined* per second (10 x the log). The anchor is ten threads each reading the whole event
table through the recorder (``select_notifications``, 500 rows at a time) and decoding every
row: what following the log costs without deciding anything. The feed's index of organisations
by journey (readmodels/feed_index.py) is caught up before the clock starts, as a running server
keeps it.
Run: ``python -m bench.feed [--backend sqlite|postgres|both] [--clients N]``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from bench.common import Store, backends, parse_args, report, store
from demo.population import generate
from domain.events import Actor, TeamMemberAdded
from runtime.feed import Feed
from runtime.reads import Reader
from runtime.wiring import Components, build_components, build_service

CONSUMERS = 10
PAGE = 500


def _concurrently(work: Callable[[int], int], n: int) -> tuple[int, float]:
    """Run ``work(i)`` for ``i`` below ``n``, each in its own thread; (sum of results, seconds)."""
    results = [0] * n

    def run(i: int) -> None:
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(results), time.perf_counter() - started


def _organisations(components: Components) -> list[str]:
    """The organisations on the most teams (at most ten)."""
    counts: Counter[str] = Counter()
    recorder = components.service.recorder
    position = 0
    while batch := recorder.select_notifications(start=position + 1, limit=PAGE):
        for n in batch:
            event = components.service.decode_sealed(n)
            if isinstance(event, TeamMemberAdded):
                counts[event.organisation] += 1
        position = batch[-1].id
    return [org for org, _ in counts.most_common(CONSUMERS)]


def measure(s: Store, clients: int) -> None:
    generated = generate(lambda clock: build_service(s.settings, clock=clock), clients, seed=17)
    components = build_components(s.settings)
    try:
        head = components.service.recorder.max_notification_id() or 0
        feed = Feed(components)
        organisations = _organisations(components)
        readers = [
            Reader(Actor(f"svc-{i}", organisations[i % len(organisations)], "caseworker"), "bench")
            for i in range(CONSUMERS)
        ]

        def consume(i: int) -> int:
            delivered, after = 0, None
            while True:
                page = feed.page(readers[i], after, limit=PAGE)
                delivered += len(page.items)
                after = page.next
                if page.caught_up:
                    return delivered

        recorder = components.service.recorder
        decode = components.service.mapper.transcoder.decode

        def scan(i: int) -> int:
            rows, position = 0, 0
            while batch := recorder.select_notifications(start=position + 1, limit=PAGE):
                for n in batch:
                    decode(n.state)
                rows += len(batch)
                position = batch[-1].id
            return rows

        components.feed_index.catch_up()  # as a running server keeps it (reads would too)
        scanned, scan_s = _concurrently(scan, CONSUMERS)
        delivered, feed_s = _concurrently(consume, CONSUMERS)
    finally:
        components.close()
    examined = CONSUMERS * head
    print(
        f"{s.backend:9} {generated.clients} clients, {head} events; {CONSUMERS} consumers got"
        f" {delivered} events ({delivered / CONSUMERS:.0f} each on average) in {feed_s:.2f} s"
    )
    report(
        s.backend,
        f"feed, {CONSUMERS} consumers: delivered",
        f"{delivered / feed_s:,.0f} ev/s",
        f"{scanned / scan_s:,.0f} rows/s",
        (delivered / feed_s) / (scanned / scan_s),
        "anchor: 10 raw scans of the event table at once",
    )
    report(
        s.backend,
        f"feed, {CONSUMERS} consumers: examined",
        f"{examined / feed_s:,.0f} ev/s",
        f"{scanned / scan_s:,.0f} rows/s",
        (examined / feed_s) / (scanned / scan_s),
        "every consumer looks at every event",
    )


def main() -> None:
    args = parse_args(__doc__ or "", [("--clients", int, 300)])
    for backend in backends(args.backend):
        with store(backend) as s:
            measure(s, args.clients)


if __name__ == "__main__":
    main()
