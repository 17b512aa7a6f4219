"""The change feed: for one organisation, in record (notification-log) order, the events of the
journeys it may read, as it may see them (docs/feed.md).

The rule is the reads rule (:func:`domain.policy.organisation_sights`, built on
:func:`domain.policy.sight_of`), applied *at the time of each event*: each journey's record is
replayed event by event, and after each event the organisation's members on the team (as the
record then stood) decide whether it reads the journey and what it sees of it.

- An event is delivered when the organisation reads the journey just after it and one of its
  members would be shown it; a retraction when the event it retracts was delivered.
- The event that ends the organisation's reading (its last member removed, or that member's
  addition retracted) is delivered as seen just before it, marked ``access: "ended"``; after
  it nothing of the journey is delivered until a member of the organisation is on the team again.
- When the organisation starts reading a journey, or comes to see more of it (a consent naming
  it, a denial lifted), the earlier events it now sees and was not given are delivered then,
  first, marked ``catch_up``.

A position is a notification id and how many of the items of that notification were given, so a
page may end in the middle of one notification's items and the next page resumes there. To the
caller a position is an opaque cursor sealed with a key derived from the keyring: notification
ids count every journey's events, so showing them would tell an organisation how much happened
in journeys it may not read. A caller who may not read a journey gets the same answers whether
or not it exists.

Reading the feed is a read of each client whose events it hands out: one access-log row per
client per page, written before the page is returned (:meth:`runtime.reads.Reads.many`).
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Notification

from domain.errors import InvalidQueryError
from domain.events import (
    Actor,
    ClientRegistered,
    EventRetracted,
    JourneyEvent,
    PersonalDataErased,
    TeamMemberAdded,
)
from domain.journey import Journey
from domain.personal import ERASED
from domain.policy import Sight, organisation_sights
from projections.history import facts_of
from readmodels.caseload import ERASED_PREFIX
from runtime.reads import Reader, Reads
from runtime.wiring import Components

__all__ = [
    "MAX_LIMIT",
    "MAX_WAIT",
    "Feed",
    "FeedEntry",
    "FeedItem",
    "FeedPage",
    "Position",
    "journey_entries",
]

MAX_LIMIT = 1000
"""The most items one page holds."""
MAX_WAIT = 30.0
"""The longest a request waits for something to deliver (seconds)."""
SCAN = 500
"""Notifications read from the log per round."""
SCAN_BUDGET = 1.0
"""Seconds of scanning a request without ``wait`` does before it answers with what it found."""
POLL = 0.1
"""How often a waiting request looks for new notifications (seconds)."""


@dataclass(frozen=True, order=True)
class Position:
    """Every notification before ``notification`` was delivered, and the first ``skip`` items
    of ``notification`` itself."""

    notification: int = 0
    skip: int = 0


@dataclass(frozen=True)
class FeedEntry:
    """One event delivered to one organisation (before it becomes a :class:`FeedItem`)."""

    position: Position
    """Where the feed resumes after this entry."""
    client_ref: str
    journey_id: UUID
    event: JourneyEvent
    late: bool
    catch_up: bool
    ended: bool


@dataclass(frozen=True)
class FeedItem:
    cursor: str
    """Resume after this item: pass it as ``after``."""
    client_ref: str
    version: int
    """The event's version in its journey."""
    event_id: UUID
    kind: str
    occurred_at: datetime
    """Valid time: when it happened."""
    recorded_at: datetime
    """Record time: when Polku learned it."""
    recorded_by: Actor
    late: bool
    """It occurred before an event of this journey already delivered to you: fold it in at its
    valid time, not at the end."""
    catch_up: bool
    """Recorded earlier, delivered now: your organisation has just come to read the journey
    (or to see this part of it)."""
    retracts: UUID | None
    """For a retraction: the event it takes out of the record (delivered to you earlier)."""
    access: Literal["reading", "ended"]
    """``ended``: your organisation no longer reads this journey after this event; nothing more
    of it comes until a member of it is on the team again."""
    facts: dict[str, Any]
    """The event's non-personal fields (as the journey's history shows them)."""


@dataclass(frozen=True)
class FeedPage:
    items: tuple[FeedItem, ...]
    next: str
    """The cursor to resume from (``after``): after the last item, or where the scan ended."""
    caught_up: bool
    """The page reaches the end of the log as it stood when it was answered: there is nothing
    more for you now (an empty page alone does not say so: a request scans for a bounded time)."""


_Emit = tuple[JourneyEvent, bool, bool, bool]
"""(event, late, catch_up, ended)"""


def journey_entries(
    actor: Actor, events: Sequence[JourneyEvent], versions: range
) -> dict[int, list[_Emit]]:
    """What ``actor``'s organisation is given at each event of one journey whose version is in
    ``versions``: the journey is replayed from its registration, and after each event the
    organisation's sights decide (module docstring). Deterministic: the same record gives the
    same items wherever a page starts."""
    if actor.role != "auditor" and not any(
        isinstance(e, TeamMemberAdded) and e.organisation == actor.organisation
        for e in events[: versions.stop - 1]
    ):
        return {}  # none of its members was ever on the team: it never reads the journey
    replay = _Replay()
    journey: Journey | None = None
    before: tuple[Sight, ...] = ()
    out: dict[int, list[_Emit]] = {}
    for index, event in enumerate(events):
        if event.originator_version >= versions.stop:
            break
        journey = event.mutate(journey)
        assert journey is not None
        sights = organisation_sights(actor, journey.end_state(), event.timestamp)
        given: list[_Emit] = []
        if sights:
            if sights != before:  # started reading, or sees more: what it was not given
                for earlier in events[:index]:
                    replay.give(given, earlier, sights, catch_up=True, ended=False)
            replay.give(given, event, sights, catch_up=False, ended=False)
        elif before:
            replay.give(given, event, before, catch_up=False, ended=True)
        before = sights
        if given and event.originator_version in versions:
            out[event.originator_version] = given
    return out


class _Replay:
    """What one organisation was given of one journey so far."""

    def __init__(self) -> None:
        self.delivered: set[UUID] = set()
        self.latest: datetime | None = None

    def give(
        self,
        given: list[_Emit],
        event: JourneyEvent,
        sights: tuple[Sight, ...],
        *,
        catch_up: bool,
        ended: bool,
    ) -> None:
        if event.event_id in self.delivered or not _shows(sights, event, self.delivered):
            return
        late = False
        if not isinstance(event, EventRetracted):
            late = self.latest is not None and event.occurred_at < self.latest
            self.latest = max(self.latest or event.occurred_at, event.occurred_at)
        self.delivered.add(event.event_id)
        given.append((event, late, catch_up, ended))


def _shows(sights: Iterable[Sight], event: JourneyEvent, delivered: set[UUID]) -> bool:
    if isinstance(event, EventRetracted):
        return event.target_event_id in delivered
    return any(sight.shows(event) for sight in sights)


class Feed:
    def __init__(self, components: Components) -> None:
        self._components = components
        self._cipher = AESGCM(components.service.journey_id.derive("feed cursor"))

    # -- the HTTP and CLI use case ------------------------------------------------------------

    def page(self, reader: Reader, after: str | None, *, limit: int, wait: float = 0.0) -> FeedPage:
        """At most ``limit`` items after the cursor ``after`` (None: from the start), waiting up
        to ``wait`` seconds for one if there is none yet; the clients handed out are written to
        the access log first."""
        Reads.authorise(reader.actor)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidQueryError(f"limit is from 1 to {MAX_LIMIT}")
        start = self.position(reader.actor, after) if after is not None else Position()
        entries, end = self.read(reader.actor, start, limit=limit, wait=min(wait, MAX_WAIT))
        caught_up = end.notification > (
            self._components.service.recorder.max_notification_id() or 0
        )
        Reads(self._components).many(reader, [e.journey_id for e in entries], auditors_only=False)
        return FeedPage(
            tuple(self.item(reader.actor, e) for e in entries),
            self.cursor(reader.actor, end),
            caught_up,
        )

    # -- cursors ------------------------------------------------------------------------------

    def cursor(self, actor: Actor, position: Position) -> str:
        """The position sealed for ``actor``'s organisation (a fresh nonce each time)."""
        nonce = os.urandom(12)
        plain = struct.pack(">QI", position.notification, position.skip)
        sealed = nonce + self._cipher.encrypt(nonce, plain, _audience(actor))
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def position(self, actor: Actor, cursor: str) -> Position:
        """The position a cursor this feed gave ``actor``'s organisation stands for."""
        try:
            if len(cursor) > 128:
                raise ValueError
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            plain = self._cipher.decrypt(raw[:12], raw[12:], _audience(actor))
            notification, skip = struct.unpack(">QI", plain)
        except (binascii.Error, ValueError, InvalidTag, struct.error):
            raise InvalidQueryError("'after' is not a cursor this feed gave you") from None
        return Position(notification, skip)

    def item(self, actor: Actor, entry: FeedEntry) -> FeedItem:
        e = entry.event
        return FeedItem(
            cursor=self.cursor(actor, entry.position),
            client_ref=entry.client_ref,
            version=e.originator_version,
            event_id=e.event_id,
            kind=e.KIND,
            occurred_at=e.occurred_at,
            recorded_at=e.timestamp,
            recorded_by=e.recorded_by,
            late=entry.late,
            catch_up=entry.catch_up,
            retracts=e.target_event_id if isinstance(e, EventRetracted) else None,
            access="ended" if entry.ended else "reading",
            facts=_facts(e, erased=entry.client_ref.startswith(ERASED_PREFIX)),
        )

    # -- reading the log ----------------------------------------------------------------------

    def read(
        self,
        actor: Actor,
        start: Position,
        *,
        limit: int,
        wait: float = 0.0,
        stop: Callable[[], bool] = lambda: False,
    ) -> tuple[list[FeedEntry], Position]:
        """At most ``limit`` entries from ``start``, and the position after them. Scans at most
        :data:`SCAN_BUDGET` seconds (or until ``wait`` is over) and waits up to ``wait`` seconds
        for something to deliver. Writes nothing but the catch-up of the feed's index
        (readmodels/feed_index.py)."""
        now = time.monotonic()
        deadline = now + wait
        scan_until = now + SCAN_BUDGET
        budget = max(deadline, scan_until)
        position = start
        entries: list[FeedEntry] = []
        while True:
            head = self._head(actor)
            while len(entries) < limit and position.notification <= head:
                position = self._round(actor, position, head, limit - len(entries), entries)
                spent = time.monotonic()
                if spent >= budget or (entries and spent >= scan_until):
                    return entries, position
            if entries or time.monotonic() >= deadline or stop():
                return entries, position
            recorder = self._components.service.recorder
            log_head = recorder.max_notification_id() or 0
            if head < log_head:
                continue  # the index has more to catch up on first
            while (recorder.max_notification_id() or 0) <= log_head:  # one cheap query a poll
                if time.monotonic() >= deadline or stop():
                    return entries, position
                time.sleep(POLL)

    def _head(self, actor: Actor) -> int:
        """The last notification the feed may look at: the log's head, or for an organisation
        as far as the index of its journeys has caught up (a bounded slice per call)."""
        if actor.role == "auditor":
            return self._components.service.recorder.max_notification_id() or 0
        return self._components.feed_index.refresh().position

    def _round(
        self, actor: Actor, position: Position, head: int, room: int, entries: list[FeedEntry]
    ) -> Position:
        """Deliver from one batch of notifications into ``entries`` (at most ``room``); the
        position after what was delivered."""
        service = self._components.service
        notifications = service.recorder.select_notifications(
            start=max(position.notification, 1), limit=SCAN, stop=head
        )
        given = self._given(actor, notifications)
        for n in notifications:
            if n.id < position.notification:
                continue
            items = given.get((_uuid(n.originator_id), n.originator_version), ())
            first = position.skip if n.id == position.notification else 0
            for index in range(first, len(items)):
                if room == 0:
                    return Position(n.id, index)
                client_ref, journey_id, (event, late, catch_up, ended) = items[index]
                entries.append(
                    FeedEntry(
                        Position(n.id, index + 1), client_ref, journey_id, event, late,
                        catch_up, ended,
                    )
                )  # fmt: skip
                room -= 1
            position = Position(n.id + 1, 0)
        if len(notifications) < SCAN:
            return Position(max(position.notification, head + 1), 0)
        return position

    def _given(
        self, actor: Actor, notifications: Sequence[Notification]
    ) -> dict[tuple[UUID, int], list[tuple[str, UUID, _Emit]]]:
        """What each notification of the batch delivers to ``actor``'s organisation."""
        versions: dict[UUID, list[int]] = {}
        for n in notifications:
            versions.setdefault(_uuid(n.originator_id), []).append(n.originator_version)
        service = self._components.service
        given: dict[tuple[UUID, int], list[tuple[str, UUID, _Emit]]] = {}
        if actor.role != "auditor":
            ours = self._components.feed_index.journeys_of(actor.organisation, versions)
            versions = {j: numbers for j, numbers in versions.items() if j in ours}
        records = service.get_sealed_records_by_ids(list(versions), identified=True)
        for journey_id, numbers in versions.items():
            record = records.get(journey_id)
            if record is None:
                continue  # not a journey: nothing the feed delivers
            span = range(min(numbers), max(numbers) + 1)
            ref = record.client_ref
            if any(isinstance(e, PersonalDataErased) for e in record.events):
                ref = f"{ERASED_PREFIX}{journey_id}"  # the client ref is not handed out again
            for version, emitted in journey_entries(actor, record.events, span).items():
                given[(journey_id, version)] = [(ref, journey_id, e) for e in emitted]
        return given


def _facts(event: JourneyEvent, *, erased: bool) -> dict[str, Any]:
    facts = facts_of(event)
    if erased and isinstance(event, ClientRegistered):
        facts["client_ref"] = ERASED
    return facts


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def _audience(actor: Actor) -> bytes:
    """Whose cursors these are: an organisation's (auditors share one feed of everything)."""
    if actor.role == "auditor":
        return b"polku feed|auditors"
    return f"polku feed|org|{actor.organisation}".encode()
