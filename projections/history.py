"""``history(record, known_at)``: every event as the record stood at ``known_at``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.events import Actor, EventRetracted, JourneyEvent
from domain.household import HouseholdRecord
from domain.journey import JourneyRecord

__all__ = ["HistoryEntry", "facts_of", "history"]

_ENVELOPE = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "event_id",
        "occurred_at",
        "recorded_by",
        "command_id",
        "personal",
    }
)


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    event_id: UUID
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: Actor
    command_id: str | None
    late: bool
    """Recorded after an event that occurred later than it had already been recorded."""
    retracted_by: UUID | None
    retracted_at: datetime | None
    facts: dict[str, Any]
    """The event's non-personal fields."""


def history(
    record: JourneyRecord | HouseholdRecord,
    known_at: datetime | None = None,
    *,
    after: int = 0,
    limit: int | None = None,
) -> list[HistoryEntry]:
    """Every event recorded at or before ``known_at`` (default now), in record order (a journey's,
    or a household's: the same envelope).

    Retractions are entries of their own; the events they retract carry ``retracted_by``.
    A page: only events after version ``after``, at most ``limit`` of them (only the page's
    entries are built; the rest of the record is scanned, not copied).
    """
    known_at = known_at if known_at is not None else datetime.now(UTC)
    retractions = {
        e.target_event_id: e
        for e in record.events
        if isinstance(e, EventRetracted) and e.timestamp <= known_at
    }
    entries: list[HistoryEntry] = []
    latest: datetime | None = None
    for event in record.events:
        if event.timestamp > known_at or (limit is not None and len(entries) >= limit):
            break  # record times rise with the version
        late = False
        if not isinstance(event, EventRetracted):
            late = latest is not None and event.occurred_at < latest
            latest = event.occurred_at if latest is None else max(latest, event.occurred_at)
        if event.originator_version <= after:
            continue
        retraction = retractions.get(event.event_id)
        entries.append(
            HistoryEntry(
                version=event.originator_version,
                event_id=event.event_id,
                kind=event.KIND,
                occurred_at=event.occurred_at,
                recorded_at=event.timestamp,
                recorded_by=event.recorded_by,
                command_id=event.command_id,
                late=late,
                retracted_by=retraction.event_id if retraction else None,
                retracted_at=retraction.timestamp if retraction else None,
                facts=facts_of(event),
            )
        )
    return entries


def facts_of(event: JourneyEvent) -> dict[str, Any]:
    """The event's non-personal fields (what the history and the change feed show of it)."""
    return {
        f.name: getattr(event, f.name) for f in dataclasses.fields(event) if f.name not in _ENVELOPE
    }
