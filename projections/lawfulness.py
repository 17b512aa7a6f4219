"""Whether a disclosure was lawful, judged against a timeline state at the moment it occurred.

The same judgement runs twice per disclosure in a view: with the facts recorded by the moment
the disclosure occurred ("then") and with the facts recorded at the view's ``known_at`` ("now").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from domain.events import InformationShared, MeetingHeld
from domain.timeline import TimelineState

__all__ = ["Reason", "Recipient", "Verdict", "judge", "recipients_of"]


class Reason(Enum):
    """Why a disclosure was not lawful. The value is a stable code; ``text`` is for people."""

    NO_BASIS = "no-basis"
    CONSENT_UNKNOWN = "consent-unknown"
    CONSENT_BACKDATED = "consent-backdated"
    CONSENT_WITHDRAWN = "consent-withdrawn"
    CONSENT_EXPIRED = "consent-expired"
    CONSENT_NOT_YET_VALID = "consent-not-yet-valid"
    RECIPIENT_NOT_NAMED = "recipient-not-named"
    RECIPIENT_NOT_ON_TEAM = "recipient-not-on-team"
    CATEGORY_NOT_NAMED = "category-not-named"
    PURPOSE_NOT_NAMED = "purpose-not-named"
    DENIAL_IN_FORCE = "denial-in-force"
    STATUTE_MISSING = "statute-missing"

    @property
    def code(self) -> str:
        return self.value

    @property
    def text(self) -> str:
        return _REASON_TEXT[self]


_REASON_TEXT = {
    Reason.NO_BASIS: "no lawful basis was given",
    Reason.CONSENT_UNKNOWN: "the consent relied on is not on record",
    Reason.CONSENT_BACKDATED: "the consent was recorded after the disclosure but dated before it",
    Reason.CONSENT_WITHDRAWN: "the consent had been withdrawn",
    Reason.CONSENT_EXPIRED: "the consent had expired",
    Reason.CONSENT_NOT_YET_VALID: "the consent was not yet valid",
    Reason.RECIPIENT_NOT_NAMED: "the consent does not name the recipient",
    Reason.RECIPIENT_NOT_ON_TEAM: "the recipient was not on the team and not named in the consent",
    Reason.CATEGORY_NOT_NAMED: "the consent does not name every category",
    Reason.PURPOSE_NOT_NAMED: "the consent does not name the purpose",
    Reason.DENIAL_IN_FORCE: "a denial registered by the client was in force",
    Reason.STATUTE_MISSING: "a statutory basis was given without a statute reference",
}


@dataclass(frozen=True)
class Verdict:
    lawful: bool
    reasons: tuple[Reason, ...] = ()
    relied_on: str | None = None
    """The consent id, statute reference or "client" the disclosure relied on."""


@dataclass(frozen=True)
class Recipient:
    party: str | None
    organisation: str | None


def recipients_of(event: InformationShared | MeetingHeld, state: TimelineState) -> list[Recipient]:
    """Who received the information. A party's organisation is taken from the team if not given."""

    def org_of(party: str | None) -> str | None:
        member = state.members.get(party) if party is not None else None
        return member.added.organisation if member is not None else None

    if isinstance(event, InformationShared):
        return [Recipient(event.to_party, event.to_org or org_of(event.to_party))]
    return [Recipient(p, org_of(p)) for p in event.participants]


def judge(
    event: InformationShared | MeetingHeld, recipient: Recipient, state: TimelineState
) -> Verdict:
    """Judge one disclosure to one recipient against ``state`` (the timeline when it occurred)."""
    basis = event.basis
    if basis == "client_self":
        return Verdict(True, relied_on="client")
    if basis == "statutory":
        if event.statute:
            return Verdict(True, relied_on=event.statute)
        return Verdict(False, (Reason.STATUTE_MISSING,))
    if basis != "consent":
        return Verdict(False, (Reason.NO_BASIS,))
    consent = state.consents.get(event.consent_id) if event.consent_id else None
    if consent is None:
        return Verdict(False, (Reason.CONSENT_UNKNOWN,), relied_on=event.consent_id)
    grant = consent.granted
    at = event.occurred_at
    reasons: list[Reason] = []
    if consent.withdrawn is not None:
        reasons.append(Reason.CONSENT_WITHDRAWN)
    elif at < grant.valid_from:
        reasons.append(Reason.CONSENT_NOT_YET_VALID)
    elif grant.valid_until is not None and at >= grant.valid_until:
        reasons.append(Reason.CONSENT_EXPIRED)
    named = (recipient.party is not None and recipient.party in grant.recipient_parties) or (
        recipient.organisation is not None and recipient.organisation in grant.recipient_orgs
    )
    if not named:
        reasons.append(Reason.RECIPIENT_NOT_NAMED)
        if recipient.party is None or recipient.party not in state.members:
            reasons.append(Reason.RECIPIENT_NOT_ON_TEAM)
    if not set(event.categories) <= set(grant.categories):
        reasons.append(Reason.CATEGORY_NOT_NAMED)
    if event.purpose not in grant.purposes:
        reasons.append(Reason.PURPOSE_NOT_NAMED)
    if any(
        denial.covers(category, recipient.party, recipient.organisation)
        for denial in state.denials.values()
        for category in event.categories
    ):
        reasons.append(Reason.DENIAL_IN_FORCE)
    return Verdict(not reasons, tuple(reasons), relied_on=grant.consent_id)
