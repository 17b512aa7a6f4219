"""Planner figures counting households (``unit=household``), on both backends.

The population's households (``demo.population.plan_households``) are the reference: each
figure's household counts are worked out here from the plan and the auditor's event log, and
compared with what the auditor (exact) and the planner (cell-key, households' own keys) get.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest

from cli.main import main
from demo.population import generate, generate_households, plan_households
from pathways import analytics
from pathways.disclosure import MIN_CLIENTS, Cell
from runtime.limits import SlidingWindowLimit
from runtime.settings import Settings
from runtime.wiring import build_service
from tests.api.conftest import Api
from tests.support import settle

CLIENTS = 120
SEED = 5
Spans = dict[str, list[tuple[str, datetime, datetime | None]]]


@pytest.fixture
def populated(api: Api, settings: Settings) -> Api:
    generate(lambda clock: build_service(settings, clock=clock), CLIENTS, SEED)
    generate_households(api.components.households, CLIENTS, SEED)
    settle(api.components)
    api.components.household_members.catch_up()
    api.components.planner_limit = SlidingWindowLimit(
        10**9, timedelta(hours=1), api.components.clock
    )
    return api


def _spans(api: Api) -> Spans:
    """Each member journey's households (by ref) over valid time, from the plan."""
    journey_id = api.components.service.journey_id
    spans: Spans = defaultdict(list)
    for ref, members in plan_households(SEED, CLIENTS).items():
        for m in members:
            journey = str(journey_id(f"gen-{SEED}-{m.index:06d}"))
            spans[journey].append((ref, m.joined_at, m.left_at))
    return spans


def _at(spans: Spans, journey: str, at: datetime) -> set[str]:
    return {h for h, a, b in spans.get(journey, []) if a <= at and (b is None or at < b)}


def _true_transitions(api: Api) -> dict[tuple[str, str], set[str]]:
    """Households per (from, to) sector move, over the whole record."""
    spans = _spans(api)
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for journey in api.components.planner.log().journeys:
        steps: list[analytics.Episode] = []
        for e in journey:
            if e.fact.kind == "ServiceStarted":
                episode = analytics.Episode(e.fact.sector or "unknown", e.fact.occurred_at)
                if not steps or steps[-1].sector != episode.sector:
                    steps.append(episode)
        for before, after in itertools.pairwise(steps):
            found[(before.sector, after.sector)] |= _at(
                spans, journey[0].fact.journey, after.started_at
            )
    return found


def _true_dfg(api: Api) -> dict[tuple[str, str], set[str]]:
    spans = _spans(api)
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for journey in api.components.planner.log().journeys:
        for a, b in itertools.pairwise(journey):
            found[(a.activity, b.activity)] |= _at(spans, a.fact.journey, b.fact.occurred_at)
    return found


def _get(api: Api, who: str, figure: str, **params: str) -> Any:
    response = api.client.get(f"/v1/analytics/{figure}", params=params, headers=api.headers(who))
    assert response.status_code == 200, response.text
    return response


def test_households_are_counted_once_per_cell(populated: Api) -> None:
    api = populated
    truth = _true_transitions(api)
    assert any(len(h) >= MIN_CLIENTS for h in truth.values())
    answer = _get(api, "auditor", "transitions", unit="household")
    assert answer.headers["Polku-Unit"] == "household"
    rows = {(r["from_sector"], r["to_sector"]): r for r in answer.json()}
    for pair, households in truth.items():
        if not households:
            assert pair not in rows  # nobody in a household made this move
            continue
        row = rows[pair]
        if len(households) >= MIN_CLIENTS:
            assert row["clients"] == len(households), pair
        else:
            assert row["suppressed"], pair
            assert row["clients"] is None, pair
    clients = {
        (r["from_sector"], r["to_sector"]): r["clients"]
        for r in _get(api, "auditor", "transitions").json()
    }
    # Households never outnumber the clients behind them, and somewhere count fewer.
    assert all(rows[p]["clients"] <= clients[p] for p in rows if rows[p]["clients"])
    assert any(rows[p]["clients"] < clients[p] for p in rows if rows[p]["clients"])


def test_dfg_by_household(populated: Api) -> None:
    api = populated
    truth = _true_dfg(api)
    rows = {
        (r["source"], r["target"]): r for r in _get(api, "auditor", "dfg", unit="household").json()
    }
    assert {p for p, h in truth.items() if h} == set(rows)
    for pair, households in truth.items():
        if len(households) >= MIN_CLIENTS:
            assert rows[pair]["clients"] == len(households)
        elif households:
            assert rows[pair]["suppressed"]


def test_planner_gets_household_cells_keyed_by_the_households_own_keys(populated: Api) -> None:
    api = populated
    truth = _true_transitions(api)
    keys = api.components.household_keys
    ids = api.components.households.household_id
    answer = _get(api, "planner", "transitions", unit="household")
    assert answer.headers["Polku-Disclosure-Control"] == "cell-key"
    published = 0
    for row in answer.json():
        households = truth[(row["from_sector"], row["to_sector"])]
        key = sum(keys.key(str(ids(h))) for h in households) & 0xFFFFFFFF
        expected = Cell(len(households), key, True).clients
        assert row["clients"] == expected
        if expected is not None:
            published += 1
            assert abs(expected - len(households)) <= 4
    assert published
    # A household's key is its own: not any member's record key.
    member_keys = {api.components.record_keys.key(j) for j in _spans(api)}
    household_keys = {keys.key(str(ids(h))) for h in plan_households(SEED, CLIENTS)}
    assert not member_keys & household_keys


def _true_waits(api: Api) -> dict[str, set[str]]:
    """Households per sector referred to, by membership when referred (served later)."""
    spans = _spans(api)
    found: dict[str, set[str]] = defaultdict(set)
    for journey in api.components.planner.log().journeys:
        for i, e in enumerate(journey):
            if e.fact.kind != "ReferralMade" or e.fact.sector is None:
                continue
            if any(
                later.fact.kind == "ServiceStarted" and later.fact.sector == e.fact.sector
                for later in journey[i + 1 :]
            ):
                found[e.fact.sector] |= _at(spans, e.fact.journey, e.fact.occurred_at)
    return found


def test_waiting_times_by_household(populated: Api) -> None:
    api = populated
    truth = _true_waits(api)
    rows = {r["sector"]: r for r in _get(api, "auditor", "waiting-times", unit="household").json()}
    assert {s for s, h in truth.items() if h} == set(rows)
    assert any(len(h) >= MIN_CLIENTS for h in truth.values())
    for sector, households in truth.items():
        if len(households) >= MIN_CLIENTS:
            assert rows[sector]["clients"] == len(households), sector
            assert rows[sector]["median_days"] is not None
        elif households:
            assert rows[sector]["suppressed"], sector


def test_waiting_times_and_ping_pong_by_household(populated: Api) -> None:
    api = populated
    for figure in ("waiting-times", "ping-pong"):
        by_client = {
            r.get("sector", r.get("sector_a")): r for r in _get(api, "auditor", figure).json()
        }
        by_household = _get(api, "auditor", figure, unit="household").json()
        for row in by_household:
            key = row.get("sector", row.get("sector_a"))
            if row["clients"] is not None and by_client[key]["clients"] is not None:
                assert row["clients"] <= by_client[key]["clients"]


def test_household_read_model_holds_pseudonyms_only(populated: Api) -> None:
    api = populated
    with api.components.store.transaction(write=False) as tx:
        rows = tx.rows("SELECT * FROM {polku_household_members}")
    assert rows
    assert not any("gen-" in str(value) for row in rows for value in row)
    households = api.components.household_members.households()
    assert len(households) == len(plan_households(SEED, CLIENTS))


@pytest.mark.parametrize(
    ("figure", "unit"),
    [("transitions", "family"), ("variants", "household"), ("coordinator-gaps", "household")],
)
def test_bad_unit_is_a_problem_and_not_logged(populated: Api, figure: str, unit: str) -> None:
    api = populated
    before = len(api.components.planner_queries.entries())
    response = api.client.get(
        f"/v1/analytics/{figure}", params={"unit": unit}, headers=api.headers("planner")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert len(api.components.planner_queries.entries()) == before


def test_household_questions_are_logged_with_their_unit(populated: Api) -> None:
    api = populated
    _get(api, "planner", "waiting-times", unit="household")
    logged = api.components.planner_queries.entries("p-planner")[-1]
    assert logged.figure == "waiting-times"
    assert logged.parameters["unit"] == "household"


def test_the_analytics_command_counts_households(
    populated: Api,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLKU_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("POLKU_KEYRING", str(settings.keyring_path().resolve()))
    url = ["--database-url", settings.database_url]
    exact = ["--exact", "--format", "json"]
    assert main([*url, "analytics", "transitions", "--unit", "household", *exact]) == 0
    captured = capsys.readouterr()
    assert "households are suppressed" in captured.err
    rows = {(r["from sector"], r["to sector"]): r["households"] for r in json.loads(captured.out)}
    truth = _true_transitions(populated)
    for pair, households in truth.items():
        if len(households) >= MIN_CLIENTS:
            assert rows[pair] == str(len(households))
    assert "gen-" not in captured.out
    with pytest.raises(SystemExit):  # not a figure counted by household
        main([*url, "analytics", "variants", "--unit", "household"])
    logged = populated.components.planner_queries.entries()
    assert logged[-1].parameters["unit"] == "household"
