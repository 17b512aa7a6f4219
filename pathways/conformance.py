"""Conformance: a journey at (t, T) checked against a pathway.

Each step is **done** (a matching event inside its window), **early** (a matching event before
its window opened, none inside it), **out of order** (done or early, but before one of its
prerequisites — by default every earlier step, or the steps its ``after`` names — had
happened, by valid time), **overdue** (not done by the time its window closed, as of t; a
late match is shown as evidence) or **missing** (not done, not yet due). Without its anchor
event the pathway does not apply yet, and every step is missing. A journey conforms when
every step is done or early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.events import JourneyEvent
from domain.journey import JourneyRecord
from domain.timeline import timeline_at
from pathways.definitions import Condition, Pathway, Step

__all__ = ["Conformance", "Evidence", "StepResult", "check"]


@dataclass(frozen=True)
class Evidence:
    event_id: UUID
    kind: str
    occurred_at: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class StepResult:
    step_id: str
    title: str
    status: str
    """``done``, ``early``, ``out_of_order``, ``overdue`` or ``missing``."""
    window_start: datetime | None
    window_end: datetime | None
    responsible_roles: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Conformance:
    client_ref: str
    pathway_id: str
    at: datetime
    known_at: datetime
    applies: bool
    """Whether the anchor event had happened by ``at`` (as recorded at ``known_at``)."""
    anchor: Evidence | None
    steps: tuple[StepResult, ...]
    conforming: bool
    """The pathway applies and every step is done or early, after its prerequisites."""


def matches(event: JourneyEvent, condition: Condition) -> bool:
    if condition.kind != event.KIND:
        return False
    return all(
        _field_matches(getattr(event, name, None), wanted)
        for name, wanted in condition.fields.items()
    )


def _field_matches(actual: Any, wanted: str | bool | list[str]) -> bool:
    options = wanted if isinstance(wanted, list) else [wanted]
    if isinstance(actual, list | tuple):
        return any(option in actual for option in options)
    return actual in options


def _evidence(event: JourneyEvent) -> Evidence:
    return Evidence(event.event_id, event.KIND, event.occurred_at, event.timestamp)


def _window(step: Step, anchor_at: datetime) -> tuple[datetime | None, datetime | None]:
    window = step.window
    if window is None:
        return None, None
    span = timedelta(days=window.days) if window.days is not None else None
    if window.relative_to_anchor == "before":
        return (anchor_at - span if span is not None else None), anchor_at
    return anchor_at, (anchor_at + span if span is not None else None)


def check(
    record: JourneyRecord,
    pathway: Pathway,
    at: datetime | None = None,
    known_at: datetime | None = None,
) -> Conformance:
    """Check the journey at (``at``, ``known_at``) — both default to now — against ``pathway``."""
    now = datetime.now(UTC)
    at = at or now
    known_at = known_at or now
    timeline = timeline_at(record.events, at, known_at)
    anchor = next((e for e in timeline if matches(e, pathway.anchor)), None)
    if anchor is None:
        steps = tuple(
            StepResult(s.id, s.title, "missing", None, None, tuple(s.responsible_roles), ())
            for s in pathway.steps
        )
        return Conformance(record.client_ref, pathway.id, at, known_at, False, None, steps, False)
    results: list[StepResult] = []
    happened: dict[str, datetime] = {}
    """When each step was first met (inside its window or early), by valid time."""
    for index, step in enumerate(pathway.steps):
        start, end = _window(step, anchor.occurred_at)
        candidates = [e for e in timeline if matches(e, step.event)]
        inside = [
            e
            for e in candidates
            if (start is None or e.occurred_at >= start) and (end is None or e.occurred_at <= end)
        ]
        early = [e for e in candidates if start is not None and e.occurred_at < start]
        met = inside or early
        if met:
            first = met[0]
            happened[step.id] = first.occurred_at
            before = [
                p
                for p in pathway.prerequisites(index)
                if p not in happened or happened[p] > first.occurred_at
            ]
            status = "out_of_order" if before else "done" if inside else "early"
            evidence = tuple(_evidence(e) for e in met)
        elif end is not None and at > end:
            status, evidence = "overdue", tuple(_evidence(e) for e in candidates)
        else:
            status, evidence = "missing", tuple(_evidence(e) for e in candidates)
        results.append(
            StepResult(
                step.id, step.title, status, start, end, tuple(step.responsible_roles), evidence
            )
        )
    conforming = all(r.status in {"done", "early"} for r in results)
    return Conformance(
        record.client_ref,
        pathway.id,
        at,
        known_at,
        True,
        _evidence(anchor),
        tuple(results),
        conforming,
    )
