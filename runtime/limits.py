"""A per-caller limit on how often something may happen in a sliding window (in memory, per
process): used for writes to journeys the caller may not read."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["SlidingWindowLimit"]


class SlidingWindowLimit:
    """At most ``allowed`` hits per ``window`` for each key; a refused hit does not count."""

    def __init__(self, allowed: int, window: timedelta, clock: Callable[[], datetime]) -> None:
        self.allowed = allowed
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> timedelta | None:
        """Count a hit for ``key``; ``None`` if allowed, otherwise how long until one frees up."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.allowed:
                return hits[0] + self.window - now
            hits.append(now)
            return None
