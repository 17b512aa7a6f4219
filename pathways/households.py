"""Households over valid time, as the planners' figures count them.

A household is named by its id (a keyed pseudonym of its ref) and its members by their journey
ids (keyed pseudonyms of their client refs): never by a ref. The facts are the household
stream's joins and departures, with their valid times, and its retractions; :class:`Households`
drops what was retracted and works out, for every member journey, the stretches of valid time
it belonged to each household — from the join (inclusive) to the departure (exclusive), as a
household view at a moment shows its members (:func:`domain.household.fold_household`).

Households are numbered (``ids[n]`` is household ``n``) so a cell-key control bound to those
ids (:meth:`pathways.disclosure.Control.for_journeys`) finds each household's record key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["Households", "MembershipFact"]


@dataclass(frozen=True)
class MembershipFact:
    """A join, a departure or a retraction in a household stream (record order: ``position``)."""

    position: int
    household: str
    event_id: str
    kind: Literal["joined", "left", "retracted"]
    journey: str | None
    """The member's journey id (joins and departures)."""
    occurred_at: datetime | None
    """Valid time (joins and departures)."""
    target: str | None = None
    """The event a retraction removes."""


class Households:
    """Which households each journey belonged to, over valid time (effective facts only)."""

    def __init__(self, facts: Sequence[MembershipFact]) -> None:
        retracted = {f.target for f in facts if f.kind == "retracted"}
        kept = sorted(
            (f for f in facts if f.kind != "retracted" and f.event_id not in retracted),
            key=lambda f: (f.occurred_at, f.position),
        )
        spans: dict[str, list[tuple[str, datetime, datetime | None]]] = defaultdict(list)
        since: dict[tuple[str, str], datetime] = {}
        for fact in kept:
            if fact.journey is None or fact.occurred_at is None:
                continue
            member = (fact.household, fact.journey)
            if fact.kind == "joined":
                since.setdefault(member, fact.occurred_at)
            elif member in since:
                spans[fact.journey].append((fact.household, since.pop(member), fact.occurred_at))
        for (household, journey), start in since.items():
            spans[journey].append((household, start, None))
        self.ids: tuple[str, ...] = tuple(sorted({h for s in spans.values() for h, _, _ in s}))
        number = {h: n for n, h in enumerate(self.ids)}
        self._spans = {
            journey: tuple((number[h], a, b) for h, a, b in found)
            for journey, found in spans.items()
        }

    def __len__(self) -> int:
        return len(self.ids)

    def at(self, journey: str, at: datetime) -> tuple[int, ...]:
        """The households (by number) ``journey`` was a member of at ``at`` (valid time)."""
        return tuple(
            n for n, a, b in self._spans.get(journey, ()) if a <= at and (b is None or at < b)
        )

    def members(self) -> dict[int, set[str]]:
        """Every journey that was ever a member, by household number."""
        found: dict[int, set[str]] = defaultdict(set)
        for journey, spans in self._spans.items():
            for n, _, _ in spans:
                found[n].add(journey)
        return dict(found)
