"""The planners' read models, kept from the notification log (see :mod:`readmodels.tracking`).

- :class:`PlannerLog` (``planner``): one pseudonymous fact per recorded event
  (:mod:`pathways.eventlog`), appended in batches straight from the notifications — nothing is
  read back per journey, so a rebuild runs at the speed of decoding. Retractions are facts too;
  the effective log is worked out when read, so late entries and retractions count as the
  record shows them now.
- :class:`PlannerConformance` (``conformance``): each journey checked against every pathway of
  the catalogue, recomputed when any of the journey's events arrives.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring_ascii
from sys import intern
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import Notification

from domain.application import JourneyService
from domain.collector import collector_held
from pathways.conformance import check
from pathways.definitions import Pathway, catalogue
from pathways.eventlog import (
    EventLog,
    Fact,
    LogBuilder,
    UnreadableStateError,
    fact_fields,
    fact_of,
    read_state,
)
from pathways.logimage import ImageError, LogImage, image_parts, load_parts
from readmodels.planner_image import TABLE as IMAGE_TABLE
from readmodels.planner_image import ImageHeader, ImageStore
from readmodels.tracking import TrackedProjection
from storage.event_batches import notifications_as_text
from storage.replica import on_replica
from storage.sql import ReadStore, SqlStore, Tx, utc_text

__all__ = ["PlannerConformance", "PlannerLog", "Reflects"]

_log = structlog.get_logger("polku.planner")

_POSITION = "SELECT position FROM {polku_tracking} WHERE name = %s"


@dataclass(frozen=True)
class Reflects:
    """What a planner answer was read from: the model's rows as they stood at notification
    ``position``, on the ``primary`` or the ``replica`` (``POLKU_REPLICA_URL``)."""

    position: int
    source: str


def _reflects(tx: Tx, name: str) -> Reflects:
    rows = tx.rows(_POSITION, (name,))
    return Reflects(int(rows[0][0]) if rows else 0, "replica" if on_replica(tx) else "primary")


_COLUMNS = (
    "position",
    "journey_id",
    "event_id",
    "kind",
    "occurred_at",
    "sector",
    "ref",
    "link",
    "detail",
    "links",
)
_LINKS = json.JSONEncoder(separators=(",", ":")).encode
_TEXT = encode_basestring_ascii  # what _LINKS writes a text as (it escapes as ASCII)


def _links_text(links: Sequence[tuple[str, str, str]]) -> str:
    """``_LINKS(links)`` for links whose parts are all texts, joined without the encoder's
    per-call set-up (anything else goes through ``_LINKS``)."""
    if not links:
        return "[]"
    try:
        return "[" + ",".join(f"[{_TEXT(a)},{_TEXT(b)},{_TEXT(c)}]" for a, b, c in links) + "]"
    except (TypeError, ValueError):
        return _LINKS(links)


class PlannerLog(TrackedProjection):
    name = "planner"
    schema = 2
    """2: every caller-chosen identifier (party, consent, referral…) kept as a keyed pseudonym."""
    upgrade_drops = (
        "DROP TABLE IF EXISTS {polku_planner_log}",
        "DROP TABLE IF EXISTS {polku_planner_image}",
    )
    tables = (
        "CREATE TABLE IF NOT EXISTS {polku_planner_log} ("
        " position BIGINT PRIMARY KEY, journey_id TEXT NOT NULL, event_id TEXT NOT NULL,"
        " kind TEXT NOT NULL, occurred_at TEXT NOT NULL, sector TEXT, ref TEXT, link TEXT,"
        " detail TEXT, links TEXT NOT NULL)",
        IMAGE_TABLE,
    )

    fast = True
    """Read each fact straight from the notification's stored JSON (:func:`read_state`),
    without building the event; an event it does not know how to read is decoded as usual.
    Pseudonyms worked out are remembered between batches (:attr:`KNOWN`). Off: every event is
    decoded and every pseudonym worked out afresh (the rows are the same, only slower)."""

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        rows: list[tuple[Any, ...]] = []
        journeys: dict[object, str] = {}  # a batch's journey ids as text, by the stored form
        known = self._known
        if len(known) > self.KNOWN:
            known.clear()

        def remembered(kind: str, ident: str) -> str:
            found = known.get((kind, ident))
            if found is None:
                found = known[kind, ident] = self._pseudonym(kind, ident)
            return found

        # Off, the model works as it did before the fast path: every event decoded, every
        # pseudonym worked out afresh (what the benchmark measures the fast path against).
        pseudonym = remembered if self.fast else self._pseudonym
        for notification in notifications:
            if self.fast:
                row = self._fast_row(notification, pseudonym, journeys)
                if row is not _UNREAD:
                    if row is not None:
                        rows.append(row)
                    continue
            event = self.service.decode_sealed(notification)
            fact = fact_of(event, notification.id, pseudonym)
            if fact is not None:
                rows.append(
                    (
                        fact.position,
                        fact.journey,
                        fact.event_id,
                        fact.kind,
                        utc_text(fact.occurred_at),
                        fact.sector,
                        fact.ref,
                        fact.link,
                        fact.detail,
                        _LINKS(fact.links),
                    )
                )
        tx.insert_many("polku_planner_log", _COLUMNS, rows)

    def select(self, start: int, stop: int) -> Sequence[Notification]:
        # The fast path takes the journey id as text: no UUID is built per row.
        if self.fast and not self.topics:
            found = notifications_as_text(self.source.recorder, start, self.batch, stop)
            if found is not None:
                return found
        return super().select(start, stop)

    def _fast_row(
        self,
        notification: Notification,
        pseudonym: Callable[[str, str], str],
        journeys: dict[object, str],
    ) -> tuple[Any, ...] | None:
        """The row of ``notification`` read straight from its stored state (``None``: the event
        keeps none); ``_UNREAD`` when it must be decoded the normal way."""
        state = self.service.stored_state(notification)
        if state is None:
            return _UNREAD
        try:
            read = read_state(notification.topic, state, pseudonym)
            if read is None:
                return None
            at = read.occurred_at
            if _UTC_TEXT.fullmatch(at) is None:  # else it is what utc_text would make of it
                at = utc_text(datetime.fromisoformat(at))
            journey = journeys.get(notification.originator_id)
            if journey is None:
                journey = journeys[notification.originator_id] = _uuid_text(
                    notification.originator_id
                )
        except (UnreadableStateError, ValueError):
            return _UNREAD
        return (
            notification.id,
            journey,
            read.event_id,
            read.kind,
            at,
            read.sector,
            read.ref,
            read.link,
            read.detail,
            _links_text(read.links),
        )

    def clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM {polku_planner_log}")
        ImageStore.clear(tx)
        # Every process keeping the log in memory reads it afresh when it sees this change.
        key = (self._cleared_key,)
        tx.execute("INSERT INTO {polku_tracking} VALUES (%s, 0) ON CONFLICT DO NOTHING", key)
        tx.execute("UPDATE {polku_tracking} SET position = position + 1 WHERE name = %s", key)

    def _times_cleared(self, tx: Tx) -> int:
        rows = tx.rows(_POSITION, (self._cleared_key,))
        return int(rows[0][0]) if rows else 0

    def __init__(
        self,
        store: SqlStore,
        service: JourneyService,
        batch: int | None = None,
        *,
        reads: ReadStore | None = None,
    ) -> None:
        super().__init__(store, service, batch, reads=reads)
        self._pseudonym = service.journey_id.pseudonym
        self._known: dict[tuple[str, str], str] = {}
        """Pseudonyms already worked out (a keyed hash each), by (kind, identifier): the same
        professionals, organisations' parties and ids recur across journeys."""
        self._guard = threading.Lock()
        self._builder = LogBuilder()
        self._shared = _Shared()
        self._loaded = 0
        self._cleared_key = f"{self.name}:cleared"
        """The tracking row counting the table's clears (rebuilds): cheap to read, where
        counting the table's rows (how a rebuild was noticed before) took a scan of it."""
        self._cleared = -1
        """The clears counted when this process's log was read from the first fact."""
        self._images = ImageStore(
            store,
            self.reads,
            service.journey_id.derive("planner log image"),
            current_key=f"{self.name}:image",
            cleared_key=self._cleared_key,
        )
        self._image_at = 0
        """The position of the newest image this process loaded or wrote (0: none)."""
        self._saving: threading.Thread | None = None
        self.use_image = True
        """Whether a first read starts from the log's image (off: every fact is read from the
        table, as before images; the benchmarks' anchor)."""
        self.images_in_background = False
        """Whether a read that finds the log :attr:`IMAGE_EVERY` facts past its image writes a
        new one in a background thread (a server's reads do; a one-off command, which would
        exit half-way, does not: ``polku projections image`` writes one when asked)."""
        self._image_retry_after = 0.0
        """Until when (monotonic seconds) a failed background write is not tried again."""

    IMAGE_EVERY = 100_000
    """Facts recorded past the newest image before a server's read writes a new one."""

    IMAGE_RETRY_SECONDS = 600.0
    """How long after a background write failed before a read tries again (a write that keeps
    failing, a full disk say, must not cost every planner read a whole image's work)."""

    IMAGE_JOURNEYS = 5_000
    """Journeys per part of an image (a part is one row, written in a transaction of its own)."""

    KNOWN = 50_000
    """Pseudonyms kept between batches, at most (then forgotten all at once)."""

    CHUNK = 20_000
    """Facts read per transaction: a big log is read in short transactions, each converted
    after its transaction ended (a long read transaction on PostgreSQL meets the server's
    idle-in-transaction limit while Python converts its rows)."""

    def facts(self, after: int = 0) -> list[Fact]:
        """The facts recorded after position ``after``, in record order (after catching up)."""
        return self._facts(after)[0]

    def _facts(self, after: int) -> tuple[list[Fact], Reflects]:
        """:meth:`facts`, and what the last of its transactions reflected."""
        self.refresh()
        found: list[Fact] = []
        while True:
            with self.reads.transaction(write=False) as tx:
                rows = tx.rows(
                    "SELECT position, journey_id, event_id, kind, occurred_at, sector, ref, link,"
                    " detail, links FROM {polku_planner_log} WHERE position > %s"
                    " ORDER BY position LIMIT %s",
                    (after, self.CHUNK),
                )
                reflects = _reflects(tx, self.name)
            found += self._shared.facts(rows)
            if len(rows) < self.CHUNK:
                return found, reflects
            after = found[-1].position

    def log(self) -> EventLog:
        """The effective, pseudonymous event log of every journey (see :meth:`read`)."""
        return self.read()[0]

    def read(self) -> tuple[EventLog, Reflects]:
        """The effective, pseudonymous event log of every journey, and what it reflects.

        Kept in memory between calls: only facts recorded since the last call are read and
        only their journeys worked out again; if the table was cleared meanwhile (a rebuild,
        here or in another process: :meth:`clear` counts them), everything is read afresh."""
        # Millions of small objects at a first read, none in a cycle: the cyclic collector is
        # held off until they are made (domain/collector.py).
        with self._guard, collector_held(long_lived=True):
            if self._cleared < 0:  # nothing read yet: the clears so far, before the facts
                with self.reads.transaction(write=False) as tx:
                    self._cleared = self._times_cleared(tx)
            if self._loaded == 0 and self.use_image:
                self._load_image()
            new, reflects = self._facts(self._loaded)
            # Read after the facts: a clear before or while they were read shows here.
            with self.reads.transaction(write=False) as tx:
                cleared = self._times_cleared(tx)
            if cleared != self._cleared:
                self._builder, self._loaded, self._cleared = LogBuilder(), 0, cleared
                self._shared = _Shared()
                self._image_at = 0
                new, reflects = self._facts(0)
            self._builder.add(new)
            if new:
                self._loaded = new[-1].position
            if self.images_in_background and self._loaded - self._image_at >= self.IMAGE_EVERY:
                self._save_in_background()
            return self._builder.log(), reflects

    def _load_image(self) -> None:
        """Start from the newest image of the log, if there is one this code can use (else the
        log is read from the table's first fact)."""
        try:
            found = self._images.read(self._cleared)
            if found is None:
                return
            header, parts = found
            loaded = load_parts(parts)
        except ImageError as error:
            # Our own words only (never a value from the image): nothing personal is logged.
            _log.warning("planner_image_unusable", reason=str(error))
            return
        self._builder, self._loaded, self._image_at = (
            loaded.builder,
            header.position,
            header.position,
        )
        # The image holds each event's time as the analytics engine keeps it: the engine of
        # the loaded log is built from it now, without a step per event (the log of the facts
        # read next is then built on it, from the journeys they touch).
        from pathways.analytics import prime

        prime(loaded.builder.log(), loaded.micros)

    def save_image(self) -> ImageHeader | None:
        """Write the image of the log as it stands (read first, as :meth:`read` does) and make
        it the one new processes load; the header written, or ``None`` if the log's table was
        cleared meanwhile (the image would show an older table)."""
        self.read()
        with self._guard:
            image, header = self._taken()
        return self._write_image(image, header)

    def _taken(self) -> tuple[LogImage, ImageHeader]:
        image = LogImage.of_builder(self._builder)
        return image, ImageHeader(
            self._cleared, self._loaded, 0, image.fact_count, len(image.log.journeys)
        )

    def _save_in_background(self) -> None:
        if self._saving is not None and self._saving.is_alive():
            return
        if time.monotonic() < self._image_retry_after:
            return
        image, header = self._taken()
        self._saving = threading.Thread(
            target=self._write_image,
            args=(image, header),
            name="polku-planner-image",
            daemon=True,
        )
        self._saving.start()

    def _write_image(self, image: LogImage, header: ImageHeader) -> ImageHeader | None:
        started = time.perf_counter()
        try:
            written = self._images.write(header, image_parts(image, self.IMAGE_JOURNEYS))
        except Exception:  # a background writer has no caller to tell: the log says it
            _log.exception("planner_image_failed")
            self._image_retry_after = time.monotonic() + self.IMAGE_RETRY_SECONDS
            raise
        if written is None:
            _log.info("planner_image_stale", position=header.position)
            return None
        self._image_at = max(self._image_at, header.position)
        _log.info(
            "planner_image_written",
            position=header.position,
            facts=header.facts,
            journeys=header.journeys,
            parts=written.parts,
            seconds=round(time.perf_counter() - started, 2),
        )
        return written


class PlannerConformance(TrackedProjection):
    name = "conformance"
    whole_journeys = True
    schema = 3
    """2: early steps conform and steps may name their prerequisites; 3: the anchor's valid time
    is kept, so conformance obeys a period (journeys anchored in it). Judged afresh on upgrade."""
    upgrade_drops = ("DROP TABLE IF EXISTS {polku_planner_conformance}",)
    tables = (
        "CREATE TABLE IF NOT EXISTS {polku_planner_conformance} ("
        " journey_id TEXT NOT NULL, pathway TEXT NOT NULL, conforming INTEGER NOT NULL,"
        " anchored_at TEXT NOT NULL, PRIMARY KEY (journey_id, pathway))",
    )

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        pathways = catalogue().values()
        journeys = [str(j) for j in self.due(notifications)]
        rows = []
        records = self.service.get_sealed_records_by_ids([UUID(j) for j in journeys])
        for journey in journeys:
            record = records.get(UUID(journey))
            if record is None:
                continue  # not a journey (nothing registered under that id)
            results = (check(record, pathway) for pathway in pathways)
            rows += [
                (journey, r.pathway_id, int(r.conforming), utc_text(r.anchor.occurred_at))
                for r in results
                if r.applies and r.anchor is not None
            ]
        tx.executemany(
            "DELETE FROM {polku_planner_conformance} WHERE journey_id = %s",
            [(j,) for j in journeys],
        )
        tx.executemany("INSERT INTO {polku_planner_conformance} VALUES (%s, %s, %s, %s)", rows)

    def clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM {polku_planner_conformance}")

    def outcomes(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> dict[str, tuple[str, dict[str, bool]]]:
        """Per pathway of the catalogue: (title, whether each journey it applies to conforms,
        by journey id), counting the journeys whose anchor occurred in [start, end]."""
        return self.read_outcomes(start, end)[0]

    def read_outcomes(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[dict[str, tuple[str, dict[str, bool]]], Reflects]:
        """:meth:`outcomes`, and what they reflect."""
        self.refresh()
        with self.reads.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT journey_id, pathway, conforming, anchored_at"
                " FROM {polku_planner_conformance}"
            )
            reflects = _reflects(tx, self.name)
        found: dict[str, dict[str, bool]] = defaultdict(dict)
        for journey, pathway, conforming, anchored_at in rows:
            at = datetime.fromisoformat(str(anchored_at))
            if (start is None or at >= start) and (end is None or at <= end):
                found[str(pathway)][str(journey)] = bool(conforming)
        known: dict[str, Pathway] = catalogue()
        return {pid: (p.title, found.get(pid, {})) for pid, p in known.items()}, reflects

    def journeys(self, pathway: str) -> set[str]:
        """The journeys ``pathway`` applies to (its anchor has happened), by id."""
        self.refresh()
        with self.reads.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT journey_id FROM {polku_planner_conformance} WHERE pathway = %s",
                (pathway,),
            )
        return {str(row[0]) for row in rows}


_UNREAD: tuple[Any, ...] = ()
"""Said by the fast path of an event it does not read: decode it."""
_UTC_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00")
"""A time as :func:`~storage.sql.utc_text` writes it (fixed width, UTC, microseconds)."""
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX = re.compile(r"[0-9a-f]{32}")


def _uuid_text(journey: object) -> str:
    """A notification's originator id as ``str(UUID(…))`` gives it, without building the UUID
    when the store gave its text (hyphenated, as PostgreSQL reads it as text, or 32 hex digits,
    as SQLite keeps it); any other form is read by ``UUID``."""
    if type(journey) is str:
        if _CANONICAL.fullmatch(journey):
            return journey
        if _HEX.fullmatch(journey):
            h = journey
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(journey if type(journey) is UUID else UUID(str(journey)))


class _Shared:
    """One object for each repeated value of the facts a process keeps (journey ids, kinds,
    sectors, terms, pseudonyms, whole link lists): every row read from the table would
    otherwise bring its own copies, so a journey's id was held once per event. Strings are
    interned; link lists (immutable tuples) are decoded once per distinct text, and kept with
    it for as long as the log that holds them (organisations and professionals recur, so most
    lists do: 38 distinct lists in 121,090 facts of the generated population)."""

    def __init__(self) -> None:
        self._links: dict[str, tuple[tuple[str, str, str], ...]] = {}

    def links(self, text: str) -> tuple[tuple[str, str, str], ...]:
        found = self._links.get(text)
        if found is None:
            found = tuple(
                (intern(kind), intern(ident), intern(qualifier))
                for kind, ident, qualifier in json.loads(text)
            )
            self._links[text] = found
        return found

    def facts(self, rows: Sequence[tuple[Any, ...]]) -> list[Fact]:
        """The facts of rows read from the table (its columns in order), sharing what recurs.
        Both drivers give the columns as the table declares them (an integer position, texts),
        so nothing is converted but the valid time."""
        links_of, known_links = self.links, self._links
        make, from_text = fact_fields, datetime.fromisoformat
        found = []
        for (
            position,
            journey,
            event_id,
            kind,
            occurred_at,
            sector,
            ref,
            link,
            detail,
            links,
        ) in rows:
            shared = known_links.get(links)
            found.append(
                make(
                    (
                        position,
                        intern(journey),
                        event_id,
                        intern(kind),
                        from_text(occurred_at),
                        None if sector is None else intern(sector),
                        None if ref is None else intern(ref),
                        link,
                        None if detail is None else intern(detail),
                        links_of(links) if shared is None else shared,
                    )
                )
            )
        return found
