"""Every rule of the valid-time timeline: a violating command is rejected, names the rule and
the conflicting event, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain import commands as cmd
from domain.application import JourneyService
from domain.errors import InvariantViolationError, JourneyNotFoundError
from domain.rules import Rule
from tests.support import CTX, StepClock, day, member, register

Setup = Callable[[JourneyService], None]


@pytest.fixture
def journey(memory_service: JourneyService) -> JourneyService:
    memory_service.register_client(register(), CTX)
    return memory_service


def rejected(service: JourneyService, command: cmd.Command, rule: Rule) -> InvariantViolationError:
    """Run ``command``; assert it fails with ``rule`` and that the journey did not change."""
    before = service.get_record("client-1").events
    with pytest.raises(InvariantViolationError) as caught:
        service.execute("client-1", command, CTX)
    assert caught.value.rule is rule
    assert rule.code in str(caught.value)
    assert service.get_record("client-1").events == before
    return caught.value


def test_nothing_happens_before_registration(journey: JourneyService) -> None:
    error = rejected(journey, member("p1", day(-1)), Rule.REGISTERED_FIRST)
    registration = journey.get_record("client-1").events[0]
    assert error.conflicting_event_id == registration.event_id


def test_commands_on_an_unregistered_client_find_no_journey(
    memory_service: JourneyService,
) -> None:
    with pytest.raises(JourneyNotFoundError):
        memory_service.execute("nobody", member("p1", day(1)), CTX)


def test_a_client_is_registered_once(journey: JourneyService) -> None:
    from domain.errors import AlreadyRegisteredError

    with pytest.raises(AlreadyRegisteredError):
        journey.register_client(register(), CTX)


def test_a_member_can_be_removed_only_while_on_the_team(journey: JourneyService) -> None:
    journey.execute("client-1", member("p1", day(10)), CTX)
    rejected(journey, cmd.RemoveTeamMember(occurred_at=day(5), party_id="p1"), Rule.MEMBER_ON_TEAM)
    journey.execute("client-1", cmd.RemoveTeamMember(occurred_at=day(20), party_id="p1"), CTX)
    rejected(journey, cmd.RemoveTeamMember(occurred_at=day(25), party_id="p1"), Rule.MEMBER_ON_TEAM)


def test_a_member_can_change_role_only_while_on_the_team(journey: JourneyService) -> None:
    journey.execute("client-1", member("p1", day(10)), CTX)
    change = cmd.ChangeTeamMemberRole(occurred_at=day(3), party_id="p1", role="nurse")
    rejected(journey, change, Rule.MEMBER_ON_TEAM)


def test_a_party_on_the_team_cannot_be_added_again(journey: JourneyService) -> None:
    first = journey.execute("client-1", member("p1", day(1)), CTX)
    error = rejected(journey, member("p1", day(2)), Rule.MEMBER_NOT_ON_TEAM)
    assert error.conflicting_event_id == first.event_ids[0]


def test_a_coordinator_must_be_on_the_team_when_assigned(journey: JourneyService) -> None:
    journey.execute("client-1", member("p1", day(10)), CTX)
    rejected(
        journey, cmd.AssignCoordinator(occurred_at=day(9), party_id="p1"), Rule.COORDINATOR_ON_TEAM
    )


def test_a_late_removal_may_not_strand_a_later_coordinator(journey: JourneyService) -> None:
    journey.execute("client-1", member("p1", day(1)), CTX)
    assigned = journey.execute(
        "client-1", cmd.AssignCoordinator(occurred_at=day(10), party_id="p1"), CTX
    )
    error = rejected(
        journey, cmd.RemoveTeamMember(occurred_at=day(5), party_id="p1"), Rule.COORDINATOR_ON_TEAM
    )
    assert error.conflicting_event_id == assigned.event_ids[0]


def test_the_coordinator_is_released_before_leaving_the_team(journey: JourneyService) -> None:
    journey.execute("client-1", member("p1", day(1)), CTX)
    journey.execute("client-1", cmd.AssignCoordinator(occurred_at=day(2), party_id="p1"), CTX)
    rejected(
        journey,
        cmd.RemoveTeamMember(occurred_at=day(3), party_id="p1"),
        Rule.COORDINATOR_RELEASED_BEFORE_REMOVAL,
    )


def test_only_the_current_coordinator_is_released(journey: JourneyService) -> None:
    journey.execute("client-1", member("p1", day(1)), CTX)
    rejected(
        journey,
        cmd.ReleaseCoordinator(occurred_at=day(2), party_id="p1"),
        Rule.COORDINATOR_RELEASE_CURRENT,
    )


def test_the_coordinator_cannot_be_assigned_twice(journey: JourneyService) -> None:
    journey.execute("client-1", member("p1", day(1)), CTX)
    journey.execute("client-1", cmd.AssignCoordinator(occurred_at=day(2), party_id="p1"), CTX)
    rejected(
        journey,
        cmd.AssignCoordinator(occurred_at=day(3), party_id="p1"),
        Rule.COORDINATOR_NOT_ALREADY,
    )


def consent(at: int, consent_id: str = "k1") -> cmd.GrantConsent:
    return cmd.GrantConsent(
        occurred_at=day(at),
        consent_id=consent_id,
        recipient_orgs=["org-b"],
        categories=["health"],
        purposes=["care_coordination"],
        form="written",
    )


def test_a_consent_is_withdrawn_only_after_it_was_granted(journey: JourneyService) -> None:
    journey.execute("client-1", consent(10), CTX)
    rejected(
        journey,
        cmd.WithdrawConsent(occurred_at=day(5), consent_id="k1"),
        Rule.CONSENT_WITHDRAWN_AFTER_GRANT,
    )


def test_a_consent_is_withdrawn_once(journey: JourneyService) -> None:
    journey.execute("client-1", consent(1), CTX)
    journey.execute("client-1", cmd.WithdrawConsent(occurred_at=day(5), consent_id="k1"), CTX)
    rejected(
        journey,
        cmd.WithdrawConsent(occurred_at=day(6), consent_id="k1"),
        Rule.CONSENT_WITHDRAWN_ONCE,
    )


def test_a_late_grant_after_the_withdrawal_is_rejected(journey: JourneyService) -> None:
    journey.execute("client-1", consent(1), CTX)
    journey.execute("client-1", cmd.WithdrawConsent(occurred_at=day(5), consent_id="k1"), CTX)
    rejected(journey, consent(0), Rule.CONSENT_UNIQUE)


def test_a_service_ends_only_after_it_started(journey: JourneyService) -> None:
    start = cmd.StartService(
        occurred_at=day(10), episode_id="e1", service="s", sector="health_care", provider_org="o"
    )
    journey.execute("client-1", start, CTX)
    rejected(
        journey, cmd.EndService(occurred_at=day(9), episode_id="e1"), Rule.SERVICE_ENDED_AFTER_START
    )
    journey.execute("client-1", cmd.EndService(occurred_at=day(11), episode_id="e1"), CTX)
    rejected(
        journey,
        cmd.EndService(occurred_at=day(12), episode_id="e1"),
        Rule.SERVICE_ENDED_AFTER_START,
    )


def test_a_referral_is_answered_once_after_it_was_made(journey: JourneyService) -> None:
    referral = cmd.MakeReferral(
        occurred_at=day(5),
        referral_id="r1",
        from_org="a",
        to_org="b",
        to_sector="rehabilitation",
        service="s",
    )
    journey.execute("client-1", referral, CTX)
    rejected(journey, cmd.AcceptReferral(occurred_at=day(4), referral_id="r1"), Rule.REFERRAL_OPEN)
    journey.execute("client-1", cmd.AcceptReferral(occurred_at=day(6), referral_id="r1"), CTX)
    decline = cmd.DeclineReferral(
        occurred_at=day(7), referral_id="r1", decline_reason="no_capacity"
    )
    rejected(journey, decline, Rule.REFERRAL_OPEN)


def test_a_denial_is_lifted_once_after_it_was_registered(journey: JourneyService) -> None:
    rejected(
        journey,
        cmd.LiftDenial(occurred_at=day(1), denial_id="d1"),
        Rule.DENIAL_LIFTED_AFTER_REGISTERED,
    )


def test_a_closed_journey_takes_nothing_but_a_reopening(journey: JourneyService) -> None:
    closed = journey.execute("client-1", cmd.CloseJourney(occurred_at=day(10)), CTX)
    error = rejected(journey, member("p1", day(11)), Rule.CLOSED_JOURNEY)
    assert error.conflicting_event_id == closed.event_ids[0]
    rejected(journey, cmd.CloseJourney(occurred_at=day(12)), Rule.CLOSED_JOURNEY)
    journey.execute("client-1", member("p0", day(9)), CTX)  # before the closure: fine
    journey.execute("client-1", cmd.ReopenJourney(occurred_at=day(13)), CTX)
    journey.execute("client-1", member("p1", day(14)), CTX)


def test_only_a_closed_journey_is_reopened(journey: JourneyService) -> None:
    rejected(journey, cmd.ReopenJourney(occurred_at=day(1)), Rule.REOPEN_CLOSED)


def test_occurred_at_may_not_be_in_the_future(journey: JourneyService, clock: StepClock) -> None:
    future = member("p1", clock.now + timedelta(seconds=1))
    rejected(journey, future, Rule.OCCURRED_AT_NOT_FUTURE)


def test_identifiers_are_used_once(journey: JourneyService) -> None:
    journey.execute("client-1", consent(1), CTX)
    rejected(journey, consent(2), Rule.CONSENT_UNIQUE)
    share = cmd.RecordInformationShared(
        occurred_at=day(3),
        disclosure_id="x1",
        from_org="a",
        to_org="b",
        categories=["health"],
        purpose="care_coordination",
        basis="none",
    )
    journey.execute("client-1", share, CTX)
    rejected(journey, share.model_copy(update={"occurred_at": day(4)}), Rule.DISCLOSURE_UNIQUE)


def test_retracting_an_add_that_a_later_fact_needs_is_rejected(journey: JourneyService) -> None:
    added = journey.execute("client-1", member("p1", day(1)), CTX)
    journey.execute("client-1", cmd.AssignCoordinator(occurred_at=day(2), party_id="p1"), CTX)
    retract = cmd.RetractEvent(
        occurred_at=day(3), target_event_id=added.event_ids[0], reason="entered_in_error"
    )
    rejected(journey, retract, Rule.COORDINATOR_ON_TEAM)


def test_an_event_is_retracted_once(journey: JourneyService) -> None:
    added = journey.execute("client-1", member("p1", day(1)), CTX)
    retract = cmd.RetractEvent(
        occurred_at=day(3), target_event_id=added.event_ids[0], reason="entered_in_error"
    )
    journey.retract_event("client-1", retract, CTX)
    rejected(journey, retract, Rule.RETRACTION_TARGET)


def test_the_registration_is_only_corrected_never_simply_retracted(
    journey: JourneyService,
) -> None:
    registration = journey.get_record("client-1").events[0]
    retract = cmd.RetractEvent(
        occurred_at=day(3), target_event_id=registration.event_id, reason="entered_in_error"
    )
    rejected(journey, retract, Rule.REGISTRATION_CORRECTED_ONLY)
    corrected = retract.model_copy(update={"replacement": register(preferred_language="sv")})
    journey.retract_event("client-1", corrected, CTX)
    assert journey.get_journey("client-1").end_state().registration is not None
