"""Property: a household at (at, known_at) equals an obviously correct reference fold.

Hypothesis draws joins, departures, coordinator assignments and releases and retractions, records
them in the order drawn (their valid times in any order, so many are late entries), and compares
the household's members, coordinator and coordinator periods at random (at, known_at) with a
reference written here from the three rules of the two time axes (docs/architecture.md) by plain
filtering and sorting. Commands the rules refuse when they arrive are absent from the record.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import household_commands as hcmd
from domain.application import CommandContext
from domain.errors import InvariantViolationError
from domain.events import Actor, EventRetracted, JourneyEvent
from domain.household import HouseholdIds, fold_household
from domain.household_application import HouseholdService
from domain.household_events import (
    HouseholdCoordinatorAssigned,
    HouseholdCoordinatorReleased,
    HouseholdMemberJoined,
    HouseholdMemberLeft,
)
from domain.timeline import timeline_at
from projections.household_view import household_view
from tests.support import T0, StepClock

CLIENTS = ["a", "b", "c"]
PARTIES = ["p0", "p1"]
CTX = CommandContext(actor=Actor("p-prop", "org-prop", "caseworker"))

step = st.one_of(
    st.tuples(st.just("join"), st.sampled_from(CLIENTS), st.integers(1, 30)),
    st.tuples(st.just("leave"), st.sampled_from(CLIENTS), st.integers(1, 30)),
    st.tuples(st.just("assign"), st.sampled_from(PARTIES), st.integers(1, 30)),
    st.tuples(st.just("release"), st.sampled_from(PARTIES), st.integers(1, 30)),
    st.tuples(st.just("retract"), st.integers(0, 50), st.integers(1, 30)),
)


def _command(kind: str, what: Any, when: datetime, ids: list[Any]) -> hcmd.HouseholdCommand:
    if kind == "join":
        return hcmd.JoinHousehold(occurred_at=when, client_ref=what)
    if kind == "leave":
        return hcmd.LeaveHousehold(occurred_at=when, client_ref=what)
    if kind == "assign":
        return hcmd.AssignHouseholdCoordinator(occurred_at=when, party_id=what, organisation="o")
    if kind == "release":
        return hcmd.ReleaseHouseholdCoordinator(occurred_at=when, party_id=what)
    return hcmd.RetractHouseholdEvent(
        occurred_at=when, target_event_id=ids[what % len(ids)], reason="entered_in_error"
    )


def _reference(
    events: tuple[JourneyEvent, ...], at: datetime, known_at: datetime
) -> tuple[set[str], str | None, list[tuple[str, datetime, datetime | None]]]:
    """Members, coordinator and coordinator periods by the three rules, written out plainly."""
    recorded = [e for e in events if e.timestamp <= known_at]
    retracted = {e.target_event_id for e in recorded if isinstance(e, EventRetracted)}
    facts = [
        (e.occurred_at, e.originator_version, e)
        for e in recorded
        if not isinstance(e, EventRetracted) and e.event_id not in retracted and e.occurred_at <= at
    ]
    members: set[str] = set()
    coordinator: HouseholdCoordinatorAssigned | None = None
    periods: list[tuple[str, datetime, datetime | None]] = []
    for _, _, e in sorted(facts, key=lambda f: (f[0], f[1])):
        if isinstance(e, HouseholdMemberJoined):
            members.add(e.client_ref)
        elif isinstance(e, HouseholdMemberLeft):
            members.discard(e.client_ref)
        elif isinstance(e, HouseholdCoordinatorAssigned):
            if coordinator is not None:
                periods.append((coordinator.party_id, coordinator.occurred_at, e.occurred_at))
            coordinator = e
        elif isinstance(e, HouseholdCoordinatorReleased) and coordinator is not None:
            periods.append((coordinator.party_id, coordinator.occurred_at, e.occurred_at))
            coordinator = None
    if coordinator is not None:
        periods.append((coordinator.party_id, coordinator.occurred_at, None))
    return members, coordinator.party_id if coordinator else None, periods


def _moments(n: int) -> Iterator[tuple[datetime, datetime]]:
    for at_day in (0, 5, 10, 15, 20, 25, 31):
        for known in range(0, n + 2, max(1, n // 4)):
            yield T0 + timedelta(days=at_day), T0 + timedelta(days=100 + known, hours=1)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(step, min_size=1, max_size=25))
def test_the_household_at_at_and_known_at_matches_a_reference_fold(
    steps: list[tuple[str, Any, int]],
) -> None:
    clock = StepClock(T0 + timedelta(days=100))
    service = HouseholdService(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, ids=HouseholdIds(b"k" * 32), clock=clock
    )
    try:
        service.form(hcmd.FormHousehold(occurred_at=T0, household_ref="h"), CTX)
        for n, (kind, what, day) in enumerate(steps, start=1):
            clock.set(T0 + timedelta(days=100 + n))
            ids = [e.event_id for e in service.get_record("h").events]
            command = _command(kind, what, T0 + timedelta(days=day), ids)
            with suppress(InvariantViolationError):  # refused, and absent from the record
                service.execute("h", command, CTX)
        record = service.get_record("h")
    finally:
        service.close()
    for at, known_at in _moments(len(steps)):
        members, coordinator, periods = _reference(record.events, at, known_at)
        state = fold_household(timeline_at(record.events, at, known_at))
        assert set(state.members) == members
        assert (state.coordinator.party_id if state.coordinator else None) == coordinator
        view = household_view(record, {}, at=at, known_at=known_at)
        assert view.members_not_shown == len(members)
        assert [(p.party_id, p.start, p.end) for p in view.coordinator_periods] == periods
        # Every state the record ever held obeys the rules: no coordinator without members.
        assert not (coordinator is not None and not members)
