"""Disclosure control: release windows, cell keys, and complements within an answer."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import combinations, pairwise

import pytest

from domain.journey import JourneyIds
from pathways.analytics import conformance_rates
from pathways.disclosure import (
    MIN_CLIENTS,
    NOISE,
    CellKeyControl,
    Control,
    RecordKeys,
    release_window,
)

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def control(count: int, secret: bytes = b"s" * 32) -> Control:
    keys = RecordKeys(JourneyIds(secret).pseudonym)
    return CellKeyControl(keys).for_journeys([f"journey-{n}" for n in range(count)])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_periods_widen_to_quarters_years_or_the_record_released_so_far() -> None:
    q = release_window(at("2024-05-03T10:00:00"), at("2024-06-30T23:59:59"), NOW)
    assert (q.kind, q.start, q.end, q.label) == (
        "quarter",
        at("2024-04-01"),
        at("2024-07-01"),
        "2024-Q2",
    )
    y = release_window(at("2024-05-03"), at("2024-07-01"), NOW)
    assert (y.kind, y.start, y.end) == ("year", at("2024-01-01"), at("2025-01-01"))
    record = release_window(at("2023-12-31"), at("2024-01-01"), NOW)
    assert (record.kind, record.start, record.end) == ("record", None, at("2026-10-01"))
    assert release_window(None, at("2024-01-01"), NOW) == record
    assert release_window(at("2026-10-02"), at("2026-10-03"), NOW) == record  # not ended yet
    with pytest.raises(ValueError, match="starts after it ends"):
        release_window(at("2024-02-01"), at("2024-01-01"), NOW)


def test_the_same_contributors_get_the_same_noise_whatever_the_order() -> None:
    c = control(40)
    assert c.cell(range(10)) == c.cell(list(reversed(range(10))))
    assert c.cell(range(10)).clients == c.cell(set(range(10))).clients
    assert control(40, b"t" * 32).cell(range(10)).key != c.cell(range(10)).key


def test_noise_is_bounded_and_spread_and_differences_are_rarely_exact() -> None:
    c = control(60)
    noises = [c.cell(range(n, n + 20)).clients for n in range(40)]
    noises += [c.cell(pair + tuple(range(30, 48))).clients for pair in combinations(range(10), 2)]
    shifts = [n - 20 for n in noises if n is not None]
    assert all(-NOISE <= s <= NOISE for s in shifts)
    assert len(set(shifts)) == 2 * NOISE + 1  # every value of the table is used
    pairs = list(pairwise(shifts))
    assert sum(a == b for a, b in pairs) < len(pairs) / 4  # about one in nine


def test_small_cells_are_suppressed_before_and_after_perturbation() -> None:
    c = control(60)
    assert all(c.cell(range(n)).suppressed for n in range(MIN_CLIENTS))
    published = [c.cell(range(n, n + MIN_CLIENTS)).clients for n in range(50)]
    assert None in published  # a 5-client cell perturbed below 5 is suppressed too
    assert all(p is None or p >= MIN_CLIENTS for p in published)


def test_a_small_half_is_never_published_so_no_complement_recovers_it() -> None:
    """Clients less conforming would give the non-conforming clients: with 9 of 11
    conforming that is 2 clients, so the split is withheld (with either control)."""
    outcomes = {
        "p": ("P", {n: n < 9 for n in range(11)}),
        "q": ("Q", {n: n < 6 for n in range(12)}),
    }
    for c in (control(12), Control()):
        rows = {r.pathway: r for r in conformance_rates(outcomes, c)}
        assert rows["p"].clients is not None
        assert rows["p"].conforming is None
        assert rows["p"].rate is None
        assert rows["q"].conforming is not None  # 6 and 6: both halves may be shown
