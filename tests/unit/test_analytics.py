"""Planner analytics: counts per client, and cells under five clients suppressed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from domain.journey import JourneyIds
from pathways import analytics
from pathways.analytics import (
    MIN_CLIENTS,
    Engine,
    Episode,
    between,
    conformance_rates,
    coordinator_gaps,
    directly_follows,
    ping_pong,
    routes_of,
    silent_transitions,
    transition_matrix,
    variants,
    waiting_times,
)
from pathways.disclosure import CellKeyControl, RecordKeys
from pathways.eventlog import EventLog, Fact, LogBuilder

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def route(*sectors: str) -> list[Episode]:
    return [Episode(s, T0 + timedelta(days=10 * n)) for n, s in enumerate(sectors)]


def population() -> dict[str, list[Episode]]:
    routes = {f"a{n}": route("youth_work", "social_care") for n in range(6)}
    routes |= {f"b{n}": route("health_care", "social_care", "health_care") for n in range(4)}
    routes["c"] = route("education", "education", "youth_work")  # repeats collapse
    return routes


def test_transitions_count_clients_and_moves() -> None:
    cells = {(c.from_sector, c.to_sector): c for c in transition_matrix(population())}
    youth = cells[("youth_work", "social_care")]
    assert (youth.suppressed, youth.clients, youth.transitions) == (False, 6, 6)


def test_cells_under_five_clients_are_suppressed_not_zero() -> None:
    cells = {(c.from_sector, c.to_sector): c for c in transition_matrix(population())}
    small = cells[("health_care", "social_care")]
    assert small.suppressed
    assert small.clients is None
    assert small.transitions is None
    assert cells[("education", "youth_work")].suppressed
    assert MIN_CLIENTS == 5


def test_variants_pool_the_rare_routes() -> None:
    rows = variants(population())
    assert rows[0].route == ("youth_work", "social_care")
    assert rows[0].clients == 6
    assert rows[-1].suppressed
    assert rows[-1].route is None
    assert len(rows) == 2


def test_the_period_limits_what_is_counted() -> None:
    late = T0 + timedelta(days=5)
    cells = transition_matrix(population(), start=late, end=late + timedelta(days=10))
    assert {(c.from_sector, c.to_sector) for c in cells} == {
        ("youth_work", "social_care"),
        ("health_care", "social_care"),
    }  # the move into youth_work started on day 20, outside the period
    assert transition_matrix(population(), start=T0 + timedelta(days=500)) == []


# --- The event-log metrics, on hand-made logs -------------------------------------------------


class Journey:
    """Builds one journey's facts, a day apart unless told otherwise."""

    counter = 0

    def __init__(self, key: str) -> None:
        self.key = key
        self.facts: list[Fact] = []
        self.day = 0.0

    def add(self, kind: str, *, days: float = 1, **fields: Any) -> Journey:
        Journey.counter += 1
        self.day += days
        self.facts.append(
            Fact(
                Journey.counter,
                self.key,
                f"{self.key}-e{Journey.counter}",
                kind,
                T0 + timedelta(days=self.day),
                **fields,
            )
        )
        return self

    def service(self, sector: str, *, days: float = 1) -> Journey:
        episode = f"ep{Journey.counter}"
        self.add("ServiceStarted", days=days, sector=sector, ref=episode)
        return self.add("ServiceEnded", days=1, ref=episode)


def log_of(*journeys: Journey) -> EventLog:
    return EventLog.of(f for j in journeys for f in j.facts)


def test_dfg_counts_pairs_clients_and_durations() -> None:
    journeys = [
        Journey(f"j{n}").add("ClientRegistered").service("health_care", days=n + 1)
        for n in range(5)
    ]
    edges = {(e.source, e.target): e for e in directly_follows(log_of(*journeys))}
    start = edges[("client registered", "service started: health_care")]
    assert (start.clients, start.count) == (5, 5)
    assert start.mean_seconds == pytest.approx(3 * 86400)  # waits of 1..5 days
    assert start.median_seconds == pytest.approx(3 * 86400)
    ended = edges[("service started: health_care", "service ended: health_care")]
    assert ended.median_seconds == pytest.approx(86400)


def test_dfg_edges_of_few_clients_are_suppressed() -> None:
    journeys = [Journey(f"j{n}").add("ClientRegistered").service("social_care") for n in range(4)]
    edges = directly_follows(log_of(*journeys))
    assert edges
    assert all(e.suppressed and e.count is None and e.mean_seconds is None for e in edges)


def test_retracted_events_leave_the_log_and_service_ends_know_their_sector() -> None:
    j = Journey("j").add("ClientRegistered").service("youth_work")
    wrong = j.facts[-2].event_id  # the service start
    j.add("EventRetracted", link=wrong)
    log = log_of(j)
    assert [e.activity for e in log.journeys[0]] == ["client registered", "service ended: unknown"]
    k = Journey("k").add("ClientRegistered").service("youth_work")
    assert log_of(k).journeys[0][-1].activity == "service ended: youth_work"


def test_late_entries_take_their_place_in_valid_time() -> None:
    j = Journey("j").add("ClientRegistered").add("CoordinatorAssigned", days=10, ref="p1")
    j.add("TeamMemberAdded", days=-5, ref="p1", detail="professional")  # recorded later
    assert [e.activity for e in log_of(j).journeys[0]] == [
        "client registered",
        "team member added",
        "coordinator assigned",
    ]


def test_waiting_times_from_referral_to_first_service_in_that_sector() -> None:
    journeys = []
    for n in range(10):
        j = Journey(f"j{n}").add("ClientRegistered").add("ReferralMade", sector="health_care")
        j.service("social_care", days=2)  # another sector does not end the wait
        j.service("health_care", days=n + 1)
        journeys.append(j)
    (row,) = waiting_times(log_of(*journeys))
    waits = [2 + 1 + (n + 1) for n in range(10)]  # days from the referral to the start
    assert row.sector == "health_care"
    assert row.clients == 10
    assert row.median_days == pytest.approx(float(np.median(waits)))
    assert row.p90_days == pytest.approx(float(np.percentile(waits, 90)))
    (small,) = waiting_times(log_of(*journeys[:3]))
    assert small.suppressed
    assert small.median_days is None


def test_ping_pong_is_a_return_within_three_episodes() -> None:
    back = [
        Journey(f"b{n}").service("health_care").service("social_care").service("health_care")
        for n in range(5)
    ]
    away = [
        Journey(f"a{n}")
        .service("health_care")
        .service("social_care")
        .service("education")
        .service("health_care")
        for n in range(5)
    ]
    rows = ping_pong(routes_of(log_of(*back, *away)))
    assert [(r.sector_a, r.sector_b, r.clients) for r in rows] == [
        ("health_care", "social_care", 5)
    ]
    assert all(r.suppressed for r in ping_pong(routes_of(log_of(*back[:2]))))


def test_coordinator_gaps_share_of_days_and_lengths() -> None:
    journeys = []
    for n in range(6):
        j = Journey(f"j{n}").add("ClientRegistered")
        j.add("TeamMemberAdded", days=0, ref="p1", detail="professional")
        j.add("CoordinatorAssigned", days=0, ref="p1")  # no gap at the start
        j.add("CoordinatorReleased", days=10, ref="p1")
        j.add("CoordinatorAssigned", days=20, ref="p1")  # a 20-day gap
        j.add("JourneyClosed", days=10)  # 40 journey-days in all
        j.add("PlanAgreed", days=100)  # after closure: no journey-days
        journeys.append(j)
    gaps = coordinator_gaps(log_of(*journeys))
    assert gaps.clients == 6
    assert gaps.share_without == pytest.approx(0.5)
    buckets = {b.bucket: b for b in gaps.gaps}
    assert buckets["1 to 4 weeks"].gaps == 6
    assert buckets["under 1 week"].gaps == 0
    assert not buckets["under 1 week"].suppressed
    removed = Journey("r").add("ClientRegistered").add("CoordinatorAssigned", days=0, ref="p1")
    removed.add("TeamMemberRemoved", days=5, ref="p1").add("PlanAgreed", days=5)
    assert coordinator_gaps(log_of(removed)).suppressed
    assert coordinator_gaps(log_of(*journeys, removed)).share_without == pytest.approx(
        (6 * 20 + 5) / (6 * 40 + 10)
    )


def test_transitions_without_information_shared_with_the_receiver() -> None:
    journeys = []
    for n in range(12):
        j = Journey(f"j{n}").add("ClientRegistered")
        if n < 6:  # shared with the school before the move
            j.add("InformationShared", ref="school", detail="consent")
        j.add(
            "TransitionRecorded",
            days=5,
            ref="t1",
            detail="daycare_to_school",
            links=(("organisation", "school", "to"),),
        )
        journeys.append(j)
    (row,) = silent_transitions(log_of(*journeys))
    assert (row.kind, row.clients, row.transitions, row.without_sharing) == (
        "daycare_to_school",
        12,
        12,
        6,
    )
    (hidden,) = silent_transitions(log_of(*journeys[:9]))  # only three silent: hidden
    assert hidden.transitions == 9
    assert hidden.without_sharing is None


def test_conformance_rates_hide_small_groups_and_small_halves() -> None:
    rows = conformance_rates(
        {
            "a": ("A", [True] * 6 + [False] * 5),
            "b": ("B", [True] * 8 + [False] * 2),
            "c": ("C", [True] * 3),
            "d": ("D", []),
        }
    )
    by = {r.pathway: r for r in rows}
    assert (by["a"].clients, by["a"].conforming) == (11, 6)
    assert by["a"].rate == pytest.approx(6 / 11)
    assert (by["b"].clients, by["b"].conforming, by["b"].rate) == (10, None, None)
    assert by["c"].suppressed
    assert by["d"].suppressed
    assert by["d"].clients is None


def test_the_log_builder_keeps_up_with_facts_as_they_arrive() -> None:
    a = Journey("a").add("ClientRegistered").service("health_care")
    b = Journey("b").add("ClientRegistered").service("education")
    builder = LogBuilder()
    builder.add(a.facts[:2])
    builder.add(b.facts)
    assert len(builder.log().journeys) == 2
    builder.add(a.facts[2:])
    a.add("EventRetracted", link=a.facts[1].event_id)  # a late retraction of the start
    builder.add(a.facts[-1:])
    assert builder.log() == log_of(a, b)
    assert [e.activity for e in builder.log().journeys[0]] == [
        "client registered",
        "service ended: unknown",
    ]


def test_a_log_without_pairs_has_an_empty_graph() -> None:
    lone = [Journey(f"j{n}").add("ClientRegistered") for n in range(6)]
    assert directly_follows(log_of(*lone)) == []
    assert directly_follows(EventLog(())) == []
    assert Engine.of(log_of(*lone)).variants() == {("client registered",): 6}


def test_the_engine_is_built_once_per_log_and_a_period_filters_it() -> None:
    journeys = [
        Journey(f"j{n}")
        .add("ClientRegistered", days=n)
        .service("health_care", days=n % 3 + 1)
        .service("social_care")
        for n in range(12)
    ]
    log = log_of(*journeys)
    assert analytics._ENGINES.of(log) is analytics._ENGINES.of(log)
    keys = RecordKeys(JourneyIds(b"bench pseudonym secret, 32 bytes").pseudonym)
    control = CellKeyControl(keys)
    day = timedelta(days=1)
    periods = [
        (None, None),
        (T0 + 3 * day, None),
        (None, T0 + 8 * day),
        (T0 + 4 * day, T0 + 9 * day),
        (T0 + 500 * day, None),
    ]
    for start, end in periods:
        window = between(log, start, end)
        expected = Engine.of(window).dfg_cells(control.for_log(window).keys())
        found = Engine.of(log).window(start, end).dfg_cells(control.for_log(log).keys())
        assert found == expected
