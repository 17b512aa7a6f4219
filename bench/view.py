"""View at random (t, T) of a long journey, against reading and decoding its rows raw.

The journey has about ``--events`` events (default 1,000; ``bench/journeys.py``), its record read
afresh from the store for every view. Target: the view takes at most 3x the time to just read and
decode the rows.
Run: ``make bench`` or ``python -m bench.view [--backend sqlite|postgres|both] [--events 1000]``.
"""

from __future__ import annotations

import random
from datetime import timedelta

from bench.common import Store, backends, median_seconds, parse_args, report, store
from bench.journeys import RecordClock, build_long_journey
from projections import view

REPEATS = 60
CLIENT = "bench-view"


def measure(s: Store, rng: random.Random, events: int, repeats: int) -> None:
    clock = RecordClock()
    service = s.service(clock)
    count = build_long_journey(service, clock, CLIENT, events)
    record = service.get_record(CLIENT)
    first, last = record.events[0], record.events[-1]
    valid_span = (last.occurred_at - first.occurred_at).total_seconds()
    record_span = (last.timestamp - first.timestamp).total_seconds()
    jid = service.journey_id(CLIENT)
    decode = service.mapper.transcoder.decode

    def raw() -> None:
        for row in service.recorder.select_events(jid):
            decode(row.state)

    def ours() -> None:
        at = first.occurred_at + timedelta(seconds=rng.uniform(0, valid_span))
        known_at = first.timestamp + timedelta(seconds=rng.uniform(0, record_span))
        view(service.get_record(CLIENT), at=at, known_at=known_at)

    raw()
    ours()
    anchor_s = median_seconds(raw, repeats)
    ours_s = median_seconds(ours, repeats)
    fold_s = median_seconds(lambda: view(record), repeats)
    report(
        s.backend,
        f"view of a {count}-event journey",
        f"{ours_s * 1000:.2f} ms",
        f"{anchor_s * 1000:.2f} ms",
        ours_s / anchor_s,
        "target <= 3.00",
    )
    print(f"{'':9} (the fold alone, events already in memory: {fold_s * 1000:.2f} ms)")
    service.close()


def main() -> None:
    args = parse_args(
        (__doc__ or "").splitlines()[0], [("--events", int, 1000), ("--repeats", int, REPEATS)]
    )
    rng = random.Random(7)
    for backend in backends(args.backend):
        with store(backend) as s:
            measure(s, rng, args.events, args.repeats)


if __name__ == "__main__":
    main()
