"""The household aggregate: one household's append-only record, and the decisions that extend it.

A household is formed, clients (their journeys, by client ref) join and leave it on valid dates,
it has one plan (the life domains it covers, goals in free text) and one household coordinator.
It is bitemporal like a journey: its events carry the journey events' envelope and are folded
by the same machinery (``effective_events``, ``valid_order`` and ``timeline_at`` of
:mod:`domain.timeline`), so a household at (at, known_at) follows the two time-axis
rules of docs/architecture.md exactly as a journey does.

A command is checked where its events fall on the valid-time timeline, with every later fact
still valid once they are in (late entries are normal). A household's stream is short, so the
whole timeline is folded again with the checks for each decision.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.commands import Draft
from domain.errors import IdempotencyConflictError, InvariantViolationError
from domain.events import Actor, EventRetracted, JourneyEvent, PersonalDataErased
from domain.household_events import (
    HouseholdCoordinatorAssigned,
    HouseholdCoordinatorReleased,
    HouseholdFormed,
    HouseholdMemberJoined,
    HouseholdMemberLeft,
    HouseholdPlanAgreed,
)
from domain.rules import Rule
from domain.timeline import effective_events, valid_order

__all__ = [
    "Household",
    "HouseholdIds",
    "HouseholdRecord",
    "HouseholdState",
    "fold_household",
]


class HouseholdIds:
    """How a household ref becomes its aggregate id: a keyed hash under the same secret that keys
    journey ids (kept outside the database), with a label of its own, so household and journey ids
    never coincide and neither can be found by hashing guessed refs."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the pseudonym secret must have at least 16 bytes")
        self._secret = secret

    def __call__(self, household_ref: str) -> UUID:
        message = b"polku household|" + household_ref.encode()
        digest = hmac.new(self._secret, message, sha256).digest()
        return UUID(bytes=digest[:16], version=4)


@dataclass(frozen=True)
class HouseholdRecord:
    """A household's events in record order: what the household view folds."""

    household_ref: str
    household_id: UUID
    events: tuple[JourneyEvent, ...]

    @property
    def version(self) -> int:
        return self.events[-1].originator_version if self.events else 0


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


class HouseholdState:
    """A household at one moment of valid time: its members (by client ref, with the event by
    which each joined), its coordinator (or none, and since when), its plan."""

    def __init__(self) -> None:
        self.formed: HouseholdFormed | None = None
        self.members: dict[str, HouseholdMemberJoined] = {}
        self.coordinator: HouseholdCoordinatorAssigned | None = None
        self.coordinator_changed: JourneyEvent | None = None
        """The event since which the coordinator is who it is (or since which there is none)."""
        self.plan: HouseholdPlanAgreed | None = None

    def check(self, event: JourneyEvent) -> None:
        """Raise :class:`InvariantViolationError` if ``event`` does not fit this state."""
        if isinstance(event, HouseholdFormed):
            if self.formed is not None:
                raise _violation(Rule.HOUSEHOLD_FORMED_ONCE, "already formed", self.formed)
            return
        if self.formed is None:
            raise _violation(Rule.HOUSEHOLD_FORMED_FIRST, f"{event.KIND} before formation", None)
        if isinstance(event, HouseholdMemberJoined) and event.client_ref in self.members:
            raise _violation(
                Rule.HOUSEHOLD_NOT_MEMBER,
                "the client is a member then",
                self.members[event.client_ref],
            )
        if isinstance(event, HouseholdMemberLeft):
            if event.client_ref not in self.members:
                raise _violation(Rule.HOUSEHOLD_MEMBER, "the client is not a member then", None)
            if self.coordinator is not None and len(self.members) == 1:
                raise _violation(
                    Rule.HOUSEHOLD_COORDINATOR_RELEASED_BEFORE_EMPTY,
                    "the last member would leave while a household coordinator is assigned",
                    self.coordinator,
                )
        if isinstance(event, HouseholdCoordinatorAssigned):
            if not self.members:
                raise _violation(
                    Rule.HOUSEHOLD_COORDINATOR_WITH_MEMBERS, "the household has no members", None
                )
            if self.coordinator is not None and self.coordinator.party_id == event.party_id:
                raise _violation(
                    Rule.COORDINATOR_NOT_ALREADY,
                    f"party {event.party_id} is already the household coordinator",
                    self.coordinator,
                )
        if isinstance(event, HouseholdCoordinatorReleased) and (
            self.coordinator is None or self.coordinator.party_id != event.party_id
        ):
            raise _violation(
                Rule.COORDINATOR_RELEASE_CURRENT,
                f"party {event.party_id} is not the household coordinator then",
                self.coordinator,
            )

    def apply(self, event: JourneyEvent) -> None:
        """Move the state on by ``event`` (never raises for a stored event)."""
        if isinstance(event, HouseholdFormed):
            self.formed = event
            if self.coordinator_changed is None:
                self.coordinator_changed = event
        elif isinstance(event, HouseholdMemberJoined):
            self.members[event.client_ref] = event
        elif isinstance(event, HouseholdMemberLeft):
            self.members.pop(event.client_ref, None)
        elif isinstance(event, HouseholdCoordinatorAssigned):
            self.coordinator = event  # assigning while another coordinates: a hand-over
            self.coordinator_changed = event
        elif isinstance(event, HouseholdCoordinatorReleased):
            if self.coordinator is not None and self.coordinator.party_id == event.party_id:
                self.coordinator = None
                self.coordinator_changed = event
        elif isinstance(event, HouseholdPlanAgreed):
            self.plan = event


def fold_household(
    events_in_valid_order: Sequence[JourneyEvent],
    *,
    check: bool = False,
    new_event_ids: frozenset[UUID] = frozenset(),
) -> HouseholdState:
    """Fold household events already in valid-time order (:func:`domain.timeline.timeline_at`
    gives them for a moment). With ``check``, each must fit the state before it; when an event
    that is *not* new fails, the error names it: the new ones would leave it invalid."""
    state = HouseholdState()
    for event in events_in_valid_order:
        if check:
            try:
                state.check(event)
            except InvariantViolationError as error:
                if event.event_id in new_event_ids:
                    raise
                raise InvariantViolationError(
                    error.rule,
                    f"the change would leave this later fact invalid: {error.detail}",
                    conflicting_event_id=event.event_id,
                    conflicting_kind=event.KIND,
                    conflicting_occurred_at=event.occurred_at,
                ) from None
        state.apply(event)
    return state


class Household(Aggregate):
    def __init__(self) -> None:
        self._events: list[JourneyEvent] = []

    @classmethod
    def form(
        cls,
        draft: Draft,
        *,
        household: UUID,
        recorded_at: datetime,
        actor: Actor,
        command_id: str | None,
    ) -> Household:
        return cls._create(
            HouseholdFormed,
            id=household,
            timestamp=recorded_at,
            **_envelope(draft, actor, command_id),
        )

    # -- reading -------------------------------------------------------------------------------

    @property
    def household_ref(self) -> str:
        first = self._events[0]
        assert isinstance(first, HouseholdFormed)
        return first.household_ref

    @property
    def events(self) -> Sequence[JourneyEvent]:
        return self._events

    def record(self) -> HouseholdRecord:
        return HouseholdRecord(self.household_ref, self.id, tuple(self._events))

    def end_state(self) -> HouseholdState:
        """The fold of every effective event (the household as now recorded)."""
        return fold_household(valid_order(effective_events(self._events)))

    def append(self, event: JourneyEvent) -> None:
        """Called by each event as it is applied (replay or new)."""
        self._events.append(event)

    # -- deciding ------------------------------------------------------------------------------

    def prior_result(self, command_id: str, drafts: Sequence[Draft]) -> list[JourneyEvent] | None:
        """The events an earlier run of this command recorded, if any.

        Raises :class:`IdempotencyConflictError` if the id was used for a different command.
        """
        prior = [e for e in self._events if e.command_id == command_id]
        if not prior:
            return None
        if len(prior) != len(drafts) or not all(map(_same, prior, drafts)):
            raise IdempotencyConflictError(command_id)
        return prior

    def decide(
        self,
        drafts: Sequence[Draft],
        *,
        recorded_at: datetime,
        actor: Actor,
        command_id: str | None,
    ) -> list[JourneyEvent]:
        """Append ``drafts`` as events and check the timeline they leave; raises
        :class:`InvariantViolationError` naming the rule and the conflicting event. The caller
        saves the household, or drops it (it is read from the store for every command)."""
        by_id = {e.event_id: e for e in self._events}
        retracted = {e.target_event_id: e for e in self._events if isinstance(e, EventRetracted)}
        for draft in drafts:
            if draft.event_class is not EventRetracted:
                continue
            target = by_id.get(draft.fields["target_event_id"])
            if target is None or isinstance(target, EventRetracted | PersonalDataErased):
                raise InvariantViolationError(
                    Rule.RETRACTION_TARGET,
                    f"event {draft.fields['target_event_id']} cannot be retracted",
                )
            earlier = retracted.get(target.event_id)
            if earlier is not None:
                raise _violation(
                    Rule.RETRACTION_TARGET, f"event {target.event_id} is already retracted", earlier
                )
            if isinstance(target, HouseholdFormed):
                raise _violation(
                    Rule.HOUSEHOLD_FORMATION_KEPT, "the formation cannot be retracted", target
                )
        start = len(self._events)
        for draft in drafts:
            if draft.event_class is HouseholdFormed:
                raise _violation(Rule.HOUSEHOLD_FORMED_ONCE, "already formed", self._events[0])
            self.trigger_event(
                draft.event_class, timestamp=recorded_at, **_envelope(draft, actor, command_id)
            )
        new = self._events[start:]
        fold_household(
            valid_order(effective_events(self._events)),
            check=True,
            new_event_ids=frozenset(e.event_id for e in new),
        )
        return new


def _envelope(draft: Draft, actor: Actor, command_id: str | None) -> dict[str, Any]:
    return {
        "event_id": uuid4(),
        "occurred_at": draft.occurred_at,
        "recorded_by": actor,
        "command_id": command_id,
        "personal": draft.personal,
        **draft.fields,
    }


def _same(event: JourneyEvent, draft: Draft) -> bool:
    """Whether a stored event records the same fact as a draft (envelope aside)."""
    return (
        type(event) is draft.event_class
        and event.occurred_at == draft.occurred_at
        and event.personal == draft.personal
        and all(getattr(event, k) == v for k, v in draft.fields.items())
    )
