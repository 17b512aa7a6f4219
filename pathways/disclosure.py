"""Disclosure control for the planners' figures: release windows and the cell-key method.

A planner may ask any number of questions with any parameters; suppressing small cells answer
by answer is then undone by subtracting one answer from another. Two measures, together with
the suppression of small cells, make the differences worthless (``docs/analytics-privacy.md``):

- **Release windows.** A planner's period is widened to the smallest *release window* holding
  it: one calendar quarter, one calendar year, or the whole record (UTC). Only windows that
  have ended are released — the whole record runs to the end of the last quarter that has
  ended — so there are finitely many windows, nested in a fixed tree, and no two of them
  differ by less than a quarter.
- **Cell keys.** Every journey has a secret *record key* (a keyed pseudonym of its id, under
  the keyring's secret), and so has every household (under a label of its own) for the
  figures that count households. A cell's key is the sum of its contributors' record keys modulo
  2**32, and each figure of the cell is perturbed by a noise drawn deterministically from that
  key and the figure's name: counts by a whole number from -4 to +4, durations and shares by
  up to ±10 % and then rounded to two significant figures. The same set of contributors gets
  the same noise whichever question found it, so asking again, or asking the same thing in
  another way, gives the same answer and averaging gains nothing; two different sets get
  independent noise, so a difference between two answers is off by the difference of two
  draws.

A cell is published only if it has at least :data:`MIN_CLIENTS` contributors (clients, or
households where households are counted) *and* its
perturbed count is at least that many; a figure that splits a cell in two (conforming or not,
information shared or not) only if both halves have. Suppressed cells carry no figure at all.

:data:`EXACT` is the other control: exact figures, small cells still suppressed, any period —
for the roles allowed them (auditors), never for planners.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import floor, log10
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from pathways.eventlog import EventLog

__all__ = [
    "EXACT",
    "MIN_CLIENTS",
    "NOISE",
    "Cell",
    "CellKeyControl",
    "Control",
    "ExactControl",
    "RecordKeys",
    "ReleaseWindow",
    "release_window",
]

MIN_CLIENTS = 5
NOISE = 4
"""Counts are perturbed by a whole number from -NOISE to +NOISE, each equally likely."""
RELATIVE = 0.10
"""Durations and shares are perturbed by up to this fraction (either way), then rounded."""
_MASK = (1 << 32) - 1


# --- Release windows -----------------------------------------------------------------------


def _quarter_start(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return datetime(at.year, 3 * ((at.month - 1) // 3) + 1, 1, tzinfo=UTC)


def _next_quarter(start: datetime) -> datetime:
    month = start.month + 3
    return datetime(start.year + (month > 12), (month - 1) % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ReleaseWindow:
    """A period figures are released for: events that occurred in ``[start, end)``."""

    kind: Literal["quarter", "year", "record", "asked"]
    """``asked``: the period as asked, to the microsecond (exact figures only)."""
    start: datetime | None
    end: datetime | None

    @property
    def last(self) -> datetime | None:
        """The last moment inside the window (the analytics take inclusive periods)."""
        return None if self.end is None else self.end - timedelta(microseconds=1)

    @property
    def label(self) -> str:
        if self.kind == "quarter" and self.start is not None:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year" and self.start is not None:
            return str(self.start.year)
        if self.kind == "record" and self.end is not None:
            last = self.end - timedelta(days=1)
            return f"the whole record to {last.year}-Q{(last.month - 1) // 3 + 1}"
        return "as asked"


def release_window(start: datetime | None, end: datetime | None, now: datetime) -> ReleaseWindow:
    """The smallest release window holding ``[start, end]`` that has ended by ``now``.

    A quarter if both ends fall in one quarter, a year if in one year, otherwise (or if that
    quarter or year has not ended) the whole record up to the end of the last ended quarter.
    ``start`` after ``end`` is the caller's mistake (:class:`ValueError`)."""
    if start is not None and end is not None and start > end:
        raise ValueError("the period starts after it ends")
    released_to = _quarter_start(now)
    record = ReleaseWindow("record", None, released_to)
    if start is None or end is None:
        return record
    first, last = _quarter_start(start), _quarter_start(end)
    if first == last and _next_quarter(first) <= released_to:
        return ReleaseWindow("quarter", first, _next_quarter(first))
    year = datetime(first.year, 1, 1, tzinfo=UTC)
    next_year = datetime(first.year + 1, 1, 1, tzinfo=UTC)
    if first.year == last.year and next_year <= released_to:
        return ReleaseWindow("year", year, next_year)
    return record


# --- Record keys and cell keys -------------------------------------------------------------


class RecordKeys:
    """Each journey's secret record key (32 bits), from a keyed pseudonym of its id; cached.

    With ``purpose="planner household key"``, each household's (keyed by its id): a label of
    its own, so a household's key is not its members' keys summed or any member's key."""

    def __init__(
        self, pseudonym: Callable[[str, str], str], purpose: str = "planner record key"
    ) -> None:
        self._pseudonym = pseudonym
        self._purpose = purpose
        self._keys: dict[str, int] = {}
        self._last: tuple[Sequence[str], npt.NDArray[np.int64]] | None = None
        """The last journeys asked for (held, so their identity means something), with their
        keys: the planners' log hands out one tuple of ids until a new journey arrives."""

    def key(self, journey: str) -> int:
        found = self._keys.get(journey)
        if found is None:
            digest = self._pseudonym(self._purpose, journey).rsplit("-", 1)[-1]
            found = self._keys[journey] = int(digest, 16) & _MASK
        return found

    def of_log(self, log: EventLog) -> npt.NDArray[np.int64]:
        """The keys of ``log``'s journeys, by number: when ``log`` is the last log asked for
        with journeys added, the last keys with the added journeys' keys put in."""
        last = self._last
        if last is None or log.ids is None or log.grown is None or log.grown[0] is not last[0]:
            return self.of(log.journey_ids())
        ids, added = log.ids, log.grown[1]
        keys = np.insert(
            last[1],
            [number - k for k, number in enumerate(added)],
            np.asarray([self.key(ids[number]) for number in added], dtype=np.int64),
        )
        keys.flags.writeable = False
        self._last = (ids, keys)
        return keys

    def of(self, journeys: Sequence[str]) -> npt.NDArray[np.int64]:
        """The keys of ``journeys``, in their order (not to be written to)."""
        last = self._last
        if last is not None and last[0] is journeys:  # a tuple (a list may have changed)
            return last[1]
        found = list(map(self._keys.get, journeys))
        for n, key in enumerate(found):
            if key is None:
                found[n] = self.key(journeys[n])
        keys = np.asarray(found, dtype=np.int64)
        keys.flags.writeable = False
        if type(journeys) is tuple:
            self._last = (journeys, keys)
        return keys


def _uniform(cell_key: int, figure: str) -> float:
    """A number in [0, 1) drawn from the cell key and the figure's name (the same every time)."""
    digest = hashlib.blake2b(
        struct.pack(">Q", cell_key) + figure.encode(), digest_size=8, person=b"polku-cellkey"
    ).digest()
    return int.from_bytes(digest, "big") / 2**64


def _round_significant(value: float, digits: int = 2) -> float:
    if value == 0:
        return 0.0
    scale = 10.0 ** (digits - 1 - floor(log10(abs(value))))
    return round(value * scale) / scale


@dataclass(frozen=True)
class Cell:
    """A cell of a table: whether it may be published and, if so, its figures."""

    contributors: int
    key: int
    noisy: bool

    @property
    def suppressed(self) -> bool:
        return self.clients is None

    @property
    def clients(self) -> int | None:
        """The number of clients (contributors) to publish, or ``None`` (suppressed)."""
        if not self.noisy and self.contributors == 0:
            return 0  # exact figures show an empty cell as empty
        if self.contributors < MIN_CLIENTS:
            return None
        shown = self._count(self.contributors, "clients")
        return shown if shown >= MIN_CLIENTS else None

    def _count(self, value: int, figure: str) -> int:
        if not self.noisy:
            return value
        noise = floor(_uniform(self.key, figure) * (2 * NOISE + 1)) - NOISE
        return max(0, value + noise)

    def count(self, value: int, figure: str) -> int | None:
        """Another count of the cell (moves, gaps…), perturbed; never below its clients."""
        clients = self.clients
        if clients is None:
            return None
        return max(clients, self._count(value, figure))

    def measure(self, value: float | None, figure: str) -> float | None:
        """A duration, mean or share of the cell: perturbed by up to ±10 %, two significant
        figures."""
        if self.suppressed or value is None:
            return None
        if not self.noisy:
            return value
        factor = 1 + RELATIVE * (2 * _uniform(self.key, figure) - 1)
        return _round_significant(value * factor)


class Control:
    """How a cell's figures are published (:class:`ExactControl`, :class:`CellKeyControl`).

    Cells are named by the journeys contributing to them, as numbers in the log the control
    is bound to (:meth:`for_log`)."""

    noisy: bool = False
    name: str = "exact"

    def for_log(self, log: EventLog) -> Control:
        """This control, its journeys numbered as in ``log``."""
        return self.for_journeys(log.journey_ids())

    def for_journeys(self, journeys: Sequence[str]) -> Control:
        """This control, journey number ``n`` being ``journeys[n]`` (a journey id)."""
        return self

    def cell(self, who: Collection[Any]) -> Cell:
        """The cell whose contributors are the journeys numbered ``who``."""
        return Cell(len(who), 0, False)

    def cell_of(self, contributors: int, key: int) -> Cell:
        """A cell whose contributors and key were counted elsewhere (e.g. with NumPy)."""
        return Cell(contributors, key, self.noisy)

    def split(self, whole: Cell, part: Collection[Any], rest: int) -> Cell | None:
        """The part of a cell with ``rest`` other contributors: ``None`` unless both halves may
        be published (so a small half cannot be had by subtraction)."""
        if whole.suppressed or len(part) < MIN_CLIENTS or rest < MIN_CLIENTS:
            return None
        part_cell = self.cell(part)
        return None if part_cell.suppressed else part_cell

    def keys(self) -> npt.NDArray[np.int64] | None:
        """The record keys of the journeys by number (``None``: figures are exact)."""
        return None


class ExactControl(Control):
    """Exact figures, small cells suppressed (the auditors' figures)."""


EXACT = ExactControl()


class CellKeyControl(Control):
    """Perturbed figures (the planners'): the cell-key method over the journeys' record keys."""

    noisy = True
    name = "cell-key"

    def __init__(self, record_keys: RecordKeys, keys: npt.NDArray[np.int64] | None = None) -> None:
        self.record_keys = record_keys
        self._keys = keys

    def for_journeys(self, journeys: Sequence[str]) -> Control:
        return CellKeyControl(self.record_keys, self.record_keys.of(journeys))

    def for_log(self, log: EventLog) -> Control:
        return CellKeyControl(self.record_keys, self.record_keys.of_log(log))

    def cell(self, who: Collection[Any]) -> Cell:
        if self._keys is None:
            raise RuntimeError("a cell-key control numbers journeys once bound to a log")
        index = np.fromiter(who, dtype=np.int64, count=len(who))
        return Cell(len(who), int(self._keys[index].sum()) & _MASK, True)

    def keys(self) -> npt.NDArray[np.int64] | None:
        if self._keys is None:
            raise RuntimeError("a cell-key control numbers journeys once bound to a log")
        return self._keys
