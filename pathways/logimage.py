"""The planners' log as a compact image: what a process keeps of it (every fact, and each
journey's effective events) written as columns, so that a new process loads it in a fraction
of the time reading the table's rows and working the effective log out again takes.

An image is cut into parts, each the journeys of one stretch of the log's order. A part is a
``marshal`` blob of plain lists (integers, texts, ``None`` and the link tuples): no classes, no
code. Loading it makes the facts and the logged events with C-level calls (``map`` over
``zip``), not a Python call per event, and keeps every journey's tuple as the log of its
facts would have it (:class:`pathways.eventlog.LogBuilder` goes on from there as if it had
read them).

An image holds nothing the planners' table does not: the facts as read from it, and what the
effective-log rules worked out of them. Those rules are code, so every image carries the
fingerprint of the code that made it (:data:`RULES`: this module's and
:mod:`pathways.eventlog`'s source); an image made by other code is not loaded.

Where the parts are kept, and how they are sealed against tampering, is the read model's
business (``readmodels/planner_image.py``).
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import chain, pairwise, repeat
from pathlib import Path
from typing import NamedTuple

from pathways import eventlog
from pathways.eventlog import EventLog, Fact, LogBuilder, LoggedEvent, fact_fields, logged_fields

__all__ = ["RULES", "ImageError", "LoadedImage", "LogImage", "image_parts", "load_parts"]

RULES = hashlib.sha256(
    Path(eventlog.__file__).read_bytes() + Path(__file__).read_bytes()
).hexdigest()
"""The fingerprint of the rules an image was worked out by: any change to the effective log's
code (or to this format) makes older images stale."""

FORMAT = 1
_COLUMNS = 17
"""A part: ids, facts per journey, the ten fact fields, events per journey, and each event's
fact (its index in the part's facts), activity, sector, links and valid time in microseconds
since the epoch (the analytics engine's time column, so that a loaded log's engine is built
without a Python step per event: :func:`pathways.analytics.prime`)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class LoadedImage(NamedTuple):
    builder: LogBuilder
    micros: list[int]
    """Each event's valid time in microseconds since the epoch, journey after journey."""


class ImageError(Exception):
    """An image (or a part of one) that cannot be loaded: stale, damaged or inconsistent."""


class LogImage:
    """What an image is made from: a log and, for each of its journeys, how many of the
    journey's facts it was worked out from (facts are only ever appended, so later facts do
    not disturb the first ones). Taken in one step under the log keeper's lock
    (:meth:`of_builder`); encoded later, while the keeper goes on."""

    __slots__ = ("counts", "facts", "log")

    def __init__(self, log: EventLog, facts: dict[str, list[Fact]], counts: Sequence[int]) -> None:
        self.log = log
        self.facts = facts
        self.counts = counts

    @classmethod
    def of_builder(cls, builder: LogBuilder) -> LogImage:
        log = builder.log()
        facts = builder.facts_by_journey()
        return cls(log, facts, [len(facts[journey]) for journey in log.journey_ids()])

    @property
    def fact_count(self) -> int:
        return sum(self.counts)


def image_parts(image: LogImage, journeys_per_part: int) -> Iterator[bytes]:
    """The image's parts, in order: ``journeys_per_part`` journeys each (the last fewer)."""
    if journeys_per_part < 1:
        raise ValueError("an image part holds one journey or more")
    ids = image.log.journey_ids()
    journeys = image.log.journeys
    for start in range(0, len(journeys), journeys_per_part):
        stop = start + journeys_per_part
        yield _part(ids[start:stop], journeys[start:stop], image.facts, image.counts[start:stop])


def _part(
    ids: Sequence[str],
    journeys: Sequence[tuple[LoggedEvent, ...]],
    facts_of: dict[str, list[Fact]],
    counts: Sequence[int],
) -> bytes:
    # In the order a part holds them (see _COLUMNS).
    fact_columns: list[list[object]] = [[] for _ in range(9)]
    position, event_id, kind, occurred, sector, ref, link, detail, links = fact_columns
    event_columns: list[list[object]] = [[] for _ in range(6)]
    event_counts, event_index, activity, event_sector, event_links, event_micros = event_columns
    fact_counts: list[int] = []
    epoch, micro = _EPOCH, _MICROSECOND
    for journey_id, journey, count in zip(ids, journeys, counts, strict=True):
        facts = facts_of[journey_id][:count]
        base = len(position)
        where = {id(fact): base + n for n, fact in enumerate(facts)}
        for fact in facts:
            position.append(fact.position)
            event_id.append(fact.event_id)
            kind.append(fact.kind)
            occurred.append(fact.occurred_at.isoformat())
            sector.append(fact.sector)
            ref.append(fact.ref)
            link.append(fact.link)
            detail.append(fact.detail)
            links.append(fact.links)
        fact_counts.append(count)
        for event in journey:
            at = where.get(id(event.fact))
            if at is None:  # never: an event is one of its journey's facts, worked out
                raise ImageError(f"an event of journey number {len(fact_counts)} has no fact")
            event_index.append(at)
            activity.append(event.activity)
            event_sector.append(event.sector)
            event_links.append(event.links)
            event_micros.append((event.fact.occurred_at - epoch) // micro)
        event_counts.append(len(journey))
    return marshal.dumps((list(ids), fact_counts, *fact_columns, *event_columns), 4)


def load_parts(parts: Iterator[bytes]) -> LoadedImage:
    """A log keeper holding what the parts (in order) were made of, and its events' times."""
    ids: list[str] = []
    micros: list[int] = []
    facts: list[list[Fact]] = []
    journeys: list[tuple[LoggedEvent, ...]] = []
    for data in parts:
        part_ids, part_facts, part_journeys, part_micros = _loaded(data)
        ids += part_ids
        facts += part_facts
        journeys += part_journeys
        micros += part_micros
    if any(a >= b for a, b in pairwise(ids)):
        raise ImageError("an image's journeys are out of order")
    return LoadedImage(LogBuilder.loaded(ids, facts, journeys), micros)


def _loaded(
    data: bytes,
) -> tuple[list[str], list[list[Fact]], list[tuple[LoggedEvent, ...]], list[int]]:
    try:
        # Plain data only (marshal makes no class instances and runs nothing), and only from
        # a part whose seal its keeper checked (readmodels/planner_image.py).
        columns = marshal.loads(data)  # noqa: S302
    except (EOFError, ValueError, TypeError):
        raise ImageError("an image part cannot be read") from None
    if not (
        type(columns) is tuple
        and len(columns) == _COLUMNS
        and all(type(c) is list for c in columns)
    ):
        raise ImageError("an image part is not what this code writes")
    (
        ids,
        fact_counts,
        position,
        event_id,
        kind,
        occurred,
        sector,
        ref,
        link,
        detail,
        links,
        event_counts,
        event_index,
        activity,
        event_sector,
        event_links,
        event_micros,
    ) = columns
    facts_in, events_in = len(position), len(event_index)
    if (
        len(fact_counts) != len(ids)
        or len(event_counts) != len(ids)
        or any(len(c) != facts_in for c in columns[3:11])
        or any(len(c) != events_in for c in columns[13:])
        or sum(fact_counts) != facts_in
        or sum(event_counts) != events_in
        or min(fact_counts, default=1) < 1
        or min(event_index, default=0) < 0
        or max(event_index, default=-1) >= facts_in
    ):
        raise ImageError("an image part's columns do not agree")
    try:
        made = list(
            map(
                fact_fields,
                zip(
                    position,
                    chain.from_iterable(map(repeat, ids, fact_counts)),
                    event_id,
                    kind,
                    map(datetime.fromisoformat, occurred),
                    sector,
                    ref,
                    link,
                    detail,
                    links,
                    strict=True,
                ),
            )
        )
    except (TypeError, ValueError):
        # Not the error's text: it would quote what the part holds.
        raise ImageError("an image part holds a fact that cannot be made") from None
    events = list(
        map(
            logged_fields,
            zip(
                map(made.__getitem__, event_index),
                activity,
                event_sector,
                event_links,
                strict=True,
            ),
        )
    )
    facts: list[list[Fact]] = []
    journeys: list[tuple[LoggedEvent, ...]] = []
    at = 0
    for count in fact_counts:
        facts.append(made[at : at + count])
        at += count
    at = 0
    for count in event_counts:
        journeys.append(tuple(events[at : at + count]))
        at += count
    return ids, facts, journeys, event_micros
