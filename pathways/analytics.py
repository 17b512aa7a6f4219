"""Planner analytics over many journeys: pseudonymous, with small cells suppressed.

Input is each journey's route: the sectors of its service episodes in valid-time order (a
pseudonymous key per journey, never shown). Outputs hold sectors, counts and times only — no
client ref, name or free text — and any cell describing fewer than :data:`MIN_CLIENTS` clients
is suppressed (reported as suppressed, never as zero).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "MIN_CLIENTS",
    "Episode",
    "TransitionCell",
    "VariantRow",
    "transition_matrix",
    "variants",
]

MIN_CLIENTS = 5


@dataclass(frozen=True)
class Episode:
    sector: str
    started_at: datetime


@dataclass(frozen=True)
class TransitionCell:
    from_sector: str
    to_sector: str
    suppressed: bool
    clients: int | None
    transitions: int | None


@dataclass(frozen=True)
class VariantRow:
    route: tuple[str, ...] | None
    """The sectors in order (repeats collapsed); ``None`` when suppressed."""
    suppressed: bool
    clients: int | None


def _collapsed(route: Sequence[Episode]) -> list[Episode]:
    out: list[Episode] = []
    for episode in route:
        if not out or out[-1].sector != episode.sector:
            out.append(episode)
    return out


def transition_matrix(
    routes: Mapping[str, Sequence[Episode]],
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[TransitionCell]:
    """Moves from one sector to the next (the input of a Sankey diagram), counted where the
    later episode started in [start, end]."""
    clients: dict[tuple[str, str], set[str]] = defaultdict(set)
    moves: dict[tuple[str, str], int] = defaultdict(int)
    for key, route in routes.items():
        steps = _collapsed(route)
        for before, after in itertools.pairwise(steps):
            if (start is None or after.started_at >= start) and (
                end is None or after.started_at <= end
            ):
                pair = (before.sector, after.sector)
                clients[pair].add(key)
                moves[pair] += 1
    cells = []
    for (a, b), who in sorted(clients.items()):
        small = len(who) < MIN_CLIENTS
        cells.append(
            TransitionCell(
                a, b, small, None if small else len(who), None if small else moves[(a, b)]
            )
        )
    return cells


def variants(
    routes: Mapping[str, Sequence[Episode]],
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[VariantRow]:
    """Route variants with the number of clients following each, most common first; the rare
    ones pooled into one suppressed row."""
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for route in routes.values():
        steps = [
            e
            for e in _collapsed(route)
            if (start is None or e.started_at >= start) and (end is None or e.started_at <= end)
        ]
        if steps:
            counts[tuple(e.sector for e in steps)] += 1
    shown = sorted(
        ((r, n) for r, n in counts.items() if n >= MIN_CLIENTS), key=lambda x: (-x[1], x[0])
    )
    rows = [VariantRow(route, False, n) for route, n in shown]
    if any(n < MIN_CLIENTS for n in counts.values()):
        rows.append(VariantRow(None, True, None))
    return rows
