"""The client's own wishes about the people around them (``ClientWishRecorded``), folded from a
journey's record: the latest wish about each person, as the record stands at ``known_at``.

Wishes are the client's, not the team's: they never change the team. Every part of a wish is
personal (sealed); after an erasure a wish reads as erased and is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.events import WISHES, ClientWishRecorded, JourneyEvent
from domain.personal import ERASED
from domain.timeline import effective_events

__all__ = ["WishView", "wishes"]


@dataclass(frozen=True)
class WishView:
    """What the client wishes now about one person: a team member (``about_party``) or someone
    not on the team (``about_name``)."""

    about_party: str | None
    about_name: str | None
    wishes: tuple[str, ...]
    event_id: UUID
    recorded_at: datetime
    recorded_by: str
    """``client`` or ``guardian-<n>`` (the n-th guardian of the registration)."""


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value and value != ERASED else None


def wishes(
    record: Sequence[JourneyEvent], known_at: datetime | None = None
) -> tuple[WishView, ...]:
    """The wishes held, one per person, in the order the person was first wished about; a
    person whose latest wish is empty is left out."""
    latest: dict[tuple[str, str], WishView] = {}
    for event in effective_events(record, known_at):
        if not isinstance(event, ClientWishRecorded):
            continue
        party = _text(event.personal.get("about_party"))
        name = _text(event.personal.get("about_name"))
        held = event.personal.get("wishes")
        if party is None and name is None:  # erased
            continue
        chosen = tuple(w for w in WISHES if isinstance(held, list) and w in held)
        key = ("party", party) if party is not None else ("name", str(name))
        latest.pop(key, None)
        if chosen:
            latest[key] = WishView(
                party,
                None if party is not None else name,
                chosen,
                event.event_id,
                event.recorded_at,
                event.recorded_by.party_id,
            )
    return tuple(latest.values())
