"""The valid-time timeline of a journey: its state at a moment, and the checks that keep it sound.

:class:`TimelineState` is the fold of a journey's effective events in valid-time order. Each
event type has a *check* (does the event fit the state just before it? raises
:class:`~domain.errors.InvariantViolationError`) and an *apply* (move the state on). Commands fold
with checks; views fold without them, so a view never fails on a stored record.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from domain.errors import InvariantViolationError
from domain.events import (
    ClientRegistered,
    ConsentGranted,
    ConsentWithdrawn,
    CoordinatorAssigned,
    CoordinatorReleased,
    DisclosureDenialLifted,
    DisclosureDenialRegistered,
    EventRetracted,
    InformationShared,
    JourneyClosed,
    JourneyEvent,
    JourneyReopened,
    MeetingHeld,
    PersonalDataErased,
    PlanAgreed,
    ReferralAccepted,
    ReferralDeclined,
    ReferralMade,
    ServiceEnded,
    ServiceStarted,
    TeamMemberAdded,
    TeamMemberRemoved,
    TeamMemberRoleChanged,
    TransitionRecorded,
)
from domain.rules import Rule

RECORD_EVENTS = (EventRetracted, PersonalDataErased)
"""Events about the record, not the world: they have no place on the valid-time timeline."""

__all__ = [
    "RECORD_EVENTS",
    "ConsentState",
    "DenialState",
    "Member",
    "ReferralState",
    "ServiceState",
    "TimelineState",
    "Undo",
    "check_placed",
    "effective_events",
    "fold",
    "timeline_at",
    "valid_order",
]


@dataclass(frozen=True)
class Member:
    """A team member as of some moment: ``since`` is when they joined, ``role_since`` their role."""

    added: TeamMemberAdded
    role: str
    role_since: datetime

    @property
    def party_id(self) -> str:
        return self.added.party_id

    @property
    def since(self) -> datetime:
        return self.added.occurred_at


@dataclass(frozen=True)
class ConsentState:
    granted: ConsentGranted
    withdrawn: ConsentWithdrawn | None = None

    def in_force(self, at: datetime) -> bool:
        """Granted, not withdrawn (as folded) and inside its validity period at ``at``."""
        g = self.granted
        return (
            self.withdrawn is None
            and g.valid_from <= at
            and (g.valid_until is None or at < g.valid_until)
        )


@dataclass(frozen=True)
class DenialState:
    registered: DisclosureDenialRegistered
    lifted: DisclosureDenialLifted | None = None

    def covers(self, category: str, party: str | None, org: str | None) -> bool:
        """Whether this denial, while in force, forbids ``category`` to the recipient."""
        d = self.registered
        if self.lifted is not None or category not in d.categories:
            return False
        if not d.recipient_orgs and not d.recipient_parties:
            return True
        return (party is not None and party in d.recipient_parties) or (
            org is not None and org in d.recipient_orgs
        )


@dataclass(frozen=True)
class ReferralState:
    made: ReferralMade
    outcome: ReferralAccepted | ReferralDeclined | None = None


@dataclass(frozen=True)
class ServiceState:
    started: ServiceStarted
    ended: ServiceEnded | None = None


def _violation(rule: Rule, detail: str, conflict: JourneyEvent | None) -> InvariantViolationError:
    if conflict is None:
        return InvariantViolationError(rule, detail)
    return InvariantViolationError(
        rule,
        detail,
        conflicting_event_id=conflict.event_id,
        conflicting_kind=conflict.KIND,
        conflicting_occurred_at=conflict.occurred_at,
    )


def _naming_keys(e: ConsentGranted) -> list[tuple[str, str]]:
    keys = [("party", p) for p in e.recipient_parties] + [("org", o) for o in e.recipient_orgs]
    return list(dict.fromkeys(keys))


class TimelineState:
    """The state of a journey at one moment of valid time."""

    def __init__(self) -> None:
        self.registration: ClientRegistered | None = None
        self.closed: JourneyClosed | None = None
        self.members: dict[str, Member] = {}
        self.coordinator: CoordinatorAssigned | None = None
        self.coordinator_changed: JourneyEvent | None = None
        self.consents: dict[str, ConsentState] = {}
        self.consents_naming: dict[tuple[str, str], tuple[tuple[int, str], ...]] = {}
        """Which consents name a recipient: ``("party", id)`` or ``("org", id)`` → (position
        in ``consents``, consent id) in the order granted. Lets a lawfulness judgement look only
        at the consents that could cover a recipient, not at every consent of the journey."""
        self.denials: dict[str, DenialState] = {}
        self.referrals: dict[str, ReferralState] = {}
        self.services: dict[str, ServiceState] = {}
        self.transitions: dict[str, TransitionRecorded] = {}
        self.disclosures: dict[str, InformationShared | MeetingHeld] = {}
        self.plan: PlanAgreed | None = None
        self.last_occurred_at: datetime | None = None

    def copy(self) -> TimelineState:
        """A copy that can move on independently (the values inside are immutable)."""
        clone = copy.copy(self)
        for name in (
            "members",
            "consents",
            "consents_naming",
            "denials",
            "referrals",
            "services",
            "transitions",
            "disclosures",
        ):
            setattr(clone, name, dict(getattr(self, name)))
        return clone

    # -- folding ---------------------------------------------------------------------------

    def check(self, event: JourneyEvent) -> None:
        """Raise :class:`InvariantViolationError` if ``event`` does not fit this state."""
        if not isinstance(event, ClientRegistered):
            if self.registration is None:
                raise _violation(Rule.REGISTERED_FIRST, f"{event.KIND} before registration", None)
            if self.closed is not None and not isinstance(event, JourneyReopened):
                raise _violation(
                    Rule.CLOSED_JOURNEY, f"{event.KIND} after the closure", self.closed
                )
        checker = _CHECKS.get(type(event))
        if checker is not None:
            checker(self, event)

    def apply(self, event: JourneyEvent) -> None:
        """Move the state on by ``event`` (never raises for a stored event)."""
        applier = _APPLIES.get(type(event))
        if applier is not None:
            applier(self, event)
        self.last_occurred_at = event.occurred_at

    def apply_logged(self, event: JourneyEvent) -> Undo:
        """Apply ``event`` and return what :meth:`undo` needs to take it back out.

        An event changes at most the state's single-valued fields and one entry of one of its
        tables (``_TOUCHES`` names which); the undo record holds their values before it.
        """
        scalars = (
            self.registration,
            self.closed,
            self.coordinator,
            self.coordinator_changed,
            self.plan,
            self.last_occurred_at,
        )
        touch = _TOUCHES.get(type(event))
        if touch is None:
            self.apply(event)
            return Undo(scalars, None, None, None)
        table, field = touch
        key = getattr(event, field)
        old = getattr(self, table).get(key, _MISSING)
        self.apply(event)
        return Undo(scalars, table, key, old)

    def undo(self, record: Undo) -> None:
        """Take back the event whose :meth:`apply_logged` returned ``record`` (the last one
        applied and not yet taken back)."""
        (
            self.registration,
            self.closed,
            self.coordinator,
            self.coordinator_changed,
            self.plan,
            self.last_occurred_at,
        ) = record.scalars
        if record.table is not None:
            table: dict[str, Any] = getattr(self, record.table)
            if record.old is _MISSING:
                removed = table.pop(record.key, None)  # type: ignore[arg-type]
                if isinstance(removed, ConsentState):
                    self._unindex(removed.granted)
            else:
                table[record.key] = record.old  # type: ignore[index]

    # -- checks ------------------------------------------------------------------------------

    def _check_registered(self, e: ClientRegistered) -> None:
        if self.registration is not None:
            raise _violation(Rule.REGISTERED_ONCE, "already registered", self.registration)

    def _check_referral_made(self, e: ReferralMade) -> None:
        if e.referral_id in self.referrals:
            raise _violation(
                Rule.REFERRAL_UNIQUE,
                f"referral {e.referral_id} exists",
                self.referrals[e.referral_id].made,
            )

    def _check_referral_outcome(self, e: ReferralAccepted | ReferralDeclined) -> None:
        referral = self.referrals.get(e.referral_id)
        if referral is None:
            raise _violation(
                Rule.REFERRAL_OPEN, f"referral {e.referral_id} was not made by then", None
            )
        if referral.outcome is not None:
            raise _violation(
                Rule.REFERRAL_OPEN,
                f"referral {e.referral_id} was already {referral.outcome.KIND.split('_')[1]}",
                referral.outcome,
            )

    def _check_consent_granted(self, e: ConsentGranted) -> None:
        if e.consent_id in self.consents:
            raise _violation(
                Rule.CONSENT_UNIQUE,
                f"consent {e.consent_id} exists",
                self.consents[e.consent_id].granted,
            )

    def _check_consent_withdrawn(self, e: ConsentWithdrawn) -> None:
        consent = self.consents.get(e.consent_id)
        if consent is None:
            raise _violation(
                Rule.CONSENT_WITHDRAWN_AFTER_GRANT,
                f"consent {e.consent_id} was not granted by then",
                None,
            )
        if consent.withdrawn is not None:
            raise _violation(
                Rule.CONSENT_WITHDRAWN_ONCE,
                f"consent {e.consent_id} was already withdrawn",
                consent.withdrawn,
            )

    def _check_denial_registered(self, e: DisclosureDenialRegistered) -> None:
        if e.denial_id in self.denials:
            raise _violation(
                Rule.DENIAL_UNIQUE,
                f"denial {e.denial_id} exists",
                self.denials[e.denial_id].registered,
            )

    def _check_denial_lifted(self, e: DisclosureDenialLifted) -> None:
        denial = self.denials.get(e.denial_id)
        if denial is None:
            raise _violation(
                Rule.DENIAL_LIFTED_AFTER_REGISTERED,
                f"denial {e.denial_id} was not registered by then",
                None,
            )
        if denial.lifted is not None:
            raise _violation(
                Rule.DENIAL_LIFTED_AFTER_REGISTERED,
                f"denial {e.denial_id} was already lifted",
                denial.lifted,
            )

    def _check_member_added(self, e: TeamMemberAdded) -> None:
        member = self.members.get(e.party_id)
        if member is not None:
            raise _violation(
                Rule.MEMBER_NOT_ON_TEAM, f"party {e.party_id} is on the team", member.added
            )

    def _check_on_team(self, e: TeamMemberRoleChanged | TeamMemberRemoved) -> None:
        if e.party_id not in self.members:
            raise _violation(
                Rule.MEMBER_ON_TEAM, f"party {e.party_id} is not on the team then", None
            )
        if (
            isinstance(e, TeamMemberRemoved)
            and self.coordinator is not None
            and self.coordinator.party_id == e.party_id
        ):
            raise _violation(
                Rule.COORDINATOR_RELEASED_BEFORE_REMOVAL,
                f"party {e.party_id} is the coordinator then",
                self.coordinator,
            )

    def _check_coordinator_assigned(self, e: CoordinatorAssigned) -> None:
        if e.party_id not in self.members:
            raise _violation(
                Rule.COORDINATOR_ON_TEAM, f"party {e.party_id} is not on the team then", None
            )
        if self.coordinator is not None and self.coordinator.party_id == e.party_id:
            raise _violation(
                Rule.COORDINATOR_NOT_ALREADY,
                f"party {e.party_id} is already the coordinator",
                self.coordinator,
            )

    def _check_coordinator_released(self, e: CoordinatorReleased) -> None:
        if self.coordinator is None or self.coordinator.party_id != e.party_id:
            raise _violation(
                Rule.COORDINATOR_RELEASE_CURRENT,
                f"party {e.party_id} is not the coordinator then",
                self.coordinator,
            )

    def _check_service_started(self, e: ServiceStarted) -> None:
        if e.episode_id in self.services:
            raise _violation(
                Rule.SERVICE_UNIQUE,
                f"episode {e.episode_id} exists",
                self.services[e.episode_id].started,
            )

    def _check_service_ended(self, e: ServiceEnded) -> None:
        service = self.services.get(e.episode_id)
        if service is None:
            raise _violation(
                Rule.SERVICE_ENDED_AFTER_START,
                f"episode {e.episode_id} had not started by then",
                None,
            )
        if service.ended is not None:
            raise _violation(
                Rule.SERVICE_ENDED_AFTER_START,
                f"episode {e.episode_id} had already ended",
                service.ended,
            )

    def _check_transition(self, e: TransitionRecorded) -> None:
        if e.transition_id in self.transitions:
            raise _violation(
                Rule.TRANSITION_UNIQUE,
                f"transition {e.transition_id} exists",
                self.transitions[e.transition_id],
            )

    def _check_disclosure(self, e: InformationShared | MeetingHeld) -> None:
        key = e.disclosure_id if isinstance(e, InformationShared) else e.meeting_id
        if key in self.disclosures:
            raise _violation(Rule.DISCLOSURE_UNIQUE, f"{key} exists", self.disclosures[key])

    def _check_closed(self, e: JourneyClosed) -> None:
        """Only reached when the journey is open (a closed one fails the generic check)."""

    def _check_reopened(self, e: JourneyReopened) -> None:
        if self.closed is None:
            raise _violation(Rule.REOPEN_CLOSED, "the journey is open then", None)

    # -- applies -----------------------------------------------------------------------------

    def _apply_registered(self, e: ClientRegistered) -> None:
        self.registration = e
        if self.coordinator_changed is None:
            self.coordinator_changed = e

    def _apply_referral_made(self, e: ReferralMade) -> None:
        self.referrals[e.referral_id] = ReferralState(e)

    def _apply_referral_outcome(self, e: ReferralAccepted | ReferralDeclined) -> None:
        referral = self.referrals.get(e.referral_id)
        if referral is not None:
            self.referrals[e.referral_id] = ReferralState(referral.made, e)

    def _apply_consent_granted(self, e: ConsentGranted) -> None:
        if e.consent_id not in self.consents:
            entry = ((len(self.consents), e.consent_id),)
            for key in _naming_keys(e):
                self.consents_naming[key] = self.consents_naming.get(key, ()) + entry
        self.consents[e.consent_id] = ConsentState(e)

    def _unindex(self, e: ConsentGranted) -> None:
        """Take a consent whose grant is taken back out of ``consents_naming``."""
        for key in _naming_keys(e):
            entries = self.consents_naming.get(key, ())
            if entries and entries[-1][1] == e.consent_id:
                kept = entries[:-1]  # the usual case: steps are taken back last first
            else:
                kept = tuple(x for x in entries if x[1] != e.consent_id)
            if kept:
                self.consents_naming[key] = kept
            else:
                self.consents_naming.pop(key, None)

    def _apply_consent_withdrawn(self, e: ConsentWithdrawn) -> None:
        consent = self.consents.get(e.consent_id)
        if consent is not None:
            self.consents[e.consent_id] = ConsentState(consent.granted, e)

    def _apply_denial_registered(self, e: DisclosureDenialRegistered) -> None:
        self.denials[e.denial_id] = DenialState(e)

    def _apply_denial_lifted(self, e: DisclosureDenialLifted) -> None:
        denial = self.denials.get(e.denial_id)
        if denial is not None:
            self.denials[e.denial_id] = DenialState(denial.registered, e)

    def _apply_member_added(self, e: TeamMemberAdded) -> None:
        self.members[e.party_id] = Member(e, e.role, e.occurred_at)

    def _apply_role_changed(self, e: TeamMemberRoleChanged) -> None:
        member = self.members.get(e.party_id)
        if member is not None:
            self.members[e.party_id] = Member(member.added, e.role, e.occurred_at)

    def _apply_member_removed(self, e: TeamMemberRemoved) -> None:
        self.members.pop(e.party_id, None)
        if self.coordinator is not None and self.coordinator.party_id == e.party_id:
            self.coordinator = None
            self.coordinator_changed = e

    def _apply_coordinator_assigned(self, e: CoordinatorAssigned) -> None:
        self.coordinator = e
        self.coordinator_changed = e

    def _apply_coordinator_released(self, e: CoordinatorReleased) -> None:
        if self.coordinator is not None and self.coordinator.party_id == e.party_id:
            self.coordinator = None
            self.coordinator_changed = e

    def _apply_service_started(self, e: ServiceStarted) -> None:
        self.services[e.episode_id] = ServiceState(e)

    def _apply_service_ended(self, e: ServiceEnded) -> None:
        service = self.services.get(e.episode_id)
        if service is not None:
            self.services[e.episode_id] = ServiceState(service.started, e)

    def _apply_transition(self, e: TransitionRecorded) -> None:
        self.transitions[e.transition_id] = e

    def _apply_information_shared(self, e: InformationShared) -> None:
        self.disclosures[e.disclosure_id] = e

    def _apply_meeting(self, e: MeetingHeld) -> None:
        self.disclosures[e.meeting_id] = e

    def _apply_plan(self, e: PlanAgreed) -> None:
        self.plan = e

    def _apply_closed(self, e: JourneyClosed) -> None:
        self.closed = e

    def _apply_reopened(self, e: JourneyReopened) -> None:
        self.closed = None


_MISSING: Any = object()


class Undo(NamedTuple):
    """What taking one applied event back restores (see :meth:`TimelineState.apply_logged`)."""

    scalars: tuple[Any, ...]
    table: str | None
    key: str | None
    old: Any


_TOUCHES: dict[type[JourneyEvent], tuple[str, str]] = {
    ReferralMade: ("referrals", "referral_id"),
    ReferralAccepted: ("referrals", "referral_id"),
    ReferralDeclined: ("referrals", "referral_id"),
    ConsentGranted: ("consents", "consent_id"),
    ConsentWithdrawn: ("consents", "consent_id"),
    DisclosureDenialRegistered: ("denials", "denial_id"),
    DisclosureDenialLifted: ("denials", "denial_id"),
    TeamMemberAdded: ("members", "party_id"),
    TeamMemberRoleChanged: ("members", "party_id"),
    TeamMemberRemoved: ("members", "party_id"),
    ServiceStarted: ("services", "episode_id"),
    ServiceEnded: ("services", "episode_id"),
    TransitionRecorded: ("transitions", "transition_id"),
    InformationShared: ("disclosures", "disclosure_id"),
    MeetingHeld: ("disclosures", "meeting_id"),
}
"""The one table entry each kind of event may change, and the field that keys it."""

_Handler = Callable[[TimelineState, Any], None]
_S = TimelineState
_CHECKS: dict[type[JourneyEvent], _Handler] = {
    ClientRegistered: _S._check_registered,
    ReferralMade: _S._check_referral_made,
    ReferralAccepted: _S._check_referral_outcome,
    ReferralDeclined: _S._check_referral_outcome,
    ConsentGranted: _S._check_consent_granted,
    ConsentWithdrawn: _S._check_consent_withdrawn,
    DisclosureDenialRegistered: _S._check_denial_registered,
    DisclosureDenialLifted: _S._check_denial_lifted,
    TeamMemberAdded: _S._check_member_added,
    TeamMemberRoleChanged: _S._check_on_team,
    TeamMemberRemoved: _S._check_on_team,
    CoordinatorAssigned: _S._check_coordinator_assigned,
    CoordinatorReleased: _S._check_coordinator_released,
    ServiceStarted: _S._check_service_started,
    ServiceEnded: _S._check_service_ended,
    TransitionRecorded: _S._check_transition,
    InformationShared: _S._check_disclosure,
    MeetingHeld: _S._check_disclosure,
    JourneyClosed: _S._check_closed,
    JourneyReopened: _S._check_reopened,
}
_APPLIES: dict[type[JourneyEvent], _Handler] = {
    ClientRegistered: _S._apply_registered,
    ReferralMade: _S._apply_referral_made,
    ReferralAccepted: _S._apply_referral_outcome,
    ReferralDeclined: _S._apply_referral_outcome,
    ConsentGranted: _S._apply_consent_granted,
    ConsentWithdrawn: _S._apply_consent_withdrawn,
    DisclosureDenialRegistered: _S._apply_denial_registered,
    DisclosureDenialLifted: _S._apply_denial_lifted,
    TeamMemberAdded: _S._apply_member_added,
    TeamMemberRoleChanged: _S._apply_role_changed,
    TeamMemberRemoved: _S._apply_member_removed,
    CoordinatorAssigned: _S._apply_coordinator_assigned,
    CoordinatorReleased: _S._apply_coordinator_released,
    ServiceStarted: _S._apply_service_started,
    ServiceEnded: _S._apply_service_ended,
    TransitionRecorded: _S._apply_transition,
    InformationShared: _S._apply_information_shared,
    MeetingHeld: _S._apply_meeting,
    PlanAgreed: _S._apply_plan,
    JourneyClosed: _S._apply_closed,
    JourneyReopened: _S._apply_reopened,
}


def effective_events(
    record: Sequence[JourneyEvent], known_at: datetime | None = None
) -> list[JourneyEvent]:
    """The events of ``record`` (in record order) that were recorded at or before ``known_at``
    and not retracted by a retraction recorded at or before it. Events about the record itself
    (retractions, erasures) are not part of the timeline and are left out.
    """
    if known_at is None:
        visible: Sequence[JourneyEvent] = record
    else:
        # Record times rise with the version, so the visible events are a prefix.
        lo, hi = 0, len(record)
        while lo < hi:
            mid = (lo + hi) // 2
            if record[mid].timestamp <= known_at:
                lo = mid + 1
            else:
                hi = mid
        visible = record[:lo]
    retracted = {e.target_event_id for e in visible if isinstance(e, EventRetracted)}
    return [
        e
        for e in visible
        if not isinstance(e, RECORD_EVENTS) and (not retracted or e.event_id not in retracted)
    ]


def valid_order(events: Iterable[JourneyEvent]) -> list[JourneyEvent]:
    """Events in ``occurred_at`` order; ties keep record order (the sort is stable)."""
    return sorted(events, key=_occurred_at)


def _occurred_at(e: JourneyEvent) -> datetime:
    return e.occurred_at


def fold(
    events_in_valid_order: Iterable[JourneyEvent],
    *,
    check: bool = False,
    new_event_ids: frozenset[Any] = frozenset(),
) -> TimelineState:
    """Fold events already in valid-time order into a :class:`TimelineState`.

    With ``check``, every event must fit the state before it. When an event that is *not* new
    fails, the error names that event: the new ones would leave it invalid.
    """
    state = TimelineState()
    if not check:
        for e in events_in_valid_order:
            state.apply(e)
        return state
    events = list(events_in_valid_order)
    for e in events:
        check_placed(
            state,
            e,
            new=e.event_id in new_event_ids,
            registration=lambda: next((r for r in events if isinstance(r, ClientRegistered)), None),
        )
        state.apply(e)
    return state


def check_placed(
    state: TimelineState,
    event: JourneyEvent,
    *,
    new: bool,
    registration: Callable[[], ClientRegistered | None],
) -> None:
    """Check ``event`` against the state just before it on the timeline.

    A new event's own error is raised (one dated before the registration names the
    registration). When an event that is *not* new fails, the error names that event: the new
    ones would leave it invalid.
    """
    try:
        state.check(event)
    except InvariantViolationError as error:
        if new:
            first = registration() if error.rule is Rule.REGISTERED_FIRST else None
            if first is not None:
                raise _violation(error.rule, error.detail, first) from None
            raise
        raise InvariantViolationError(
            error.rule,
            f"the change would leave this later fact invalid: {error.detail}",
            conflicting_event_id=event.event_id,
            conflicting_kind=event.KIND,
            conflicting_occurred_at=event.occurred_at,
        ) from None


def timeline_at(
    events: Sequence[JourneyEvent], at: datetime, known_at: datetime
) -> list[JourneyEvent]:
    """The effective events known at ``known_at`` that occurred by ``at``, in valid-time order."""
    return [e for e in valid_order(effective_events(events, known_at)) if e.occurred_at <= at]
