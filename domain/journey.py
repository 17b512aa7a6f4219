"""The journey aggregate: one client's append-only record, and the decisions that extend it.

The aggregate keeps every event in record order. Its *end state* (the fold of all effective
events in valid-time order) is kept up to date while events arrive in valid-time order and is
rebuilt lazily otherwise. A command that fails its checks leaves the aggregate unusable; callers
work on a copy (the repository hands out copies) and discard it.
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
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
from domain.rules import Rule
from domain.timeline import TimelineState, effective_events, fold, valid_order

__all__ = ["Journey", "JourneyIds", "JourneyRecord", "legacy_journey_id"]

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
        self.legacy = legacy

    def __call__(self, client_ref: str) -> UUID:
        if self.legacy:
            return uuid5(_LEGACY_NAMESPACE, client_ref)
        digest = hmac.new(self._secret, b"polku journey|" + client_ref.encode(), sha256).digest()
        return UUID(bytes=digest[:16], version=4)

    def pseudonym(self, kind: str, ident: str) -> str:
        """A keyed pseudonym for another identifier (a party id, say), stable per secret."""
        digest = hmac.new(self._secret, f"polku {kind}|{ident}".encode(), sha256).hexdigest()
        return f"{kind}-{digest[:16]}"


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


class Journey(Aggregate):
    def __init__(self) -> None:
        self._events: list[JourneyEvent] = []
        self._by_id: dict[UUID, JourneyEvent] = {}
        self._by_command: dict[str, list[JourneyEvent]] = {}
        self._retracted: dict[UUID, EventRetracted] = {}
        self._state: TimelineState | None = TimelineState()

    def __deepcopy__(self, memo: dict[int, Any]) -> Journey:
        # Events are immutable: a copy needs new containers, not new events. The library's own
        # snapshot round trip gives a new journey with the same id, version and times and no
        # pending events; only our containers are then copied.
        clone = cast(Journey, Snapshot.take(self).mutate(None))
        clone._events = list(self._events)
        clone._by_id = dict(self._by_id)
        clone._by_command = {k: list(v) for k, v in self._by_command.items()}
        clone._retracted = dict(self._retracted)
        clone._state = self._state.copy() if self._state is not None else None
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
        return cls._create(
            ClientRegistered,
            id=journey,
            timestamp=recorded_at,
            **_envelope(draft, actor, command_id),
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
        """The fold of every effective event (the timeline as now recorded)."""
        if self._state is None:
            self._state = fold(valid_order(effective_events(self._events)))
        return self._state

    def append(self, event: JourneyEvent) -> None:
        """Called by each event as it is applied (replay or new)."""
        self._events.append(event)
        self._by_id[event.event_id] = event
        if event.command_id is not None:
            self._by_command.setdefault(event.command_id, []).append(event)
        state = self._state
        if isinstance(event, PersonalDataErased):
            self._scrub()
        elif isinstance(event, EventRetracted):
            self._retracted[event.target_event_id] = event
            self._state = None
        elif state is not None and (
            state.last_occurred_at is None or event.occurred_at >= state.last_occurred_at
        ):
            state.apply(event)
        else:
            self._state = None

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
        self._state = None

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
        base = self.end_state()
        horizon = base.last_occurred_at
        in_order = not any(d.event_class is EventRetracted for d in drafts) and (
            horizon is None or all(d.occurred_at >= horizon for d in drafts)
        )
        self._state = None  # detach: the checks below decide the new end state
        start = len(self._events)
        for draft in drafts:
            extra = (
                {"originator_topic": get_topic(Journey)}
                if draft.event_class is ClientRegistered
                else {}
            )
            self.trigger_event(
                draft.event_class,
                timestamp=recorded_at,
                **extra,
                **_envelope(draft, actor, command_id),
            )
        new = self._events[start:]
        if in_order:
            for event in valid_order(new):
                base.check(event)
                base.apply(event)
            self._state = base
        else:
            timeline = valid_order(effective_events(self._events))
            self._state = fold(
                timeline, check=True, new_event_ids=frozenset(e.event_id for e in new)
            )
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
