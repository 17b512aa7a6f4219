"""Attacks on the figures counting households (``unit=household``). The attacker is a
planner who may ask anything any number of times, and knows some truth from elsewhere (the
auditor's exact figures stand for it, to score the attack). Nothing must be learnt about a
group of fewer than 5 *households*, however many clients are behind it.

To see the attacks succeed without disclosure control, run this module with
``POLKU_ATTACK_PROTECTION=off``: planners then get exact figures for any period to the
microsecond, and a household cell is published whatever the number of households behind it (as
a design suppressing by the clients behind a cell would publish a family of five).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from demo.population import generate, generate_households
from domain import commands as cmd
from domain import household_commands as hcmd
from domain.application import CommandContext
from domain.errors import NotPermittedError
from domain.events import Actor
from pathways import disclosure
from pathways.disclosure import EXACT, MIN_CLIENTS, Control, ReleaseWindow
from runtime.analytics import Analytics, Answer, Filters
from runtime.limits import SlidingWindowLimit
from runtime.settings import Settings
from runtime.wiring import build_service
from tests.api.conftest import Api
from tests.support import settle

PROTECTION = os.environ.get("POLKU_ATTACK_PROTECTION", "on")
CLIENTS = 150
SEED = 21
µs = timedelta(microseconds=1)
FAMILY_MOVE = ("housing", "third_sector")
"""A move nobody in the synthetic population makes: only the family of five below."""
ARRIVED = datetime(2024, 2, 1, tzinfo=UTC)


def _unprotected_release(
    self: Analytics, actor: Actor, start: datetime | None, end: datetime | None
) -> tuple[ReleaseWindow, Control]:
    if actor.role not in {"planner", "auditor"}:
        raise NotPermittedError("for planners and auditors")
    return ReleaseWindow("asked", start, end), EXACT


_answer = Analytics.answer


def _unprotected_answer(
    self: Analytics,
    actor: Actor,
    figure: str,
    start: datetime | None = None,
    end: datetime | None = None,
    filters: Filters | None = None,
    unit: str = "client",
) -> Answer:
    """Household cells published down to a single household (for planners)."""
    if unit != "household" or actor.role != "planner":
        return _answer(self, actor, figure, start, end, filters, unit)
    threshold = disclosure.MIN_CLIENTS
    disclosure.MIN_CLIENTS = 1
    try:
        return _answer(self, actor, figure, start, end, filters, unit)
    finally:
        disclosure.MIN_CLIENTS = threshold


def _family(api: Api) -> None:
    """Five clients who arrive together, one household, and all move from housing to the
    third sector in February 2024."""
    ctx = CommandContext(actor=Actor("p-attack-setup", "city-social", "caseworker"))
    service, households = api.components.service, api.components.households
    refs = [f"family-{n}" for n in range(5)]
    households.form(hcmd.FormHousehold(occurred_at=ARRIVED, household_ref="family"), ctx)
    for n, ref in enumerate(refs):
        registered = cmd.RegisterClient(
            occurred_at=ARRIVED, client_ref=ref, preferred_language="ar"
        )
        service.register_client(registered, ctx)
        for days, sector, episode in ((4, "housing", "ep-1"), (20, "third_sector", "ep-2")):
            start = cmd.StartService(
                occurred_at=ARRIVED + timedelta(days=days, hours=n),
                episode_id=episode,
                service=f"{sector}-support",
                sector=sector,
                provider_org=f"{sector}-org",
            )
            service.execute(ref, start, ctx)
        join = hcmd.JoinHousehold(occurred_at=ARRIVED, client_ref=ref)
        households.execute("family", join, ctx)


@pytest.fixture
def attacked(api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Api:
    generate(lambda clock: build_service(settings, clock=clock), CLIENTS, SEED)
    generate_households(api.components.households, CLIENTS, SEED)
    _family(api)
    settle(api.components)
    api.components.household_members.catch_up()
    api.components.planner_limit = SlidingWindowLimit(
        10**9, timedelta(hours=1), api.components.clock
    )
    if PROTECTION == "off":
        monkeypatch.setattr(Analytics, "release", _unprotected_release)
        monkeypatch.setattr(Analytics, "answer", _unprotected_answer)
    return api


def _get(api: Api, who: str, figure: str, **params: Any) -> Any:
    query = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in params.items()}
    response = api.client.get(f"/v1/analytics/{figure}", params=query, headers=api.headers(who))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_family_alone_in_a_cell_is_not_published_by_household(attacked: Api) -> None:
    api = attacked
    q1 = {"from": datetime(2024, 1, 1, tzinfo=UTC), "to": datetime(2024, 3, 31, tzinfo=UTC)}
    exact_clients = {
        (c["from_sector"], c["to_sector"]): c["clients"]
        for c in _get(api, "auditor", "transitions", **q1)
    }
    assert exact_clients[FAMILY_MOVE] == 5  # five clients: a cell by clients may be shown
    asker = Asker(api)
    for period in ({}, q1, {"from": ARRIVED, "to": ARRIVED + timedelta(days=27)}):
        params = {**period, "unit": "household"}
        for figure in ("transitions", "dfg"):
            truth = {_cell(r): r for r in asker.truth(figure, params)}
            for row in asker.ask(figure, params):
                if _cell(row) == FAMILY_MOVE:
                    assert row["suppressed"], f"one household published for {period}"
                    assert row["clients"] is None
                if not row["suppressed"]:  # resting on enough households in its window
                    assert truth[_cell(row)]["clients"] >= MIN_CLIENTS


def _cell(row: dict[str, Any]) -> tuple[str, str]:
    if "source" in row:
        return (row["source"], row["target"])
    return (row["from_sector"], row["to_sector"])


# --- Differencing: nested periods, and clients against households -------------------------


def _windows(api: Api) -> list[dict[str, datetime]]:
    """The whole record, and in every year of the record from 1 January to the end of each
    month, each month on its own, and the month's first day left out."""
    out: list[dict[str, datetime]] = [{}]
    log = api.components.planner.log()
    for year in sorted({e.fact.occurred_at.year for j in log.journeys for e in j}):
        january = datetime(year, 1, 1, tzinfo=UTC)
        for month in range(1, 13):
            first = datetime(year, month, 1, tzinfo=UTC)
            last = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC) - µs
            out += [{"from": january, "to": last}, {"from": first, "to": last}]
            out.append({"from": first + timedelta(days=1), "to": last})
    return out


def _inside(small: dict[str, datetime], big: dict[str, datetime]) -> bool:
    if not big:
        return bool(small)
    if not small:
        return False
    return big["from"] <= small["from"] and small["to"] <= big["to"] and small != big


class Asker:
    """Each distinct question once; the truth (auditor's exact figure) for the window each
    question was answered for."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.seen: dict[str, Any] = {}

    def _once(self, who: str, figure: str, params: dict[str, Any]) -> Any:
        key = repr((who, figure, sorted(params.items())))
        if key not in self.seen:
            self.seen[key] = _get(self.api, who, figure, **params)
        return self.seen[key]

    def ask(self, figure: str, params: dict[str, Any]) -> Any:
        return self._once("planner", figure, params)

    def released(self, params: dict[str, Any]) -> tuple[Any, ...]:
        start, end = params.get("from"), params.get("to")
        window, _ = Analytics(self.api.components).release(
            Actor("p-planner", "region", "planner"), start, end
        )
        last = window.end if window.kind == "asked" else window.last
        return (window.start, last, params.get("unit"))

    def truth(self, figure: str, params: dict[str, Any]) -> Any:
        start, last, unit = self.released(params)
        exact: dict[str, Any] = {"unit": unit} if unit else {}
        if start is not None:
            exact["from"] = start
        if last is not None:
            exact["to"] = last
        return self._once("auditor", figure, exact)


class Score:
    """Exact recoveries of a small group by a difference of two answers: with independent
    noise about one in nine; exact answers give every one away."""

    def __init__(self) -> None:
        self.targets = 0
        self.exact = 0
        self.seen: set[object] = set()

    def count(self, estimate: float, truth: float, trial: object) -> None:
        if trial in self.seen:
            return
        self.seen.add(trial)
        self.targets += 1
        self.exact += estimate == truth

    def check(self) -> None:
        assert self.exact <= 2 + self.targets / 3, (
            f"{self.exact} of {self.targets} small groups of households recovered exactly"
        )


def _published(rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    return {_cell(r): int(r["clients"]) for r in rows if not r["suppressed"]}


def test_differencing_nested_periods_recovers_no_small_group_of_households(
    attacked: Api,
) -> None:
    asker, score = Asker(attacked), Score()
    windows = _windows(attacked)
    for big in windows:
        for small in windows:
            if not _inside(small, big):
                continue
            b, s = ({**w, "unit": "household"} for w in (big, small))
            for figure in ("dfg", "transitions"):
                planner_big, planner_small = (_published(asker.ask(figure, p)) for p in (b, s))
                truth_big, truth_small = (_published(asker.truth(figure, p)) for p in (b, s))
                for edge in planner_big.keys() & planner_small.keys():
                    if edge not in truth_big or edge not in truth_small:
                        continue
                    group = truth_big[edge] - truth_small[edge]
                    if 0 < group < MIN_CLIENTS:
                        estimate = planner_big[edge] - planner_small[edge]
                        trial = (asker.released(b), asker.released(s), figure, edge)
                        score.count(estimate, group, trial)
    assert score.targets, "nothing to difference: the attack tried nothing"
    score.check()


def test_clients_against_households_recovers_no_small_group(attacked: Api) -> None:
    """Clients minus households of one cell: how many clients share a household with another
    who is in the cell too. Where that is a few (a household or two), it must not come out
    exactly."""
    asker, score = Asker(attacked), Score()
    for window in _windows(attacked):
        for figure in ("transitions", "dfg"):
            by_client = _published(asker.ask(figure, window))
            by_household = _published(asker.ask(figure, {**window, "unit": "household"}))
            truth_client = _published(asker.truth(figure, window))
            truth_household = _published(asker.truth(figure, {**window, "unit": "household"}))
            for cell in by_client.keys() & by_household.keys():
                if cell not in truth_client or cell not in truth_household:
                    continue
                group = truth_client[cell] - truth_household[cell]
                if 0 < group < MIN_CLIENTS:
                    estimate = by_client[cell] - by_household[cell]
                    score.count(estimate, group, (asker.released(window), figure, cell))
    assert score.targets, "nothing to difference: the attack tried nothing"
    score.check()
