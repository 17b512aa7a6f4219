"""The event catalogue of a client journey.

Every event carries the envelope: ``event_id``, ``occurred_at`` (valid time), the library's
``timestamp`` (record time, exposed as ``recorded_at``), ``recorded_by`` and ``command_id``.
Personal data (display names, free text, contact details) lives only in ``personal``, a part of
the payload kept apart so it can be encrypted per client without touching anything else.

Stored events are a contract: never rename or remove a field; add one with a default at the
end of a class, or upcast with ``class_version``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import (
    AggregateCreated,
    AggregateEvent,
    OriginatorIDError,
    OriginatorVersionError,
)

__all__ = [
    "EVENT_TYPES",
    "WISHES",
    "Actor",
    "ClientRegistered",
    "ClientWishRecorded",
    "ConsentGranted",
    "ConsentWithdrawn",
    "CoordinatorAssigned",
    "CoordinatorReleased",
    "DisclosureDenialLifted",
    "DisclosureDenialRegistered",
    "EventRetracted",
    "InformationShared",
    "JourneyClosed",
    "JourneyEvent",
    "JourneyReopened",
    "MeetingHeld",
    "Personal",
    "PersonalDataErased",
    "PlanAgreed",
    "ReferralAccepted",
    "ReferralDeclined",
    "ReferralMade",
    "ServiceEnded",
    "ServiceStarted",
    "TeamMemberAdded",
    "TeamMemberRemoved",
    "TeamMemberRoleChanged",
    "TransitionRecorded",
]

Personal = dict[str, Any]
"""Personal part of a payload: JSON values (strings or lists of strings) keyed by field name."""


@dataclass(frozen=True)
class Actor:
    """Who recorded an event: the authenticated party, their organisation and role."""

    party_id: str
    organisation: str
    role: str


@dataclass(frozen=True)
class JourneyEvent(AggregateEvent):
    """Base of every journey event: the envelope."""

    event_id: UUID
    occurred_at: datetime
    recorded_by: Actor
    command_id: str | None
    personal: Personal

    KIND: ClassVar[str] = "event"
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("note",)

    @property
    def recorded_at(self) -> datetime:
        """Record time: when the system learned of this event."""
        return self.timestamp

    @property
    def note(self) -> str | None:
        value = self.personal.get("note")
        return value if isinstance(value, str) else None

    def apply(self, aggregate: Any) -> None:
        aggregate.append(self)


@dataclass(frozen=True)
class ClientRegistered(JourneyEvent, AggregateCreated):
    KIND = "client_registered"
    PERSONAL_FIELDS = ("name", "contact", "guardian_names", "note")

    client_ref: str
    preferred_language: str
    interpreter_needed: bool
    household_ref: str | None
    guardians: list[str]

    def mutate(self, aggregate: Any) -> Any:
        # The first registration creates the journey; a replacement (a correction of the
        # registration) is an ordinary event on the existing journey, checked and applied the
        # way every other event is (same originator, next version).
        if aggregate is None:
            return super().mutate(None)
        if self.originator_id != aggregate.id:
            raise OriginatorIDError(self.originator_id, aggregate.id)
        if self.originator_version != aggregate.version + 1:
            raise OriginatorVersionError(self.originator_version, aggregate.version + 1)
        self.apply(aggregate)
        aggregate.version = self.originator_version
        aggregate.modified_on = self.timestamp
        return aggregate


@dataclass(frozen=True)
class ReferralMade(JourneyEvent):
    KIND = "referral_made"
    PERSONAL_FIELDS = ("reason", "note")

    referral_id: str
    from_org: str
    to_org: str
    to_sector: str
    service: str


@dataclass(frozen=True)
class ReferralAccepted(JourneyEvent):
    KIND = "referral_accepted"

    referral_id: str


@dataclass(frozen=True)
class ReferralDeclined(JourneyEvent):
    KIND = "referral_declined"

    referral_id: str
    decline_reason: str


@dataclass(frozen=True)
class ConsentGranted(JourneyEvent):
    KIND = "consent_granted"

    consent_id: str
    grantor: str
    recipient_orgs: list[str]
    recipient_parties: list[str]
    categories: list[str]
    purposes: list[str]
    valid_from: datetime
    valid_until: datetime | None
    form: str
    evidence_ref: str | None


@dataclass(frozen=True)
class ConsentWithdrawn(JourneyEvent):
    KIND = "consent_withdrawn"

    consent_id: str


@dataclass(frozen=True)
class DisclosureDenialRegistered(JourneyEvent):
    """The client forbids disclosing ``categories`` to the recipients (all, if none listed)."""

    KIND = "denial_registered"

    denial_id: str
    categories: list[str]
    recipient_orgs: list[str]
    recipient_parties: list[str]


@dataclass(frozen=True)
class DisclosureDenialLifted(JourneyEvent):
    KIND = "denial_lifted"

    denial_id: str


@dataclass(frozen=True)
class TeamMemberAdded(JourneyEvent):
    KIND = "team_member_added"
    PERSONAL_FIELDS = ("display_name", "contact", "note")

    party_id: str
    member_type: str
    role: str
    organisation: str
    sector: str


@dataclass(frozen=True)
class TeamMemberRoleChanged(JourneyEvent):
    KIND = "team_member_role_changed"

    party_id: str
    role: str


@dataclass(frozen=True)
class TeamMemberRemoved(JourneyEvent):
    KIND = "team_member_removed"

    party_id: str


@dataclass(frozen=True)
class CoordinatorAssigned(JourneyEvent):
    KIND = "coordinator_assigned"

    party_id: str


@dataclass(frozen=True)
class CoordinatorReleased(JourneyEvent):
    KIND = "coordinator_released"

    party_id: str


@dataclass(frozen=True)
class ServiceStarted(JourneyEvent):
    KIND = "service_started"

    episode_id: str
    service: str
    sector: str
    provider_org: str
    responsible_party: str | None


@dataclass(frozen=True)
class ServiceEnded(JourneyEvent):
    KIND = "service_ended"

    episode_id: str


@dataclass(frozen=True)
class TransitionRecorded(JourneyEvent):
    """A hand-over between services or organisations; its date is ``occurred_at``."""

    KIND = "transition_recorded"

    transition_id: str
    kind: str
    from_service: str | None
    from_org: str | None
    to_service: str | None
    to_org: str | None


@dataclass(frozen=True)
class InformationShared(JourneyEvent):
    """A disclosure. ``basis`` is consent (with ``consent_id``), statutory (with ``statute``),
    client_self, or none: the record says what happened, lawful or not."""

    KIND = "information_shared"

    disclosure_id: str
    from_party: str | None
    from_org: str | None
    to_party: str | None
    to_org: str | None
    categories: list[str]
    purpose: str
    basis: str
    consent_id: str | None
    statute: str | None
    channel: str | None
    transition_id: str | None


@dataclass(frozen=True)
class MeetingHeld(JourneyEvent):
    """A meeting is a disclosure of ``categories`` among its participants."""

    KIND = "meeting_held"

    meeting_id: str
    participants: list[str]
    client_present: bool
    categories: list[str]
    purpose: str
    basis: str
    consent_id: str | None
    statute: str | None


@dataclass(frozen=True)
class PlanAgreed(JourneyEvent):
    """One plan per journey, versioned by the stream. Goals are free text (personal)."""

    KIND = "plan_agreed"
    PERSONAL_FIELDS = ("goals", "note")

    responsible_parties: list[str]
    review_on: datetime | None


@dataclass(frozen=True)
class JourneyClosed(JourneyEvent):
    KIND = "journey_closed"


@dataclass(frozen=True)
class JourneyReopened(JourneyEvent):
    KIND = "journey_reopened"


@dataclass(frozen=True)
class PersonalDataErased(JourneyEvent):
    """The client's key was deleted: their personal fields read "erased" from now on.

    Like a retraction, it belongs to the record, not to the valid-time timeline. ``reason`` is
    kept (who, when and why an erasure happened must stay answerable), so it is a code from the
    ``erasure_reasons`` vocabulary (older stores may hold free text there); a note, if any, is
    in ``personal`` and erased with the rest.
    """

    KIND = "personal_data_erased"

    reason: str


@dataclass(frozen=True)
class ClientWishRecorded(JourneyEvent):
    """The client's (or their guardian's) own wish about one person: that they matter to the
    client, that the client wants them on the team. Not a team change: the team is as the
    professionals record it. Everything about the wish is personal (sealed): whom it is about
    (``about_party``, a party id, or ``about_name``, someone not on the team) and the wishes
    now held (``wishes``: none, one or both of :data:`WISHES`; the latest wish about a person
    replaces the one before)."""

    KIND = "client_wish_recorded"
    PERSONAL_FIELDS = ("about_party", "about_name", "wishes", "note")


WISHES = ("matters_to_me", "want_on_team")
"""What a client may wish about a person (``ClientWishRecorded``)."""


@dataclass(frozen=True)
class EventRetracted(JourneyEvent):
    """Removes ``target_event_id`` from the record from this record time on."""

    KIND = "event_retracted"

    target_event_id: UUID
    reason: str


EVENT_TYPES: dict[str, type[JourneyEvent]] = {
    cls.KIND: cls
    for cls in (
        ClientRegistered,
        ReferralMade,
        ReferralAccepted,
        ReferralDeclined,
        ConsentGranted,
        ConsentWithdrawn,
        DisclosureDenialRegistered,
        DisclosureDenialLifted,
        TeamMemberAdded,
        TeamMemberRoleChanged,
        TeamMemberRemoved,
        CoordinatorAssigned,
        CoordinatorReleased,
        ServiceStarted,
        ServiceEnded,
        TransitionRecorded,
        InformationShared,
        MeetingHeld,
        PlanAgreed,
        JourneyClosed,
        JourneyReopened,
        EventRetracted,
        PersonalDataErased,
        ClientWishRecorded,
    )
}
"""Every event class by its stable ``KIND`` name."""
