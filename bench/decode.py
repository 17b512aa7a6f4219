"""Reading a long journey with the fast transcoder against the library's, same store, same run.

One journey of ``--events`` events (default 20,000; ``bench/journeys.py``) is written through the
service. Then two services on that store read it, taking turns (``--rounds``, default 5; the
best round of each is compared, the machine may be shared):

- ours: the service as built, whose mapper decodes with ``FastJSONTranscoder``
  (``domain/transcoder.py``: ``pydantic_core.from_json`` and a walk reviving the typed objects);
- anchor: the same service with the library's ``JSONTranscoder`` put in its mapper instead (what
  every read did before), the same transcodings registered.

Measured: ``get_record`` of the journey (rows read, decoded, events built, personal parts
opened), and the raw decode alone, per event (each row's stored state through the transcoder's
``decode``, rows read once beforehand). The two services' records are checked equal first.

Run: ``python -m bench.decode [--backend sqlite|postgres|both] [--events 20000] [--rounds 5]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from eventsourcing.persistence import JSONTranscoder

from bench.common import Store, backends, parse_args, report, store
from bench.journeys import RecordClock, build_long_journey
from domain.transcoder import FastJSONTranscoder

REF = "long-decode"


def _best(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """The best seconds of each run, the runs taking turns so that a busy moment hits all."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def measure(s: Store, events: int, rounds: int) -> None:
    clock = RecordClock()
    ours = s.service(clock)
    started = time.perf_counter()
    count = build_long_journey(ours, clock, REF, events)
    print(
        f"{s.backend:9} one journey of {count} events written in"
        f" {time.perf_counter() - started:.0f} s"
    )
    anchor = s.service(clock)
    library = JSONTranscoder()
    anchor.register_transcodings(library)
    anchor.mapper.transcoder = library
    fast = ours.mapper.transcoder
    assert type(fast) is FastJSONTranscoder
    try:
        assert ours.get_record(REF) == anchor.get_record(REF)

        best = _best(
            {"ours": lambda: ours.get_record(REF), "anchor": lambda: anchor.get_record(REF)},
            rounds,
        )
        report(
            s.backend,
            f"get_record, {count} events",
            f"{best['ours'] * 1000:.0f} ms",
            f"{best['anchor'] * 1000:.0f} ms",
            best["ours"] / best["anchor"],
            "time; below 1 is faster",
        )
        print(
            f"{'':9}   per event: ours {best['ours'] / count * 1e6:.1f} µs,"
            f" anchor {best['anchor'] / count * 1e6:.1f} µs"
        )

        mapper = ours.mapper
        states = []
        for row in ours.recorder.select_events(ours.journey_id(REF)):
            state = row.state
            if mapper.cipher:
                state = mapper.cipher.decrypt(state)
            if mapper.compressor:
                state = mapper.compressor.decompress(state)
            states.append(state)

        def decode_all(decode: Callable[[bytes], object]) -> Callable[[], object]:
            return lambda: [decode(state) for state in states]

        best = _best(
            {"ours": decode_all(fast.decode), "anchor": decode_all(library.decode)}, rounds
        )
        size = sum(map(len, states)) / len(states)
        report(
            s.backend,
            f"raw decode, {size:.0f} bytes an event",
            f"{best['ours'] / len(states) * 1e6:.2f} µs",
            f"{best['anchor'] / len(states) * 1e6:.2f} µs",
            best["ours"] / best["anchor"],
            "time per event; below 1 is faster",
        )
        print(
            f"{'':9}   rate: ours {len(states) / best['ours']:,.0f}/s,"
            f" anchor {len(states) / best['anchor']:,.0f}/s"
        )
    finally:
        ours.close()
        anchor.close()


def main() -> None:
    args = parse_args(
        (__doc__ or "").splitlines()[0], [("--events", int, 20_000), ("--rounds", int, 5)]
    )
    for backend in backends(args.backend):
        with store(backend) as s:
            measure(s, args.events, args.rounds)


if __name__ == "__main__":
    main()
