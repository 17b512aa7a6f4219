"""The journey aggregate: one client's append-only record, and the decisions that extend it.

The aggregate keeps every event in record order, and beside it the *timeline*: the effective
events in valid-time order, each with the undo record of its step of the fold, and the *end
state* (the fold of the whole timeline). An event dated after the last one is one more step. An
event dated earlier (a late entry), or a retraction, touches only the part of the timeline from
where it falls: those steps are taken back, the change is made, and they are taken again, with
the checks when deciding. A command that fails its checks takes itself back out, so the
journey stays usable; :meth:`Journey.rollback` takes back a decided command whose save failed.
The service therefore decides on its cached journey itself, not on a copy of it.
"""

from __future__ import annotations

import dataclasses
import hmac
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from itertools import chain, islice
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.utils import get_topic

from domain.commands import Draft
from domain.errors import IdempotencyConflictError, InvariantViolationError
from domain.events import (
    Actor,
    ClientRegistered,
    EventRetracted,
    JourneyEvent,
    PersonalDataErased,
)
from domain.personal import ERASED
from domain.private_ids import PRIVATE, PartyBook
from domain.rules import Rule
from domain.timeline import (
    RECORD_EVENTS,
    TimelineState,
    Undo,
    check_placed,
    effective_events,
    valid_order,
)

__all__ = ["Journey", "JourneyIds", "JourneyRecord", "Mark", "legacy_journey_id"]

SHORT_TAIL = 256
"""Outside a decision (replaying stored events, catching up with another writer's), an event
that lands further back than this many timeline steps marks the timeline stale instead: it is
then rebuilt in one sort and fold when next needed, which is cheaper for a whole replay."""

_LEGACY_NAMESPACE = uuid5(NAMESPACE_URL, "https://polku.invalid/journey")


class JourneyIds:
    """How a client ref becomes a journey's aggregate id: a keyed hash (HMAC-SHA-256 under a
    secret kept outside the database), so that hashing every possible ref — client refs can be
    national identity codes — does not lead back from an id to a person.

    Stores written before ids were keyed derived them with an unkeyed UUIDv5; for those,
    ``legacy`` is set (by the wiring, from what the store records) until they are migrated.
    """

    def __init__(self, secret: bytes, *, legacy: bool = False) -> None:
        if len(secret) < 16:
            raise ValueError("the pseudonym secret must have at least 16 bytes")
        self._secret = secret
        keyed = hmac.new(secret, digestmod=sha256)
        self._keyed: Any = getattr(keyed, "_hmac", keyed)
        """The HMAC keyed once: each id or pseudonym copies it, which takes 40% of the time of
        keying a new one (that hashes the key's two pads every time; a planner's first read
        works out 100,000 record keys). OpenSSL's HMAC object itself where the standard
        library wraps one (the wrapper's copy costs as much again), else the wrapper."""
        self.legacy = legacy

    def __call__(self, client_ref: str) -> UUID:
        if self.legacy:
            return uuid5(_LEGACY_NAMESPACE, client_ref)
        keyed = self._keyed.copy()
        keyed.update(b"polku journey|" + client_ref.encode())
        return UUID(bytes=keyed.digest()[:16], version=4)

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for another purpose (sealing feed cursors, say), derived from the secret
        and never stored."""
        return hmac.new(self._secret, f"polku key|{purpose}".encode(), sha256).digest()

    def pseudonym(self, kind: str, ident: str) -> str:
        """A keyed pseudonym for another identifier (a party id, say), stable per secret."""
        keyed = self._keyed.copy()
        keyed.update(f"polku {kind}|{ident}".encode())
        return f"{kind}-{keyed.hexdigest()[:16]}"


def legacy_journey_id(client_ref: str) -> UUID:
    """The unkeyed id of stores written before ids were keyed (for their migration only)."""
    return uuid5(_LEGACY_NAMESPACE, client_ref)


@dataclass(frozen=True)
class JourneyRecord:
    """A journey's events in record order: what projections fold."""

    client_ref: str
    journey_id: UUID
    events: tuple[JourneyEvent, ...]

    @property
    def version(self) -> int:
        return self.events[-1].originator_version if self.events else 0


@dataclass(frozen=True)
class Mark:
    """Where a journey stood before a command (see :meth:`Journey.rollback`)."""

    events: int
    version: int
    modified_on: datetime
    pending: int


def _key(event: JourneyEvent) -> tuple[datetime, int]:
    """An event's place on the timeline: valid time, ties in record order."""
    return (event.occurred_at, event.originator_version)


class Journey(Aggregate):
    def __init__(self) -> None:
        self._events: list[JourneyEvent] = []
        self._by_id: dict[UUID, JourneyEvent] = {}
        self._by_command: dict[str, list[JourneyEvent]] = {}
        self._retracted: dict[UUID, EventRetracted] = {}
        self._state: TimelineState | None = TimelineState()
        # The timeline and the undo record of each of its steps (None: stale, or a copy).
        self._timeline: list[JourneyEvent] | None = []
        self._undo: list[Undo] = []
        self._deciding = False
        self._parties = PartyBook()

    def __deepcopy__(self, memo: dict[int, Any]) -> Journey:
        # Events are immutable: a copy needs new containers, not new events. The library's own
        # snapshot round trip gives a new journey with the same id, version and times and no
        # pending events; only our containers are then copied. A copy is for reading: it gets
        # the end state but no timeline (rebuilt if it is ever asked to decide).
        clone = cast(Journey, Snapshot.take(self).mutate(None))
        clone._events = list(self._events)
        clone._by_id = dict(self._by_id)
        clone._by_command = {k: list(v) for k, v in self._by_command.items()}
        clone._retracted = dict(self._retracted)
        clone._state = self._state.copy() if self._state is not None else None
        clone._timeline = None
        clone._undo = []
        clone._deciding = False
        clone._parties = PartyBook()
        return clone

    # -- creation ------------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        draft: Draft,
        *,
        journey: UUID,
        recorded_at: datetime,
        actor: Actor,
        command_id: str | None,
    ) -> Journey:
        private = PartyBook().private_of(ClientRegistered, draft.fields, actor.party_id)
        return cls._create(
            ClientRegistered,
            id=journey,
            timestamp=recorded_at,
            **_envelope(draft, actor, command_id, private),
        )

    # -- reading -------------------------------------------------------------------------------

    @property
    def client_ref(self) -> str:
        first = self._events[0]
        assert isinstance(first, ClientRegistered)
        return first.client_ref

    @property
    def events(self) -> Sequence[JourneyEvent]:
        return self._events

    def record(self) -> JourneyRecord:
        return JourneyRecord(self.client_ref, self.id, tuple(self._events))

    def end_state(self) -> TimelineState:
        """The fold of every effective event (the timeline as now recorded). Read it, do not
        change it: it is the journey's own."""
        if self._state is None:
            self._rebuild()
        assert self._state is not None
        return self._state

    def append(self, event: JourneyEvent) -> None:
        """Called by each event as it is applied (replay or new)."""
        self._events.append(event)
        self._by_id[event.event_id] = event
        if event.command_id is not None:
            self._by_command.setdefault(event.command_id, []).append(event)
        if isinstance(event, PersonalDataErased):
            self._scrub()
            return
        if isinstance(event, EventRetracted):
            self._retracted[event.target_event_id] = event
        if self._deciding:
            return  # decide() places the command's events itself, with the checks
        if isinstance(event, EventRetracted):
            target = self._by_id.get(event.target_event_id)
            gone = [] if target is None or isinstance(target, RECORD_EVENTS) else [target]
            self._place([], gone)
        else:
            self._place([event], [])

    # -- the timeline ----------------------------------------------------------------------

    def _rebuild(self) -> None:
        state = TimelineState()
        timeline = valid_order(effective_events(self._events))
        self._undo = [state.apply_logged(e) for e in timeline]
        self._timeline = timeline
        self._state = state

    def _stale(self) -> None:
        self._timeline, self._undo, self._state = None, [], None

    def _place(self, add: list[JourneyEvent], remove: list[JourneyEvent]) -> None:
        """Put stored events on the timeline and take retracted ones off (no checks)."""
        timeline, state = self._timeline, self._state
        if timeline is None:
            # A copy, or stale: keep the end state only while events come in order.
            if (
                state is not None
                and not remove
                and all(
                    state.last_occurred_at is None or e.occurred_at >= state.last_occurred_at
                    for e in add
                )
            ):
                for e in add:
                    state.apply(e)
            else:
                self._state = None
            return
        assert state is not None
        if not remove and len(add) == 1 and (not timeline or _key(add[0]) > _key(timeline[-1])):
            self._undo.append(state.apply_logged(add[0]))
            timeline.append(add[0])
            return
        start = self._start_of(add, remove)
        if len(timeline) - start > SHORT_TAIL:
            self._stale()
            return
        self._edit(add, remove, start, check=False)

    def _start_of(self, add: Sequence[JourneyEvent], remove: Sequence[JourneyEvent]) -> int:
        """The first timeline step that adding ``add`` and removing ``remove`` changes."""
        timeline = self._timeline
        assert timeline is not None
        starts = [bisect_right(timeline, _key(e), key=_key) for e in add]
        starts += [bisect_left(timeline, _key(e), key=_key) for e in remove]
        return min(starts, default=len(timeline))

    def _edit(
        self,
        add: Sequence[JourneyEvent],
        remove: Sequence[JourneyEvent],
        start: int,
        *,
        check: bool,
    ) -> None:
        """Take back the timeline's steps from ``start`` on, make the change, take them again.

        With ``check``, every step taken again is checked (the events of ``add`` as new ones);
        if one fails, the timeline and the end state are put back as they were and the error
        is raised.
        """
        timeline, undo, state = self._timeline, self._undo, self._state
        assert timeline is not None
        assert state is not None
        for record in reversed(undo[start:]):
            state.undo(record)
        old_tail = timeline[start:]
        gone = {e.event_id for e in remove}
        new_tail = sorted([e for e in old_tail if e.event_id not in gone] + list(add), key=_key)
        new_ids = {e.event_id for e in add}

        def registration() -> ClientRegistered | None:
            steps = chain(islice(timeline, start), new_tail)
            return next((e for e in steps if isinstance(e, ClientRegistered)), None)

        applied: list[Undo] = []
        try:
            for e in new_tail:
                if check:
                    check_placed(state, e, new=e.event_id in new_ids, registration=registration)
                applied.append(state.apply_logged(e))
        except InvariantViolationError:
            for record in reversed(applied):
                state.undo(record)
            undo[start:] = [state.apply_logged(e) for e in old_tail]
            raise
        timeline[start:] = new_tail
        undo[start:] = applied

    # -- taking a command back -----------------------------------------------------------------

    def mark(self) -> Mark:
        """Where the journey stands now: :meth:`rollback` returns it here."""
        return Mark(len(self._events), self.version, self.modified_on, len(self._pending_events))

    def rollback(self, mark: Mark) -> None:
        """Take back every event appended since ``mark`` (a decided command whose save failed,
        say): the record, the indexes, the version and the timeline are as they were."""
        new = self._events[mark.events :]
        if any(isinstance(e, PersonalDataErased) for e in new):
            raise ValueError("an erasure cannot be taken back in memory; reload the journey")
        restored = [
            target
            for e in new
            if isinstance(e, EventRetracted)
            and (target := self._by_id.get(e.target_event_id)) is not None
            and not isinstance(target, RECORD_EVENTS)
        ]
        placed = [e for e in new if not isinstance(e, RECORD_EVENTS)]
        self._truncate(mark)
        if self._timeline is None:
            self._state = None
        elif placed or restored:
            self._edit(restored, placed, self._start_of(restored, placed), check=False)

    def _truncate(self, mark: Mark) -> None:
        """Forget the events appended since ``mark`` (the timeline is left to the caller)."""
        new = self._events[mark.events :]
        del self._events[mark.events :]
        del self._pending_events[mark.pending :]
        for e in new:
            self._by_id.pop(e.event_id, None)
            if e.command_id is not None:
                same = self._by_command.get(e.command_id, [])
                if e in same:
                    same.remove(e)
                if not same:
                    self._by_command.pop(e.command_id, None)
            if isinstance(e, EventRetracted):
                self._retracted.pop(e.target_event_id, None)
        self.version = mark.version
        self.modified_on = mark.modified_on

    def _scrub(self) -> None:
        """After an erasure: every personal field of the events held in memory reads ERASED."""
        scrubbed = [_erased(e) for e in self._events]
        self._events = scrubbed
        self._by_id = {e.event_id: e for e in scrubbed}
        self._by_command = {}
        for e in scrubbed:
            if e.command_id is not None:
                self._by_command.setdefault(e.command_id, []).append(e)
        self._retracted = {e.target_event_id: e for e in scrubbed if isinstance(e, EventRetracted)}
        self._parties = PartyBook()
        self._stale()

    @property
    def erased(self) -> bool:
        return any(isinstance(e, PersonalDataErased) for e in self._events)

    def erase(
        self, reason: str, personal: dict[str, str], *, recorded_at: datetime, actor: Actor
    ) -> PersonalDataErased:
        """Record that the client's personal data was erased (the caller deletes the key)."""
        self.trigger_event(
            PersonalDataErased,
            timestamp=recorded_at,
            event_id=uuid4(),
            occurred_at=recorded_at,
            recorded_by=actor,
            command_id=None,
            personal=personal,
            reason=reason,
        )
        event = self._events[-1]
        assert isinstance(event, PersonalDataErased)
        return event

    # -- deciding ------------------------------------------------------------------------------

    def prior_result(self, command_id: str, drafts: Sequence[Draft]) -> list[JourneyEvent] | None:
        """The events an earlier run of this command recorded, if any.

        Raises :class:`IdempotencyConflictError` if the id was used for a different command.
        """
        prior = self._by_command.get(command_id)
        if prior is None:
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
        """Append ``drafts`` as events and check the timeline they leave.

        Raises :class:`InvariantViolationError` naming the rule and the conflicting event.
        """
        self._check_retractions(drafts)
        if self._timeline is None:
            self._rebuild()
        mark = self.mark()
        self._deciding = True
        try:
            for draft in drafts:
                extra = (
                    {"originator_topic": get_topic(Journey)}
                    if draft.event_class is ClientRegistered
                    else {}
                )
                self._parties.catch_up(self._events)
                private = self._parties.private_of(draft.event_class, draft.fields, actor.party_id)
                self.trigger_event(
                    draft.event_class,
                    timestamp=recorded_at,
                    **extra,
                    **_envelope(draft, actor, command_id, private),
                )
        except BaseException:
            self._truncate(mark)
            raise
        finally:
            self._deciding = False
        new = self._events[mark.events :]
        add = [e for e in new if not isinstance(e, RECORD_EVENTS)]
        remove = [self._by_id[e.target_event_id] for e in new if isinstance(e, EventRetracted)]
        try:
            self._edit(add, remove, self._start_of(add, remove), check=True)
        except InvariantViolationError:
            self._truncate(mark)
            raise
        return new

    def _check_retractions(self, drafts: Sequence[Draft]) -> None:
        replaces_registration = any(d.event_class is ClientRegistered for d in drafts)
        for draft in drafts:
            if draft.event_class is not EventRetracted:
                continue
            target_id = draft.fields["target_event_id"]
            target = self._by_id.get(target_id)
            if target is None or isinstance(target, EventRetracted | PersonalDataErased):
                raise InvariantViolationError(
                    Rule.RETRACTION_TARGET, f"event {target_id} cannot be retracted"
                )
            earlier = self._retracted.get(target_id)
            if earlier is not None:
                raise InvariantViolationError(
                    Rule.RETRACTION_TARGET,
                    f"event {target_id} is already retracted",
                    conflicting_event_id=earlier.event_id,
                    conflicting_kind=earlier.KIND,
                    conflicting_occurred_at=earlier.occurred_at,
                )
            if isinstance(target, ClientRegistered) and not replaces_registration:
                raise InvariantViolationError(
                    Rule.REGISTRATION_CORRECTED_ONLY,
                    "retract the registration only with a replacement",
                    conflicting_event_id=target.event_id,
                    conflicting_kind=target.KIND,
                    conflicting_occurred_at=target.occurred_at,
                )
            if any(
                d.event_class is ClientRegistered and d.fields["client_ref"] != self.client_ref
                for d in drafts
            ):
                raise InvariantViolationError(
                    Rule.REGISTERED_ONCE, "a replacement registration must keep the client ref"
                )


def _erased(event: JourneyEvent) -> JourneyEvent:
    if not event.personal:
        return event
    return dataclasses.replace(event, personal=dict.fromkeys(event.personal, ERASED))


def _envelope(
    draft: Draft, actor: Actor, command_id: str | None, private: list[str]
) -> dict[str, Any]:
    """A new event's fields; the private network's party ids it names marked in ``personal``
    (the mapper keeps them out of the stored event's plain part: ``domain/private_ids.py``)."""
    return {
        "event_id": uuid4(),
        "occurred_at": draft.occurred_at,
        "recorded_by": actor,
        "command_id": command_id,
        "personal": {**draft.personal, PRIVATE: private} if private else draft.personal,
        **draft.fields,
    }


def _same(event: JourneyEvent, draft: Draft) -> bool:
    """Whether a stored event records the same fact as a draft (envelope aside)."""
    return (
        type(event) is draft.event_class
        and event.occurred_at == draft.occurred_at
        and {k: v for k, v in event.personal.items() if k != PRIVATE} == draft.personal
        and all(getattr(event, k) == v for k, v in draft.fields.items())
    )
