"""The event catalogue of a household: its own stream, beside the members' journeys.

A household event carries the same envelope as a journey event (``event_id``, ``occurred_at``,
``recorded_by``, ``command_id`` and the ``personal`` part, sealed with the household's own key),
so the valid-time machinery of :mod:`domain.timeline` folds it as it folds a journey. A member
is a client journey, named by its client ref. Retractions are the journeys' own
:class:`~domain.events.EventRetracted`.

Stored events are a contract: never rename or remove a field; add one with a default at the
end of a class.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from eventsourcing.domain import AggregateCreated

from domain.events import EventRetracted, JourneyEvent

__all__ = [
    "HOUSEHOLD_EVENT_TYPES",
    "HouseholdCoordinatorAssigned",
    "HouseholdCoordinatorReleased",
    "HouseholdEvent",
    "HouseholdFormed",
    "HouseholdMemberJoined",
    "HouseholdMemberLeft",
    "HouseholdPlanAgreed",
]


@dataclass(frozen=True)
class HouseholdEvent(JourneyEvent):
    """Base of every household event (the journey events' envelope)."""


@dataclass(frozen=True)
class HouseholdFormed(HouseholdEvent, AggregateCreated):
    KIND = "household_formed"

    household_ref: str


@dataclass(frozen=True)
class HouseholdMemberJoined(HouseholdEvent):
    """A client (their journey's client ref) is a member of the household from ``occurred_at``."""

    KIND = "household_member_joined"

    client_ref: str


@dataclass(frozen=True)
class HouseholdMemberLeft(HouseholdEvent):
    KIND = "household_member_left"

    client_ref: str


@dataclass(frozen=True)
class HouseholdPlanAgreed(HouseholdEvent):
    """One plan per household, versioned by the stream: the life domains it covers (terms of the
    ``sectors`` vocabulary) and goals in free text (personal, sealed)."""

    KIND = "household_plan_agreed"
    PERSONAL_FIELDS = ("goals", "note")

    domains: list[str]
    responsible_parties: list[str]
    review_on: datetime | None


@dataclass(frozen=True)
class HouseholdCoordinatorAssigned(HouseholdEvent):
    """Assigning while another coordinates is a hand-over: the previous one's period ends."""

    KIND = "household_coordinator_assigned"

    party_id: str
    organisation: str


@dataclass(frozen=True)
class HouseholdCoordinatorReleased(HouseholdEvent):
    KIND = "household_coordinator_released"

    party_id: str


HOUSEHOLD_EVENT_TYPES: dict[str, type[JourneyEvent]] = {
    cls.KIND: cls
    for cls in (
        HouseholdFormed,
        HouseholdMemberJoined,
        HouseholdMemberLeft,
        HouseholdPlanAgreed,
        HouseholdCoordinatorAssigned,
        HouseholdCoordinatorReleased,
        EventRetracted,
    )
}
"""Every event class a household stream holds, by its ``KIND``."""
