"""``polku demo``: load the three demo journeys and print what the projections make of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from api.demo_data import CHILD, ELDER, WORKER, Step, day, demo_steps
from api.tables import fmt_time, render_table
from domain.application import CommandContext, JourneyService
from projections import view
from projections.journey_view import JourneyView

__all__ = ["ManualClock", "load_demo", "print_demo"]


class ManualClock:
    """A clock the demo loader sets to each step's record time."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def load_demo(service: JourneyService, clock: ManualClock, steps: list[Step] | None = None) -> int:
    """Record the demo steps (each at its own record time). Returns how many were new."""
    stored = 0
    for step in steps if steps is not None else demo_steps():
        clock.now = step.recorded_at
        result = service.execute(
            step.client_ref,
            step.command,
            CommandContext(actor=step.actor, command_id=step.command_id),
        )
        stored += not result.replayed
    return stored


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
    def verdict(lawful: bool, reasons: tuple[object, ...]) -> str:
        return (
            "lawful" if lawful else "NOT: " + ", ".join(getattr(r, "code", str(r)) for r in reasons)
        )

    rows = [
        (
            fmt_time(d.occurred_at),
            fmt_time(d.recorded_at),
            d.from_org or "(meeting)",
            d.to_party or d.to_org,
            ",".join(d.categories),
            d.basis + (f":{d.consent_id}" if d.consent_id else ""),
            verdict(d.then.lawful, d.then.reasons),
            verdict(d.now.lawful, d.now.reasons),
        )
        for d in v.disclosures
    ]
    return render_table(
        ["occurred", "recorded", "from", "to", "categories", "basis", "lawful then", "lawful now"],
        rows,
    )


def _section(title: str, body: str) -> str:
    return f"\n{title}\n{body}\n"


def print_demo(service: JourneyService, out: Callable[[str], None] = print) -> None:
    """Print the demo tables: teams and coordinators on chosen dates, the information flow,
    and where the record as known then differs from the record as known now."""
    child = service.get_record(CHILD)
    worker = service.get_record(WORKER)
    elder = service.get_record(ELDER)

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


def _lawful(v: JourneyView, disclosure_id: str) -> str:
    found = [d for d in v.disclosures if d.disclosure_id == disclosure_id]
    if not found:
        return "not on record"
    d = found[0]
    if d.now.lawful and d.then.lawful:
        return "yes"
    if d.now.lawful:
        return "yes, but unsupported then (" + ", ".join(r.code for r in d.then.reasons) + ")"
    return "no (" + ", ".join(r.code for r in d.now.reasons) + ")"
