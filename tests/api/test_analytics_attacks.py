"""Attacks on the planners' figures: each plays a planner who may send any number of queries
with any parameters the API accepts, and knows the truth about some clients from elsewhere
(here: the auditor's exact figures and the event log stand for that knowledge, to score the
attack). Every attack must fail to recover anything about a group of fewer than 5 clients.

To see the attacks succeed against the design before disclosure control, run this module with
``POLKU_ATTACK_PROTECTION=off``: planners then get what they got before — exact figures for any
period to the microsecond, small cells suppressed answer by answer, and the exports.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from demo.population import generate
from domain.errors import NotPermittedError
from domain.events import Actor
from pathways import analytics
from pathways.analytics import Engine
from pathways.disclosure import EXACT, MIN_CLIENTS, NOISE, Control, ReleaseWindow
from pathways.eventlog import EventLog
from runtime.analytics import Analytics
from runtime.limits import SlidingWindowLimit
from runtime.settings import Settings
from runtime.wiring import build_service
from tests.api.conftest import Api
from tests.support import settle

PROTECTION = os.environ.get("POLKU_ATTACK_PROTECTION", "on")
CLIENTS = 150
SEED = 21
µs = timedelta(microseconds=1)


def _unprotected_release(
    self: Analytics, actor: Actor, start: datetime | None, end: datetime | None
) -> tuple[ReleaseWindow, Control]:
    """What every caller got before disclosure control: exact figures for the period asked."""
    if actor.role not in {"planner", "auditor"}:
        raise NotPermittedError("for planners and auditors")
    return ReleaseWindow("asked", start, end), EXACT


def _unprotected_export(
    self: Analytics, actor: Actor, kind: str, start: Any = None, end: Any = None
) -> EventLog:
    if actor.role not in {"planner", "auditor"}:
        raise NotPermittedError("for planners and auditors")
    return analytics.between(self._components.planner.log(), start, end)


@pytest.fixture
def attacked(api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Api:
    generate(lambda clock: build_service(settings, clock=clock), CLIENTS, SEED)
    settle(api.components)
    # The hourly limit is tested on its own; here the attacker may ask as often as they like.
    api.components.planner_limit = SlidingWindowLimit(
        10**9, timedelta(hours=1), api.components.clock
    )
    if PROTECTION == "off":
        monkeypatch.setattr(Analytics, "release", _unprotected_release)
        monkeypatch.setattr(Analytics, "export_log", _unprotected_export)
    return api


def _get(api: Api, who: str, figure: str, **params: Any) -> Any:
    query = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in params.items()}
    response = api.client.get(f"/v1/analytics/{figure}", params=query, headers=api.headers(who))
    assert response.status_code == 200, response.text
    return response.json()


def _edges(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["source"], r["target"]): r for r in rows if not r["suppressed"]}


def _years(log: EventLog) -> list[int]:
    return sorted({e.fact.occurred_at.year for j in log.journeys for e in j})


# --- 1. The binary search over time windows -------------------------------------------------


def test_binary_search_over_time_windows_recovers_no_transition_time(attacked: Api) -> None:
    api = attacked
    log = api.components.planner.log()
    truth_cells = analytics.transition_matrix(analytics.routes_of(log))  # exact, small hidden
    target = max((c for c in truth_cells if not c.suppressed), key=lambda c: c.clients or 0)
    pair = (target.from_sector, target.to_sector)
    true_times = sorted(
        after.started_at
        for route in analytics.routes_of(log).values()
        for before, after in itertools.pairwise(route)
        if (before.sector, after.sector) == pair
    )

    def moves(**period: datetime) -> int | None:
        for cell in _get(api, "planner", "transitions", **period):
            if (cell["from_sector"], cell["to_sector"]) == pair and not cell["suppressed"]:
                return int(cell["transitions"])
        return None

    everything = moves()
    assert everything is not None

    def cumulative(at: datetime) -> int | None:
        before = moves(to=at)
        if before is not None:
            return before
        after = moves(**{"from": at + µs})
        return None if after is None else everything - after

    lo = datetime(2020, 1, 1, tzinfo=UTC)
    hi = datetime(2026, 1, 1, tzinfo=UTC)
    recovered = []
    for k in range(1, everything + 1):
        a, b = lo, hi
        while b - a > timedelta(seconds=1):
            middle = a + (b - a) / 2
            seen = cumulative(middle)
            if seen is not None and seen >= k:
                b = middle
            else:
                a = middle
        recovered.append(b)
    matched = [t for t in true_times if any(abs(t - r) <= timedelta(seconds=1) for r in recovered)]
    assert len(true_times) >= MIN_CLIENTS
    assert matched == [], f"recovered {len(matched)} of {len(true_times)} transition times"


def test_a_pair_of_periods_a_month_apart_tells_nothing(attacked: Api) -> None:
    """The issue's pair: coordinator gaps up to the end of May and up to the end of June."""
    api = attacked
    year = _years(api.components.planner.log())[1]
    may = {"from": datetime(year, 1, 1, tzinfo=UTC), "to": datetime(year, 5, 31, tzinfo=UTC)}
    june = {"from": datetime(year, 1, 1, tzinfo=UTC), "to": datetime(year, 6, 30, tzinfo=UTC)}
    exact_may = _get(api, "auditor", "coordinator-gaps", **may)
    exact_june = _get(api, "auditor", "coordinator-gaps", **june)
    assert exact_may != exact_june  # June held something to find
    for figure in ("coordinator-gaps", "transitions", "dfg", "waiting-times", "variants"):
        assert _get(api, "planner", figure, **may) == _get(api, "planner", figure, **june)


# --- 2. Differencing between windows and between filters -------------------------------------


def _windows(api: Api) -> list[dict[str, datetime]]:
    """The periods the attacker asks for: the whole record, and in every year each month on
    its own, from 1 January to the end of each month, and from each month to 31 December."""
    out: list[dict[str, datetime]] = [{}]
    for year in _years(api.components.planner.log()):
        january, december = datetime(year, 1, 1, tzinfo=UTC), datetime(year, 12, 31, tzinfo=UTC)
        for month in range(1, 13):
            first = datetime(year, month, 1, tzinfo=UTC)
            last = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC) - µs
            out += [{"from": first, "to": last}, {"from": january, "to": last}]
            out.append({"from": first, "to": december})
    return out


class Score:
    """How often a difference of two answers gave a small group's figure exactly. Noise that
    differs between the two answers leaves the difference off by up to twice the noise; a
    share of exact hits well under one half (about one in nine with independent draws) is
    what the design gives, while exact answers give every small group away."""

    def __init__(self) -> None:
        self.targets = 0
        self.exact = 0
        self.seen: set[object] = set()

    def count(self, estimate: float, truth: float, trial: object = None) -> None:
        """Score one attempt. ``trial`` names the pair of answers it differences: many
        questions are answered by the same release windows, and the same pair of answers is one
        trial however often it is asked (counted again, one lucky pair would count many times)."""
        if trial is not None:
            if trial in self.seen:
                return
            self.seen.add(trial)
        self.targets += 1
        self.exact += estimate == truth

    def check(self) -> None:
        assert self.exact <= 2 + self.targets / 3, (
            f"{self.exact} of {self.targets} small groups recovered exactly"
        )


class Asker:
    """The attacker's questions (each distinct question asked once; asking again gives the
    same answer, see the averaging test), and the truth for the window each was answered
    for (what the attacker wants to find out)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.seen: dict[str, Any] = {}

    def ask(self, figure: str, params: dict[str, Any]) -> Any:
        key = repr((figure, sorted(params.items())))
        if key not in self.seen:
            self.seen[key] = _get(self.api, "planner", figure, **params)
        return self.seen[key]

    def released(self, params: dict[str, Any]) -> str:
        """The release window (and filters) a question is answered for, as a key."""
        start, end = _period(self.api, {k: v for k, v in params.items() if k in {"from", "to"}})
        others = sorted((k, v) for k, v in params.items() if k not in {"from", "to"})
        return repr((start, end, others))

    def truth(self, figure: str, params: dict[str, Any]) -> Any:
        start, end = _period(self.api, {k: v for k, v in params.items() if k in {"from", "to"}})
        released = {k: v for k, v in params.items() if k not in {"from", "to"}}
        released |= {"from": start, "to": end} if start and end else {}
        if not start and end:
            released["to"] = end
        key = repr(("truth", figure, sorted(released.items())))
        if key not in self.seen:
            self.seen[key] = _get(self.api, "auditor", figure, **released)
        return self.seen[key]


def _difference_attack(
    asker: Asker, big: dict[str, Any], small: dict[str, Any], score: Score, sums: Score
) -> None:
    """The attacker subtracts the DFG of ``small`` (a sub-window or a filter) from that of
    ``big``; the difference describes the clients in one and not the other: their number,
    and (count times mean) the sum of their durations."""
    planner_big, planner_small = (_edges(asker.ask("dfg", p)) for p in (big, small))
    truth_big, truth_small = (_edges(asker.truth("dfg", p)) for p in (big, small))
    trial = (asker.released(big), asker.released(small))
    for edge in planner_big.keys() & planner_small.keys():
        if edge not in truth_big or edge not in truth_small:
            continue
        group = truth_big[edge]["clients"] - truth_small[edge]["clients"]
        if not 0 < group < MIN_CLIENTS:
            continue
        estimate_clients = planner_big[edge]["clients"] - planner_small[edge]["clients"]
        score.count(estimate_clients, group, (trial, edge))

        def total(row: dict[str, Any]) -> float:
            return float(row["count"]) * float(row["mean_seconds"])

        estimate = total(planner_big[edge]) - total(planner_small[edge])
        truth = total(truth_big[edge]) - total(truth_small[edge])
        sums.count(abs(estimate - truth) <= 3600, True, (trial, edge))  # within an hour


def test_differencing_nested_windows_recovers_no_small_group(attacked: Api) -> None:
    asker = Asker(attacked)
    score, sums = Score(), Score()
    windows = _windows(attacked)
    for big in windows:
        for small in windows:
            if big is not small and _inside(small, big):
                _difference_attack(asker, big, small, score, sums)
    score.check()
    sums.check()


def _inside(small: dict[str, datetime], big: dict[str, datetime]) -> bool:
    if not big:
        return True
    if not small:
        return False
    return big["from"] <= small["from"] and small["to"] <= big["to"]


def test_differencing_filters_recovers_no_small_group(attacked: Api) -> None:
    api = attacked
    score, sums = Score(), Score()
    pathways = [
        p["id"] for p in api.client.get("/v1/pathways", headers=api.headers("planner")).json()
    ]
    sectors = sorted(
        {e.sector for j in api.components.planner.log().journeys for e in j if e.sector}
    )
    asker = Asker(api)
    for window in _windows(api)[::6]:
        for name, values in (("pathway", pathways), ("sector", sectors)):
            for value in values:
                _difference_attack(asker, window, window | {name: value}, score, sums)
    assert score.targets >= 10  # filters leave small groups to aim at
    score.check()
    sums.check()


# --- 3. Complements across answers (within answers: tests/unit/test_disclosure.py) ---------


def _period(api: Api, window: dict[str, datetime]) -> tuple[datetime | None, datetime | None]:
    """The window a planner's question for ``window`` is answered for."""
    found = api.client.get(
        "/v1/analytics/release",
        params={k: v.isoformat() for k, v in window.items()},
        headers=api.headers("planner"),
    ).json()
    start = datetime.fromisoformat(found["from"]) if found["from"] else None
    end = datetime.fromisoformat(found["to"]) - µs if found["to"] else None
    return start, end


def test_complements_across_answers_recover_no_small_group(attacked: Api) -> None:
    """Route variants: the clients with a service in the window (known exactly to this
    attacker) less the published routes' clients leave the pooled rare routes."""
    api = attacked
    score = Score()
    routes = analytics.routes_of(api.components.planner.log())
    for window in _windows(api):
        start, end = _period(api, window)
        true_counts: dict[tuple[str, ...], int] = {}
        for route in routes.values():
            steps = [e.sector for e in route if analytics._inside(e.started_at, start, end)]
            collapsed = tuple(s for i, s in enumerate(steps) if i == 0 or steps[i - 1] != s)
            if collapsed:
                true_counts[collapsed] = true_counts.get(collapsed, 0) + 1
        total = sum(true_counts.values())
        published = [r for r in _get(api, "planner", "variants", **window) if r["route"]]
        pooled_truth = total - sum(true_counts[tuple(r["route"])] for r in published)
        if published and 0 < pooled_truth < MIN_CLIENTS:
            score.count(total - sum(r["clients"] for r in published), pooled_truth)
    score.check()


# --- 4. Averaging repeated answers -----------------------------------------------------------


def test_averaging_repeated_answers_gains_nothing(attacked: Api) -> None:
    """Noise drawn afresh for every answer would average away: the attacker asks for each
    year and for each month in it, every question in five phrasings (shifted by days and
    microseconds) and again, averages each, and subtracts. With cell keys every phrasing of a
    window has the same contributors and so the same answer: the averages are single answers
    and recover no small group more often than one difference does."""
    api = attacked
    score = Score()
    repeated: list[list[Any]] = []
    for year in _years(api.components.planner.log())[:2]:
        january = datetime(year, 1, 1, tzinfo=UTC)
        big_asked = [
            {
                "from": january + timedelta(days=d, microseconds=d),
                "to": january.replace(month=12, day=20 + d),
            }
            for d in range(5)
        ]
        for month in range(1, 13):
            first = datetime(year, month, 1, tzinfo=UTC)
            small_asked = [
                {
                    "from": first + timedelta(hours=d, microseconds=d),
                    "to": first + timedelta(days=20 + d),
                }
                for d in range(5)
            ]
            bigs = [_edges(_get(api, "planner", "dfg", **p)) for p in big_asked]
            smalls = [_edges(_get(api, "planner", "dfg", **p)) for p in small_asked * 2]
            repeated.append(smalls)
            asker = Asker(api)
            truth_big = _edges(asker.truth("dfg", big_asked[0]))
            truth_small = _edges(asker.truth("dfg", small_asked[0]))
            for edge in truth_big.keys() & truth_small.keys():
                group = truth_big[edge]["clients"] - truth_small[edge]["clients"]
                found_big = [b[edge]["clients"] for b in bigs if edge in b]
                found_small = [s[edge]["clients"] for s in smalls if edge in s]
                if 0 < group < MIN_CLIENTS and found_big and found_small:
                    mean = sum(found_big) / len(found_big) - sum(found_small) / len(found_small)
                    score.count(round(mean), group)
    score.check()
    assert all(all(answer == answers[0] for answer in answers) for answers in repeated)


# --- 5. Linking an export, or any figure, to what one knows of a client ----------------------


def test_no_export_and_no_figure_describes_fewer_than_five_clients(attacked: Api) -> None:
    """A planner who knows one client's events cannot find them in an export (they get none),
    and no published figure rests on fewer than 5 clients, so none of them is anyone's own."""
    api = attacked
    for path in ("xes", "ocel", "ocel?format=sqlite"):
        answer = api.client.get(f"/v1/analytics/export/{path}", headers=api.headers("planner"))
        assert answer.status_code == 403, path
    log = api.components.planner.log()
    exact = Engine.of(analytics.between(log, *_period(api, {}))).dfg()
    for edge, row in _edges(_get(api, "planner", "dfg")).items():
        assert exact[edge][1] >= MIN_CLIENTS, edge
        assert abs(row["clients"] - exact[edge][1]) <= NOISE


# --- 6. The query log and the limit ----------------------------------------------------------


def test_planner_queries_are_logged_and_limited(api: Api, settings: Settings) -> None:
    api.components.planner_limit = SlidingWindowLimit(5, timedelta(hours=1), api.components.clock)
    statuses = []
    for n in range(7):
        answer = api.client.get(
            "/v1/analytics/dfg",
            params={"from": f"2024-0{n + 1}-01T00:00:00Z", "to": "2024-08-01T00:00:00Z"},
            headers=api.headers("planner"),
        )
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) > 0
    assert statuses == [200] * 5 + [429] * 2
    logged = api.components.planner_queries.entries("p-planner")
    assert len(logged) == 5
    assert logged[0].figure == "dfg"
    assert logged[0].role == "planner"
    assert logged[0].parameters["from"].startswith("2024-01-01")
    assert logged[0].released == "2024"
    assert logged[0].control == "cell-key"
    assert logged[0].asked_at <= api.components.clock()
