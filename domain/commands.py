"""Commands: what a caller asks the journey to record, validated before anything is written.

Each command is a frozen pydantic model naming the event it records. Field values are checked
against the controlled vocabularies; personal fields (names, contact details, free text) are
split off into the event's ``personal`` part by :meth:`Command.drafts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from domain import events as ev
from domain.vocabulary import Term, check_term, vocabulary

__all__ = [
    "COMMAND_TYPES",
    "AcceptReferral",
    "AddTeamMember",
    "AgreePlan",
    "AssignCoordinator",
    "ChangeTeamMemberRole",
    "CloseJourney",
    "Command",
    "DeclineReferral",
    "Draft",
    "EndService",
    "GrantConsent",
    "LiftDenial",
    "MakeReferral",
    "Moment",
    "RecordClientWish",
    "RecordInformationShared",
    "RecordMeeting",
    "RecordTransition",
    "RegisterClient",
    "RegisterDenial",
    "ReleaseCoordinator",
    "RemoveTeamMember",
    "ReopenJourney",
    "RetractEvent",
    "StartService",
    "WithdrawConsent",
]

# -- field types ---------------------------------------------------------------------------

Ref = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
"""An identifier or code: one line, 1-128 characters."""
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]

EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


def _in_range(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"a time must fall in the years {EARLIEST_YEAR}-{LATEST_YEAR}")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]
"""A point in time: time-zone aware, within the years 1900-2199."""


class _Terms:
    """Checks a value against a vocabulary list, and lists the terms in the JSON schema
    (read from the vocabulary when a schema is asked for, not at import)."""

    def __init__(self, name: Term) -> None:
        self.name = name

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            partial(check_term, self.name), handler(source)
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["enum"] = sorted(vocabulary().terms[self.name])
        return json_schema


Sector = Annotated[Ref, _Terms("sectors")]
MemberType = Annotated[Ref, _Terms("member_types")]
Role = Annotated[Ref, _Terms("roles")]
Category = Annotated[Ref, _Terms("information_categories")]
Purpose = Annotated[Ref, _Terms("purposes")]
ConsentForm = Annotated[Ref, _Terms("consent_forms")]
BasisKind = Annotated[Ref, _Terms("basis_kinds")]
TransitionKind = Annotated[Ref, _Terms("transition_kinds")]
DeclineReason = Annotated[Ref, _Terms("referral_decline_reasons")]
RetractionReason = Annotated[Ref, _Terms("retraction_reasons")]


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Unique = AfterValidator(_dedupe)
Refs = Annotated[list[Ref], Field(max_length=100), Unique]
Categories = Annotated[list[Category], Field(min_length=1, max_length=50), Unique]
Purposes = Annotated[list[Purpose], Field(min_length=1, max_length=50), Unique]


@dataclass(frozen=True)
class Draft:
    """An event about to be recorded: its class, valid time and payload, without envelope."""

    event_class: type[ev.JourneyEvent]
    occurred_at: datetime
    fields: dict[str, Any]
    personal: dict[str, Any]


class Command(BaseModel):
    """Base of all commands: when it happened, and an optional free-text note (personal)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    EVENT: ClassVar[type[ev.JourneyEvent]]

    occurred_at: Moment
    note: Text | None = None

    def drafts(self) -> list[Draft]:
        """The events this command records, in order."""
        data = self.model_dump(exclude={"occurred_at"})
        personal_names = self.EVENT.PERSONAL_FIELDS
        personal = {
            name: data.pop(name)
            for name in personal_names
            if name in data and data[name] not in (None, [], {})
        }
        for name in personal_names:
            data.pop(name, None)
        return [Draft(self.EVENT, self.occurred_at, data, personal)]


class RegisterClient(Command):
    EVENT = ev.ClientRegistered

    client_ref: Ref
    preferred_language: LanguageTag
    interpreter_needed: bool = False
    household_ref: Ref | None = None
    guardians: Annotated[list[Ref], Field(max_length=10)] = []
    name: Name | None = None
    contact: Text | None = None
    guardian_names: Annotated[dict[Ref, Name], Field(max_length=10)] = {}

    @model_validator(mode="after")
    def _guardian_names_are_for_guardians(self) -> Self:
        unknown = set(self.guardian_names) - set(self.guardians)
        if unknown:
            raise ValueError(
                f"guardian_names names parties that are not guardians: {sorted(unknown)}"
            )
        return self


class MakeReferral(Command):
    EVENT = ev.ReferralMade

    referral_id: Ref
    from_org: Ref
    to_org: Ref
    to_sector: Sector
    service: Ref
    reason: Text | None = None


class AcceptReferral(Command):
    EVENT = ev.ReferralAccepted

    referral_id: Ref


class DeclineReferral(Command):
    EVENT = ev.ReferralDeclined

    referral_id: Ref
    decline_reason: DeclineReason


class GrantConsent(Command):
    """``valid_from`` defaults to ``occurred_at``; ``valid_until`` is exclusive (none: no end)."""

    EVENT = ev.ConsentGranted

    consent_id: Ref
    grantor: Ref = "client"
    recipient_orgs: Refs = []
    recipient_parties: Refs = []
    categories: Categories
    purposes: Purposes
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    form: ConsentForm
    evidence_ref: Ref | None = None

    @model_validator(mode="after")
    def _scope_is_sound(self) -> Self:
        if not self.recipient_orgs and not self.recipient_parties:
            raise ValueError("a consent must name at least one recipient organisation or party")
        start = self.valid_from or self.occurred_at
        if self.valid_until is not None and self.valid_until <= start:
            raise ValueError("valid_until must be after valid_from")
        if self.valid_from is None:
            object.__setattr__(self, "valid_from", self.occurred_at)
        return self


class WithdrawConsent(Command):
    EVENT = ev.ConsentWithdrawn

    consent_id: Ref


class RegisterDenial(Command):
    """The client forbids ``categories`` to the listed recipients, or to everyone if none."""

    EVENT = ev.DisclosureDenialRegistered

    denial_id: Ref
    categories: Categories
    recipient_orgs: Refs = []
    recipient_parties: Refs = []


class LiftDenial(Command):
    EVENT = ev.DisclosureDenialLifted

    denial_id: Ref


class AddTeamMember(Command):
    EVENT = ev.TeamMemberAdded

    party_id: Ref
    member_type: MemberType
    role: Role
    organisation: Ref
    sector: Sector
    display_name: Name | None = None
    contact: Text | None = None


class ChangeTeamMemberRole(Command):
    EVENT = ev.TeamMemberRoleChanged

    party_id: Ref
    role: Role


class RemoveTeamMember(Command):
    EVENT = ev.TeamMemberRemoved

    party_id: Ref


class AssignCoordinator(Command):
    EVENT = ev.CoordinatorAssigned

    party_id: Ref


class ReleaseCoordinator(Command):
    EVENT = ev.CoordinatorReleased

    party_id: Ref


class StartService(Command):
    EVENT = ev.ServiceStarted

    episode_id: Ref
    service: Ref
    sector: Sector
    provider_org: Ref
    responsible_party: Ref | None = None


class EndService(Command):
    EVENT = ev.ServiceEnded

    episode_id: Ref


class RecordTransition(Command):
    EVENT = ev.TransitionRecorded

    transition_id: Ref
    kind: TransitionKind
    from_service: Ref | None = None
    from_org: Ref | None = None
    to_service: Ref | None = None
    to_org: Ref | None = None

    @model_validator(mode="after")
    def _has_a_destination(self) -> Self:
        if self.to_service is None and self.to_org is None:
            raise ValueError("a transition needs to_service or to_org")
        return self


class _DisclosureBasis(BaseModel):
    """Shared by disclosures and meetings: what was disclosed, why, and on which basis."""

    categories: Categories
    purpose: Purpose
    basis: BasisKind
    consent_id: Ref | None = None
    statute: Ref | None = None

    @model_validator(mode="after")
    def _basis_fields_match(self) -> Self:
        if self.basis != "consent" and self.consent_id is not None:
            raise ValueError("consent_id is only for basis 'consent'")
        if self.basis != "statutory" and self.statute is not None:
            raise ValueError("statute is only for basis 'statutory'")
        return self


class RecordInformationShared(_DisclosureBasis, Command):
    """Information shared. It is recorded even without a lawful basis; audits flag it."""

    EVENT = ev.InformationShared

    disclosure_id: Ref
    from_party: Ref | None = None
    from_org: Ref | None = None
    to_party: Ref | None = None
    to_org: Ref | None = None
    channel: Ref | None = None
    transition_id: Ref | None = None

    @model_validator(mode="after")
    def _has_both_ends(self) -> Self:
        if self.from_party is None and self.from_org is None:
            raise ValueError("a disclosure needs from_party or from_org")
        if self.to_party is None and self.to_org is None:
            raise ValueError("a disclosure needs to_party or to_org")
        return self


class RecordMeeting(_DisclosureBasis, Command):
    """A meeting discloses ``categories`` among its participants."""

    EVENT = ev.MeetingHeld

    meeting_id: Ref
    participants: Annotated[list[Ref], Field(min_length=1, max_length=100), Unique]
    client_present: bool


class AgreePlan(Command):
    EVENT = ev.PlanAgreed

    goals: Annotated[list[Text], Field(min_length=1, max_length=50)]
    responsible_parties: Refs = []
    review_on: Moment | None = None


class RecordClientWish(Command):
    """The client's own wish about one person (a team member by ``about_party``, or someone
    not on the team by ``about_name``): ``wishes`` replaces what they wished about that person
    before (empty: no wish)."""

    EVENT = ev.ClientWishRecorded

    about_party: Ref | None = None
    about_name: Name | None = None
    wishes: Annotated[list[Literal["matters_to_me", "want_on_team"]], Field(max_length=2), Unique]

    @model_validator(mode="after")
    def _about_someone(self) -> Self:
        if (self.about_party is None) == (self.about_name is None):
            raise ValueError("a wish is about one person: give about_party or about_name")
        return self


class CloseJourney(Command):
    EVENT = ev.JourneyClosed


class ReopenJourney(Command):
    EVENT = ev.JourneyReopened


class RetractEvent(Command):
    """Retract an event entered in error; with ``replacement``, a correction in one atomic save."""

    EVENT = ev.EventRetracted

    target_event_id: UUID
    reason: RetractionReason
    replacement: Command | None = None

    @model_validator(mode="after")
    def _replacement_is_a_fact(self) -> Self:
        if isinstance(self.replacement, RetractEvent):
            raise ValueError("a replacement cannot itself be a retraction")
        if self.replacement is not None and type(self.replacement) is Command:
            raise ValueError("replacement must be a concrete command")
        return self

    def drafts(self) -> list[Draft]:
        personal = {"note": self.note} if self.note else {}
        retraction = Draft(
            self.EVENT,
            self.occurred_at,
            {"target_event_id": self.target_event_id, "reason": self.reason},
            personal,
        )
        extra = self.replacement.drafts() if self.replacement is not None else []
        return [retraction, *extra]


COMMAND_TYPES: dict[str, type[Command]] = {
    cls.EVENT.KIND: cls
    for cls in (
        RegisterClient,
        MakeReferral,
        AcceptReferral,
        DeclineReferral,
        GrantConsent,
        WithdrawConsent,
        RegisterDenial,
        LiftDenial,
        AddTeamMember,
        ChangeTeamMemberRole,
        RemoveTeamMember,
        AssignCoordinator,
        ReleaseCoordinator,
        StartService,
        EndService,
        RecordTransition,
        RecordInformationShared,
        RecordMeeting,
        AgreePlan,
        CloseJourney,
        ReopenJourney,
        RetractEvent,
    )
}
"""Each command class by the ``KIND`` of the event it records."""
