"""``view(record, at, known_at)``: a journey at valid time ``at`` as recorded by ``known_at``.

The view is the fold of exactly those events that were recorded at or before ``known_at``, are
not retracted by a retraction recorded at or before it, and occurred at or before ``at``, applied
in ``occurred_at`` order with ties broken by record order (docs/architecture.md, "The two time
axes").
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import is_
from typing import Any, TypeVar
from uuid import UUID

from domain.events import (
    ClientRegistered,
    ConsentGranted,
    ConsentWithdrawn,
    DisclosureDenialLifted,
    DisclosureDenialRegistered,
    EventRetracted,
    InformationShared,
    JourneyEvent,
    MeetingHeld,
    PersonalDataErased,
    ReferralMade,
    ServiceStarted,
    TeamMemberAdded,
    TeamMemberRemoved,
)
from domain.journey import JourneyRecord
from domain.timeline import RECORD_EVENTS, TimelineState, Undo, fold, timeline_at, valid_order
from projections.lawfulness import (
    Recipient,
    Verdict,
    VerdictWord,
    backdated,
    combine,
    judge,
    recipients_of,
    worst,
)

__all__ = [
    "FOLDS",
    "CategoryKnowledge",
    "CategoryVerdict",
    "ConsentView",
    "CoordinatorView",
    "DenialView",
    "DisclosureView",
    "FoldMemo",
    "JourneyView",
    "KnowledgeView",
    "MemberView",
    "PlanView",
    "ReferralView",
    "ServiceView",
    "TransitionView",
    "fresh_view",
    "knowledge_of",
    "view",
]


@dataclass(frozen=True)
class MemberView:
    party_id: str
    display_name: str | None
    member_type: str
    role: str
    organisation: str
    sector: str
    since: datetime
    role_since: datetime
    is_coordinator: bool


@dataclass(frozen=True)
class CoordinatorView:
    party_id: str | None
    since: datetime | None
    """When this party became coordinator, or since when there has been none."""


@dataclass(frozen=True)
class ConsentView:
    consent_id: str
    event_id: UUID
    granted_at: datetime
    grantor: str
    recipient_orgs: tuple[str, ...]
    recipient_parties: tuple[str, ...]
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime | None
    form: str
    evidence_ref: str | None


@dataclass(frozen=True)
class DenialView:
    denial_id: str
    event_id: UUID
    since: datetime
    categories: tuple[str, ...]
    recipient_orgs: tuple[str, ...]
    recipient_parties: tuple[str, ...]


@dataclass(frozen=True)
class ReferralView:
    referral_id: str
    event_id: UUID
    made_at: datetime
    from_org: str
    to_org: str
    to_sector: str
    service: str


@dataclass(frozen=True)
class ServiceView:
    episode_id: str
    event_id: UUID
    started_at: datetime
    service: str
    sector: str
    provider_org: str
    responsible_party: str | None


@dataclass(frozen=True)
class TransitionView:
    transition_id: str
    event_id: UUID
    occurred_at: datetime
    kind: str
    from_service: str | None
    from_org: str | None
    to_service: str | None
    to_org: str | None


@dataclass(frozen=True)
class PlanView:
    event_id: UUID
    agreed_at: datetime
    goals: tuple[str, ...]
    responsible_parties: tuple[str, ...]
    review_on: datetime | None


@dataclass(frozen=True)
class CategoryVerdict:
    """How sharing one category of a disclosure with its recipient is judged, then and now."""

    category: str
    then: Verdict
    now: Verdict


@dataclass(frozen=True)
class DisclosureView:
    """One disclosure to one recipient, with its verdicts then and now per category
    (``verdicts``) and for the disclosure as a whole (``then``, ``now``: the worst word, every
    reason)."""

    disclosure_id: str
    event_id: UUID
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    from_party: str | None
    from_org: str | None
    to_party: str | None
    to_org: str | None
    categories: tuple[str, ...]
    purpose: str
    basis: str
    consent_id: str | None
    statute: str | None
    then: Verdict
    now: Verdict
    verdicts: tuple[CategoryVerdict, ...]

    def verdict(self, category: str) -> CategoryVerdict:
        return next(v for v in self.verdicts if v.category == category)


@dataclass(frozen=True)
class CategoryKnowledge:
    """One category a recipient had received: since when, through which disclosures, and the
    worst verdict of sharing *this category* with them, then and now."""

    category: str
    first_at: datetime
    disclosure_ids: tuple[str, ...]
    bases: tuple[str, ...]
    verdict_then: VerdictWord
    verdict_now: VerdictWord


@dataclass(frozen=True)
class KnowledgeView:
    """What one party or organisation had received, per information category."""

    recipient_kind: str
    recipient_id: str
    categories: tuple[CategoryKnowledge, ...]


@dataclass(frozen=True)
class JourneyView:
    client_ref: str
    journey_id: UUID
    at: datetime
    known_at: datetime
    known_version: int
    """How many events the record held at ``known_at``."""
    registered: bool
    closed: bool
    preferred_language: str | None
    interpreter_needed: bool
    team: tuple[MemberView, ...]
    coordinator: CoordinatorView
    consents: tuple[ConsentView, ...]
    denials: tuple[DenialView, ...]
    open_referrals: tuple[ReferralView, ...]
    active_services: tuple[ServiceView, ...]
    transitions: tuple[TransitionView, ...]
    plan: PlanView | None
    disclosures: tuple[DisclosureView, ...]
    knowledge: tuple[KnowledgeView, ...]


_AUTHORITY = (
    ClientRegistered,
    ConsentGranted,
    ConsentWithdrawn,
    DisclosureDenialRegistered,
    DisclosureDenialLifted,
    TeamMemberAdded,
    TeamMemberRemoved,
    ServiceStarted,
    ReferralMade,
)
"""The events a lawfulness judgement depends on (services and referrals tell a recipient's
sector, which decides whether a statutory right applies)."""


def view(
    record: JourneyRecord, at: datetime | None = None, known_at: datetime | None = None
) -> JourneyView:
    """The journey at valid time ``at`` as recorded by ``known_at`` (both default to now).

    A view that sees the whole record (``known_at`` at or after its last entry, ``at`` at or
    after the last thing that happened: every view at (now, now)) of a long journey comes from
    the fold this process keeps of it (:class:`FoldMemo`), moved on by only what was recorded
    since; any other view is folded afresh.
    """
    at, known_at = _moments(at, known_at)
    kept = FOLDS.view(record, at, known_at)
    return kept if kept is not None else fresh_view(record, at, known_at)


def view_and_timeline(
    record: JourneyRecord, at: datetime | None = None, known_at: datetime | None = None
) -> tuple[JourneyView, list[JourneyEvent]]:
    """:func:`view`, and the timeline it folded (what :func:`~domain.timeline.timeline_at`
    gives for its moments), from one look at the kept fold: an export needs both. An export's
    record is taken as held (its pages follow on the same record), so a long journey's fold is
    made by its first export, not at a second sighting, and that first page folds it once."""
    at, known_at = _moments(at, known_at)
    kept = FOLDS.look(
        record,
        at,
        known_at,
        lambda fold: (fold.answer(record, at, known_at), list(fold.timeline)),
        held=True,
    )
    if kept is not None:
        return kept
    return fresh_view(record, at, known_at), timeline_at(record.events, at, known_at)


def fresh_view(record: JourneyRecord, at: datetime, known_at: datetime) -> JourneyView:
    """:func:`view` folded from the first event, with nothing kept (the reference the kept
    folds are tested against)."""
    visible_count = bisect_right(record.events, known_at, key=_recorded_at)
    visible = record.events[:visible_count]
    timeline = timeline_at(record.events, at, known_at)
    then = _ThenJudge(visible)
    state = TimelineState()
    disclosures: list[DisclosureView] = []
    for event in timeline:
        state.apply(event)
        if isinstance(event, InformationShared | MeetingHeld):
            disclosures.extend(_judged(event, state, then))
    return _build(record, at, known_at, visible_count, state, disclosures)


T = TypeVar("T")

SIGHTINGS_KEPT = 10_000
"""Journeys whose last view is remembered (its length and a weak reference to its last event),
to tell a record held in memory from one read afresh."""

MEMO_MIN_EVENTS = 2_000
"""Journeys shorter than this are folded afresh for every view (a few milliseconds)."""
MEMO_MAX_EVENTS = 200_000
"""The events the kept folds of one process may cover together (about 650 bytes an event; the
setting ``POLKU_VIEW_FOLDS_MAX_EVENTS``); the fold used least recently is dropped first."""


def _erased(events: Sequence[JourneyEvent]) -> bool:
    return any(isinstance(e, PersonalDataErased) for e in events)


def _key(event: JourneyEvent) -> tuple[datetime, int]:
    return (event.occurred_at, event.originator_version)


def _occurred(event: JourneyEvent) -> datetime:
    return event.occurred_at


@dataclass(eq=False)
class _KeptFold:
    """One journey's whole timeline folded, with the undo record of each step and the
    disclosures judged at it, for the record ``events`` (the same event objects)."""

    events: tuple[JourneyEvent, ...] = ()
    timeline: list[JourneyEvent] = field(default_factory=list)
    undo: list[Undo] = field(default_factory=list)
    judged: list[list[DisclosureView]] = field(default_factory=list)
    on_timeline: dict[UUID, JourneyEvent] = field(default_factory=dict)
    state: TimelineState = field(default_factory=TimelineState)
    then: _ThenJudge | None = None
    disclosures: tuple[DisclosureView, ...] | None = None
    knowledge: tuple[KnowledgeView, ...] | None = None
    known_by: dict[tuple[str, str], KnowledgeView] = field(default_factory=dict)
    touched: set[tuple[str, str]] | None = None
    """The recipients whose knowledge is to be worked out again (None: all of them)."""
    consent_views: dict[UUID, ConsentView] = field(default_factory=dict)
    """The view of each consent granted (by the grant's event id), made once."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def extended_by(self, events: Sequence[JourneyEvent]) -> bool:
        """Whether ``events`` are the folded ones (the same objects) and maybe more, none of
        them an erasure (which rewrites what came before it)."""
        n = len(self.events)
        if n > len(events) or not all(map(is_, self.events, events[:n])):
            return False
        return n == 0 or not any(
            isinstance(e, RECORD_EVENTS) and not isinstance(e, EventRetracted) for e in events[n:]
        )

    def catch_up(self, record: JourneyRecord) -> bool:
        """Move the fold on to ``record``: only the steps from the earliest moment the new
        entries touch are taken back and taken again (their disclosures judged again). False,
        with nothing changed, when ``record`` does not extend the one folded."""
        events = record.events
        if not self.extended_by(events):
            return False
        new = events[len(self.events) :]
        if not new:
            return True
        add: dict[UUID, JourneyEvent] = {}
        remove: list[JourneyEvent] = []
        for e in new:
            if isinstance(e, EventRetracted):
                if add.pop(e.target_event_id, None) is None:
                    target = self.on_timeline.get(e.target_event_id)
                    if target is not None and all(t is not target for t in remove):
                        remove.append(target)
            elif not isinstance(e, RECORD_EVENTS):
                add[e.event_id] = e
        moments = [e.occurred_at for e in (*add.values(), *remove)]
        timeline = self.timeline
        start = min(
            (bisect_left(timeline, m, key=_occurred) for m in moments), default=len(timeline)
        )
        state = self.state
        for step in reversed(self.undo[start:]):
            state.undo(step)
        gone = {e.event_id for e in remove}
        tail = sorted(
            [e for e in timeline[start:] if e.event_id not in gone] + list(add.values()), key=_key
        )
        if self.then is None:
            self.then = _ThenJudge(events)
        else:
            self.then.extend(new)
        then = self.then
        applied: list[Undo] = []
        judged: list[list[DisclosureView]] = []
        for e in tail:
            applied.append(state.apply_logged(e))
            if isinstance(e, InformationShared | MeetingHeld):
                judged.append(_judged(e, state, then))
            else:
                judged.append([])
        if self.touched is not None:
            for views in (*self.judged[start:], *judged):
                for d in views:
                    self.touched.update(_recipient_keys(d))
        for e in remove:
            del self.on_timeline[e.event_id]
        self.on_timeline.update(add)
        timeline[start:] = tail
        self.undo[start:] = applied
        self.judged[start:] = judged
        self.events = events
        self.disclosures = self.knowledge = None
        return True

    def answer(self, record: JourneyRecord, at: datetime, known_at: datetime) -> JourneyView:
        if self.disclosures is None or self.knowledge is None:
            self.disclosures = tuple(d for views in self.judged for d in views)
            touched = self.touched
            received = _received(self.disclosures, touched)
            for key in received.keys() | (touched or set()):
                if key in received:
                    self.known_by[key] = _knowledge(key, received[key])
                else:
                    self.known_by.pop(key, None)
            self.touched = set()
            self.knowledge = tuple(self.known_by[key] for key in sorted(self.known_by))
        return _build(
            record,
            at,
            known_at,
            len(record.events),
            self.state,
            self.disclosures,
            self.knowledge,
            self._consent_view,
        )

    def _consent_view(self, granted: ConsentGranted) -> ConsentView:
        made = self.consent_views.get(granted.event_id)
        if made is None:
            made = self.consent_views[granted.event_id] = _consent_view(granted)
        return made


class FoldMemo:
    """The folds this process keeps of long journeys, so that a view at (now, now) costs what
    was recorded since the last one, not the journey's length.

    Each kept fold holds the timeline, the undo record of each step of the fold
    (:meth:`~domain.timeline.TimelineState.apply_logged`) and the disclosures judged at each
    step. A late entry or a retraction takes back only the steps from the moment it touches
    (the disclosures after it are judged again: "now" and "then" both), exactly as the journey
    aggregate moves its own timeline on. Kept folds are in memory only: they hold what the
    record they came from held. A fold is made at the second view of the same event objects
    (a record held in memory, as the service's cached journey is; one read afresh for a single
    request is folded afresh and not kept), and a record that is not an extension of the folded
    one (read afresh, erased: other event objects) gets a fold of its own only when it too is
    seen twice.
    """

    def __init__(
        self,
        *,
        min_events: int = MEMO_MIN_EVENTS,
        max_events: int = MEMO_MAX_EVENTS,
        sightings: int = 2,
    ) -> None:
        self._min = min_events
        self._max = max_events
        self._sightings = sightings
        self._folds: OrderedDict[UUID, _KeptFold] = OrderedDict()
        self._seen: OrderedDict[UUID, tuple[int, weakref.ref[JourneyEvent]]] = OrderedDict()
        self._lock = threading.Lock()

    def _seen_before(self, journey: UUID, events: Sequence[JourneyEvent]) -> bool:
        """Whether these very event objects (or the first of them) were seen by the last view
        of ``journey`` and are still alive: the record is held somewhere (the service's cached
        journey) and will be viewed again, so a fold is worth making. A record read afresh for
        one request is freed after it and is never folded for keeps. (Hold the lock.)"""
        if self._sightings <= 1:
            return True
        seen = self._seen.pop(journey, None)
        if seen is not None:
            n, last = seen
            if n <= len(events) and last() is events[n - 1]:
                return True
        self._seen[journey] = (len(events), weakref.ref(events[-1]))
        while len(self._seen) > SIGHTINGS_KEPT:
            self._seen.popitem(last=False)
        return False

    def view(self, record: JourneyRecord, at: datetime, known_at: datetime) -> JourneyView | None:
        """The view from the kept fold, or None when it is not one the fold answers (a short
        journey, or a moment before the record's end on either axis)."""
        return self.look(record, at, known_at, lambda kept: kept.answer(record, at, known_at))

    def end_state(
        self,
        record: JourneyRecord,
        at: datetime,
        known_at: datetime,
        look: Callable[[TimelineState], T],
    ) -> T | None:
        """``look`` at the state of the whole timeline (the fold the view at ``at``,
        ``known_at`` ends with), or None as for :meth:`view`. ``look`` must only read it."""
        return self.look(record, at, known_at, lambda kept: look(kept.state))

    def look(
        self,
        record: JourneyRecord,
        at: datetime,
        known_at: datetime,
        look: Callable[[_KeptFold], T],
        *,
        held: bool = False,
    ) -> T | None:
        """``look`` at the journey's kept fold (made, or moved on to ``record``, first), under
        its lock; None when the fold does not answer for ``at``, ``known_at``. ``held``: the
        caller knows ``record`` will be looked at again (a fold is made at once, not at the
        second sighting of the same events)."""
        events = record.events
        if not events or len(events) < self._min or len(events) > self._max:
            return None
        if known_at < events[-1].timestamp:
            return None
        journey = record.journey_id
        with self._lock:
            kept = self._folds.pop(journey, None)
            if kept is None or not kept.extended_by(events):
                if kept is not None and _erased(events) and not _erased(kept.events):
                    kept = None  # erased since it was made (in another process, say): dropped
                if not self._seen_before(journey, events) and not held:
                    if kept is not None:
                        self._folds[journey] = kept
                    return None
                kept = _KeptFold()  # these events, seen again, are held: fold them
            self._folds[journey] = kept
        with kept.lock:
            if not kept.catch_up(record):
                return None  # another view moved the fold past this (older) record
            if kept.timeline and at < kept.timeline[-1].occurred_at:
                return None
            answer = look(kept)
        self._shrink()
        return answer

    def limit(self, max_events: int, *, min_events: int | None = None) -> None:
        """Keep folds covering at most ``max_events`` events together (0: keep none), of
        journeys of at least ``min_events`` events (unchanged if not given)."""
        self._max = max_events
        if min_events is not None:
            self._min = min_events
        if max_events == 0:
            self.forget()
        self._shrink()

    def _shrink(self) -> None:
        with self._lock:
            held = sum(len(f.events) for f in self._folds.values())
            while held > self._max and len(self._folds) > 1:
                _, dropped = self._folds.popitem(last=False)
                held -= len(dropped.events)

    def forget(self, journey: UUID | None = None) -> None:
        """Drop the kept fold of ``journey`` (all of them without one)."""
        with self._lock:
            if journey is None:
                self._folds.clear()
                self._seen.clear()
            else:
                self._folds.pop(journey, None)
                self._seen.pop(journey, None)

    def kept(self) -> int:
        """How many journeys' folds are kept."""
        with self._lock:
            return len(self._folds)

    def holds(self, journey: UUID) -> bool:
        """Whether a fold of ``journey`` is kept."""
        with self._lock:
            return journey in self._folds


FOLDS = FoldMemo()
"""The process's kept folds (every :func:`view` goes through them)."""


def _recorded_at(event: JourneyEvent) -> datetime:
    return event.timestamp


def _moments(at: datetime | None, known_at: datetime | None) -> tuple[datetime, datetime]:
    """``at`` and ``known_at`` as asked (each must carry a time zone), "now" where not given."""
    now = datetime.now(UTC)
    return (
        _aware(at, "at") if at is not None else now,
        _aware(known_at, "known_at") if known_at is not None else now,
    )


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone")
    return value


def _judged(
    event: InformationShared | MeetingHeld, state: TimelineState, then: _ThenJudge
) -> list[DisclosureView]:
    views = []
    for recipient in recipients_of(event, state):
        verdicts = []
        for category in dict.fromkeys(event.categories):
            now_verdict = judge(event, recipient, category, state)
            then_verdict = then.verdict(event, recipient, category, now_verdict, state)
            verdicts.append(CategoryVerdict(category, then_verdict, now_verdict))
        if isinstance(event, InformationShared):
            ident, kind, sender = (
                event.disclosure_id,
                "information_shared",
                (event.from_party, event.from_org),
            )
        else:
            ident, kind, sender = event.meeting_id, "meeting", (None, None)
        views.append(
            DisclosureView(
                disclosure_id=ident,
                event_id=event.event_id,
                kind=kind,
                occurred_at=event.occurred_at,
                recorded_at=event.timestamp,
                from_party=sender[0],
                from_org=sender[1],
                to_party=recipient.party,
                to_org=recipient.organisation,
                categories=tuple(event.categories),
                purpose=event.purpose,
                basis=event.basis,
                consent_id=event.consent_id,
                statute=event.statute,
                then=combine([v.then for v in verdicts]),
                now=combine([v.now for v in verdicts]),
                verdicts=tuple(verdicts),
            )
        )
    return views


class _ThenJudge:
    """Judges disclosures with the facts recorded by the moment each occurred.

    Most disclosures are judged on the same facts then as now; that holds unless a fact they
    depend on was recorded late or retracted later. Each such fact opens an interval of
    disclosure times in which "then" differs from "now"; only disclosures inside one get a
    fold of their own.
    """

    def __init__(self, visible: Sequence[JourneyEvent]) -> None:
        self._retraction_of: dict[UUID, EventRetracted] = {}
        self._cache: dict[UUID, TimelineState] = {}
        self._authority: list[JourneyEvent] = []
        self._starts: list[datetime] = []
        self._reach: list[datetime] = []
        self.extend(visible)

    def extend(self, recorded: Sequence[JourneyEvent]) -> None:
        """Take in events recorded after those already seen (a kept fold moving on)."""
        changed = False
        for e in recorded:
            if isinstance(e, EventRetracted):
                self._retraction_of[e.target_event_id] = e
                changed = True
            elif isinstance(e, _AUTHORITY):
                self._authority.append(e)
                changed = True
        if changed:
            self._cache.clear()
            self._index()

    def _index(self) -> None:
        retraction_of = self._retraction_of
        intervals: list[tuple[datetime, datetime]] = []
        for fact in self._authority:
            retraction = retraction_of.get(fact.event_id)
            if retraction is None:
                intervals.append((fact.occurred_at, fact.timestamp))
            else:
                intervals.append((max(fact.occurred_at, fact.timestamp), retraction.timestamp))
        intervals.sort()
        self._starts = [lo for lo, _ in intervals]
        self._reach = []
        for _, hi in intervals:
            self._reach.append(max(hi, self._reach[-1]) if self._reach else hi)

    def verdict(
        self,
        event: InformationShared | MeetingHeld,
        recipient: Recipient,
        category: str,
        now_verdict: Verdict,
        now_state: TimelineState,
    ) -> Verdict:
        x = event.occurred_at
        i = bisect_right(self._starts, x)
        if i == 0 or self._reach[i - 1] <= x:
            return now_verdict
        verdict = judge(event, recipient, category, self._state_then(event))
        consent = now_state.consents.get(event.consent_id) if event.consent_id else None
        if consent is not None:
            verdict = backdated(verdict, consent.granted, event)
        return verdict

    def _state_then(self, event: JourneyEvent) -> TimelineState:
        cached = self._cache.get(event.event_id)
        if cached is None:
            cached = self._cache[event.event_id] = self._fold_then(event)
        return cached

    def _fold_then(self, event: JourneyEvent) -> TimelineState:
        x = event.occurred_at
        facts = []
        for fact in self._authority:
            if fact.timestamp > x or fact.occurred_at > x:
                continue
            if fact.occurred_at == x and fact.originator_version > event.originator_version:
                continue
            retraction = self._retraction_of.get(fact.event_id)
            if retraction is not None and retraction.timestamp <= x:
                continue
            facts.append(fact)
        return fold(valid_order(facts))


def _build(
    record: JourneyRecord,
    at: datetime,
    known_at: datetime,
    known_version: int,
    state: TimelineState,
    disclosures: Sequence[DisclosureView],
    knowledge: tuple[KnowledgeView, ...] | None = None,
    consent_view: Callable[[ConsentGranted], ConsentView] | None = None,
) -> JourneyView:
    registration = state.registration
    coordinator = state.coordinator
    changed = state.coordinator_changed
    consent_view = consent_view or _consent_view
    team = tuple(
        MemberView(
            party_id=m.party_id,
            display_name=_text(m.added.personal, "display_name"),
            member_type=m.added.member_type,
            role=m.role,
            organisation=m.added.organisation,
            sector=m.added.sector,
            since=m.since,
            role_since=m.role_since,
            is_coordinator=coordinator is not None and coordinator.party_id == m.party_id,
        )
        for m in sorted(state.members.values(), key=lambda m: (m.since, m.party_id))
    )
    consents = tuple(consent_view(c.granted) for c in state.consents.values() if c.in_force(at))
    denials = tuple(
        DenialView(
            denial_id=d.denial_id,
            event_id=d.event_id,
            since=d.occurred_at,
            categories=tuple(d.categories),
            recipient_orgs=tuple(d.recipient_orgs),
            recipient_parties=tuple(d.recipient_parties),
        )
        for d in (s.registered for s in state.denials.values() if s.lifted is None)
    )
    referrals = tuple(
        ReferralView(
            referral_id=r.referral_id,
            event_id=r.event_id,
            made_at=r.occurred_at,
            from_org=r.from_org,
            to_org=r.to_org,
            to_sector=r.to_sector,
            service=r.service,
        )
        for r in (s.made for s in state.referrals.values() if s.outcome is None)
    )
    services = tuple(
        ServiceView(
            episode_id=s.episode_id,
            event_id=s.event_id,
            started_at=s.occurred_at,
            service=s.service,
            sector=s.sector,
            provider_org=s.provider_org,
            responsible_party=s.responsible_party,
        )
        for s in (x.started for x in state.services.values() if x.ended is None)
    )
    transitions = tuple(
        TransitionView(
            transition_id=t.transition_id,
            event_id=t.event_id,
            occurred_at=t.occurred_at,
            kind=t.kind,
            from_service=t.from_service,
            from_org=t.from_org,
            to_service=t.to_service,
            to_org=t.to_org,
        )
        for t in state.transitions.values()
    )
    plan = state.plan
    plan_view = (
        PlanView(
            event_id=plan.event_id,
            agreed_at=plan.occurred_at,
            goals=_texts(plan.personal.get("goals", ())),
            responsible_parties=tuple(plan.responsible_parties),
            review_on=plan.review_on,
        )
        if plan is not None
        else None
    )
    return JourneyView(
        client_ref=record.client_ref,
        journey_id=record.journey_id,
        at=at,
        known_at=known_at,
        known_version=known_version,
        registered=registration is not None,
        closed=state.closed is not None,
        preferred_language=registration.preferred_language if registration else None,
        interpreter_needed=registration.interpreter_needed if registration else False,
        team=team,
        coordinator=CoordinatorView(
            party_id=coordinator.party_id if coordinator else None,
            since=changed.occurred_at if changed is not None else None,
        ),
        consents=consents,
        denials=denials,
        open_referrals=referrals,
        active_services=services,
        transitions=transitions,
        plan=plan_view,
        disclosures=tuple(disclosures),
        knowledge=knowledge if knowledge is not None else knowledge_of(disclosures),
    )


_Received = dict[tuple[str, str], dict[str, list[tuple["DisclosureView", "CategoryVerdict"]]]]


def _consent_view(g: ConsentGranted) -> ConsentView:
    return ConsentView(
        consent_id=g.consent_id,
        event_id=g.event_id,
        granted_at=g.occurred_at,
        grantor=g.grantor,
        recipient_orgs=tuple(g.recipient_orgs),
        recipient_parties=tuple(g.recipient_parties),
        categories=tuple(g.categories),
        purposes=tuple(g.purposes),
        valid_from=g.valid_from,
        valid_until=g.valid_until,
        form=g.form,
        evidence_ref=g.evidence_ref,
    )


def knowledge_of(disclosures: Sequence[DisclosureView]) -> tuple[KnowledgeView, ...]:
    """What each party and organisation had received, per category, from these disclosures."""
    received = _received(disclosures)
    return tuple(_knowledge(key, received[key]) for key in sorted(received))


def _recipient_keys(d: DisclosureView) -> list[tuple[str, str]]:
    keys = []
    if d.to_party is not None:
        keys.append(("party", d.to_party))
    if d.to_org is not None:
        keys.append(("organisation", d.to_org))
    return keys


def _received(
    disclosures: Sequence[DisclosureView], only: set[tuple[str, str]] | None = None
) -> _Received:
    received: _Received = {}
    parties = {ident for kind, ident in only if kind == "party"} if only is not None else set()
    orgs = {ident for kind, ident in only if kind == "organisation"} if only is not None else set()
    for d in disclosures:
        if only is not None and d.to_party not in parties and d.to_org not in orgs:
            continue  # the cheap test first: most disclosures name no one asked about
        for key in _recipient_keys(d):
            if only is not None and key not in only:
                continue
            per_category = received.setdefault(key, {})
            for v in d.verdicts:
                per_category.setdefault(v.category, []).append((d, v))
    return received


def _knowledge(
    key: tuple[str, str], per_category: dict[str, list[tuple[DisclosureView, CategoryVerdict]]]
) -> KnowledgeView:
    kind, ident = key
    return KnowledgeView(
        recipient_kind=kind,
        recipient_id=ident,
        categories=tuple(
            CategoryKnowledge(
                category=category,
                first_at=ds[0][0].occurred_at,
                disclosure_ids=tuple(dict.fromkeys(d.disclosure_id for d, _ in ds)),
                bases=tuple(dict.fromkeys(d.basis for d, _ in ds)),
                verdict_then=worst([v.then.verdict for _, v in ds]),
                verdict_now=worst([v.now.verdict for _, v in ds]),
            )
            for category, ds in sorted(per_category.items())
        ),
    )


def _texts(value: object) -> tuple[str, ...]:
    """A list of texts; a single text (an erased list reads "erased") as a list of one."""
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def _text(personal: dict[str, Any], key: str) -> str | None:
    value = personal.get(key)
    return value if isinstance(value, str) else None
