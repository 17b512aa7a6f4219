"""The planners' figures and the event-log exports, as the API and the CLI offer them.

Every question goes through :meth:`Analytics.answer` (every export through
:meth:`Analytics.export_log`), which decides what the caller may have
(``docs/analytics-privacy.md``):

- **planners** get perturbed figures (the cell-key method) for a *release window* — their
  period widened to a whole quarter, year or the record so far — and never the event log;
- **auditors** (and the local operator through ``polku analytics --exact`` / ``polku export``)
  get exact figures for the period as asked, small cells still suppressed, and the
  pseudonymous event log as OCEL or XES;
- nobody else gets anything (403).

Each question is counted against the caller's hourly limit (429 beyond it) and written to the
planner query log: who, what (figure, parameters, window answered, control), when.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import InvalidQueryError, NotPermittedError, RateLimitedError
from domain.events import Actor
from domain.vocabulary import vocabulary
from pathways import analytics
from pathways.analytics import Unit
from pathways.definitions import catalogue
from pathways.disclosure import EXACT, CellKeyControl, Control, ReleaseWindow, release_window
from pathways.eventlog import EventLog
from readmodels.planner import Reflects
from runtime.wiring import Components
from storage.planner_queries import actor_query

__all__ = ["BY_HOUSEHOLD", "FIGURES", "UNITS", "Analytics", "Answer", "Filters"]

Figure = Callable[[EventLog, datetime | None, datetime | None, Control], object]
UnitFigure = Callable[[EventLog, datetime | None, datetime | None, Control, Unit], object]


def _routes(
    compute: Callable[..., object],
) -> Figure:
    def figure(log: EventLog, start: datetime | None, end: datetime | None, c: Control) -> object:
        return compute(analytics.routes_of(log), start, end, c.for_log(log))

    return figure


def _routes_by_unit(compute: Callable[..., object]) -> UnitFigure:
    def figure(
        log: EventLog, start: datetime | None, end: datetime | None, c: Control, unit: Unit
    ) -> object:
        return compute(analytics.routes_of(log), start, end, c, unit)

    return figure


FIGURES: dict[str, Figure] = {
    "transitions": _routes(analytics.transition_matrix),
    "variants": _routes(analytics.variants),
    "dfg": analytics.directly_follows,
    "waiting-times": analytics.waiting_times,
    "ping-pong": _routes(analytics.ping_pong),
    "coordinator-gaps": analytics.coordinator_gaps,
    "silent-transitions": analytics.silent_transitions,
}
"""The figures worked out from the event log (conformance comes from its own read model)."""
BY_HOUSEHOLD: dict[str, UnitFigure] = {
    "transitions": _routes_by_unit(analytics.transition_matrix),
    "dfg": analytics.directly_follows,
    "waiting-times": analytics.waiting_times,
    "ping-pong": _routes_by_unit(analytics.ping_pong),
}
"""The figures that can count households (``unit=household``): each contribution is made at a
moment of valid time, when the client belonged to a household or did not. The others describe
a whole journey (variants, coordinator gaps, conformance) or a journey-level outcome (silent
transitions) and are not counted by household (``docs/analytics-privacy.md``)."""
UNITS = ("client", "household")
FILTERED = frozenset({"dfg"})
"""The figures that take a pathway or sector filter (the process map)."""
ROLES = frozenset({"planner", "auditor"})


_MISSING = object()


class _AnswerCache:
    """Figures already worked out, per event log: the planners' log stays the same object until
    facts arrive (``readmodels/planner.py``), so the same question on the same log is answered
    from here (the figures are deterministic: the noise comes from the records' keys). The
    question is still counted and logged each time. A new log starts afresh; the answers of
    the last few logs are kept, at most :attr:`PER_LOG` each."""

    LOGS = 4
    PER_LOG = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logs: OrderedDict[int, tuple[weakref.ref[EventLog], dict[object, object]]] = (
            OrderedDict()
        )

    def get(self, log: EventLog, key: object) -> object:
        with self._lock:
            found = self._logs.get(id(log))
            if found is None or found[0]() is not log:
                return _MISSING
            return found[1].get(key, _MISSING)

    def put(self, log: EventLog, key: object, value: object) -> None:
        with self._lock:
            found = self._logs.get(id(log))
            if found is None or found[0]() is not log:
                found = (weakref.ref(log), {})
                self._logs[id(log)] = found
            self._logs.move_to_end(id(log))
            while len(self._logs) > self.LOGS:
                self._logs.popitem(last=False)
            answers = found[1]
            if len(answers) >= self.PER_LOG:
                answers.pop(next(iter(answers)))
            answers[key] = value


_ANSWERS = _AnswerCache()


@dataclass(frozen=True)
class Filters:
    """At most one of: journeys the pathway applies to, journeys served in the sector."""

    pathway: str | None = None
    sector: str | None = None

    def asked(self) -> dict[str, str]:
        return {k: v for k, v in (("pathway", self.pathway), ("sector", self.sector)) if v}


@dataclass(frozen=True)
class Answer:
    value: object
    window: ReleaseWindow
    control: str
    """``cell-key`` (perturbed) or ``exact``."""
    unit: str = "client"
    """What the figure counts: ``client`` or ``household``."""
    reflects: Reflects | None = None
    """The read model's position the figure reflects, and whether the primary or the replica
    was read."""


def _moment(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


class Analytics:
    def __init__(self, components: Components) -> None:
        self._components = components

    def release(
        self, actor: Actor, start: datetime | None, end: datetime | None
    ) -> tuple[ReleaseWindow, Control]:
        """The window and control the caller's figures for [start, end] come with."""
        if actor.role not in ROLES:
            raise NotPermittedError("for planners and auditors")
        if start is not None and end is not None and start > end:
            raise InvalidQueryError("the period starts after it ends ('from' is after 'to')")
        if actor.role == "auditor":
            return ReleaseWindow("asked", start, None if end is None else end), EXACT
        window = release_window(start, end, self._components.clock())
        return window, CellKeyControl(self._components.record_keys)

    def answer(
        self,
        actor: Actor,
        figure: str,
        start: datetime | None = None,
        end: datetime | None = None,
        filters: Filters | None = None,
        unit: str = "client",
    ) -> Answer:
        """One figure (a key of :data:`FIGURES`, or ``conformance``) for the caller, counting
        clients or (``unit="household"``, figures of :data:`BY_HOUSEHOLD`) households."""
        filters = filters or Filters()
        window, control = self.release(actor, start, end)
        self._check_filters(figure, filters)
        if unit not in UNITS:
            raise InvalidQueryError(f"no such unit: {unit} (client or household)")
        if unit == "household" and figure not in BY_HOUSEHOLD:
            raise InvalidQueryError(
                f"{figure} is not counted by household (only {', '.join(sorted(BY_HOUSEHOLD))})"
            )
        self._count(actor, figure, start, end, filters, window, control.name, unit)
        first = window.start
        last = end if window.kind == "asked" else window.last
        if unit == "household":
            whole, reflects = self._components.planner.read()
            log = self._filtered(whole, filters, first, last)
            households = self._components.household_members.households()
            if control.noisy:
                control = CellKeyControl(self._components.household_keys)
            bound = control.for_journeys(households.ids)
            journeys = log.journey_ids()

            def of(n: int, at: datetime) -> tuple[int, ...]:
                return households.at(journeys[n], at)

            value = BY_HOUSEHOLD[figure](log, first, last, bound, of)
            return Answer(value, window, control.name, unit, reflects)
        if figure == "conformance":
            outcomes, reflects = self._components.conformance.read_outcomes(first, last)
            journeys = sorted({j for _, found in outcomes.values() for j in found})
            bound = control.for_journeys(journeys)
            number = {j: n for n, j in enumerate(journeys)}
            keyed = {
                pathway: (title, {number[j]: ok for j, ok in found.items()})
                for pathway, (title, found) in outcomes.items()
            }
            rates = analytics.conformance_rates(keyed, bound)
            return Answer(rates, window, control.name, reflects=reflects)
        whole, reflects = self._components.planner.read()
        key = (figure, first, last, filters, control.name)
        cached = _ANSWERS.get(whole, key)
        if cached is _MISSING:
            log = self._filtered(whole, filters, first, last)
            cached = FIGURES[figure](log, first, last, control)
            _ANSWERS.put(whole, key, cached)
        return Answer(cached, window, control.name, reflects=reflects)

    def export_log(
        self,
        actor: Actor,
        kind: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> EventLog:
        """The pseudonymous event log (person-level microdata): auditors only."""
        if actor.role != "auditor":
            raise NotPermittedError("the event log is person-level data: exports are for auditors")
        if start is not None and end is not None and start > end:
            raise InvalidQueryError("the period starts after it ends ('from' is after 'to')")
        window = ReleaseWindow("asked", start, end)
        self._count(actor, f"export {kind}", start, end, Filters(), window, "microdata")
        return analytics.between(self._components.planner.log(), start, end)

    # --- helpers ---------------------------------------------------------------------------

    def _check_filters(self, figure: str, filters: Filters) -> None:
        if figure not in FIGURES and figure != "conformance":
            raise InvalidQueryError(f"no such figure: {figure}")
        if not filters.asked():
            return
        if figure not in FILTERED:
            raise InvalidQueryError(f"{figure} takes no pathway or sector filter")
        if filters.pathway and filters.sector:
            raise InvalidQueryError("filter by a pathway or by a sector, not both at once")
        if filters.pathway and filters.pathway not in catalogue():
            raise InvalidQueryError(f"no such pathway: {filters.pathway}")
        if filters.sector and filters.sector not in vocabulary().terms["sectors"]:
            raise InvalidQueryError(f"no such sector: {filters.sector}")

    def _count(
        self,
        actor: Actor,
        figure: str,
        start: datetime | None,
        end: datetime | None,
        filters: Filters,
        window: ReleaseWindow,
        control: str,
        unit: str = "client",
    ) -> None:
        components = self._components
        wait = components.planner_limit.hit(actor.party_id)
        if wait is not None:
            raise RateLimitedError(
                max(1, int(wait.total_seconds()) + 1),
                "too many analytics questions this hour; retry later",
            )
        parameters: dict[str, Any] = {"from": _moment(start), "to": _moment(end)}
        if unit != "client":
            parameters["unit"] = unit
        components.planner_queries.record(
            actor_query(
                actor,
                asked_at=components.clock(),
                figure=figure,
                parameters=parameters | filters.asked(),
                released=window.label,
                control=control,
            )
        )

    def _filtered(
        self, log: EventLog, filters: Filters, first: datetime | None, last: datetime | None
    ) -> EventLog:
        if filters.pathway:
            keep = self._components.conformance.journeys(filters.pathway)
            return EventLog(tuple(j for j in log.journeys if j[0].fact.journey in keep))
        if filters.sector:
            sector = filters.sector
            return EventLog(
                tuple(
                    j
                    for j in log.journeys
                    if any(
                        e.fact.kind == "ServiceStarted"
                        and e.fact.sector == sector
                        and (first is None or e.fact.occurred_at >= first)
                        and (last is None or e.fact.occurred_at <= last)
                        for e in j
                    )
                )
            )
        return log
