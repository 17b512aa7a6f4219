"""Building one long journey, with back-dated entries, against the same journey in order.

Ours: the journey of ``bench/journeys.py`` (``--events``, default 30,000) built through the
service, one in nine entries a disclosure recorded about 20 hours after it happened (so it
lands about 20 events back on the valid-time timeline), one in ninety a retraction. Anchor: the
same commands with the late disclosures dated when they were entered (the journey recorded in
valid-time order; the retractions stay). Target: the build within 2x of the anchor's.

Then, on the finished journey, single commands: a disclosure dated 20 hours back against one
dated now (median of ``--commands`` of each, interleaved). Target: the back-dated one within 3x.
The first lines are the library's in-memory store (the domain's cost alone, no commit).
Run: ``python -m bench.long_journey [--backend sqlite|postgres|both] [--events 30000]``.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from datetime import datetime, timedelta

from bench.common import backends, parse_args, report, store
from bench.journeys import CTX, RecordClock, build_long_journey
from domain import commands as cmd
from domain.application import JourneyService


def _build(
    service: JourneyService, clock: RecordClock, ref: str, events: int, late: int
) -> tuple[float, float]:
    """Seconds of wall-clock time and of this process's CPU time."""
    started, cpu = time.perf_counter(), time.process_time()
    build_long_journey(service, clock, ref, events, late_hours=late)
    return time.perf_counter() - started, time.process_time() - cpu


def _disclosure(n: int, occurred: datetime) -> cmd.RecordInformationShared:
    return cmd.RecordInformationShared.model_validate(
        {
            "occurred_at": occurred,
            "disclosure_id": f"bench-{n}",
            "from_org": "org-src",
            "to_org": "org-health",
            "categories": ["health"],
            "purpose": "care_coordination",
            "basis": "consent",
            "consent_id": "k0",
        }
    )


def _commands(
    service: JourneyService, clock: RecordClock, ref: str, repeats: int
) -> tuple[float, float]:
    """Median seconds of an in-order and of a back-dated disclosure on the built journey."""
    in_order: list[float] = []
    back_dated: list[float] = []
    for n in range(repeats):
        for late, samples in ((False, in_order), (True, back_dated)):
            clock.now += timedelta(hours=1)
            occurred = clock.now - timedelta(hours=20 if late else 0, minutes=10)
            command = _disclosure(2 * n + late, occurred)
            started = time.perf_counter()
            service.execute(ref, command, CTX)
            samples.append(time.perf_counter() - started)
    return statistics.median(in_order), statistics.median(back_dated)


def _in_memory(clock: RecordClock) -> JourneyService:
    """The library's in-memory store, with the journey cache as the settings make it: the
    domain's own cost, without a database's commit."""
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.popo",
        "AGGREGATE_CACHE_MAXSIZE": "1000",
        "AGGREGATE_CACHE_FASTFORWARD": "n",
    }
    return JourneyService(env, clock=clock)


def main() -> None:
    args = parse_args(__doc__ or "", [("--events", int, 30_000), ("--commands", int, 200)])
    for backend in ["memory", *backends(args.backend)]:
        with contextlib.ExitStack() as stack:
            clock = RecordClock()
            if backend == "memory":
                service = _in_memory(clock)
            else:
                service = stack.enter_context(store(backend)).service(clock=clock)
            anchor, anchor_cpu = _build(service, clock, "in-order", args.events, 0)
            ours, ours_cpu = _build(service, clock, "back-dated", args.events, 20)
            report(
                backend,
                f"build {args.events:,}-event journey",
                f"{ours:.1f} s",
                f"{anchor:.1f} s",
                ours / anchor,
                "target <= 2",
            )
            print(
                f"{'':9} (per event: ours {ours / args.events * 1e6:,.0f} us,"
                f" anchor {anchor / args.events * 1e6:,.0f} us; this process's CPU time:"
                f" ours {ours_cpu:.1f} s, anchor {anchor_cpu:.1f} s,"
                f" ratio {ours_cpu / anchor_cpu:.2f})"
            )
            in_order, back_dated = _commands(service, clock, "back-dated", args.commands)
            report(
                backend,
                "one command on the built journey",
                f"{back_dated * 1e3:.2f} ms",
                f"{in_order * 1e3:.2f} ms",
                back_dated / in_order,
                "back-dated vs in order, target <= 3",
            )
            service.close()


if __name__ == "__main__":
    main()
