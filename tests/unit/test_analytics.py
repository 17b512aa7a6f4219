"""Planner analytics: counts per client, and cells under five clients suppressed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pathways.analytics import MIN_CLIENTS, Episode, transition_matrix, variants

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
