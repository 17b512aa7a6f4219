"""Disclosures judged then and now, and the may-share question."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import commands as cmd
from domain.application import JourneyService
from domain.events import Actor, ConsentGranted, ConsentWithdrawn
from domain.timeline import TimelineState
from projections import Reason, may_share, view
from projections.journey_view import DisclosureView
from projections.lawfulness import Recipient, decide, when
from tests.support import CTX, StepClock, day, member, register


@pytest.fixture
def journey(memory_service: JourneyService, clock: StepClock) -> JourneyService:
    clock.set(day(0) + timedelta(hours=1))
    memory_service.register_client(register(), CTX)
    clock.set(day(1) + timedelta(hours=1))
    memory_service.execute("client-1", member("p-school", day(1), org="school"), CTX)
    return memory_service


def grant(at: float, **extra: object) -> cmd.GrantConsent:
    fields: dict[str, object] = {
        "occurred_at": day(at),
        "consent_id": "k1",
        "recipient_orgs": ["school"],
        "categories": ["education"],
        "purposes": ["transition_planning"],
        "form": "written",
    }
    return cmd.GrantConsent.model_validate(fields | extra)


def share(at: float, basis: str = "consent", **extra: object) -> cmd.RecordInformationShared:
    fields: dict[str, object] = {
        "occurred_at": day(at),
        "disclosure_id": f"d-{at}",
        "from_org": "daycare",
        "to_party": "p-school",
        "to_org": "school",
        "categories": ["education"],
        "purpose": "transition_planning",
        "basis": basis,
    }
    if basis == "consent":
        fields["consent_id"] = "k1"
    return cmd.RecordInformationShared.model_validate(fields | extra)


def only_disclosure(journey: JourneyService, **when: object) -> DisclosureView:
    disclosures = view(journey.get_record("client-1"), **when).disclosures  # type: ignore[arg-type]
    assert len(disclosures) == 1
    return disclosures[0]


def test_a_backdated_consent_is_lawful_now_but_unsupported_then(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(5) + timedelta(hours=1))
    journey.execute("client-1", share(5), CTX)
    clock.set(day(9))
    journey.execute("client-1", grant(2), CTX)  # signed day 2, entered day 9

    d = only_disclosure(journey)
    assert d.now.lawful
    assert d.now.relied_on == "k1"
    assert not d.then.lawful
    assert d.then.reasons == (Reason.CONSENT_BACKDATED,)

    as_known_on_day_6 = only_disclosure(journey, known_at=day(6))
    assert not as_known_on_day_6.now.lawful
    assert as_known_on_day_6.now.reasons == (Reason.CONSENT_UNKNOWN,)


def test_a_disclosure_after_the_withdrawal_is_unlawful(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(9))
    journey.execute("client-1", grant(2), CTX)
    journey.execute("client-1", cmd.WithdrawConsent(occurred_at=day(4), consent_id="k1"), CTX)
    journey.execute("client-1", share(3), CTX)
    journey.execute("client-1", share(5), CTX)
    before, after = view(journey.get_record("client-1")).disclosures
    assert before.now.lawful  # the past stays lawful
    assert after.now.reasons == (Reason.CONSENT_WITHDRAWN,)


def test_a_denial_beats_a_consent(journey: JourneyService, clock: StepClock) -> None:
    clock.set(day(9))
    journey.execute("client-1", grant(2), CTX)
    denial = cmd.RegisterDenial(
        occurred_at=day(3), denial_id="n1", categories=["education"], recipient_orgs=["school"]
    )
    journey.execute("client-1", denial, CTX)
    journey.execute("client-1", share(4), CTX)
    d = only_disclosure(journey)
    assert d.now.reasons == (Reason.DENIAL_IN_FORCE,)
    record = journey.get_record("client-1")
    answer = may_share(
        record, party="p-school", category="education", purpose="transition_planning", at=day(4)
    )
    assert not answer.allowed
    assert "n1" in answer.reason
    journey.execute("client-1", cmd.LiftDenial(occurred_at=day(6), denial_id="n1"), CTX)
    answer = may_share(
        journey.get_record("client-1"),
        party="p-school",
        category="education",
        purpose="transition_planning",
        at=day(7),
    )
    assert answer.allowed
    assert answer.consent_id == "k1"


def test_a_consent_that_does_not_cover_the_disclosure_lists_every_gap(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(9))
    journey.execute("client-1", grant(2, valid_until=day(3)), CTX)
    journey.execute(
        "client-1",
        share(
            4, to_party="p-other", to_org="clinic", categories=["health"], purpose="safeguarding"
        ),
        CTX,
    )
    assert set(only_disclosure(journey).now.reasons) == {
        Reason.CONSENT_EXPIRED,
        Reason.RECIPIENT_NOT_NAMED,
        Reason.RECIPIENT_NOT_ON_TEAM,
        Reason.CATEGORY_NOT_NAMED,
        Reason.PURPOSE_NOT_NAMED,
    }


@pytest.mark.parametrize(
    ("basis", "extra", "lawful", "reasons"),
    [
        ("statutory", {}, False, (Reason.STATUTE_MISSING,)),
        ("statutory", {"statute": "FI:integration-act:information-right"}, True, ()),
        ("client_self", {}, True, ()),
        ("none", {}, False, (Reason.NO_BASIS,)),
    ],
)
def test_bases_other_than_consent(
    journey: JourneyService,
    clock: StepClock,
    basis: str,
    extra: dict[str, object],
    lawful: bool,
    reasons: tuple[Reason, ...],
) -> None:
    clock.set(day(9))
    journey.execute("client-1", share(4, basis=basis, **extra), CTX)
    d = only_disclosure(journey)
    assert (d.now.lawful, d.now.reasons) == (lawful, reasons)


def test_knowledge_says_who_received_what_first_when(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(9))
    journey.execute("client-1", grant(2), CTX)
    journey.execute("client-1", share(4), CTX)
    journey.execute("client-1", share(6), CTX)
    knowledge = {
        (k.recipient_kind, k.recipient_id): k
        for k in view(journey.get_record("client-1")).knowledge
    }
    school = knowledge[("organisation", "school")].categories[0]
    assert school.category == "education"
    assert school.first_at == day(4)
    assert school.disclosure_ids == ("d-4", "d-6")
    assert school.verdict_then == "unsupported"  # the consent was entered on day 9
    assert school.verdict_now == "lawful"
    assert ("party", "p-school") in knowledge


def test_a_meeting_discloses_to_every_participant(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(9))
    journey.execute("client-1", member("p-nurse", day(2), org="clinic"), CTX)
    journey.execute("client-1", grant(2), CTX)
    meeting = cmd.RecordMeeting(
        occurred_at=day(3),
        meeting_id="m1",
        participants=["p-school", "p-nurse"],
        client_present=True,
        categories=["education"],
        purpose="transition_planning",
        basis="consent",
        consent_id="k1",
    )
    journey.execute("client-1", meeting, CTX)
    verdicts = {d.to_party: d.now for d in view(journey.get_record("client-1")).disclosures}
    assert verdicts["p-school"].lawful
    assert verdicts["p-nurse"].reasons == (Reason.RECIPIENT_NOT_NAMED,)


def test_may_share_relies_on_a_statutory_right_when_no_consent_covers(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(9))
    journey.execute(
        "client-1",
        member("p-koto", day(2), org="integration-office", sector="integration_services"),
        CTX,
    )
    record = journey.get_record("client-1")
    answer = may_share(
        record, party="p-koto", category="integration", purpose="integration_measures"
    )
    assert answer.allowed
    assert answer.statute == "FI:integration-act:information-right"
    refused = may_share(
        record, organisation="unknown-org", category="health", purpose="safeguarding"
    )
    assert not refused.allowed
    assert refused.consent_id is None
    assert refused.statute is None


def test_may_share_needs_a_recipient(journey: JourneyService) -> None:
    with pytest.raises(ValueError, match="recipient"):
        may_share(journey.get_record("client-1"), category="health", purpose="safeguarding")


@pytest.mark.parametrize("late", [False, True], ids=["timely-consent", "late-consent"])
def test_each_category_is_judged_on_its_own_and_agrees_with_may_share(
    journey: JourneyService, clock: StepClock, late: bool
) -> None:
    # The consent names education only; the disclosure carries education and health.
    if not late:
        clock.set(day(2) + timedelta(hours=1))
        journey.execute("client-1", grant(2), CTX)
    clock.set(day(4) + timedelta(hours=1))
    journey.execute("client-1", share(4, categories=["education", "health"]), CTX)
    if late:
        clock.set(day(9))
        journey.execute("client-1", grant(2), CTX)
    d = only_disclosure(journey)
    education, health = d.verdict("education"), d.verdict("health")
    assert education.now.verdict == "lawful"
    assert education.now.relied_on == "k1"
    assert (health.now.verdict, health.now.reasons) == ("unlawful", (Reason.CATEGORY_NOT_NAMED,))
    assert any("health" in e and "k1" in e for e in health.now.explanations)
    assert (d.now.verdict, d.now.reasons) == ("unlawful", (Reason.CATEGORY_NOT_NAMED,))
    assert education.then.verdict == ("unsupported" if late else "lawful")
    record = journey.get_record("client-1")
    ask = {"party": "p-school", "purpose": "transition_planning", "at": day(4)}
    assert may_share(record, category="education", **ask).allowed  # type: ignore[arg-type]
    assert not may_share(record, category="health", **ask).allowed  # type: ignore[arg-type]
    knowledge = {
        (k.recipient_id, c.category): c for k in view(record).knowledge for c in k.categories
    }
    assert knowledge[("school", "education")].verdict_now == "lawful"
    assert knowledge[("school", "health")].verdict_now == "unlawful"


def test_a_disclosure_while_a_denial_was_in_force_is_unlawful_then_and_now(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(2) + timedelta(hours=1))
    journey.execute("client-1", grant(2), CTX)
    clock.set(day(3) + timedelta(hours=1))
    denial = cmd.RegisterDenial(
        occurred_at=day(3), denial_id="n1", categories=["education"], recipient_orgs=["school"]
    )
    journey.execute("client-1", denial, CTX)
    clock.set(day(4) + timedelta(hours=1))
    journey.execute("client-1", share(4), CTX)
    d = only_disclosure(journey)
    assert (d.then.verdict, d.now.verdict) == ("unlawful", "unlawful")
    assert d.then.reasons == d.now.reasons == (Reason.DENIAL_IN_FORCE,)
    recorded = when(day(3) + timedelta(hours=1))
    assert any(
        "denial n1" in e and f"occurred {when(day(3))}, recorded {recorded}" in e
        for e in d.now.explanations
    )


def test_a_consent_not_on_record_leaves_the_disclosure_unsupported_then_and_now(
    journey: JourneyService, clock: StepClock
) -> None:
    clock.set(day(5) + timedelta(hours=1))
    journey.execute("client-1", share(5), CTX)
    d = only_disclosure(journey)
    assert (d.then.verdict, d.now.verdict) == ("unsupported", "unsupported")
    assert d.now.reasons == (Reason.CONSENT_UNKNOWN,)
    clock.set(day(6))
    journey.execute("client-1", share(5.5, basis="none"), CTX)
    undeclared = view(journey.get_record("client-1")).disclosures[1]
    assert (undeclared.now.verdict, undeclared.now.reasons) == ("unsupported", (Reason.NO_BASIS,))


def test_a_backdated_consent_says_it_was_recorded_after_the_disclosure_occurred(
    journey: JourneyService, clock: StepClock
) -> None:
    # History entered afterwards: the consent (dated day 2) is recorded on day 8, the
    # disclosure (which occurred on day 5) only on day 9. The consent was recorded before the
    # disclosure was, but after the disclosure occurred.
    clock.set(day(8))
    journey.execute("client-1", grant(2), CTX)
    clock.set(day(9))
    journey.execute("client-1", share(5), CTX)
    d = only_disclosure(journey)
    assert (d.then.verdict, d.then.reasons) == ("unsupported", (Reason.CONSENT_BACKDATED,))
    (text,) = d.then.explanations
    assert f"was recorded {when(day(8))}, after the disclosure occurred {when(day(5))}" in text
    assert f"(recorded {when(day(9))})" in text
    assert d.now.verdict == "lawful"


def _event_fields(occurred_at: datetime) -> dict[str, Any]:
    return {
        "originator_id": uuid4(),
        "originator_version": 1,
        "timestamp": occurred_at,
        "event_id": uuid4(),
        "occurred_at": occurred_at,
        "recorded_by": Actor("p-test", "org-test", "caseworker"),
        "command_id": None,
        "personal": {},
    }


_NAMES = st.sampled_from(["p1", "p2", "org-a", "org-b"])


@settings(max_examples=200, deadline=None)
@given(
    grants=st.lists(
        st.tuples(
            st.lists(_NAMES, max_size=3),
            st.lists(st.sampled_from(["education", "health"]), min_size=1, max_size=2),
            st.integers(0, 4),
            st.booleans(),
        ),
        max_size=12,
    ),
    party=st.sampled_from(["p1", "p2", None]),
    org=st.sampled_from(["org-a", "org-b", None]),
    cited=st.integers(-1, 12),
    at_day=st.integers(0, 5),
)
def test_the_consent_relied_on_is_the_one_a_scan_of_every_consent_finds(
    grants: list[tuple[list[str], list[str], int, bool]],
    party: str | None,
    org: str | None,
    cited: int,
    at_day: int,
) -> None:
    """The index of consents by recipient picks what a scan of every consent would: the cited
    consent if it covers, else the first covering consent granted, else none (an attack on the
    index: a consent it missed, or one it ordered differently, changes the verdict's text)."""
    state = TimelineState()
    for i, (names, categories, from_day, withdrawn) in enumerate(grants):
        granted = ConsentGranted(
            **_event_fields(day(from_day)),
            consent_id=f"k{i}",
            recipient_parties=[n for n in names if n.startswith("p")],
            recipient_orgs=[n for n in names if n.startswith("org")],
            categories=categories,
            purposes=["transition_planning"],
            grantor="client",
            valid_from=day(from_day),
            valid_until=None,
            form="written",
            evidence_ref=None,
        )
        state.apply(granted)
        if withdrawn:
            state.apply(ConsentWithdrawn(**_event_fields(day(from_day + 1)), consent_id=f"k{i}"))
    recipient = Recipient(party, org)
    at = day(at_day) + timedelta(hours=1)
    consent_id = f"k{cited}" if cited >= 0 else None
    scan = sorted(
        (
            c
            for c in state.consents.values()
            if c.in_force(at)
            and "education" in c.granted.categories
            and (
                (party is not None and party in c.granted.recipient_parties)
                or (org is not None and org in c.granted.recipient_orgs)
            )
        ),
        key=lambda c: c.granted.consent_id != consent_id,
    )
    verdict = decide(
        state,
        at=at,
        recipient=recipient,
        category="education",
        purpose="transition_planning",
        basis="consent",
        consent_id=consent_id,
    )
    if scan:
        assert verdict.lawful
        assert verdict.relied_on == scan[0].granted.consent_id
    else:
        assert not verdict.lawful
