"""`polku analytics …`: the planners' figures as readable tables (suppressed cells say so)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from api.deps import Components
from api.tables import render_table
from pathways import analytics as a

__all__ = ["ANALYTICS", "analytics_table"]

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
    rows = [
        (x.from_sector, x.to_sector, _n(x.clients), _n(x.transitions))
        for x in a.transition_matrix(a.routes_of(c.planner.log()), *p)
    ]
    return render_table(["from sector", "to sector", "clients", "moves"], rows)


def _variants(c: Components, p: Period) -> str:
    rows = [
        (" → ".join(v.route) if v.route else "(rarer routes, pooled)", _n(v.clients))
        for v in a.variants(a.routes_of(c.planner.log()), *p)
    ]
    return render_table(["route", "clients"], rows)


def _dfg(c: Components, p: Period) -> str:
    rows = [
        (
            e.source,
            e.target,
            _n(e.clients),
            _n(e.count),
            _days(e.mean_seconds, seconds=True),
            _days(e.median_seconds, seconds=True),
        )
        for e in a.directly_follows(c.planner.log(), *p)
    ]
    headers = ["activity", "directly followed by", "clients", "times", "mean days", "median days"]
    return render_table(headers, rows)


def _waiting(c: Components, p: Period) -> str:
    rows = [
        (w.sector, _n(w.clients), _days(w.median_days), _days(w.p90_days))
        for w in a.waiting_times(c.planner.log(), *p)
    ]
    return render_table(["sector referred to", "clients", "median days", "p90 days"], rows)


def _ping_pong(c: Components, p: Period) -> str:
    rows = [
        (r.sector_a, r.sector_b, _n(r.clients))
        for r in a.ping_pong(a.routes_of(c.planner.log()), *p)
    ]
    return render_table(["from and back to", "via", "clients"], rows)


def _gaps(c: Components, p: Period) -> str:
    gaps = a.coordinator_gaps(c.planner.log(), *p)
    head = (
        f"Journeys: {_n(gaps.clients)}; journey-days without a coordinator:"
        f" {_share(gaps.share_without)}"
    )
    rows = [(b.bucket, _n(b.gaps), _n(b.clients)) for b in gaps.gaps]
    return head + "\n" + render_table(["gap length", "gaps", "clients"], rows)


def _silent(c: Components, p: Period) -> str:
    rows = [
        (s.kind, _n(s.clients), _n(s.transitions), _n(s.without_sharing))
        for s in a.silent_transitions(c.planner.log(), *p)
    ]
    return render_table(["transition", "clients", "transitions", "nothing shared"], rows)


def _conformance(c: Components, p: Period) -> str:
    rows = [
        (r.pathway, r.title, _n(r.clients), _n(r.conforming), _share(r.rate))
        for r in a.conformance_rates(c.conformance.outcomes())
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


def analytics_table(components: Components, name: str, period: Sequence[datetime | None]) -> str:
    """The table for ``polku analytics NAME``."""
    _, render = ANALYTICS[name]
    return render(components, (period[0], period[1]))
