"""Python's cyclic garbage collector held off while many objects are made at once.

Loading a big planners' log makes millions of small tuples, and decoding a long journey tens of
thousands of events, none of them part of a reference cycle. The collector, triggered every few
hundred allocations, walks the objects made since its last pass again and again while such a
load runs: holding it off halved the decoding of a 20,000-event journey and took a third off
the planners' log (``docs/scaling.md``). It runs as usual afterwards: nothing is kept from it,
only postponed.

The collector's switch is the whole process's. Loads in several threads each hold it off, and it
is switched back on when the last of them ends, if it was on when the first began. Under a
steady stream of overlapping loads that could be never, so a hold lasts :data:`MAX_HOLD` seconds
at most: a load that starts later does not extend it, and the collector is given back then.

A hold for objects that will be kept long (the planners' log) that made many of them puts them
straight into the collector's oldest generation when it ends, so the collections after it do not
walk them as young objects first. Holds for loads that may soon be garbage (a journey read into
a cache that may drop it) do not: their objects stay where garbage is found soonest, and a
server under a steady stream of such loads does not push its garbage out of reach.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["HOLDING", "MAX_HOLD", "collector_held"]

HOLDING = True
"""Whether loads hold the collector off at all (``bench/collector.py`` times them without)."""

MAX_HOLD = 2.0
"""Seconds after which a load that starts no longer holds the collector off (loads already
running keep it off until the last of them ends)."""

_lock = threading.Lock()
_holders = 0
_held_since = 0.0
_was_enabled = False
_long_lived = False


@contextmanager
def collector_held(*, long_lived: bool = False) -> Iterator[None]:
    """The cyclic collector off for the block (reference counting still frees what it can).

    ``long_lived``: what the block makes is kept long (the planners' log), so if the hold made
    many objects they go straight to the oldest generation when it ends
    (:func:`_promote_if_many`). Loads that only might be kept (a journey read into a cache
    that may drop it soon) leave what they made to the young generations, where garbage is
    found soonest."""
    global _holders, _held_since, _was_enabled, _long_lived
    if not HOLDING:
        yield
        return
    with _lock:
        if _holders == 0:
            _was_enabled, _held_since = gc.isenabled(), time.monotonic()
            _long_lived = False
            gc.disable()
        elif _was_enabled and time.monotonic() - _held_since > MAX_HOLD:
            gc.enable()  # held long enough: this load and the rest run with the collector
        _holders += 1
        _long_lived = _long_lived or long_lived
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                if _long_lived:
                    _promote_if_many()
                gc.enable()


PROMOTE_FROM = 100_000
"""Objects made under a hold from which they are put straight into the oldest generation."""


def _promote_if_many() -> None:
    """Put what a big hold made straight into the collector's oldest generation.

    Otherwise the first collections after the hold walk every object it made, once as young
    and once as middle-aged (2.5 to 3 s after loading the planners' log of 100,000 clients, paid
    by whichever request allocates next). ``gc.freeze()`` then ``gc.unfreeze()`` moves every
    tracked object to the oldest generation without walking any: they are examined at the next
    full collection, once. Nothing is kept from the collector (unlike a freeze alone). Skipped
    when something else froze objects on purpose (a pre-fork server), which the unfreeze would
    undo."""
    if gc.get_count()[0] >= PROMOTE_FROM and gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
