"""`polku analytics …`: the planners' figures as readable tables (suppressed cells say so)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from cli.common import Command, moment, settings_of
from cli.tables import render_table

if TYPE_CHECKING:
    from runtime.wiring import Components

__all__ = ["register"]

SUPPRESSED = "suppressed"


def _n(value: int | None) -> str:
    return SUPPRESSED if value is None else str(value)


def _days(value: float | None, *, seconds: bool = False) -> str:
    if value is None:
        return SUPPRESSED
    return f"{value / 86400 if seconds else value:.1f}"


def _share(value: float | None) -> str:
    return SUPPRESSED if value is None else f"{100 * value:.1f} %"


Period = tuple[datetime | None, datetime | None]


def _transitions(c: Components, p: Period) -> str:
    from pathways import analytics as engine

    rows = [
        (x.from_sector, x.to_sector, _n(x.clients), _n(x.transitions))
        for x in engine.transition_matrix(engine.routes_of(c.planner.log()), *p)
    ]
    return render_table(["from sector", "to sector", "clients", "moves"], rows)


def _variants(c: Components, p: Period) -> str:
    from pathways import analytics as engine

    rows = [
        (" → ".join(v.route) if v.route else "(rarer routes, pooled)", _n(v.clients))
        for v in engine.variants(engine.routes_of(c.planner.log()), *p)
    ]
    return render_table(["route", "clients"], rows)


def _dfg(c: Components, p: Period) -> str:
    from pathways import analytics as engine

    rows = [
        (
            e.source,
            e.target,
            _n(e.clients),
            _n(e.count),
            _days(e.mean_seconds, seconds=True),
            _days(e.median_seconds, seconds=True),
        )
        for e in engine.directly_follows(c.planner.log(), *p)
    ]
    headers = ["activity", "directly followed by", "clients", "times", "mean days", "median days"]
    return render_table(headers, rows)


def _waiting(c: Components, p: Period) -> str:
    from pathways import analytics as engine

    rows = [
        (w.sector, _n(w.clients), _days(w.median_days), _days(w.p90_days))
        for w in engine.waiting_times(c.planner.log(), *p)
    ]
    return render_table(["sector referred to", "clients", "median days", "p90 days"], rows)


def _ping_pong(c: Components, p: Period) -> str:
    from pathways import analytics as engine

    rows = [
        (r.sector_a, r.sector_b, _n(r.clients))
        for r in engine.ping_pong(engine.routes_of(c.planner.log()), *p)
    ]
    return render_table(["from and back to", "via", "clients"], rows)


def _gaps(c: Components, p: Period) -> str:
    from pathways import analytics as engine

    gaps = engine.coordinator_gaps(c.planner.log(), *p)
    head = (
        f"Journeys: {_n(gaps.clients)}; journey-days without a coordinator:"
        f" {_share(gaps.share_without)}"
    )
    rows = [(b.bucket, _n(b.gaps), _n(b.clients)) for b in gaps.gaps]
    return head + "\n" + render_table(["gap length", "gaps", "clients"], rows)


def _silent(c: Components, p: Period) -> str:
    from pathways import analytics as engine

    rows = [
        (s.kind, _n(s.clients), _n(s.transitions), _n(s.without_sharing))
        for s in engine.silent_transitions(c.planner.log(), *p)
    ]
    return render_table(["transition", "clients", "transitions", "nothing shared"], rows)


def _conformance(c: Components, p: Period) -> str:
    from pathways import analytics as engine

    rows = [
        (r.pathway, r.title, _n(r.clients), _n(r.conforming), _share(r.rate))
        for r in engine.conformance_rates(c.conformance.outcomes())
    ]
    return render_table(["pathway", "title", "journeys", "conforming", "rate"], rows)


ANALYTICS: dict[str, tuple[str, Callable[[Components, Period], str]]] = {
    "transitions": ("sector-to-sector transitions (Sankey input)", _transitions),
    "variants": ("route variants", _variants),
    "dfg": ("directly-follows graph with durations", _dfg),
    "waiting-times": ("referral to first service, per sector", _waiting),
    "ping-pong": ("clients sent A → B → A", _ping_pong),
    "coordinator-gaps": ("journey-days without a coordinator", _gaps),
    "silent-transitions": ("transitions with nothing shared", _silent),
    "conformance": ("conformance per pathway (now; no period)", _conformance),
}


def register(commands: Command) -> None:
    analytics = commands.add_parser(
        "analytics", help="planner analytics (pseudonymous, small cells suppressed)"
    )
    sub = analytics.add_subparsers(dest="analytics_command", required=True)
    for name, (text, render) in ANALYTICS.items():
        command = sub.add_parser(name, help=text)
        command.add_argument("--from", dest="start", type=moment, help="from this valid time")
        command.add_argument("--to", dest="end", type=moment, help="up to this valid time")
        command.set_defaults(handler=_table, render=render)


def _table(args: argparse.Namespace) -> int:
    from pathways.analytics import MIN_CLIENTS
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        print(args.render(components, (args.start, args.end)))
    finally:
        components.close()
    print(f"Cells describing fewer than {MIN_CLIENTS} clients are suppressed.")
    return 0
