"""Sealing the personal part of events with a per-client key (crypto-shredding).

The domain only defines the seam: :class:`PersonalVault` seals and opens the ``personal`` part of
an event; the application's mapper calls it on the way to and from the store. Erasing a client
deletes their key, after which every personal field of their events reads ``ERASED``, while
everything else in the stream (and every statistic built from it) stays as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

__all__ = ["ERASED", "SEALED", "PersonalVault"]

ERASED = "erased"
"""What a personal field reads once the client's key is gone."""

SEALED = "_sealed"
"""The key of a sealed personal part: ``{"_sealed": <token>, "_fields": [names]}``."""


class PersonalVault(Protocol):
    def seal(
        self, journey: UUID, event_id: UUID, personal: dict[str, Any], *, create: bool = True
    ) -> dict[str, Any] | None:
        """The personal part as stored: encrypted with the journey's key (made first if the
        journey has none and ``create``; without ``create``, None if it has none)."""
        ...

    def open(self, journey: UUID, event_id: UUID, stored: dict[str, Any]) -> dict[str, Any]:
        """The personal part as read: decrypted, or every field ``ERASED`` if the key is gone."""
        ...

    def prefetch(self, journeys: Sequence[UUID]) -> None:
        """Look up the keys of many journeys at once (a read model about to open them)."""
        ...

    def erase(self, journey: UUID) -> bool:
        """Delete the journey's key for good; ``False`` if there was none."""
        ...
