"""``polku demo``: load the demo journeys and the demo household (once) and the demo directory,
and print what the projections make of them: teams on chosen dates, the information flow judged
then and now, the household's members, plan, coordinators and the flows between its members'
teams."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from cli.common import Command, cli_reader, settings_of
from cli.tables import fmt_time, render_table

if TYPE_CHECKING:
    from projections.journey_view import JourneyView
    from projections.lawfulness import Reason
    from runtime.households import Households
    from runtime.reads import Reader, Reads

__all__ = ["register"]


def register(commands: Command) -> None:
    commands.add_parser(
        "demo",
        help="load the demo journeys and household (once) and directory, and print their teams"
        " and flows",
        description="Load the demo journeys and the demo household into the store (steps"
        " already stored are skipped), add or update the demo directory's organisations and"
        " professionals (demo/directory/*.csv), and print the journeys' teams, coordinators and"
        " information flow.",
    ).set_defaults(handler=_demo, creates_store=True)


def _demo(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    import structlog

    from demo.directory import ORGANISATIONS_CSV, PROFESSIONALS_CSV
    from demo.loader import ManualClock, load_demo
    from runtime.directory import load_directory
    from runtime.households import Households
    from runtime.reads import Reads
    from runtime.wiring import build_components

    clock = ManualClock(now=datetime.now(UTC))
    components = build_components(settings_of(args), clock=clock)
    try:
        started = time.perf_counter()
        stored = load_demo(components.service, clock, households=components.households)
        listed = load_directory(components.directory, ORGANISATIONS_CSV, PROFESSIONALS_CSV)
        structlog.get_logger(__name__).info(
            "demo.loaded",
            new_events=stored,
            directory_added=listed.organisations.added + listed.professionals.added,
            seconds=round(time.perf_counter() - started, 3),
        )
        clock.now = datetime.now(UTC)
        print_demo(Reads(components), cli_reader("cli demo"))
        print_household_demo(Households(components), cli_reader("cli demo"))
        organisations, professionals = components.directory.counts()
        print(
            f"\nThe directory lists {organisations} organisations and {professionals}"
            " professionals (polku directory show; loaded from demo/directory/*.csv)"
        )
    finally:
        components.close()
    return 0


def _team(v: JourneyView) -> str:
    rows = [
        (
            ("* " if m.is_coordinator else "  ") + (m.display_name or m.party_id),
            m.member_type,
            m.role,
            m.organisation,
            m.sector,
            fmt_time(m.since),
        )
        for m in v.team
    ]
    return render_table(
        ["member (* coordinator)", "type", "role", "organisation", "sector", "since"], rows
    )


def _flow(v: JourneyView) -> str:
    """Each disclosure per recipient and category, with the verdict words then and now."""

    def verdict(word: str, reasons: tuple[Reason, ...]) -> str:
        return word + (f" ({', '.join(r.code for r in reasons)})" if reasons else "")

    rows = [
        (
            fmt_time(d.occurred_at),
            fmt_time(d.recorded_at),
            d.from_org or "(meeting)",
            d.to_party or d.to_org,
            c.category,
            d.basis + (f":{d.consent_id}" if d.consent_id else ""),
            verdict(c.then.verdict, c.then.reasons),
            verdict(c.now.verdict, c.now.reasons),
        )
        for d in v.disclosures
        for c in d.verdicts
    ]
    return render_table(
        ["occurred", "recorded", "from", "to", "category", "basis", "then", "now"], rows
    )


def _section(title: str, body: str) -> str:
    return f"\n{title}\n{body}\n"


def print_demo(reads: Reads, reader: Reader, out: Callable[[str], None] = print) -> None:
    """Print the demo tables: teams and coordinators on chosen dates, the information flow,
    and where the record as known then differs from the record as known now."""
    from demo.journeys import CHILD, ELDER, WORKER, day
    from projections import view

    child = reads.journey(reader, CHILD).record()
    worker = reads.journey(reader, WORKER).record()
    elder = reads.journey(reader, ELDER).record()

    out("=" * 100)
    out("1. A refugee child moving from day care to school (client demo-child-001)")
    out("=" * 100)
    for when in (day(2025, 9, 1), day(2026, 9, 1)):
        v = view(child, at=when)
        coord = v.coordinator.party_id or "none"
        out(_section(f"Team on {fmt_time(when)} (coordinator: {coord})", _team(v)))
    out(_section("Information flow, each disclosure judged then and now", _flow(view(child))))
    then = view(child, at=day(2026, 4, 5), known_at=day(2026, 4, 5))
    now = view(child, at=day(2026, 4, 5))
    out("As known then vs as known now: the school's consent was signed on 2026-02-10")
    out("but entered on 2026-04-20, after the day-care portfolio had been sent on 2026-04-01.")
    out(
        render_table(
            ["question about 2026-04-05", "as known on 2026-04-05", "as known now"],
            [
                (
                    "consents in force",
                    ", ".join(c.consent_id for c in then.consents) or "none",
                    ", ".join(c.consent_id for c in now.consents) or "none",
                ),
                (
                    "portfolio to school lawful?",
                    _lawful(then, "disc-child-portfolio"),
                    _lawful(now, "disc-child-portfolio"),
                ),
            ],
        )
    )

    out("\n" + "=" * 100)
    out("2. A working-age client in a municipal employment experiment (client demo-adult-002)")
    out("=" * 100)
    for when in (day(2025, 6, 1), day(2025, 9, 3), day(2025, 10, 1)):
        v = view(worker, at=when)
        coord = v.coordinator.party_id or f"none since {fmt_time(v.coordinator.since)}"
        out(_section(f"Team on {fmt_time(when)} (coordinator: {coord})", _team(v)))
    out(_section("Information flow", _flow(view(worker))))

    out("=" * 100)
    out('3. An older person with a "my team" (client demo-elder-003)')
    out("=" * 100)
    v = view(elder, at=day(2026, 2, 1))
    out(_section(f"Team on {fmt_time(v.at)} (coordinator: {v.coordinator.party_id})", _team(v)))
    out(_section("Information flow: a denial beats the family consent", _flow(view(elder))))


def print_household_demo(
    households: Households, reader: Reader, out: Callable[[str], None] = print
) -> None:
    """Print the demo household: members and who serves whom, its plan, its coordinators (with
    the hand-over recorded late), and the flows between its members' teams."""
    from demo.journeys import HOUSEHOLD, day

    out("\n" + "=" * 100)
    out(f"4. One household, one plan, one coordinator: a refugee family ({HOUSEHOLD})")
    out("=" * 100)
    v = households.view(reader, HOUSEHOLD, at=day(2026, 2, 1))
    rows = [
        (
            ("* " if p.household_coordinator else "  ") + (p.display_name or p.party_id),
            ", ".join(p.organisations),
            ", ".join(p.roles),
            ", ".join(p.serves),
        )
        for p in v.team
    ]
    out(
        _section(
            f"Who serves whom on {fmt_time(v.at)} (* household coordinator)",
            render_table(["party", "organisation", "role", "serves"], rows),
        )
    )
    if v.plan is not None:
        out(f"Plan (since {fmt_time(v.plan.agreed_at)}): domains {', '.join(v.plan.domains)}")
        for goal in v.plan.goals:
            out(f"  - {goal}")
    periods = [
        (p.party_id, p.organisation, fmt_time(p.start), fmt_time(p.end) if p.end else "")
        for p in v.coordinator_periods
    ]
    out(
        _section(
            "Household coordinators",
            render_table(["party", "organisation", "from", "until"], periods),
        )
    )
    then = households.view(reader, HOUSEHOLD, at=day(2025, 10, 10), known_at=day(2025, 10, 10))
    out(
        "As known then vs now: the hand-over of 1 October was recorded on 20 October; on 10"
        f" October the record showed {then.coordinator.party_id} coordinating, now"
        f" {households.view(reader, HOUSEHOLD, at=day(2025, 10, 10)).coordinator.party_id}."
    )
    flows = [
        (
            fmt_time(f.disclosure.occurred_at),
            f.about,
            f.disclosure.to_party or f.disclosure.to_org or "?",
            ", ".join(f.recipient_serves),
            ", ".join(f.disclosure.categories),
            f.disclosure.then.verdict,
            f.disclosure.now.verdict,
        )
        for f in v.flows
    ]
    out(
        _section(
            "Flows between the members' teams, judged as for the member whose data it was",
            render_table(
                ["when", "about", "to", "who also serves", "categories", "then", "now"], flows
            ),
        )
    )


def _lawful(v: JourneyView, disclosure_id: str) -> str:
    found = [d for d in v.disclosures if d.disclosure_id == disclosure_id]
    if not found:
        return "not on record"
    d = found[0]
    if d.now.lawful and d.then.lawful:
        return "lawful"
    if d.now.lawful:
        codes = ", ".join(r.code for r in d.then.reasons)
        return f"lawful now, {d.then.verdict} then ({codes})"
    return f"{d.now.verdict} ({', '.join(r.code for r in d.now.reasons)})"
