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

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from operator import itemgetter
from sys import intern
from typing import Any, NamedTuple, TypeVar, cast

from domain import events as ev

__all__ = [
    "PSEUDONYM_LABELS",
    "EventLog",
    "Fact",
    "LogBuilder",
    "LoggedEvent",
    "StateFact",
    "UnreadableStateError",
    "effective_log",
    "fact_fields",
    "fact_of",
    "fact_of_state",
    "journey_log",
    "logged_fields",
    "read_state",
]

T = TypeVar("T")

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


def _as_is(kind: str, ident: str) -> str:
    return ident


class UnreadableStateError(Exception):
    """A stored state :func:`fact_of_state` does not know how to read: decode the event instead."""


Get = Callable[[str], Any]
"""Reads one of an event's own fields by name (from the event object, or its stored state)."""
Pseudonym = Callable[[str, str], str]
_Parts = dict[str, Any]
"""What a fact keeps beyond the envelope: sector, ref, link, detail, links."""


def _orgs(*pairs: tuple[str | None, str]) -> list[Link]:
    """Organisation links for the (organisation, qualifier) pairs whose organisation is set."""
    return [("organisation", org, qualifier) for org, qualifier in pairs if org]


def _retracted(get: Get, pseudonym: Pseudonym) -> _Parts:
    return {"link": str(get("target_event_id"))}  # an event id: Polku's own


def _referral_made(get: Get, pseudonym: Pseudonym) -> _Parts:
    links: list[Link] = [("organisation", get("from_org"), "referrer")]
    links += [("organisation", get("to_org"), "receiver")]
    referral = pseudonym("referral", get("referral_id"))
    return {"sector": get("to_sector"), "ref": referral, "links": links}


def _referral_answered(get: Get, pseudonym: Pseudonym) -> _Parts:
    return {"ref": pseudonym("referral", get("referral_id"))}


def _consent_granted(get: Get, pseudonym: Pseudonym) -> _Parts:
    consent = pseudonym("consent", get("consent_id"))
    links: list[Link] = [("consent", consent, "granted")]
    links += [("organisation", o, "consent recipient") for o in get("recipient_orgs")]
    links += [
        ("party", pseudonym("party", p), "consent recipient") for p in get("recipient_parties")
    ]
    return {"ref": consent, "detail": get("form"), "links": links}


def _consent_withdrawn(get: Get, pseudonym: Pseudonym) -> _Parts:
    consent = pseudonym("consent", get("consent_id"))
    return {"ref": consent, "links": [("consent", consent, "withdrawn")]}


def _member_added(get: Get, pseudonym: Pseudonym) -> _Parts:
    links = [
        ("party", pseudonym("party", get("party_id")), "member"),
        ("organisation", get("organisation"), "member's"),
    ]
    return {
        "sector": get("sector"),
        "ref": pseudonym("party", get("party_id")),
        "detail": get("member_type"),
        "links": links,
    }


def _member(get: Get, pseudonym: Pseudonym) -> _Parts:
    member = pseudonym("party", get("party_id"))
    return {"ref": member, "links": (("party", member, "member"),)}


def _coordinator(get: Get, pseudonym: Pseudonym) -> _Parts:
    coordinator = pseudonym("party", get("party_id"))
    return {"ref": coordinator, "links": [("party", coordinator, "coordinator")]}


def _service_started(get: Get, pseudonym: Pseudonym) -> _Parts:
    links = _orgs((get("provider_org"), "provider"))
    responsible = get("responsible_party")
    if responsible:
        links.append(("party", pseudonym("party", responsible), "responsible"))
    return {"sector": get("sector"), "ref": pseudonym("episode", get("episode_id")), "links": links}


def _service_ended(get: Get, pseudonym: Pseudonym) -> _Parts:
    return {"ref": pseudonym("episode", get("episode_id"))}


def _transition(get: Get, pseudonym: Pseudonym) -> _Parts:
    links = _orgs((get("from_org"), "from"), (get("to_org"), "to"))
    transition = pseudonym("transition", get("transition_id"))
    return {"ref": transition, "detail": get("kind"), "links": links}


def _shared(get: Get, pseudonym: Pseudonym) -> _Parts:
    links = _orgs((get("from_org"), "sender"), (get("to_org"), "recipient"))
    links += [
        ("party", pseudonym("party", p), q)
        for p, q in ((get("from_party"), "sender"), (get("to_party"), "recipient"))
        if p
    ]
    consent_id = get("consent_id")
    if consent_id:
        links.append(("consent", pseudonym("consent", consent_id), "relied on"))
    transition_id = get("transition_id")
    handover = transition_id and pseudonym("transition", transition_id)
    return {"ref": get("to_org"), "link": handover, "detail": get("basis"), "links": links}


def _meeting(get: Get, pseudonym: Pseudonym) -> _Parts:
    links = [("party", pseudonym("party", p), "participant") for p in get("participants")]
    consent_id = get("consent_id")
    if consent_id:
        links.append(("consent", pseudonym("consent", consent_id), "relied on"))
    return {"detail": get("basis"), "links": links}


def _plan(get: Get, pseudonym: Pseudonym) -> _Parts:
    links = [("party", pseudonym("party", p), "responsible") for p in get("responsible_parties")]
    return {"links": links}


def _denial(get: Get, pseudonym: Pseudonym) -> _Parts:
    links: list[Link] = [("organisation", o, "denied") for o in get("recipient_orgs")]
    links += [("party", pseudonym("party", p), "denied") for p in get("recipient_parties")]
    return {"ref": pseudonym("denial", get("denial_id")), "links": links}


def _envelope_only(get: Get, pseudonym: Pseudonym) -> _Parts:
    return {}


_ERASED = None
_PARTS: dict[type[ev.JourneyEvent], Callable[[Get, Pseudonym], _Parts] | None] = {
    ev.EventRetracted: _retracted,
    ev.PersonalDataErased: _ERASED,
    ev.ReferralMade: _referral_made,
    ev.ReferralAccepted: _referral_answered,
    ev.ReferralDeclined: _referral_answered,
    ev.ConsentGranted: _consent_granted,
    ev.ConsentWithdrawn: _consent_withdrawn,
    ev.TeamMemberAdded: _member_added,
    ev.TeamMemberRoleChanged: _member,
    ev.TeamMemberRemoved: _member,
    ev.CoordinatorAssigned: _coordinator,
    ev.CoordinatorReleased: _coordinator,
    ev.ServiceStarted: _service_started,
    ev.ServiceEnded: _service_ended,
    ev.TransitionRecorded: _transition,
    ev.InformationShared: _shared,
    ev.MeetingHeld: _meeting,
    ev.PlanAgreed: _plan,
    ev.DisclosureDenialRegistered: _denial,
}
"""How each kind of event becomes a fact (``None``: it does not, an erasure); any other
journey event keeps only its envelope."""


def _parts_of(cls: type[ev.JourneyEvent]) -> Callable[[Get, Pseudonym], _Parts] | None:
    for base in cls.__mro__:
        if base in _PARTS:
            return _PARTS[base]
    return _envelope_only


def fact_of(event: ev.JourneyEvent, position: int, pseudonym: Pseudonym = _as_is) -> Fact | None:
    """The fact of ``event``; ``None`` for an event the log does not keep (an erasure).

    ``pseudonym(kind, identifier)`` turns every identifier a caller chose — party ids, consent,
    referral, episode, transition and denial ids — into what the log keeps (the planners' read
    model passes a keyed one, so none of them, which may name a person, is stored there)."""
    parts = _parts_of(type(event))
    if parts is None:
        return None
    kept = parts(partial(getattr, event), pseudonym)
    return Fact(
        position,
        str(event.originator_id),
        str(event.event_id),
        type(event).__name__,
        event.occurred_at,
        kept.get("sector"),
        kept.get("ref"),
        kept.get("link"),
        kept.get("detail"),
        tuple(kept.get("links", ())),
    )


# -- the fast path: a fact straight from an event's stored JSON state ---------------------------

_KNOWN: dict[str, type[ev.JourneyEvent]] = {
    f"{cls.__module__}:{cls.__qualname__}": cls for cls in ev.EVENT_TYPES.values()
}
"""The event classes by the topic the store records them under (no renamed or aliased topic:
those are read the normal way)."""
_HEX = re.compile(r"[0-9a-f]{32}")
_UUID_HEX = "uuid_hex"
_DATETIME = "datetime_iso"


def _uuid_text(value: Any) -> str:
    """The text of a UUID as the library's transcoder stored it (``{"_type_": "uuid_hex"…}``),
    in the hyphenated form ``str(UUID)`` gives, without building the UUID."""
    if type(value) is not dict or len(value) != 2 or value.get("_type_") != _UUID_HEX:
        raise UnreadableStateError
    h = value.get("_data_")
    if type(h) is not str or _HEX.fullmatch(h) is None:
        raise UnreadableStateError
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _plain(state: Mapping[str, Any], name: str) -> Any:
    """A field of the stored state whose JSON value is the field's value itself: text, null, or
    a list of texts. Anything else (a transcoded object, a number…) is not guessed at."""
    try:
        value = state[name]
    except KeyError:
        raise UnreadableStateError from None
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is list and all(type(item) is str for item in value):
        return value
    raise UnreadableStateError


def _from_state(state: Mapping[str, Any], name: str) -> Any:
    if name == "target_event_id":
        return _uuid_text(state.get(name))
    return _plain(state, name)


class StateFact(NamedTuple):
    """What :func:`read_state` reads of a stored event: a :class:`Fact` but for its position and
    journey, with the valid time as the stored text."""

    kind: str
    event_id: str
    occurred_at: str
    """``occurred_at`` as stored: ISO 8601 text with an offset."""
    sector: str | None
    ref: str | None
    link: str | None
    detail: str | None
    links: tuple[Link, ...]


_READERS: dict[str, tuple[str, Callable[[Get, Pseudonym], _Parts] | None]] = {
    topic: (cls.__name__, _parts_of(cls)) for topic, cls in _KNOWN.items()
}


def read_state(
    topic: str, state: Mapping[str, Any], pseudonym: Pseudonym = _as_is
) -> StateFact | None:
    """What :func:`fact_of` keeps of the event stored under ``topic`` with JSON ``state``
    (parsed, the library's transcodings not applied; its personal part left as stored), read
    without building the event; ``None`` for an event the log does not keep (an erasure).

    Raises :class:`UnreadableStateError` for a topic or a state shape this does not know (an
    unknown kind, a class version to upcast, a field of an unexpected type): the caller decodes
    that event the normal way."""
    reader = _READERS.get(topic)
    if reader is None or "class_version" in state:
        raise UnreadableStateError
    kind, parts = reader
    if parts is None:
        return None
    occurred = state.get("occurred_at")
    if type(occurred) is not dict or len(occurred) != 2 or occurred.get("_type_") != _DATETIME:
        raise UnreadableStateError
    at = occurred.get("_data_")
    if type(at) is not str:
        raise UnreadableStateError
    kept = parts(partial(_from_state, state), pseudonym)
    return StateFact(
        kind,
        _uuid_text(state.get("event_id")),
        at,
        kept.get("sector"),
        kept.get("ref"),
        kept.get("link"),
        kept.get("detail"),
        tuple(kept.get("links", ())),
    )


def fact_of_state(
    topic: str,
    state: Mapping[str, Any],
    journey: str,
    position: int,
    pseudonym: Pseudonym = _as_is,
) -> Fact | None:
    """The fact :func:`fact_of` gives for the event stored under ``topic`` with JSON ``state``,
    read without building the event (:func:`read_state`); ``journey`` is the event's
    originator id as text. Raises :class:`UnreadableStateError` as :func:`read_state` does."""
    read = read_state(topic, state, pseudonym)
    if read is None:
        return None
    try:
        occurred_at = datetime.fromisoformat(read.occurred_at)
    except ValueError:
        raise UnreadableStateError from None
    return Fact(position, journey, read.event_id, read.kind, occurred_at, *read[3:])


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


logged_fields = cast(
    "Callable[[tuple[Any, ...]], LoggedEvent]", partial(tuple.__new__, LoggedEvent)
)
"""A logged event from a tuple of its fields, without the constructor's keyword handling."""

fact_fields = cast("Callable[[tuple[Any, ...]], Fact]", partial(tuple.__new__, Fact))
"""A fact from a tuple of its fields, without the constructor's keyword handling."""


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
    in_record_order = sorted(facts, key=_POSITION)
    retracted = {f.link for f in in_record_order if f.kind == "EventRetracted"}
    kept = [
        f for f in in_record_order if f.kind != "EventRetracted" and f.event_id not in retracted
    ]
    kept.sort(key=_OCCURRED_AT)  # stable: ties keep record order
    episodes = {f.ref: f.sector for f in kept if f.kind == "ServiceStarted"}
    pseudonyms = _Pseudonyms(
        {f.ref: f.detail for f in in_record_order if f.kind == "TeamMemberAdded" and f.ref}
    )
    # A journey's facts share a few link lists (the organisations and parties on its team), so
    # each distinct list is pseudonymised once; a list's stand-ins never change once given.
    linked: dict[tuple[Link, ...], tuple[Link, ...]] = {}
    out = []
    for f in kept:
        sector = episodes.get(f.ref) if f.kind == "ServiceEnded" else f.sector
        links = linked.get(f.links)
        if links is None:
            links = linked[f.links] = pseudonyms.links(f.links)
        out.append(logged_fields((f, _activity_of(f.kind, sector, f.detail), sector, links)))
    return out


_POSITION = itemgetter(0)
"""A fact's position (its first field), as a sort key."""
_OCCURRED_AT = itemgetter(4)
"""A fact's valid time (its fifth field), as a sort key."""


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


_ACTIVITIES: dict[tuple[str, str | None, str | None], str] = {}
"""Activity names by (kind, sector, detail): vocabulary terms only, so a few hundred at most."""


def _activity_of(kind: str, sector: str | None, detail: str | None) -> str:
    """The activity name of a fact of ``kind`` (``sector``: the fact's, or for a service end
    the ended episode's), worked out once per distinct triple: one copy of each name."""
    key = (kind, sector, detail)
    name = _ACTIVITIES.get(key)
    if name is None:
        if len(_ACTIVITIES) >= 10_000:  # never with vocabulary terms; a bound all the same
            _ACTIVITIES.clear()
        match kind:
            case "ReferralMade":
                name = f"referral to {sector}"
            case "ServiceStarted":
                name = f"service started: {sector}"
            case "ServiceEnded":
                name = f"service ended: {sector or 'unknown'}"
            case "TransitionRecorded":
                name = f"transition: {detail}"
            case _:
                name = _ACTIVITY.get(kind, kind)
        name = _ACTIVITIES[key] = intern(name)
    return name


@dataclass(frozen=True)
class EventLog:
    """The effective log of many journeys, journeys numbered in a stable order."""

    journeys: tuple[tuple[LoggedEvent, ...], ...]
    ids: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    """Each journey's id, by number, when whoever made the log knew them (else read from the
    journeys' first events: :meth:`journey_ids`)."""
    grown: tuple[tuple[str, ...], tuple[int, ...]] | None = field(
        default=None, compare=False, repr=False
    )
    """When this log is an earlier one with journeys added: that log's :attr:`ids`, and the
    numbers in this log of the journeys added (ascending). Whoever kept something per journey
    of the earlier log can then line its journeys up with this one's without looking them up
    (:meth:`aligned`)."""

    def aligned(self, ids: tuple[str, ...] | None, journeys: Sequence[T]) -> list[T | None] | None:
        """``journeys`` (one per journey of a log whose ids were ``ids``) lined up with this
        log's journeys, ``None`` where this log added one; ``None`` if this log is not that log
        or that log with journeys added."""
        if ids is None or self.ids is None:
            return None
        if self.ids is ids:
            return list(journeys)
        if self.grown is None or self.grown[0] is not ids:
            return None
        lined: list[T | None] = list(journeys)
        for number in self.grown[1]:
            lined.insert(number, None)
        return lined

    @classmethod
    def of(cls, facts: Iterable[Fact]) -> EventLog:
        log = effective_log(facts)
        keys = sorted(log)
        return cls(tuple(tuple(log[key]) for key in keys), tuple(keys))

    def journey_ids(self) -> Sequence[str]:
        """Each journey's id, by number."""
        if self.ids is not None:
            return self.ids
        return [journey[0].fact.journey for journey in self.journeys]

    def __len__(self) -> int:
        return sum(len(j) for j in self.journeys)


class LogBuilder:
    """The effective log kept up to date as facts arrive: only the journeys that new facts
    touch are worked out again (facts are append-only, so nothing else can change). An
    untouched journey keeps its tuple from one log to the next, and while no new journey
    arrives the logs share one tuple of ids: that is what lets the analytics engine and the
    record keys reuse what they worked out for the last log (``pathways/analytics.py``)."""

    INSERT_AT_MOST = 256
    """New journeys put in one by one at most (each insert moves the journeys after it); more,
    or more than an eighth of the log, and the order is made again."""

    def __init__(self) -> None:
        self._facts: dict[str, list[Fact]] = {}
        self._order: list[str] = []
        """The journeys' ids in order (kept sorted as new journeys arrive)."""
        self._journeys: list[tuple[LoggedEvent, ...]] = []
        """Each journey's effective events, in the order of :attr:`_order`."""
        self._ids: tuple[str, ...] | None = ()
        self._added: set[str] | None = set()
        """The journeys added since the last log was made (``None``: too many to say)."""
        self._log: EventLog | None = EventLog((), ())
        self._log_made: EventLog | None = self._log
        """The last log made (what the next grows from)."""

    @classmethod
    def loaded(
        cls,
        ids: list[str],
        facts: list[list[Fact]],
        journeys: list[tuple[LoggedEvent, ...]],
    ) -> LogBuilder:
        """A builder holding journeys already worked out (``ids`` in order, each journey's
        facts in record order and its effective events), as one that had been given those
        facts would hold them: what a log's image holds (``pathways/logimage.py``)."""
        if not len(ids) == len(facts) == len(journeys):
            raise ValueError("as many ids, fact lists and journeys are needed")
        builder = cls()
        builder._facts = dict(zip(ids, facts, strict=True))
        builder._order = ids
        builder._journeys = journeys
        builder._ids = tuple(ids)
        builder._log = builder._log_made = EventLog(tuple(journeys), builder._ids)
        return builder

    def facts_by_journey(self) -> dict[str, list[Fact]]:
        """Each journey's facts in record order, as kept (lists that only ever grow: a caller
        that notes their lengths can read them later, while facts arrive)."""
        return self._facts

    def add(self, facts: Iterable[Fact]) -> None:
        known = self._facts
        touched: set[str] = set()
        new: set[str] = set()
        for fact in facts:
            found = known.get(fact.journey)
            if found is None:
                found = known[fact.journey] = []
                new.add(fact.journey)
            found.append(fact)
            touched.add(fact.journey)
        if not touched:
            return
        worked = {journey: tuple(journey_log(known[journey])) for journey in touched}
        order, journeys = self._order, self._journeys
        if len(new) > min(self.INSERT_AT_MOST, len(order) // 8):
            kept = dict(zip(order, journeys, strict=True)) | worked
            self._order = sorted(kept)
            self._journeys = [kept[journey] for journey in self._order]
            self._added = None
        else:
            if self._added is not None:
                self._added |= new
            for journey in sorted(new):
                at = bisect_left(order, journey)
                order.insert(at, journey)
                journeys.insert(at, worked[journey])
            for journey in touched - new:
                journeys[bisect_left(order, journey)] = worked[journey]
        if new:
            self._ids = None
        self._log = None

    def log(self) -> EventLog:
        if self._log is None:
            grown = None
            if self._ids is None:
                before = None if self._log_made is None else self._log_made.ids
                order = self._order
                self._ids = tuple(order)
                if self._added is not None and before is not None:
                    numbers = sorted(bisect_left(order, journey) for journey in self._added)
                    grown = (before, tuple(numbers))
                self._added = set()
            self._log = self._log_made = EventLog(tuple(self._journeys), self._ids, grown)
        return self._log
