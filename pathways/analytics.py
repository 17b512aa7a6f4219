"""Planner analytics over many journeys: pseudonymous, with small cells suppressed.

The input is the planners' event log (:mod:`pathways.eventlog`): each journey's effective events
in valid-time order, journeys numbered, never named. Outputs hold vocabulary terms, counts and
times only — no client ref, name or free text — and any cell describing fewer than
:data:`MIN_CLIENTS` clients is suppressed: reported as suppressed, never as zero. Where a figure
splits a group in two (conforming or not, information shared or not), both halves must describe
at least :data:`MIN_CLIENTS` clients or none, so a small half cannot be recovered by subtraction.

The directly-follows graph and the variants are computed by :class:`Engine` on integer-coded
columns with NumPy, so 100,000 journeys take a fraction of a second; their raw (unsuppressed)
results are what the tests and benchmarks compare with pm4py's on the same log.
"""

from __future__ import annotations

import itertools
import operator
import threading
import weakref
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, NamedTuple, TypeVar, cast

import numpy as np
import numpy.typing as npt

from pathways.disclosure import EXACT, MIN_CLIENTS, Control
from pathways.eventlog import EventLog, LoggedEvent

__all__ = [
    "GAP_BUCKETS",
    "MIN_CLIENTS",
    "ConformanceRow",
    "CoordinatorGaps",
    "DfgEdge",
    "Engine",
    "Episode",
    "GapBucket",
    "PingPongRow",
    "SilentTransitionRow",
    "TransitionCell",
    "Unit",
    "VariantRow",
    "WaitingRow",
    "between",
    "conformance_rates",
    "coordinator_gaps",
    "directly_follows",
    "ping_pong",
    "routes_of",
    "silent_transitions",
    "transition_matrix",
    "variants",
    "waiting_times",
]

K = TypeVar("K", bound=Hashable)
Unit = Callable[[Any, datetime], Iterable[int]]
"""What a figure counts, if not clients: the units (by number, as the control bound to them
knows them) a journey (by its key in the figure: its number in the log) belonged to at a moment
of valid time — e.g. its households (:class:`pathways.households.Households`). A contribution
made while the journey belonged to no unit is not counted; a unit is counted once per cell
however many of its journeys contribute."""


def _who(unit: Unit | None, key: Any, at: datetime) -> Iterable[Any]:
    return (key,) if unit is None else unit(key, at)


HANDOVER_BEFORE = timedelta(days=180)
HANDOVER_AFTER = timedelta(days=30)
"""Information shared with the receiving organisation this long before or after a transition
counts as a handover (as does a disclosure that names the transition)."""


class Episode(NamedTuple):
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


@dataclass(frozen=True)
class DfgEdge:
    source: str
    target: str
    suppressed: bool
    clients: int | None
    count: int | None
    mean_seconds: float | None
    median_seconds: float | None


@dataclass(frozen=True)
class WaitingRow:
    sector: str
    suppressed: bool
    clients: int | None
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True)
class PingPongRow:
    sector_a: str
    sector_b: str
    """Clients went from ``sector_a`` to ``sector_b`` and straight back."""
    suppressed: bool
    clients: int | None


@dataclass(frozen=True)
class GapBucket:
    bucket: str
    suppressed: bool
    gaps: int | None
    clients: int | None


@dataclass(frozen=True)
class CoordinatorGaps:
    suppressed: bool
    clients: int | None
    journey_days: float | None
    days_without: float | None
    share_without: float | None
    gaps: tuple[GapBucket, ...]


@dataclass(frozen=True)
class SilentTransitionRow:
    kind: str
    suppressed: bool
    clients: int | None
    transitions: int | None
    without_sharing: int | None
    """Transitions after which nothing was shared with the receiving side (``None`` when that
    group, or its complement, is under five clients)."""


@dataclass(frozen=True)
class ConformanceRow:
    pathway: str
    title: str
    suppressed: bool
    clients: int | None
    """Journeys the pathway applies to (its anchor event happened)."""
    conforming: int | None
    rate: float | None


# --- The engine: directly-follows graph and variants on integer-coded columns ---------------


@dataclass(frozen=True)
class Engine:
    """An event log as columns: case number, activity code, time (µs since the epoch), sorted
    by case, then valid time (ties in record order)."""

    case: npt.NDArray[np.int64]
    activity: npt.NDArray[np.int64]
    time_us: npt.NDArray[np.int64]
    names: tuple[str, ...]

    @classmethod
    def of(cls, log: EventLog) -> Engine:
        return _Built.of(log, None).engine

    def window(self, start: datetime | None, end: datetime | None) -> Engine:
        """The events that occurred in [start, end], cases keeping their numbers (as
        :func:`between`, but journeys left empty are not renumbered away)."""
        if start is None and end is None:
            return self
        keep = np.ones(len(self.case), dtype=bool)
        if start is not None:
            keep &= self.time_us >= _micros(start)
        if end is not None:
            keep &= self.time_us <= _micros(end)
        return Engine(self.case[keep], self.activity[keep], self.time_us[keep], self.names)

    def _pairs(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(edge code, case, duration µs) of every directly-follows pair within a case."""
        same = self.case[1:] == self.case[:-1]
        k = len(self.names)
        code = self.activity[:-1][same] * k + self.activity[1:][same]
        return code, self.case[1:][same], (self.time_us[1:] - self.time_us[:-1])[same]

    def dfg(self) -> dict[tuple[str, str], tuple[int, int, float, float]]:
        """Every directly-follows edge: (pairs, clients, mean and median seconds between)."""
        return {edge: values[:4] for edge, values in self.dfg_cells(None).items()}

    def dfg_cells(
        self, record_keys: npt.NDArray[np.int64] | None
    ) -> dict[tuple[str, str], tuple[int, int, float, float, int]]:
        """As :meth:`dfg`, with each edge's cell key: the sum of its clients' record keys
        (``record_keys[case]``) modulo 2**32 (0 without record keys)."""
        k = len(self.names)
        if k == 0:
            return {}
        code, case, duration = self._pairs()
        if len(code) == 0:
            return {}
        counts = np.bincount(code, minlength=k * k)
        sums = np.bincount(code, weights=duration.astype(np.float64), minlength=k * k)
        # Cases come in order, so the pairs are sorted but within each case: a stable sort
        # (merging runs) does that in about half a quicksort's time.
        case_edges = np.sort(case * (k * k) + code, kind="stable")
        first = np.r_[True, case_edges[1:] != case_edges[:-1]]
        distinct = case_edges[first] % (k * k)
        clients = np.bincount(distinct, minlength=k * k)
        keys = None
        if record_keys is not None:
            # Exact in float64: 100,000 keys under 2**32 sum to under 2**53.
            weights = record_keys[case_edges[first] // (k * k)].astype(np.float64)
            keys = np.bincount(distinct, weights=weights, minlength=k * k)
        sorted_code, sorted_duration = _by_code_then_duration(code, duration)
        starts = np.flatnonzero(np.r_[True, sorted_code[1:] != sorted_code[:-1]])
        ends = np.r_[starts[1:], len(sorted_code)]
        out = {}
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            edge = int(sorted_code[start])
            n = end - start
            middle = start + n // 2
            median = (
                float(sorted_duration[middle])
                if n % 2
                else (float(sorted_duration[middle - 1]) + float(sorted_duration[middle])) / 2
            )
            out[(self.names[edge // k], self.names[edge % k])] = (
                int(counts[edge]),
                int(clients[edge]),
                float(sums[edge]) / n / 1e6,
                median / 1e6,
                0 if keys is None else int(keys[edge]) & 0xFFFFFFFF,
            )
        return out

    def variants(self) -> dict[tuple[str, ...], int]:
        """Every distinct activity sequence with the number of cases following it."""
        if len(self.case) == 0:
            return {}
        starts = np.flatnonzero(np.r_[True, self.case[1:] != self.case[:-1]])
        ends = np.r_[starts[1:], len(self.case)]
        width = 2 if len(self.names) < 1 << 16 else 4
        data = self.activity.astype(np.uint16 if width == 2 else np.uint32).tobytes()
        counted = Counter(
            data[s * width : e * width] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        )
        dtype = np.uint16 if width == 2 else np.uint32
        return {
            tuple(self.names[c] for c in np.frombuffer(key, dtype=dtype).tolist()): n
            for key, n in counted.items()
        }


def _by_code_then_duration(
    code: npt.NDArray[np.int64], duration: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``code`` and ``duration`` sorted by code, then duration: one sort of both packed in one
    integer where they fit (durations are never negative: the events are in valid-time order),
    else the two-key sort (``np.lexsort``, about three times slower)."""
    if len(code) and int(duration.min()) >= 0:
        bits = int(duration.max()).bit_length()
        if bits + int(code.max()).bit_length() <= 62:
            packed = np.sort((code << bits) | duration)
            return packed >> bits, packed & ((1 << bits) - 1)
    order = np.lexsort((duration, code))
    return code[order], duration[order]


def _micros(at: datetime) -> int:
    """``at`` in whole microseconds since the epoch (exact, as timedelta arithmetic is)."""
    return (at - _EPOCH) // _MICROSECOND


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class _Built:
    """An engine with what it was built from: the log's journeys (held, so that the identity
    of each journey's tuple means something), where each journey's events start in the
    columns, and the activity codes (which only ever grow, so an engine built on this one
    keeps its codes).

    :meth:`of` with a ``base`` takes the columns of every journey whose tuple is the one the
    base was built from (the planners' log keeps an untouched journey's tuple,
    ``LogBuilder``) from the base's columns, and encodes only the others: after a few facts
    arrive, the engine of 100,000 journeys is mostly gathered from the last, not rebuilt."""

    __slots__ = ("_where", "codes", "engine", "ids", "journeys", "starts")

    def __init__(
        self,
        engine: Engine,
        log: EventLog,
        starts: npt.NDArray[np.int64],
        codes: dict[str, int],
    ) -> None:
        self.engine = engine
        self.journeys = log.journeys
        self.ids = log.ids
        self.starts = starts
        """Where each journey's events start in the columns (and, last, where they end)."""
        self.codes = codes
        self._where: dict[int, int] | None = None

    def numbers(self, journeys: tuple[tuple[LoggedEvent, ...], ...]) -> list[int | None]:
        """The number in this engine of each of ``journeys`` (``None``: not one of its)."""
        if self._where is None:
            self._where = dict(zip(map(id, self.journeys), range(len(self.journeys)), strict=True))
        was = self.journeys
        numbers = list(map(self._where.get, map(id, journeys)))
        return [
            n if n is not None and was[n] is j else None
            for n, j in zip(numbers, journeys, strict=True)
        ]

    @classmethod
    def of(cls, log: EventLog, base: _Built | None) -> _Built:
        journeys = log.journeys
        count = len(journeys)
        if base is None:
            codes: dict[str, int] = {}
            lengths = np.fromiter(map(len, journeys), dtype=np.int64, count=count)
            starts = _starts(lengths)
            activity, time_us = _encoded(journeys, codes)
        else:
            codes = base.codes
            lined = _lined_up(log, base.ids, base.journeys)
            if lined is not None:
                kept, source = lined
            else:
                numbers = base.numbers(journeys)
                kept = [n is not None for n in numbers]
                source = np.fromiter(
                    (0 if n is None else n for n in numbers), dtype=np.int64, count=count
                )
            taken = np.fromiter(kept, dtype=bool, count=count)
            fresh = list(itertools.compress(journeys, ~taken))
            # A kept journey has the length it had: only the others are measured.
            before: npt.NDArray[np.int64] = np.diff(base.starts)
            lengths = before[source] if len(before) else np.zeros(count, dtype=np.int64)
            lengths[~taken] = np.fromiter(map(len, fresh), dtype=np.int64, count=len(fresh))
            starts = _starts(lengths)
            activity, time_us = _encoded(fresh, codes)
            if taken.any():
                activity, time_us = _gathered(
                    base, lengths, starts, taken, source, activity, time_us
                )
        engine = Engine(
            np.repeat(np.arange(count, dtype=np.int64), lengths), activity, time_us, tuple(codes)
        )
        return cls(engine, log, starts, codes)


def _starts(lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Where each journey of these lengths starts in the columns (and, last, where they end)."""
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return starts


def _lined_up(
    log: EventLog, ids: tuple[str, ...] | None, journeys: tuple[tuple[LoggedEvent, ...], ...]
) -> tuple[list[bool], npt.NDArray[np.int64]] | None:
    """Whether each of ``log``'s journeys is the same tuple as in an earlier log (its ``ids``
    and ``journeys``), and its number there, when ``log`` is that log or that log with
    journeys added (:meth:`EventLog.aligned`); else ``None``."""
    lined = log.aligned(ids, journeys)
    if lined is None:
        return None
    count = len(log.journeys)
    kept = list(map(operator.is_, log.journeys, lined))
    numbers = np.arange(count, dtype=np.int64)
    if log.grown is not None and log.ids is not ids:
        added = np.asarray(log.grown[1], dtype=np.int64)
        numbers -= np.searchsorted(added, numbers, side="right")
        np.clip(numbers, 0, max(len(journeys) - 1, 0), out=numbers)
    return kept, numbers


def _gathered(
    base: _Built,
    lengths: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    kept: npt.NDArray[np.bool_],
    source: npt.NDArray[np.int64],
    activity: npt.NDArray[np.int64],
    time_us: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The columns of a log whose journeys ``kept[n]`` are the base's journeys ``source[n]``,
    taken from the base's columns, the others' events being ``activity`` and ``time_us`` in
    order."""
    total = int(starts[-1])
    shift = np.where(kept, base.starts[source] - starts[:-1], 0)
    taken = np.repeat(kept, lengths)
    gather = (np.repeat(shift, lengths) + np.arange(total, dtype=np.int64))[taken]
    all_activity = np.empty(total, dtype=np.int64)
    all_time = np.empty(total, dtype=np.int64)
    all_activity[taken] = base.engine.activity[gather]
    all_time[taken] = base.engine.time_us[gather]
    all_activity[~taken] = activity
    all_time[~taken] = time_us
    return all_activity, all_time


def _encoded(
    journeys: Sequence[tuple[LoggedEvent, ...]], codes: dict[str, int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The activity codes (new names given the next codes) and times of ``journeys``' events."""
    epoch, micro = _EPOCH, _MICROSECOND
    activities = [codes.setdefault(e.activity, len(codes)) for j in journeys for e in j]
    micros = [(e.fact.occurred_at - epoch) // micro for j in journeys for e in j]
    return np.asarray(activities, dtype=np.int64), np.asarray(micros, dtype=np.int64)


class _Engines:
    """The engine of each of the last few logs, built once per log: the planners' log stays
    the same object until facts arrive (``readmodels/planner.py``), so every question on it
    (any period) filters one engine instead of building its own. A new log's engine is built
    on the last one built (:class:`_Built`): only the journeys that changed are encoded."""

    LOGS = 4

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._building = threading.Lock()
        """One build at a time: builds share the activity codes, and a second request for the
        same new log finds the first one's engine instead of building it again."""
        self._built: OrderedDict[int, tuple[weakref.ref[EventLog], Engine]] = OrderedDict()
        self._last: _Built | None = None

    def of(self, log: EventLog) -> Engine:
        found = self._found(log)
        if found is not None:
            return found
        with self._building:
            found = self._found(log)
            if found is not None:
                return found
            built = _Built.of(log, self._last)
            if self._last is None or len(log.journeys) * 10 >= len(self._last.journeys) * 9:
                # A log leaving out many journeys (one pathway's, one sector's) would make a
                # poor base for the next whole log: the base stays the whole log's.
                self._last = built
            with self._lock:
                self._built[id(log)] = (weakref.ref(log), built.engine)
                while len(self._built) > self.LOGS:
                    self._built.popitem(last=False)
        return built.engine

    def prime(self, log: EventLog, micros: Sequence[int]) -> None:
        """Build ``log``'s engine now, its events' times given (``micros``, journey after
        journey, as :func:`_encoded` would work them out): what a log loaded from its image
        holds. Nothing is done per event in Python; an engine already kept is left alone."""
        with self._building:
            if self._last is not None or self._found(log) is not None:
                return  # a base to build on is there (cheaper than this)
            journeys = log.journeys
            count = len(journeys)
            lengths = np.fromiter(map(len, journeys), dtype=np.int64, count=count)
            names = list(map(_ACTIVITY, itertools.chain.from_iterable(journeys)))
            if len(names) != len(micros):
                raise ValueError("one time per event is needed")
            codes = {name: n for n, name in enumerate(dict.fromkeys(names))}
            activity = np.fromiter(map(codes.__getitem__, names), dtype=np.int64, count=len(names))
            engine = Engine(
                np.repeat(np.arange(count, dtype=np.int64), lengths),
                activity,
                np.asarray(micros, dtype=np.int64),
                tuple(codes),
            )
            self._last = _Built(engine, log, _starts(lengths), codes)
            with self._lock:
                self._built[id(log)] = (weakref.ref(log), engine)
                while len(self._built) > self.LOGS:
                    self._built.popitem(last=False)

    def _found(self, log: EventLog) -> Engine | None:
        with self._lock:
            found = self._built.get(id(log))
            if found is not None and found[0]() is log:
                self._built.move_to_end(id(log))
                return found[1]
        return None


_ENGINES = _Engines()
_ACTIVITY = operator.itemgetter(1)
"""A logged event's activity (its second field)."""


def prime(log: EventLog, micros: Sequence[int]) -> None:
    """Build the engine of ``log`` from its events' times, already worked out (a log loaded
    from its image: ``pathways/logimage.py``), instead of at its first question."""
    _ENGINES.prime(log, micros)


def between(log: EventLog, start: datetime | None, end: datetime | None) -> EventLog:
    """The events of ``log`` that occurred in [start, end]; journeys left empty are dropped."""
    if start is None and end is None:
        return log
    kept = (
        tuple(
            e
            for e in journey
            if (start is None or e.fact.occurred_at >= start)
            and (end is None or e.fact.occurred_at <= end)
        )
        for journey in log.journeys
    )
    return EventLog(tuple(j for j in kept if j))


def directly_follows(
    log: EventLog,
    start: datetime | None = None,
    end: datetime | None = None,
    control: Control = EXACT,
    unit: Unit | None = None,
) -> list[DfgEdge]:
    """The directly-follows graph of the events in the period: how often one activity is
    directly followed by another in a journey, in how many journeys (or units, a pair
    counting for the units its journey belonged to when the later event occurred), and the
    mean and median time between them."""
    edges = []
    if unit is None:
        engine = _ENGINES.of(log).window(start, end)
        cells = engine.dfg_cells(control.for_log(log).keys())
    else:
        cells = _unit_dfg_cells(between(log, start, end), control, unit)
    for (a, b), (count, clients, mean, median, key) in sorted(cells.items()):
        cell = control.cell_of(clients, key)
        edges.append(
            DfgEdge(
                a,
                b,
                cell.suppressed,
                cell.clients,
                cell.count(count, "pairs"),
                cell.measure(mean, "mean"),
                cell.measure(median, "median"),
            )
        )
    return edges


def _unit_dfg_cells(
    log: EventLog, control: Control, unit: Unit
) -> dict[tuple[str, str], tuple[int, int, float, float, int]]:
    """As :meth:`Engine.dfg_cells`, counting units: only pairs whose journey belonged to a unit
    when the later event occurred, each edge's units counted once (``control`` is bound to the
    units' numbers)."""
    seconds: dict[tuple[str, str], list[float]] = defaultdict(list)
    who: dict[tuple[str, str], set[int]] = defaultdict(set)
    for n, journey in enumerate(log.journeys):
        for a, b in itertools.pairwise(journey):
            units = tuple(unit(n, b.fact.occurred_at))
            if units:
                edge = (a.activity, b.activity)
                seconds[edge].append((b.fact.occurred_at - a.fact.occurred_at).total_seconds())
                who[edge].update(units)
    out = {}
    for edge, durations in seconds.items():
        cell = control.cell(who[edge])
        values = np.asarray(durations)
        out[edge] = (
            len(durations),
            len(who[edge]),
            float(values.mean()),
            float(np.median(values)),
            cell.key,
        )
    return out


# --- Sector routes --------------------------------------------------------------------------


def routes_of(log: EventLog) -> dict[int, tuple[Episode, ...]]:
    """Each journey's service episodes (sector, start) in valid-time order, by journey number."""
    return dict(enumerate(_ROUTES.of(log)))


def _route(journey: tuple[LoggedEvent, ...]) -> tuple[Episode, ...]:
    return tuple(
        Episode(e.fact.sector or "unknown", e.fact.occurred_at)
        for e in journey
        if e.fact.kind == "ServiceStarted"
    )


V = TypeVar("V")


class PerJourney(Generic[V]):
    """``work`` done once per journey tuple: the values of a log's journeys, each taken from the
    last log's where the journey's tuple is the same object (the planners' log keeps an
    untouched journey's tuple, ``LogBuilder``), worked out afresh for the others. The last
    log is held, so that the identity of a tuple means something; a log leaving out many of
    its journeys (one pathway's) does not replace it."""

    def __init__(self, work: Callable[[tuple[LoggedEvent, ...]], V]) -> None:
        self._work = work
        self._lock = threading.Lock()
        self._last: tuple[EventLog, list[V]] | None = None

    def of(self, log: EventLog) -> list[V]:
        journeys, work = log.journeys, self._work
        with self._lock:
            last = self._last
        if last is None:
            values = list(map(work, journeys))
        elif (lined := log.aligned(last[0].ids, last[0].journeys)) is not None:
            # The same journeys in the same order, or journeys added (lined up as None).
            values = cast("list[V]", log.aligned(last[0].ids, last[1]))
            changed = map(operator.is_not, journeys, lined)
            for number in itertools.compress(range(len(journeys)), changed):
                values[number] = work(journeys[number])
        else:
            # Any other log (one pathway's journeys, say): each journey looked up by identity.
            was, known = last[0].journeys, last[1]
            where = dict(zip(map(id, was), range(len(was)), strict=True))
            values = []
            for journey in journeys:
                n = where.get(id(journey))
                values.append(known[n] if n is not None and was[n] is journey else work(journey))
        with self._lock:
            if self._last is None or len(journeys) * 10 >= len(self._last[0].journeys) * 9:
                self._last = (log, values)
        return values


_ROUTES = PerJourney(_route)


def _collapsed(route: Sequence[Episode]) -> list[Episode]:
    out: list[Episode] = []
    for episode in route:
        if not out or out[-1].sector != episode.sector:
            out.append(episode)
    return out


def transition_matrix(
    routes: Mapping[K, Sequence[Episode]],
    start: datetime | None = None,
    end: datetime | None = None,
    control: Control = EXACT,
    unit: Unit | None = None,
) -> list[TransitionCell]:
    """Moves from one sector to the next (the input of a Sankey diagram), counted where the
    later episode started in [start, end] — with ``unit``, for the units the journey belonged to
    then (moves made outside any unit are not counted)."""
    clients: dict[tuple[str, str], set[Any]] = defaultdict(set)
    moves: dict[tuple[str, str], int] = defaultdict(int)
    for key, route in routes.items():
        steps = _collapsed(route)
        for before, after in itertools.pairwise(steps):
            if (start is None or after.started_at >= start) and (
                end is None or after.started_at <= end
            ):
                units = tuple(_who(unit, key, after.started_at))
                if units:
                    pair = (before.sector, after.sector)
                    clients[pair].update(units)
                    moves[pair] += 1
    cells = []
    for (a, b), who in sorted(clients.items()):
        cell = control.cell(who)
        cells.append(
            TransitionCell(a, b, cell.suppressed, cell.clients, cell.count(moves[(a, b)], "moves"))
        )
    return cells


def variants(
    routes: Mapping[K, Sequence[Episode]],
    start: datetime | None = None,
    end: datetime | None = None,
    control: Control = EXACT,
) -> list[VariantRow]:
    """Route variants with the number of clients following each, most common first; the rare
    ones pooled into one suppressed row."""
    followers: dict[tuple[str, ...], list[K]] = defaultdict(list)
    for key, route in routes.items():
        steps = [
            e
            for e in _collapsed(route)
            if (start is None or e.started_at >= start) and (end is None or e.started_at <= end)
        ]
        if steps:
            followers[tuple(e.sector for e in steps)].append(key)
    published = {route: control.cell(who).clients for route, who in followers.items()}
    shown = sorted(
        ((r, n) for r, n in published.items() if n is not None), key=lambda x: (-x[1], x[0])
    )
    rows = [VariantRow(route, False, n) for route, n in shown]
    if len(shown) < len(published):
        rows.append(VariantRow(None, True, None))
    return rows


def ping_pong(
    routes: Mapping[K, Sequence[Episode]],
    start: datetime | None = None,
    end: datetime | None = None,
    control: Control = EXACT,
    unit: Unit | None = None,
) -> list[PingPongRow]:
    """Clients sent from sector A to B and back to A within three consecutive episodes (the
    return starting in the period), per ordered pair (A, B); with ``unit``, the units the
    client belonged to when the return started."""
    clients: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for key, route in routes.items():
        steps = _collapsed(route)
        for a, b, back in zip(steps, steps[1:], steps[2:], strict=False):
            if a.sector == back.sector and _inside(back.started_at, start, end):
                units = tuple(_who(unit, key, back.started_at))
                if units:
                    clients[(a.sector, b.sector)].update(units)
    rows = []
    for (sector_a, sector_b), who in sorted(clients.items()):
        cell = control.cell(who)
        rows.append(PingPongRow(sector_a, sector_b, cell.suppressed, cell.clients))
    return rows


def _inside(at: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or at >= start) and (end is None or at <= end)


# --- Waiting, coordination, handovers ------------------------------------------------------


def waiting_times(
    log: EventLog,
    start: datetime | None = None,
    end: datetime | None = None,
    control: Control = EXACT,
    unit: Unit | None = None,
) -> list[WaitingRow]:
    """Days from a referral (made in the period) to the first service in the sector referred
    to, per sector: median and 90th percentile (linear interpolation). Referrals not yet
    followed by a service are not counted; with ``unit``, neither are referrals made while the
    client belonged to no unit, and each row counts the units the clients belonged to when
    referred (``control`` bound to the units)."""
    if unit is None:
        control = control.for_log(log)
    waits: dict[str, list[float]] = defaultdict(list)
    clients: dict[str, set[int]] = defaultdict(set)
    for n, served in enumerate(_WAITS.of(log)):
        for sector, referred_at, waited in served:
            if not _inside(referred_at, start, end):
                continue
            units = tuple(_who(unit, n, referred_at))
            if units:
                waits[sector].append(waited)
                clients[sector].update(units)
    rows = []
    for sector in sorted(waits):
        cell = control.cell(clients[sector])
        days = np.asarray(waits[sector])
        median = cell.measure(float(np.median(days)), "median")
        p90 = cell.measure(float(np.percentile(days, 90)), "p90")
        if median is not None and p90 is not None:
            p90 = max(median, p90)  # perturbed apart, kept in order
        rows.append(WaitingRow(sector, cell.suppressed, cell.clients, median, p90))
    return rows


def _waits(journey: tuple[LoggedEvent, ...]) -> tuple[tuple[str, datetime, float], ...]:
    """(sector, when referred, days waited) of each of the journey's referrals followed by a
    service in the sector referred to (the first such service)."""
    found = []
    for i, event in enumerate(journey):
        sector = event.fact.sector
        if event.fact.kind != "ReferralMade" or sector is None:
            continue
        served = next(
            (
                later
                for later in journey[i + 1 :]
                if later.fact.kind == "ServiceStarted" and later.fact.sector == sector
            ),
            None,
        )
        if served is not None:
            waited = served.fact.occurred_at - event.fact.occurred_at
            found.append((sector, event.fact.occurred_at, waited / timedelta(days=1)))
    return tuple(found)


_WAITS = PerJourney(_waits)


GAP_BUCKETS = (
    ("under 1 week", 7.0),
    ("1 to 4 weeks", 28.0),
    ("4 weeks to 3 months", 91.0),
    ("3 months or more", float("inf")),
)


def _journey_gaps(
    journey: Sequence[LoggedEvent], start: datetime | None, end: datetime | None
) -> tuple[float, list[float]]:
    """(journey-days in the period, lengths in days of each stretch without a coordinator).

    A journey runs from its first event to its closure, or to its last recorded event while it
    is open; the coordinator is the party last assigned and not since released or removed
    (as in :func:`domain.timeline.fold`)."""
    if not journey:
        return 0.0, []
    coordinator: str | None = None
    open_since: datetime | None = journey[0].fact.occurred_at
    gap_since: datetime | None = open_since
    spans: list[tuple[datetime, datetime]] = []
    gaps: list[tuple[datetime, datetime]] = []
    for event in journey:
        fact, at = event.fact, event.fact.occurred_at
        if fact.kind == "CoordinatorAssigned":
            if coordinator is None and gap_since is not None:
                gaps.append((gap_since, at))
            coordinator, gap_since = fact.ref, None
        elif fact.kind in {"CoordinatorReleased", "TeamMemberRemoved"} and fact.ref == coordinator:
            coordinator = None
            gap_since = at if open_since is not None else None
        elif fact.kind == "JourneyClosed" and open_since is not None:
            spans.append((open_since, at))
            if coordinator is None and gap_since is not None:
                gaps.append((gap_since, at))
            open_since = gap_since = None
        elif fact.kind == "JourneyReopened" and open_since is None:
            open_since = at
            gap_since = at if coordinator is None else None
    last = journey[-1].fact.occurred_at
    if open_since is not None:
        spans.append((open_since, last))
        if coordinator is None and gap_since is not None:
            gaps.append((gap_since, last))
    days = sum(_clipped_days(a, b, start, end) for a, b in spans)
    lengths = [d for a, b in gaps if (d := _clipped_days(a, b, start, end)) > 0]
    return days, lengths


def _clipped_days(a: datetime, b: datetime, start: datetime | None, end: datetime | None) -> float:
    lo = max(a, start) if start is not None else a
    hi = min(b, end) if end is not None else b
    return max(0.0, (hi - lo) / timedelta(days=1))


def coordinator_gaps(
    log: EventLog,
    start: datetime | None = None,
    end: datetime | None = None,
    control: Control = EXACT,
) -> CoordinatorGaps:
    """The share of journey-days (in the period) without a coordinator, and how long the
    stretches without one lasted. Sums of days are exact figures only (a perturbing control
    publishes the share alone)."""
    control = control.for_log(log)
    total = without = 0.0
    clients: list[int] = []
    per_bucket: dict[str, tuple[list[int], set[int]]] = {n: ([0], set()) for n, _ in GAP_BUCKETS}
    for n, journey in enumerate(log.journeys):
        days, gaps = _journey_gaps(journey, start, end)
        if days <= 0:
            continue
        clients.append(n)
        total += days
        without += sum(gaps)
        for length in gaps:
            name = next(name for name, limit in GAP_BUCKETS if length < limit)
            per_bucket[name][0][0] += 1
            per_bucket[name][1].add(n)
    cell = control.cell(clients)
    buckets = []
    for name, (gaps_in, who) in per_bucket.items():
        bucket = control.cell(who)
        clients_in = None if cell.suppressed else bucket.clients
        buckets.append(
            GapBucket(
                name,
                clients_in is None,
                None if clients_in is None else bucket.count(gaps_in[0], "gaps"),
                clients_in,
            )
        )
    exact = not control.noisy and not cell.suppressed
    return CoordinatorGaps(
        cell.suppressed,
        cell.clients,
        total if exact else None,
        without if exact else None,
        cell.measure(without / total if total else None, "share without"),
        tuple(buckets),
    )


def _transitions(journey: tuple[LoggedEvent, ...]) -> tuple[tuple[str, datetime, bool], ...]:
    """(kind, when, whether anything was handed over) of each of the journey's transitions."""
    shares = [e.fact for e in journey if e.fact.kind == "InformationShared"]
    found = []
    for event in journey:
        fact = event.fact
        if fact.kind != "TransitionRecorded":
            continue
        receiver = next((i for t, i, q in fact.links if t == "organisation" and q == "to"), None)
        handed_over = any(
            s.link == fact.ref
            or (
                receiver is not None
                and s.ref == receiver
                and fact.occurred_at - HANDOVER_BEFORE
                <= s.occurred_at
                <= fact.occurred_at + HANDOVER_AFTER
            )
            for s in shares
        )
        found.append((fact.detail or "unknown", fact.occurred_at, handed_over))
    return tuple(found)


_TRANSITIONS = PerJourney(_transitions)


def silent_transitions(
    log: EventLog,
    start: datetime | None = None,
    end: datetime | None = None,
    control: Control = EXACT,
) -> list[SilentTransitionRow]:
    """Per kind of transition (recorded in the period): how many, and how many with no
    information shared with the receiving side — no disclosure naming the transition, nor one
    to the receiving organisation from 180 days before to 30 days after it."""
    control = control.for_log(log)
    clients: dict[str, set[int]] = defaultdict(set)
    silent_clients: dict[str, set[int]] = defaultdict(set)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for n, transitions in enumerate(_TRANSITIONS.of(log)):
        for kind, at, handed_over in transitions:
            if not _inside(at, start, end):
                continue
            clients[kind].add(n)
            counts[kind][0] += 1
            if not handed_over:
                counts[kind][1] += 1
                silent_clients[kind].add(n)
    rows = []
    for kind in sorted(clients):
        cell = control.cell(clients[kind])
        silent = control.split(
            cell, silent_clients[kind], len(clients[kind] - silent_clients[kind])
        )
        rows.append(
            SilentTransitionRow(
                kind,
                cell.suppressed,
                cell.clients,
                cell.count(counts[kind][0], "transitions"),
                None if silent is None else silent.count(counts[kind][1], "transitions"),
            )
        )
    return rows


def conformance_rates(
    results: Mapping[str, tuple[str, Mapping[Any, bool] | Sequence[bool]]],
    control: Control = EXACT,
) -> list[ConformanceRow]:
    """Per pathway id: (title, whether each journey it applies to conforms), the journeys
    keyed as ``control`` knows them (by number in the log whose record keys it holds)."""
    rows = []
    for pathway, (title, given) in sorted(results.items()):
        outcomes = given if isinstance(given, Mapping) else dict(enumerate(given))
        cell = control.cell(list(outcomes))
        passed = [key for key, ok in outcomes.items() if ok]
        conforming = control.split(cell, passed, len(outcomes) - len(passed))
        suppressed = cell.suppressed or not outcomes
        published = None if suppressed else cell.clients
        shown = None if conforming is None or published is None else conforming.clients
        rows.append(
            ConformanceRow(
                pathway,
                title,
                suppressed,
                published,
                shown,
                None if shown is None or not published else shown / published,
            )
        )
    return rows
