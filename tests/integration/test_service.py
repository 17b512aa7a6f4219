"""The application service on a real store: each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from demo.journeys import CHILD, ELDER, WORKER, demo_steps
from demo.journeys import day as demo_day
from demo.loader import ManualClock, load_demo
from domain import commands as cmd
from domain.application import JourneyService
from domain.errors import ConcurrencyError, IdempotencyConflictError, InvariantViolationError
from projections import view
from tests.support import CTX, StepClock, ctx, day, member, register

MakeService = Callable[..., JourneyService]


def stored_rows(service: JourneyService) -> int:
    return service.recorder.max_notification_id() or 0


def test_a_journey_reads_back_the_same_after_a_restart(
    make_service: MakeService, clock: StepClock
) -> None:
    first = make_service()
    first.register_client(register(name="Matti Meikäläinen"), CTX)
    first.execute("client-1", member("p1", day(1), name="Sari"), CTX)
    first.execute("client-1", cmd.AssignCoordinator(occurred_at=day(2), party_id="p1"), CTX)
    before = first.get_record("client-1")
    first.close()

    second = make_service()
    after = second.get_record("client-1")
    assert after == before
    assert view(after).team[0].display_name == "Sari"
    assert view(after).coordinator.party_id == "p1"
    assert after.events[0].personal == {"name": "Matti Meikäläinen"}
    assert after.events[1].recorded_by == CTX.actor


def test_a_retried_command_is_stored_once_and_answers_the_same(
    make_service: MakeService,
) -> None:
    service, other_process = make_service(), make_service()
    service.register_client(register(), ctx("reg-1"))
    first = service.execute("client-1", member("p1", day(1)), ctx("cmd-1"))
    rows = stored_rows(service)

    again = service.execute("client-1", member("p1", day(1)), ctx("cmd-1"))
    elsewhere = other_process.execute("client-1", member("p1", day(1)), ctx("cmd-1"))
    registration = other_process.register_client(register(), ctx("reg-1"))

    assert (again.event_ids, again.version) == (first.event_ids, first.version)
    assert (elsewhere.event_ids, elsewhere.version) == (first.event_ids, first.version)
    assert again.replayed
    assert elsewhere.replayed
    assert registration.replayed
    assert stored_rows(service) == rows


def test_a_command_id_reused_for_another_command_is_refused(service: JourneyService) -> None:
    service.register_client(register(), CTX)
    service.execute("client-1", member("p1", day(1)), ctx("cmd-1"))
    rows = stored_rows(service)
    with pytest.raises(IdempotencyConflictError):
        service.execute("client-1", member("p2", day(1)), ctx("cmd-1"))
    assert stored_rows(service) == rows


def test_a_stale_expected_version_is_refused(service: JourneyService) -> None:
    registered = service.register_client(register(), CTX)
    service.execute("client-1", member("p1", day(1)), ctx(expected_version=registered.version))
    rows = stored_rows(service)
    with pytest.raises(ConcurrencyError) as caught:
        service.execute("client-1", member("p2", day(1)), ctx(expected_version=1))
    assert (caught.value.expected_version, caught.value.actual_version) == (1, 2)
    assert stored_rows(service) == rows


def test_of_writers_racing_on_one_version_exactly_one_wins(make_service: MakeService) -> None:
    services = [make_service() for _ in range(4)]
    services[0].register_client(register(), CTX)
    version = services[0].get_version("client-1")
    barrier = threading.Barrier(len(services))
    outcomes: list[str] = []

    def write(n: int) -> None:
        command = member(f"p{n}", day(1))
        barrier.wait()
        try:
            services[n].execute("client-1", command, ctx(expected_version=version))
            outcomes.append("ok")
        except ConcurrencyError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(services))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * (len(services) - 1) + ["ok"]
    assert len(services[0].get_record("client-1").events) == 2


def test_writers_without_an_expected_version_all_land(make_service: MakeService) -> None:
    services = [make_service() for _ in range(4)]
    services[0].register_client(register(), CTX)
    barrier = threading.Barrier(len(services))
    errors: list[Exception] = []

    def write(n: int) -> None:
        barrier.wait()
        try:
            services[n].execute("client-1", member(f"p{n}", day(1)), CTX)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(services))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(view(services[0].get_record("client-1")).team) == len(services)


def test_a_rejected_command_writes_nothing(service: JourneyService) -> None:
    service.register_client(register(), CTX)
    service.execute("client-1", member("p1", day(5)), CTX)
    rows = stored_rows(service)
    with pytest.raises(InvariantViolationError):
        service.execute("client-1", cmd.RemoveTeamMember(occurred_at=day(2), party_id="p1"), CTX)
    with pytest.raises(InvariantViolationError):
        service.execute("client-1", cmd.AssignCoordinator(occurred_at=day(1), party_id="p1"), CTX)
    assert stored_rows(service) == rows
    # The journey still takes valid commands afterwards (no half-applied state was kept).
    service.execute("client-1", cmd.AssignCoordinator(occurred_at=day(6), party_id="p1"), CTX)
    assert stored_rows(service) == rows + 1


def test_a_correction_is_stored_whole_or_not_at_all(
    service: JourneyService, clock: StepClock
) -> None:
    service.register_client(register(), CTX)
    added = service.execute("client-1", member("p1", day(1), role="nurse"), CTX)
    rows = stored_rows(service)
    bad = cmd.RetractEvent(
        occurred_at=day(3),
        target_event_id=added.event_ids[0],
        reason="entered_in_error",
        replacement=cmd.RemoveTeamMember(occurred_at=day(2), party_id="p9"),
    )
    with pytest.raises(InvariantViolationError):
        service.retract_event("client-1", bad, CTX)
    assert stored_rows(service) == rows

    good = bad.model_copy(update={"replacement": member("p1", day(1), role="physician")})
    clock.set(clock.now + timedelta(days=1))
    result = service.retract_event("client-1", good, CTX)
    assert stored_rows(service) == rows + 2
    assert [m.role for m in view(service.get_record("client-1")).team] == ["physician"]
    assert result.version == 4


def test_the_demo_loads_once_and_tells_its_story(
    settings: object, make_service: MakeService
) -> None:
    clock = ManualClock(demo_day(2025, 1, 1))
    service = make_service()
    service._clock = clock  # the demo records each step at its own record time
    steps = demo_steps()
    assert load_demo(service, clock, steps) == len(steps)
    assert load_demo(service, clock, steps) == 0

    child = service.get_record(CHILD)
    then = view(child, at=demo_day(2026, 4, 5), known_at=demo_day(2026, 4, 5))
    now = view(child, at=demo_day(2026, 4, 5))
    assert then.consents == ()
    assert [k.consent_id for k in now.consents] == ["cons-child-school"]
    portfolio = next(d for d in now.disclosures if d.disclosure_id == "disc-child-portfolio")
    assert portfolio.now.lawful
    assert not portfolio.then.lawful

    worker = view(service.get_record(WORKER), at=demo_day(2025, 9, 3))
    assert worker.coordinator.party_id is None
    assert view(service.get_record(WORKER)).coordinator.party_id == "p-rehab-03"

    elder = view(service.get_record(ELDER))
    assert {m.member_type for m in elder.team} == {"professional", "informal", "third_sector"}


def test_a_process_with_a_stale_cache_decides_on_the_latest_record(
    make_service: MakeService,
) -> None:
    here, there = make_service(), make_service()
    here.register_client(register(), CTX)
    here.get_journey("client-1")  # cached here at version 1
    added = there.execute("client-1", member("p1", day(1)), CTX)

    # Valid only with the other process's event: the stale rejection is rechecked, not raised.
    assign = cmd.AssignCoordinator(occurred_at=day(2), party_id="p1")
    result = here.execute("client-1", assign, ctx(expected_version=added.version))
    assert result.version == 3
    # And a write on top of a stale cache lands after the other writer's event, not over it.
    there.execute("client-1", member("p2", day(3)), CTX)
    final = here.execute("client-1", member("p3", day(4)), CTX)
    assert final.version == 5
    assert [m.party_id for m in view(here.get_record("client-1")).team] == ["p1", "p2", "p3"]
