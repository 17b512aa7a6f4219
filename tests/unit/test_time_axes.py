"""The two time axes: valid time (``at``) and record time (``known_at``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import commands as cmd
from domain.application import JourneyService
from projections import history, view
from tests.support import CTX, StepClock, day, member, register


def recorded(clock: StepClock, when: datetime) -> None:
    clock.set(when)


@pytest.fixture
def journey(memory_service: JourneyService, clock: StepClock) -> JourneyService:
    clock.set(day(0) + timedelta(hours=1))
    memory_service.register_client(register(), CTX)
    return memory_service


def test_the_team_on_a_day_follows_valid_time(journey: JourneyService, clock: StepClock) -> None:
    clock.set(day(1) + timedelta(hours=1))
    journey.execute("client-1", member("p1", day(1)), CTX)
    clock.set(day(5) + timedelta(hours=1))
    journey.execute("client-1", cmd.RemoveTeamMember(occurred_at=day(5), party_id="p1"), CTX)
    record = journey.get_record("client-1")
    assert [m.party_id for m in view(record, at=day(3)).team] == ["p1"]
    assert view(record, at=day(6)).team == ()
    assert view(record, at=day(0.5)).team == ()


def test_a_late_entry_changes_the_past_only_as_known_after_it(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(10))
    journey.execute("client-1", member("p1", day(1)), CTX)  # recorded nine days late
    record = journey.get_record("client-1")
    as_known_then = view(record, at=day(3), known_at=day(3))
    as_known_now = view(record, at=day(3))
    assert as_known_then.team == ()
    assert [m.party_id for m in as_known_now.team] == ["p1"]
    assert as_known_now.team[0].since == day(1)


def test_a_retraction_hides_the_event_only_from_its_record_time_on(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(1) + timedelta(hours=1))
    added = journey.execute("client-1", member("p1", day(1)), CTX)
    clock.set(day(4))
    journey.retract_event(
        "client-1",
        cmd.RetractEvent(
            occurred_at=day(4), target_event_id=added.event_ids[0], reason="wrong_client"
        ),
        CTX,
    )
    record = journey.get_record("client-1")
    assert [m.party_id for m in view(record, at=day(2), known_at=day(3)).team] == ["p1"]
    assert view(record, at=day(2), known_at=day(5)).team == ()
    entries = history(record)
    assert entries[1].retracted_by == entries[2].event_id
    assert [e.kind for e in history(record, known_at=day(3))] == [
        "client_registered",
        "team_member_added",
    ]


def test_a_correction_is_seen_whole_or_not_at_all(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(1) + timedelta(hours=1))
    added = journey.execute("client-1", member("p1", day(1), role="nurse"), CTX)
    clock.set(day(4))
    correction = cmd.RetractEvent(
        occurred_at=day(4),
        target_event_id=added.event_ids[0],
        reason="entered_in_error",
        replacement=member("p1", day(1), role="physician"),
    )
    result = journey.retract_event("client-1", correction, CTX)
    assert len(result.event_ids) == 2
    record = journey.get_record("client-1")
    assert record.events[-1].timestamp == record.events[-2].timestamp
    assert [m.role for m in view(record, at=day(2), known_at=day(3)).team] == ["nurse"]
    assert [m.role for m in view(record, at=day(2), known_at=day(4)).team] == ["physician"]


def test_ties_in_valid_time_follow_record_order(journey: JourneyService, clock: StepClock) -> None:
    clock.set(day(2))
    journey.execute("client-1", member("p1", day(1)), CTX)
    journey.execute(
        "client-1", cmd.ChangeTeamMemberRole(occurred_at=day(1), party_id="p1", role="nurse"), CTX
    )
    assert [m.role for m in view(journey.get_record("client-1"), at=day(1)).team] == ["nurse"]


def test_the_coordinator_and_since_when(journey: JourneyService, clock: StepClock) -> None:
    clock.set(day(9))
    journey.execute("client-1", member("p1", day(1)), CTX)
    journey.execute("client-1", cmd.AssignCoordinator(occurred_at=day(2), party_id="p1"), CTX)
    journey.execute("client-1", cmd.ReleaseCoordinator(occurred_at=day(6), party_id="p1"), CTX)
    record = journey.get_record("client-1")
    assert view(record, at=day(3)).coordinator.party_id == "p1"
    assert view(record, at=day(3)).coordinator.since == day(2)
    released = view(record, at=day(7)).coordinator
    assert released.party_id is None
    assert released.since == day(6)


def test_history_marks_late_entries(journey: JourneyService, clock: StepClock) -> None:
    clock.set(day(9))
    journey.execute("client-1", member("p1", day(8)), CTX)
    journey.execute("client-1", member("p2", day(3)), CTX)
    entries = history(journey.get_record("client-1"))
    assert [e.late for e in entries] == [False, False, True]
    assert entries[2].occurred_at == day(3)
    assert entries[2].recorded_at == day(9)
    assert "display_name" not in entries[2].facts


def test_views_need_time_zones(journey: JourneyService) -> None:
    with pytest.raises(ValueError, match="time zone"):
        view(journey.get_record("client-1"), at=datetime(2025, 1, 1))  # noqa: DTZ001


def test_the_version_known_at_a_time(journey: JourneyService, clock: StepClock) -> None:
    clock.set(day(3))
    journey.execute("client-1", member("p1", day(2)), CTX)
    record = journey.get_record("client-1")
    assert view(record, known_at=day(1)).known_version == 1
    assert view(record, known_at=datetime.now(UTC)).known_version == 2
