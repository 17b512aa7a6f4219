"""Python's cyclic garbage collector held off while a read model loads many objects at once.

Loading a big planners' log makes millions of small tuples, none of them part of a reference
cycle. The collector, triggered every few hundred allocations, walks the objects made since its
last pass again and again while the load runs, and that walking was a third of the load's time
on a generated population (``docs/scaling.md``). Held off for the load, it runs as usual
afterwards: nothing is kept from it, only postponed.

The collector's switch is the whole process's. Loads in several threads each hold it off; it is
switched back on when the last of them ends, and only if it was on when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_held"]

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_held() -> Iterator[None]:
    """The cyclic collector off for the block (reference counting still frees what it can)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
