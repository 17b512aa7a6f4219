"""The application service: one method per command, and ``get_*`` queries.

Built on the eventsourcing library's :class:`~eventsourcing.application.Application`. The
persistence settings arrive as an explicit environment (built from Polku's settings); the
process environment is not consulted, so nothing configures the store behind the settings' back.
"""

from __future__ import annotations

import copy
import dataclasses
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoder,
    Transcoding,
)
from eventsourcing.utils import Environment
from pydantic_core import from_json

from domain import commands as cmd
from domain import private_ids
from domain.collector import collector_held
from domain.errors import (
    AlreadyRegisteredError,
    ConcurrencyError,
    InvariantViolationError,
    JourneyNotFoundError,
    PolkuError,
)
from domain.events import Actor, ClientRegistered, JourneyEvent, PersonalDataErased
from domain.journey import Journey, JourneyIds, JourneyRecord
from domain.personal import SEALED, PersonalVault
from domain.rules import Rule
from domain.transcoder import FastJSONTranscoder
from domain.vocabulary import check_term

__all__ = [
    "ActorAsDict",
    "Clock",
    "CommandContext",
    "JourneyService",
    "Recorded",
    "SealingMapper",
    "construct_transcoder",
    "system_clock",
]

Clock = Callable[[], datetime]
T = TypeVar("T")
log = structlog.get_logger(__name__)
_LOCK_STRIPES = 256


HOLD_COLLECTOR_FROM = 1_000
"""Rows of a journey from which its decoding holds the cyclic collector off
(:mod:`domain.collector`): a short journey's few objects are not worth the switch."""


def _decoded(
    stored: Sequence[StoredEvent], decode: Callable[[StoredEvent], JourneyEvent]
) -> list[JourneyEvent]:
    """``stored`` decoded in order; a long journey's with the cyclic collector held off."""
    if len(stored) < HOLD_COLLECTOR_FROM:
        return [decode(s) for s in stored]
    with collector_held():
        return [decode(s) for s in stored]


def _project(journey: Journey | None, events: Iterable[DomainEventProtocol[UUID]]) -> Any:
    """Each event applied to the journey in turn: the library's own projector, less its check
    of every event against a runtime protocol (``isinstance`` of a ``typing.Protocol`` walks
    the protocol's attributes each time: 40% of folding a long journey). Our journeys' events
    are all :class:`~domain.events.JourneyEvent`; anything else is refused as the library
    would refuse it."""
    for event in events:
        if not isinstance(event, JourneyEvent):
            raise TypeError(f"not a journey event: {type(event).__name__}")
        journey = event.mutate(journey)
    return journey


def system_clock() -> datetime:
    """The wall clock, timezone-aware (UTC): what "now" means unless a clock is injected."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class CommandContext:
    """Who asks, with which idempotency key, expecting which journey version."""

    actor: Actor
    command_id: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class Recorded:
    """The result of a command: the events it stored and the journey version after it."""

    client_ref: str
    journey_id: UUID
    event_ids: tuple[UUID, ...]
    version: int
    """The journey's position (its version) after the command's last event."""
    recorded_at: datetime
    """When the record took the command's events in (record time): a read with
    ``known_at=recorded_at`` sees the record just after this write."""
    replayed: bool = False
    """True when an identical earlier command was found and nothing new was stored."""


_PLAIN_JSON = (JSONTranscoder, FastJSONTranscoder)
"""Transcoders that write the library's JSON, whose stored state :meth:`JourneyService.stored_state`
can parse itself (a transcoder it does not know: None)."""


def construct_transcoder(app: Application[UUID]) -> Transcoder:
    """The transcoder of Polku's applications: :class:`FastJSONTranscoder` (the library's JSON
    as stored, decoded faster) with the application's transcodings, unless the environment
    names another (the library's ``TRANSCODER_TOPIC``), which is then made as the library does."""
    if app.factory.env.get(app.factory.TRANSCODER_TOPIC):
        return Application.construct_transcoder(app)
    transcoder = FastJSONTranscoder()
    app.register_transcodings(transcoder)
    return transcoder


class ActorAsDict(Transcoding):
    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, str]:
        return {"party_id": obj.party_id, "organisation": obj.organisation, "role": obj.role}

    def decode(self, data: dict[str, str]) -> Actor:
        return Actor(**data)


class SealingMapper(Mapper[UUID]):
    """Seals the personal part of each event with the client's key on the way to the store,
    and opens it on the way back (``erased`` once the key is gone).

    Where journey ids are keyed, the identifiers of the client and their private network are
    kept out of the plain part too (``domain/private_ids.py``): stored as keyed pseudonyms,
    their real values sealed with the rest."""

    def __init__(
        self,
        inner: Mapper[UUID],
        vault: PersonalVault,
        ids: Callable[[], JourneyIds] | None = None,
    ) -> None:
        super().__init__(inner.transcoder, compressor=inner.compressor, cipher=inner.cipher)
        self._vault = vault
        self._ids = ids

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        event = domain_event
        if isinstance(event, JourneyEvent) and SEALED not in event.personal:
            ids = self._ids() if self._ids is not None else None
            if ids is not None and not ids.legacy:  # an unkeyed id gives the ref away anyway
                event = private_ids.hide(event, ids.pseudonym)
            if event.personal:
                sealed = self._vault.seal(event.originator_id, event.event_id, event.personal)
                assert sealed is not None  # a key is made when there is none
                event = dataclasses.replace(event, personal=sealed)
            domain_event = event
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        if isinstance(event, JourneyEvent) and SEALED in event.personal:
            opened = self._vault.open(event.originator_id, event.event_id, event.personal)
            return private_ids.reveal(dataclasses.replace(event, personal=opened))
        return event


class JourneyService(Application[UUID]):
    """Records client journeys and reads them back."""

    name = "Polku"
    MAX_ATTEMPTS: ClassVar[int] = 10
    """Tries of a command without an expected version when other writers keep winning."""

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        clock: Clock = system_clock,
        vault: PersonalVault | None = None,
        journey_ids: JourneyIds | None = None,
    ) -> None:
        self._clock = clock
        # Without a secret given, ids are keyed by one made for this process alone: fine for a
        # store that lives as long as the process (the in-memory one), wrong for any other.
        self.journey_id = journey_ids or JourneyIds(secrets.token_bytes(32))
        self._vault = vault
        self._sealed_mapper: Mapper[UUID] | None = None
        self.read_many: Callable[[Sequence[UUID]], Mapping[UUID, Sequence[StoredEvent]]] = (
            self._read_each
        )
        """Reads many journeys' stored events at once; the store sets a one-query reader."""
        # Commands decide on the cached journey itself (no copy per command): one command at a
        # time per journey in this process, each taken back if it fails. Locks are striped by
        # journey id; a command holds one journey's lock only.
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]
        super().__init__(env=dict(env))

    @property
    def vault(self) -> PersonalVault | None:
        """Where the per-client keys are kept (None: personal data is not sealed)."""
        return self._vault

    @property
    def clock(self) -> Clock:
        """The clock that says what "now" is for this service (injected, or the wall clock)."""
        return self._clock

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = super().construct_mapper()
        # The library's own mapper decodes events with their personal part still sealed.
        self._sealed_mapper = mapper
        if self._vault is None:
            return mapper
        return SealingMapper(mapper, self._vault, lambda: self.journey_id)

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        return Environment(name, dict(env or {}))

    def construct_transcoder(self) -> Transcoder:
        return construct_transcoder(self)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsDict())

    # -- commands ----------------------------------------------------------------------------

    def register_client(self, command: cmd.RegisterClient, ctx: CommandContext) -> Recorded:
        (draft,) = command.drafts()
        now = self._now(command.drafts())
        with self._locked(self.journey_id(command.client_ref)):
            existing = self._find(command.client_ref)
            if existing is not None:
                return self._replay_or(existing, ctx, command.drafts(), AlreadyRegisteredError)
        if ctx.expected_version not in (None, 0):
            raise ConcurrencyError(ctx.expected_version, 0)
        journey = Journey.register(
            draft,
            journey=self.journey_id(command.client_ref),
            recorded_at=now,
            actor=ctx.actor,
            command_id=ctx.command_id,
        )
        try:
            self.save(journey)
        except IntegrityError:
            with self._locked(journey.id):
                existing = self._find(command.client_ref)
                assert existing is not None
                return self._replay_or(existing, ctx, command.drafts(), AlreadyRegisteredError)
        return self._recorded(journey, journey.events)

    def retract_event(
        self, client_ref: str, command: cmd.RetractEvent, ctx: CommandContext
    ) -> Recorded:
        """Retract an event; with a replacement, both are stored in one atomic save."""
        if isinstance(command.replacement, cmd.RegisterClient) and (
            command.replacement.client_ref != client_ref
        ):
            raise InvariantViolationError(
                Rule.REGISTERED_ONCE, "a replacement registration must keep the client ref"
            )
        return self._execute(client_ref, command, ctx)

    def erase_personal_data(
        self, client_ref: str, reason: str, ctx: CommandContext, note: str | None = None
    ) -> Recorded:
        """Erase the client's personal data: record who, when and why, then delete their key.

        ``reason`` is a code from the ``erasure_reasons`` vocabulary (the erasure outlives the
        data, so it must not itself hold any); an optional ``note`` is sealed with the client's
        key like their other personal data, and so erased with it. Everything else stays: the
        journey still folds, its personal fields read "erased". Erasing again records nothing
        new but makes sure the key is gone (say, after a crash between the two steps).
        """
        if self._vault is None:
            raise RuntimeError("this service keeps no per-client keys, so it cannot erase")
        check_term("erasure_reasons", reason)
        if note is not None and (not note.strip() or len(note) > 500):
            raise ValueError("a note has 1-500 characters")
        with self._locked(self.journey_id(client_ref)):
            journey = self._load(client_ref, fresh=True)
            done = [e for e in journey.events if isinstance(e, PersonalDataErased)]
            if done:
                result = self._recorded(journey, done[-1:], replayed=True)
            else:
                recorded_at = max(self._clock(), journey.modified_on)
                personal = {"note": note.strip()} if note else {}
                event = journey.erase(reason, personal, recorded_at=recorded_at, actor=ctx.actor)
                try:
                    self.save(journey)  # the cache now holds this scrubbed journey
                except BaseException:
                    self._forget(journey.id)  # scrubbed in memory but not stored
                    raise
                result = self._recorded(journey, [event])
        self._vault.erase(journey.id)
        # Read again from the store when next needed: with the key gone, the identifiers of the
        # client's private network read as their pseudonyms, as in any other process.
        self._forget(journey.id)
        log.info("journey.erased", journey_id=str(journey.id), version=result.version)
        return result

    def execute(self, client_ref: str, command: cmd.Command, ctx: CommandContext) -> Recorded:
        """Run any command by its type (for callers that dispatch generically)."""
        if isinstance(command, cmd.RegisterClient):
            if command.client_ref != client_ref:
                raise ValueError("the command's client_ref differs from the journey's")
            return self.register_client(command, ctx)
        if isinstance(command, cmd.RetractEvent):
            return self.retract_event(client_ref, command, ctx)
        return self._execute(client_ref, command, ctx)

    def check_moments(self, command: cmd.Command) -> datetime:
        """Check the times a command carries (a zone, not in the future) without looking at any
        journey; returns "now". Raises :class:`InvariantViolationError`."""
        return self._now(command.drafts())

    # -- queries -----------------------------------------------------------------------------

    def get_record(self, client_ref: str) -> JourneyRecord:
        """Every stored event of the journey, in record order, read from the store."""
        stored = self.recorder.select_events(self.journey_id(client_ref))
        events = _decoded(stored, self._to_event)
        if not events:
            raise JourneyNotFoundError(client_ref)
        return JourneyRecord(client_ref, self.journey_id(client_ref), tuple(events))

    def _to_event(self, stored: StoredEvent) -> JourneyEvent:
        """A stored event as the event store decodes it (personal part opened)."""
        return cast("JourneyEvent", self.mapper.to_domain_event(stored))

    def get_record_by_id(self, journey: UUID) -> JourneyRecord:
        """Every stored event of the journey with this aggregate id, in record order."""
        events = _decoded(self.recorder.select_events(journey), self._to_event)
        first = events[0] if events else None
        if not isinstance(first, ClientRegistered):
            raise JourneyNotFoundError(str(journey))
        return JourneyRecord(first.client_ref, journey, tuple(events))

    def decode_sealed(self, stored: StoredEvent) -> JourneyEvent:
        """A stored event (or notification) as a domain event, its personal part left sealed:
        for read models that keep nothing personal, without a key lookup per event."""
        assert self._sealed_mapper is not None  # made with the application's mapper
        return cast("JourneyEvent", self._sealed_mapper.to_domain_event(stored))

    def stored_state(self, stored: StoredEvent) -> dict[str, Any] | None:
        """A stored event's (or notification's) state as parsed JSON, decrypted and decompressed
        the way the mapper does but with none of the library's transcodings applied (a UUID
        reads ``{"_type_": "uuid_hex", "_data_": …}``) and the personal part as stored: for read
        models that pick a few plain fields and would rather not build the event. ``None`` when
        the state is not a JSON object this can parse (decode the event instead)."""
        mapper = self._sealed_mapper
        assert mapper is not None  # made with the application's mapper
        if type(mapper.transcoder) not in _PLAIN_JSON:
            return None
        data = stored.state
        try:
            if mapper.cipher:
                data = mapper.cipher.decrypt(data)
            if mapper.compressor:
                data = mapper.compressor.decompress(data)
            state = from_json(data)
        except Exception:  # undecryptable, unparsable: the normal decode says what is wrong
            return None
        return state if type(state) is dict else None

    def decode_identified(self, stored: StoredEvent) -> JourneyEvent:
        """Like :meth:`decode_sealed`, but an event that keeps identifiers of the client or their
        private network sealed (``domain/private_ids.py``) is opened, so its plain fields hold
        the real ids while the client's key exists: for read models that index by them."""
        event = self.decode_sealed(stored)
        if private_ids.IDS in event.personal.get("_fields", ()):
            return cast("JourneyEvent", self.mapper.to_domain_event(stored))
        return event

    def get_sealed_record_by_id(self, journey: UUID, *, identified: bool = False) -> JourneyRecord:
        """The journey's events in record order with their personal parts left sealed (no key is
        read): for read models that store nothing personal. With ``identified``, the events
        that hide identifiers are opened (:meth:`decode_identified`)."""
        decode = self.decode_identified if identified else self.decode_sealed
        events = _decoded(self.recorder.select_events(journey), decode)
        first = events[0] if events else None
        if not isinstance(first, ClientRegistered):
            raise JourneyNotFoundError(str(journey))
        return JourneyRecord(first.client_ref, journey, tuple(events))

    def get_sealed_records_by_ids(
        self, journeys: Sequence[UUID], *, identified: bool = False
    ) -> dict[UUID, JourneyRecord]:
        """:meth:`get_sealed_record_by_id` for many journeys at once (their events read together,
        their keys looked up together); a journey that is not registered is left out."""
        if identified and self._vault is not None:
            self._vault.prefetch(journeys)
        decode = self.decode_identified if identified else self.decode_sealed
        records = {}
        for journey, stored in self.read_many(journeys).items():
            events = _decoded(stored, decode)
            first = events[0] if events else None
            if isinstance(first, ClientRegistered):
                records[journey] = JourneyRecord(first.client_ref, journey, tuple(events))
        return records

    def _read_each(self, journeys: Sequence[UUID]) -> dict[UUID, Sequence[StoredEvent]]:
        return {journey: self.recorder.select_events(journey) for journey in journeys}

    def get_version(self, client_ref: str) -> int:
        """The journey's current version (0 if it does not exist)."""
        recordings = self.recorder.select_events(self.journey_id(client_ref), desc=True, limit=1)
        return recordings[0].originator_version if recordings else 0

    def get_journey(self, client_ref: str) -> Journey:
        """The journey aggregate (a private, up-to-date copy); raises if not registered."""
        return self.peek(client_ref, copy.deepcopy)

    def peek(self, client_ref: str, look: Callable[[Journey], T]) -> T:
        """``look`` at the up-to-date cached journey, without a copy: it must only read, and not
        keep the journey. Raises :class:`JourneyNotFoundError` if not registered."""
        with self._locked(self.journey_id(client_ref)):
            return look(self._load(client_ref, fresh=True))

    # -- internals ---------------------------------------------------------------------------

    def _now(self, drafts: Sequence[cmd.Draft]) -> datetime:
        now = self._clock()
        for draft in drafts:
            if draft.occurred_at.tzinfo is None or draft.occurred_at.utcoffset() is None:
                raise InvariantViolationError(
                    Rule.OCCURRED_AT_AWARE, "occurred_at has no time zone"
                )
            if draft.occurred_at > now:
                raise InvariantViolationError(
                    Rule.OCCURRED_AT_NOT_FUTURE,
                    f"occurred_at {draft.occurred_at.isoformat()} is after now",
                )
        return now

    @contextmanager
    def _locked(self, journey: UUID) -> Iterator[None]:
        with self._locks[journey.int % _LOCK_STRIPES]:
            yield

    def _find(self, client_ref: str) -> Journey | None:
        """The cached journey itself (not a copy; hold its lock), or None."""
        journey = self.journey_id(client_ref)
        cache = self.repository.cache
        # Not cached: the repository reads and folds the whole journey, however long, with the
        # cyclic collector held off (domain/collector.py).
        missed = cache is None or journey not in cache.cache
        try:
            with collector_held() if missed else nullcontext():
                found = self.repository.get(
                    journey, deepcopy_from_cache=False, projector_func=_project
                )
                return cast(Journey, found)
        except AggregateNotFoundError:
            return None

    def _forget(self, journey: UUID) -> None:
        """Drop the cached journey (it is read again from the store when next needed)."""
        cache = self.repository.cache
        if cache is not None:
            with suppress(KeyError):
                cache.get(journey, evict=True)

    def _execute(self, client_ref: str, command: cmd.Command, ctx: CommandContext) -> Recorded:
        """Decide on the cached journey, save, and let the store's version check catch staleness.

        The journey comes from this process's cache without a read of the store. If another
        writer got there first, the save fails on the (journey, version) key and the command is
        decided again on the caught-up journey. A rejection decided on a cached journey is
        confirmed against the store's version before it is raised.
        """
        drafts = command.drafts()
        fresh = False
        for attempt in range(self.MAX_ATTEMPTS):
            now = self._now(drafts)
            with self._locked(self.journey_id(client_ref)):
                journey = self._load(client_ref, fresh=fresh)
                seen_version = journey.version
                mark = journey.mark()
                try:
                    result = self._decide(journey, drafts, ctx, now)
                    if not result.replayed:
                        self.save(journey)
                except IntegrityError:
                    journey.rollback(mark)  # the store moved on: catch up and decide again
                    fresh = True
                    stale = True
                except PolkuError:
                    journey.rollback(mark)  # a rejection leaves nothing behind
                    if not fresh and self.get_version(client_ref) != seen_version:
                        fresh = True
                        continue
                    raise
                except BaseException:
                    self._forget(journey.id)
                    raise
                else:
                    stale = False
            if stale:
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # noqa: S311 - jitter
                continue
            if not result.replayed:
                log.debug(
                    "journey.recorded",
                    journey_id=str(journey.id),
                    kinds=[journey.events[-1].KIND],
                    version=result.version,
                )
            return result
        raise ConcurrencyError(ctx.expected_version, self.get_version(client_ref))

    def _decide(
        self, journey: Journey, drafts: Sequence[cmd.Draft], ctx: CommandContext, now: datetime
    ) -> Recorded:
        if ctx.command_id is not None:
            prior = journey.prior_result(ctx.command_id, drafts)
            if prior is not None:
                return self._recorded(journey, prior, replayed=True)
        if ctx.expected_version is not None and journey.version != ctx.expected_version:
            raise ConcurrencyError(ctx.expected_version, journey.version)
        new = journey.decide(
            drafts,
            recorded_at=max(now, journey.modified_on),
            actor=ctx.actor,
            command_id=ctx.command_id,
        )
        return self._recorded(journey, new)

    def _load(self, client_ref: str, *, fresh: bool) -> Journey:
        """The cached journey itself (hold its lock), caught up with the store if ``fresh``."""
        journey = self._find(client_ref)
        if journey is None:
            raise JourneyNotFoundError(client_ref)
        if fresh:
            for event in self.events.get(journey.id, gt=journey.version):
                cast(JourneyEvent, event).mutate(journey)
        return journey

    def _replay_or(
        self,
        journey: Journey,
        ctx: CommandContext,
        drafts: Sequence[cmd.Draft],
        error: Callable[[str], Exception],
    ) -> Recorded:
        if ctx.command_id is not None:
            prior = journey.prior_result(ctx.command_id, drafts)
            if prior is not None:
                return self._recorded(journey, prior, replayed=True)
        raise error(journey.client_ref)

    @staticmethod
    def _recorded(
        journey: Journey, events: Sequence[JourneyEvent], *, replayed: bool = False
    ) -> Recorded:
        return Recorded(
            client_ref=journey.client_ref,
            journey_id=journey.id,
            event_ids=tuple(e.event_id for e in events),
            version=events[-1].originator_version,
            recorded_at=events[-1].timestamp,
            replayed=replayed,
        )
