"""`polku analytics …`: the planners' figures as readable tables (suppressed cells say so).

By default the figures a planner gets (perturbed, for a release window); ``--exact`` gives the
auditor's exact figures. Both are written to the planner query log as the local operator."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cli.common import Command, cli_reader, moment, settings_of
from cli.tables import add_format, emit

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


Ask = Callable[[str], Any]
"""Answers one figure (by name) for the command's caller and period."""


@dataclass(frozen=True)
class Table:
    """A figure as a table, with a line to say before it (tables only)."""

    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    head: str | None = None


def _transitions(ask: Ask) -> Table:
    rows = [
        (x.from_sector, x.to_sector, _n(x.clients), _n(x.transitions)) for x in ask("transitions")
    ]
    return Table(["from sector", "to sector", "clients", "moves"], rows)


def _variants(ask: Ask) -> Table:
    rows = [
        (" → ".join(v.route) if v.route else "(rarer routes, pooled)", _n(v.clients))
        for v in ask("variants")
    ]
    return Table(["route", "clients"], rows)


def _dfg(ask: Ask) -> Table:
    rows = [
        (
            e.source,
            e.target,
            _n(e.clients),
            _n(e.count),
            _days(e.mean_seconds, seconds=True),
            _days(e.median_seconds, seconds=True),
        )
        for e in ask("dfg")
    ]
    headers = ["activity", "directly followed by", "clients", "times", "mean days", "median days"]
    return Table(headers, rows)


def _waiting(ask: Ask) -> Table:
    rows = [
        (w.sector, _n(w.clients), _days(w.median_days), _days(w.p90_days))
        for w in ask("waiting-times")
    ]
    return Table(["sector referred to", "clients", "median days", "p90 days"], rows)


def _ping_pong(ask: Ask) -> Table:
    rows = [(r.sector_a, r.sector_b, _n(r.clients)) for r in ask("ping-pong")]
    return Table(["from and back to", "via", "clients"], rows)


def _gaps(ask: Ask) -> Table:
    gaps = ask("coordinator-gaps")
    head = (
        f"Journeys: {_n(gaps.clients)}; journey-days without a coordinator:"
        f" {_share(gaps.share_without)}"
    )
    rows = [(b.bucket, _n(b.gaps), _n(b.clients)) for b in gaps.gaps]
    return Table(["gap length", "gaps", "clients"], rows, head)


def _silent(ask: Ask) -> Table:
    rows = [
        (s.kind, _n(s.clients), _n(s.transitions), _n(s.without_sharing))
        for s in ask("silent-transitions")
    ]
    return Table(["transition", "clients", "transitions", "nothing shared"], rows)


def _conformance(ask: Ask) -> Table:
    rows = [
        (r.pathway, r.title, _n(r.clients), _n(r.conforming), _share(r.rate))
        for r in ask("conformance")
    ]
    return Table(["pathway", "title", "journeys", "conforming", "rate"], rows)


ANALYTICS: dict[str, tuple[str, Callable[[Ask], Table]]] = {
    "transitions": ("sector-to-sector transitions (Sankey input)", _transitions),
    "variants": ("route variants", _variants),
    "dfg": ("directly-follows graph with durations", _dfg),
    "waiting-times": ("referral to first service, per sector", _waiting),
    "ping-pong": ("clients sent A → B → A", _ping_pong),
    "coordinator-gaps": ("journey-days without a coordinator", _gaps),
    "silent-transitions": ("transitions with nothing shared", _silent),
    "conformance": ("conformance per pathway (journeys anchored in the period)", _conformance),
}


BY_HOUSEHOLD = ("transitions", "dfg", "waiting-times", "ping-pong")
"""The figures that take ``--unit household`` (``runtime.analytics.BY_HOUSEHOLD``)."""


def register(commands: Command) -> None:
    analytics = commands.add_parser(
        "analytics", help="planner analytics (perturbed, small cells suppressed; --exact: exact)"
    )
    sub = analytics.add_subparsers(dest="analytics_command", required=True)
    for name, (text, render) in ANALYTICS.items():
        command = sub.add_parser(name, help=text)
        command.add_argument("--from", dest="start", type=moment, help="from this valid time")
        command.add_argument("--to", dest="end", type=moment, help="up to this valid time")
        command.add_argument(
            "--exact",
            action="store_true",
            help="exact figures for the period as asked (the auditor's; logged as such)",
        )
        if name in BY_HOUSEHOLD:
            command.add_argument(
                "--unit",
                choices=("client", "household"),
                default="client",
                help="count clients (default) or households (once per cell when any member"
                " contributes)",
            )
        add_format(command)
        command.set_defaults(handler=_table, render=render, figure=name, unit="client")


def _table(args: argparse.Namespace) -> int:
    from domain.events import Actor
    from pathways.analytics import MIN_CLIENTS
    from runtime.analytics import Analytics
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    operator = cli_reader(f"cli analytics {args.figure}").actor
    # Without --exact the operator asks as a planner would, and gets what a planner gets.
    actor = operator if args.exact else Actor(operator.party_id, operator.organisation, "planner")
    analytics = Analytics(components)
    unit = "households" if args.unit == "household" else "clients"
    try:
        window, control = analytics.release(actor, args.start, args.end)
        table = args.render(
            lambda figure: (
                analytics.answer(actor, figure, args.start, args.end, unit=args.unit).value
            )
        )
        if table.head and args.format == "table":
            print(table.head)
        headers = [unit if h == "clients" else h for h in table.headers]
        print(emit(headers, table.rows, args.format))
    finally:
        components.close()
    # The note goes with a table; beside JSON or CSV it goes to standard error, so that the
    # output stays something a program can read.
    out = sys.stdout if args.format == "table" else sys.stderr
    if control.noisy:
        print(
            f"Figures for {window.label}, perturbed by the cell-key method (counts by up to ±4,"
            f" durations and shares by up to ±10 %); cells describing fewer than {MIN_CLIENTS}"
            f" {unit} are suppressed.",
            file=out,
        )
    else:
        print(
            f"Exact figures; cells describing fewer than {MIN_CLIENTS} {unit} are suppressed.",
            file=out,
        )
    return 0
