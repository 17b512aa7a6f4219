"""The planners' event log: a pseudonymous fact per recorded event, and the effective log.

A :class:`Fact` keeps what analytics and process-mining exports need of one event — its kind,
valid time, record position, sector and the identifiers it links — and nothing personal: no
name, no contact detail, no free text (reasons, notes and plan goals are left behind). Facts are
kept per event as recorded, retractions included, so a read model can append them in batches;
:func:`effective_log` then drops what was retracted and orders each journey by valid time,
exactly as :func:`domain.timeline.effective_events` and :func:`~domain.timeline.valid_order` do
for one journey (ties keep record order).

Journeys are keyed by an opaque (keyed) id; exports number them afresh for every release, so
nothing derived from a client ref leaves this package. Every party who is not a professional on
the client's team is replaced by a per-journey pseudonym of their type (``informal-1``,
``outside-1``…), as are consent identifiers, which callers choose freely.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from sys import intern
from typing import NamedTuple

from domain import events as ev

__all__ = [
    "PSEUDONYM_LABELS",
    "EventLog",
    "Fact",
    "LogBuilder",
    "LoggedEvent",
    "effective_log",
    "fact_of",
    "journey_log",
]

Link = tuple[str, str, str]
"""An object an event touches: (object type, identifier, qualifier) — OCEL's qualified link."""


class Fact(NamedTuple):
    """One recorded event, as the planners' log keeps it."""

    position: int
    """The event's notification id: record order across all journeys."""
    journey: str
    event_id: str
    kind: str
    """The event class name, e.g. ``ServiceStarted``."""
    occurred_at: datetime
    sector: str | None = None
    """Sector of a service episode, a referral's receiving sector or a member's sector."""
    ref: str | None = None
    """The identifier the event is about: episode, referral, transition, consent, party…"""
    link: str | None = None
    """A second identifier: a retraction's target event, a disclosure's transition."""
    detail: str | None = None
    """A vocabulary term: transition kind, member type, disclosure basis."""
    links: tuple[Link, ...] = ()


def _orgs(*pairs: tuple[str | None, str]) -> list[Link]:
    """Organisation links for the (organisation, qualifier) pairs whose organisation is set."""
    return [("organisation", org, qualifier) for org, qualifier in pairs if org]


def _fact(
    event: ev.JourneyEvent,
    position: int,
    *,
    sector: str | None = None,
    ref: str | None = None,
    link: str | None = None,
    detail: str | None = None,
    links: Iterable[Link] = (),
) -> Fact:
    return Fact(
        position,
        str(event.originator_id),
        str(event.event_id),
        type(event).__name__,
        event.occurred_at,
        sector,
        ref,
        link,
        detail,
        tuple(links),
    )


def _as_is(kind: str, ident: str) -> str:
    return ident


def fact_of(
    event: ev.JourneyEvent, position: int, pseudonym: Callable[[str, str], str] = _as_is
) -> Fact | None:
    """The fact of ``event``; ``None`` for an event the log does not keep (an erasure).

    ``pseudonym(kind, identifier)`` turns every identifier a caller chose — party ids, consent,
    referral, episode, transition and denial ids — into what the log keeps (the planners' read
    model passes a keyed one, so none of them, which may name a person, is stored there)."""
    links: list[Link] = []
    fact = partial(_fact, event, position)
    party = partial(pseudonym, "party")
    match event:
        case ev.EventRetracted():
            return fact(link=str(event.target_event_id))  # an event id: Polku's own
        case ev.PersonalDataErased():
            return None
        case ev.ReferralMade():
            links = [("organisation", event.from_org, "referrer")]
            links += [("organisation", event.to_org, "receiver")]
            referral = pseudonym("referral", event.referral_id)
            return fact(sector=event.to_sector, ref=referral, links=links)
        case ev.ReferralAccepted() | ev.ReferralDeclined():
            return fact(ref=pseudonym("referral", event.referral_id))
        case ev.ConsentGranted():
            consent = pseudonym("consent", event.consent_id)
            links = [("consent", consent, "granted")]
            links += [("organisation", o, "consent recipient") for o in event.recipient_orgs]
            links += [("party", party(p), "consent recipient") for p in event.recipient_parties]
            return fact(ref=consent, detail=event.form, links=links)
        case ev.ConsentWithdrawn():
            consent = pseudonym("consent", event.consent_id)
            return fact(ref=consent, links=[("consent", consent, "withdrawn")])
        case ev.TeamMemberAdded():
            links = [
                ("party", party(event.party_id), "member"),
                ("organisation", event.organisation, "member's"),
            ]
            return fact(
                sector=event.sector,
                ref=party(event.party_id),
                detail=event.member_type,
                links=links,
            )
        case ev.TeamMemberRoleChanged() | ev.TeamMemberRemoved():
            member = party(event.party_id)
            return fact(ref=member, links=(("party", member, "member"),))
        case ev.CoordinatorAssigned() | ev.CoordinatorReleased():
            coordinator = party(event.party_id)
            return fact(ref=coordinator, links=[("party", coordinator, "coordinator")])
        case ev.ServiceStarted():
            links = _orgs((event.provider_org, "provider"))
            if event.responsible_party:
                links.append(("party", party(event.responsible_party), "responsible"))
            return fact(
                sector=event.sector, ref=pseudonym("episode", event.episode_id), links=links
            )
        case ev.ServiceEnded():
            return fact(ref=pseudonym("episode", event.episode_id))
        case ev.TransitionRecorded():
            links = _orgs((event.from_org, "from"), (event.to_org, "to"))
            transition = pseudonym("transition", event.transition_id)
            return fact(ref=transition, detail=event.kind, links=links)
        case ev.InformationShared():
            links = _orgs((event.from_org, "sender"), (event.to_org, "recipient"))
            links += [
                ("party", party(p), q)
                for p, q in ((event.from_party, "sender"), (event.to_party, "recipient"))
                if p
            ]
            if event.consent_id:
                links.append(("consent", pseudonym("consent", event.consent_id), "relied on"))
            handover = event.transition_id and pseudonym("transition", event.transition_id)
            return fact(ref=event.to_org, link=handover, detail=event.basis, links=links)
        case ev.MeetingHeld():
            links = [("party", party(p), "participant") for p in event.participants]
            if event.consent_id:
                links.append(("consent", pseudonym("consent", event.consent_id), "relied on"))
            return fact(detail=event.basis, links=links)
        case ev.PlanAgreed():
            links = [("party", party(p), "responsible") for p in event.responsible_parties]
            return fact(links=links)
        case ev.DisclosureDenialRegistered():
            links = [("organisation", o, "denied") for o in event.recipient_orgs]
            links += [("party", party(p), "denied") for p in event.recipient_parties]
            return fact(ref=pseudonym("denial", event.denial_id), links=links)
        case _:
            return fact()


_ACTIVITY = {
    "ClientRegistered": "client registered",
    "ReferralAccepted": "referral accepted",
    "ReferralDeclined": "referral declined",
    "ConsentGranted": "consent granted",
    "ConsentWithdrawn": "consent withdrawn",
    "DisclosureDenialRegistered": "disclosure denial registered",
    "DisclosureDenialLifted": "disclosure denial lifted",
    "TeamMemberAdded": "team member added",
    "TeamMemberRoleChanged": "team member's role changed",
    "TeamMemberRemoved": "team member removed",
    "CoordinatorAssigned": "coordinator assigned",
    "CoordinatorReleased": "coordinator released",
    "InformationShared": "information shared",
    "MeetingHeld": "meeting held",
    "PlanAgreed": "plan agreed",
    "JourneyClosed": "journey closed",
    "JourneyReopened": "journey reopened",
}


class LoggedEvent(NamedTuple):
    """An effective event of one journey, with its activity name (vocabulary terms only)."""

    fact: Fact
    activity: str
    sector: str | None
    """For service ends, the sector of the episode that ended."""
    links: tuple[Link, ...]
    """The fact's links, with informal-network parties and consents pseudonymised."""


def effective_log(facts: Iterable[Fact]) -> dict[str, list[LoggedEvent]]:
    """Each journey's effective events in valid-time order (ties keep record order): facts
    retracted by a retraction in the log are dropped, and retractions themselves are not
    events of the timeline."""
    by_journey: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        by_journey[fact.journey].append(fact)
    return {key: journey_log(journey) for key, journey in by_journey.items()}


def journey_log(facts: Sequence[Fact]) -> list[LoggedEvent]:
    """One journey's effective events, from all its facts (in any order)."""
    in_record_order = sorted(facts, key=lambda f: f.position)
    retracted = {f.link for f in in_record_order if f.kind == "EventRetracted"}
    kept = [
        f for f in in_record_order if f.kind != "EventRetracted" and f.event_id not in retracted
    ]
    kept.sort(key=lambda f: f.occurred_at)  # stable: ties keep record order
    episodes = {f.ref: f.sector for f in kept if f.kind == "ServiceStarted"}
    pseudonyms = _Pseudonyms(
        {f.ref: f.detail for f in in_record_order if f.kind == "TeamMemberAdded" and f.ref}
    )
    out = []
    for f in kept:
        sector = episodes.get(f.ref) if f.kind == "ServiceEnded" else f.sector
        activity = intern(_activity(f, sector))  # one copy of each name, not one per event
        out.append(LoggedEvent(f, activity, sector, pseudonyms.links(f.links)))
    return out


class _Pseudonyms:
    """Per-journey stand-ins for identifiers that may say something about the person: every
    party who is not a professional on the client's team (a relative, a neighbour, an employer
    contact, a volunteer, anyone outside the team) is named only by their type and a number
    (``informal-1``, ``employer-1``, ``outside-1``), and consents (named by the caller) likewise
    (``consent-1``). Professionals acting for an organisation keep their (keyed) party id."""

    def __init__(self, member_types: dict[str, str | None]) -> None:
        self.member_types = member_types
        self.given: dict[tuple[str, str], str] = {}

    def links(self, links: tuple[Link, ...]) -> tuple[Link, ...]:
        changed: list[Link] | None = None
        for i, (kind, ident, qualifier) in enumerate(links):
            name = self.name(kind, ident)
            if name != ident:
                changed = changed or list(links)
                changed[i] = (kind, name, qualifier)
        return links if changed is None else tuple(changed)

    def label(self, kind: str, ident: str) -> str | None:
        """The type a pseudonym is made of, or ``None`` for an identifier kept as it is."""
        if kind == "consent":
            return "consent"
        if kind != "party":
            return None
        member_type = self.member_types.get(ident, "outside") or "outside"
        return None if member_type == "professional" else member_type

    def name(self, kind: str, ident: str) -> str:
        label = self.label(kind, ident)
        if label is None:
            return ident
        key = (label, ident)
        if key not in self.given:
            self.given[key] = f"{label}-{sum(k[0] == label for k in self.given) + 1}"
        return self.given[key]


PSEUDONYM_LABELS = ("consent", "informal", "third_sector", "employer", "outside")
"""The prefixes of per-journey pseudonyms (exports make them global by their case)."""


def _activity(fact: Fact, sector: str | None) -> str:
    match fact.kind:
        case "ReferralMade":
            return f"referral to {fact.sector}"
        case "ServiceStarted":
            return f"service started: {fact.sector}"
        case "ServiceEnded":
            return f"service ended: {sector or 'unknown'}"
        case "TransitionRecorded":
            return f"transition: {fact.detail}"
        case kind:
            return _ACTIVITY.get(kind, kind)


@dataclass(frozen=True)
class EventLog:
    """The effective log of many journeys, journeys numbered in a stable order."""

    journeys: tuple[tuple[LoggedEvent, ...], ...]

    @classmethod
    def of(cls, facts: Iterable[Fact]) -> EventLog:
        log = effective_log(facts)
        return cls(tuple(tuple(log[key]) for key in sorted(log)))

    def __len__(self) -> int:
        return sum(len(j) for j in self.journeys)


class LogBuilder:
    """The effective log kept up to date as facts arrive: only the journeys that new facts
    touch are worked out again (facts are append-only, so nothing else can change)."""

    def __init__(self) -> None:
        self._facts: dict[str, list[Fact]] = defaultdict(list)
        self._logs: dict[str, tuple[LoggedEvent, ...]] = {}
        self._log: EventLog | None = EventLog(())

    def add(self, facts: Iterable[Fact]) -> None:
        touched = set()
        for fact in facts:
            self._facts[fact.journey].append(fact)
            touched.add(fact.journey)
        for journey in touched:
            self._logs[journey] = tuple(journey_log(self._facts[journey]))
        if touched:
            self._log = None

    def log(self) -> EventLog:
        if self._log is None:
            self._log = EventLog(tuple(self._logs[key] for key in sorted(self._logs)))
        return self._log
