"""Household commands: what a caller asks a household to record, validated before anything is
written (the journey commands' base, field types and vocabulary checks)."""

from __future__ import annotations

from typing import Annotated, Self
from uuid import UUID

from pydantic import Field, model_validator

from domain import household_events as hev
from domain.commands import (
    Command,
    Draft,
    Moment,
    Ref,
    Refs,
    RetractionReason,
    Sector,
    Text,
    Unique,
)
from domain.events import EventRetracted

__all__ = [
    "HOUSEHOLD_COMMAND_TYPES",
    "AgreeHouseholdPlan",
    "AssignHouseholdCoordinator",
    "FormHousehold",
    "HouseholdCommand",
    "JoinHousehold",
    "LeaveHousehold",
    "ReleaseHouseholdCoordinator",
    "RetractHouseholdEvent",
]


class HouseholdCommand(Command):
    """Base of every household command."""


class FormHousehold(HouseholdCommand):
    EVENT = hev.HouseholdFormed

    household_ref: Ref


class JoinHousehold(HouseholdCommand):
    """The client whose journey has this ref is a member from ``occurred_at``."""

    EVENT = hev.HouseholdMemberJoined

    client_ref: Ref


class LeaveHousehold(HouseholdCommand):
    EVENT = hev.HouseholdMemberLeft

    client_ref: Ref


class AgreeHouseholdPlan(HouseholdCommand):
    """The household plan: the life domains it covers (``sectors`` vocabulary) and its goals
    (free text, sealed with the household's key)."""

    EVENT = hev.HouseholdPlanAgreed

    domains: Annotated[list[Sector], Field(min_length=1, max_length=20), Unique]
    goals: Annotated[list[Text], Field(min_length=1, max_length=50)]
    responsible_parties: Refs = Field(default_factory=list)
    review_on: Moment | None = None


class AssignHouseholdCoordinator(HouseholdCommand):
    """Assigning while another coordinates is a hand-over."""

    EVENT = hev.HouseholdCoordinatorAssigned

    party_id: Ref
    organisation: Ref


class ReleaseHouseholdCoordinator(HouseholdCommand):
    EVENT = hev.HouseholdCoordinatorReleased

    party_id: Ref


class RetractHouseholdEvent(HouseholdCommand):
    """Retract a household event entered in error; with ``replacement``, a correction in one
    atomic save."""

    EVENT = EventRetracted

    target_event_id: UUID
    reason: RetractionReason
    replacement: (
        JoinHousehold
        | LeaveHousehold
        | AgreeHouseholdPlan
        | AssignHouseholdCoordinator
        | ReleaseHouseholdCoordinator
        | None
    ) = None

    @model_validator(mode="after")
    def _replacement_is_a_fact(self) -> Self:
        if isinstance(self.replacement, RetractHouseholdEvent | FormHousehold):
            raise ValueError("a replacement is a household fact other than the formation")
        return self

    def drafts(self) -> list[Draft]:
        personal = {"note": self.note} if self.note else {}
        retraction = Draft(
            EventRetracted,
            self.occurred_at,
            {"target_event_id": self.target_event_id, "reason": self.reason},
            personal,
        )
        extra = self.replacement.drafts() if self.replacement is not None else []
        return [retraction, *extra]


HOUSEHOLD_COMMAND_TYPES: dict[str, type[Command]] = {
    cls.EVENT.KIND: cls
    for cls in (
        FormHousehold,
        JoinHousehold,
        LeaveHousehold,
        AgreeHouseholdPlan,
        AssignHouseholdCoordinator,
        ReleaseHouseholdCoordinator,
        RetractHouseholdEvent,
    )
}
"""Each household command class by the ``KIND`` of the event it records."""
