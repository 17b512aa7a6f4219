"""The analytics engine of a log that grew, built on the engine of the log before it.

The planners' log gets a new :class:`EventLog` whenever facts arrive; its engine takes the
columns of every journey the facts did not touch from the previous engine and encodes only the
rest. Whatever the facts (new journeys between old ones, retractions, late entries, a log made
afresh), that engine must be the one built from nothing: the same cases, activities and times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.journey import JourneyIds
from pathways import analytics
from pathways.analytics import (
    Engine,
    PerJourney,
    _Built,
    _by_code_then_duration,
    _Engines,
    _route,
    _transitions,
    _waits,
)
from pathways.disclosure import RecordKeys
from pathways.eventlog import EventLog, Fact, LogBuilder, LoggedEvent

T0 = datetime(2025, 1, 1, tzinfo=UTC)
JOURNEYS = ("j1", "j3", "j5", "j0", "j4", "j2")  # arriving out of order: numbers shift
KINDS = (
    "ClientRegistered",
    "ReferralMade",
    "ServiceStarted",
    "ServiceEnded",
    "TransitionRecorded",
    "InformationShared",
)
SECTORS = ("health_care", "social_care", "education", "youth_work")


def _named(engine: Engine) -> tuple[list[int], list[str], list[int]]:
    """An engine's columns, activities by name (codes depend on the order names were met)."""
    names = [engine.names[code] for code in engine.activity.tolist()]
    return engine.case.tolist(), names, engine.time_us.tolist()


@st.composite
def _batches(draw: st.DrawFn) -> list[list[Fact]]:
    batches: list[list[Fact]] = []
    made: list[Fact] = []
    for _ in range(draw(st.integers(1, 6))):
        batch = []
        for _ in range(draw(st.integers(1, 8))):
            journey = draw(st.sampled_from(JOURNEYS))
            theirs = [f.event_id for f in made if f.journey == journey]
            retract = bool(theirs) and draw(st.booleans()) and draw(st.booleans())
            n = len(made) + 1
            fact = Fact(
                position=n,
                journey=journey,
                event_id=f"ev{n}",
                kind="EventRetracted" if retract else draw(st.sampled_from(KINDS)),
                occurred_at=T0 + timedelta(hours=draw(st.integers(0, 48))),  # late entries too
                sector=draw(st.sampled_from(SECTORS)),
                ref="e1",
                link=draw(st.sampled_from(theirs)) if retract else None,
                detail=draw(st.sampled_from(("school_entry", "discharge"))),
            )
            made.append(fact)
            batch.append(fact)
        batches.append(batch)
    return batches


SETTLED = [
    Fact(
        10_000 + n,
        f"j{n % 40:02}x",
        f"settled{n}",
        KINDS[n % 6],
        T0 + timedelta(hours=n),
        "education",
    )
    for n in range(80)
]
"""Forty journeys already in the log, so that new ones are put in among them one by one (the
log grows from the last) rather than the whole order made again."""


@settings(max_examples=200, deadline=None)
@given(_batches(), st.booleans())
def test_an_engine_built_on_the_last_one_is_the_engine_built_afresh(
    batches: list[list[Fact]], settled: bool
) -> None:
    engines = _Engines()
    routes = PerJourney(_route)
    keys = RecordKeys(JourneyIds(b"bench pseudonym secret, 32 bytes").pseudonym)
    builder = LogBuilder()
    everything: list[Fact] = []
    if settled:
        batches = [SETTLED, *batches]
    for batch in batches:
        builder.add(batch)
        everything += batch
        log = builder.log()
        afresh = EventLog.of(everything)
        assert log == afresh
        assert log.ids == afresh.ids == tuple(sorted({f.journey for f in everything}))
        assert _named(engines.of(log)) == _named(Engine.of(afresh))
        assert routes.of(log) == [_route(j) for j in afresh.journeys]
        # What the figures keep per journey tuple (the module's own, shared by every log):
        for kept, work in ((analytics._WAITS, _waits), (analytics._TRANSITIONS, _transitions)):
            assert kept.of(log) == [work(j) for j in afresh.journeys]
        assert keys.of_log(log).tolist() == [keys.key(j) for j in afresh.journey_ids()]


def test_after_one_fact_only_its_journey_is_encoded(monkeypatch: pytest.MonkeyPatch) -> None:
    def fact(n: int, journey: str, hours: int) -> Fact:
        return Fact(
            n, journey, f"ev{n}", "ServiceStarted", T0 + timedelta(hours=hours), "health_care"
        )

    builder = LogBuilder()
    builder.add([fact(n, f"j{n % 50:02}", n) for n in range(1, 501)])
    engines = _Engines()
    engines.of(builder.log())
    encoded: list[int] = []
    real = analytics._encoded

    def counted(journeys: list[tuple[object, ...]], codes: dict[str, int]) -> object:
        encoded.append(sum(len(j) for j in journeys))
        return real(journeys, codes)  # type: ignore[arg-type]

    monkeypatch.setattr(analytics, "_encoded", counted)
    builder.add([fact(501, "j17", 1)])  # a late entry in the middle of the log
    engine = engines.of(builder.log())
    assert encoded == [11]  # j17's ten events and the new one, nothing else
    assert _named(engine) == _named(Engine.of(builder.log()))
    builder.add([fact(502, "j17b", 2)])  # a new journey, numbered between old ones
    log = builder.log()
    encoded.clear()
    engine = engines.of(log)
    assert encoded == [1]
    assert log.ids == tuple(sorted(log.ids or ()))
    assert len(log.ids) == 51
    assert _named(engine) == _named(_Built.of(log, None).engine)


def test_a_filtered_log_and_the_whole_log_after_it_have_their_own_engines() -> None:
    """The engine of a log that leaves journeys out (a pathway's journeys only) takes the whole
    log's columns in pieces; the whole log's engine after it is still the whole log's."""
    facts = [
        Fact(n, f"j{n % 7}", f"ev{n}", "ServiceStarted", T0 + timedelta(hours=n), SECTORS[n % 4])
        for n in range(1, 60)
    ]
    whole = EventLog.of(facts)
    some = EventLog(tuple(j for n, j in enumerate(whole.journeys) if n % 3 != 1))
    engines = _Engines()
    for log in (whole, some, EventLog(whole.journeys), EventLog(some.journeys), whole):
        assert _named(engines.of(log)) == _named(_Built.of(log, None).engine)
    assert engines._last is not None
    assert engines._last.journeys is whole.journeys  # the base stays the whole log's


def test_a_log_made_afresh_shares_nothing_with_the_last_engine() -> None:
    """A journey tuple equal to the last log's, but not the same object (a log read afresh after
    a rebuild), is encoded again: only identity says a journey is unchanged."""
    facts = [
        Fact(n, f"j{n % 3}", f"ev{n}", "ServiceStarted", T0 + timedelta(hours=n), "education")
        for n in range(1, 10)
    ]
    engines = _Engines()
    engines.of(EventLog.of(facts))
    changed = [f._replace(sector="social_care") if f.journey == "j1" else f for f in facts]
    log = EventLog.of(changed)
    assert _named(engines.of(log)) == _named(_Built.of(log, None).engine)
    assert "service started: social_care" in engines.of(log).names
    assert np.array_equal(engines.of(log).case, Engine.of(log).case)


def test_per_journey_work_is_done_again_only_for_the_journeys_that_changed() -> None:
    def fact(n: int, journey: str) -> Fact:
        return Fact(n, journey, f"ev{n}", "ServiceStarted", T0 + timedelta(hours=n), "education")

    builder = LogBuilder()
    builder.add([fact(n, f"j{n % 40:02}") for n in range(1, 201)])
    worked: list[str] = []

    def route(journey: tuple[LoggedEvent, ...]) -> object:
        worked.append(journey[0].fact.journey)
        return _route(journey)

    per_journey = PerJourney(route)
    per_journey.of(builder.log())
    assert len(worked) == 40
    worked.clear()
    builder.add([fact(201, "j07"), fact(202, "j07x")])
    log = builder.log()
    found = per_journey.of(log)
    assert sorted(worked) == ["j07", "j07x"]
    assert found == [_route(j) for j in log.journeys]
    worked.clear()
    builder.add([fact(203, "j31")])  # no new journey: the logs share their ids
    later = builder.log()
    assert later.ids is log.ids
    found = per_journey.of(later)
    assert worked == ["j31"]
    assert found == [_route(j) for j in later.journeys]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3000), st.one_of(st.integers(0, 10**9), st.integers(0, 2**61))),
        max_size=60,
    )
)
def test_pairs_sorted_by_code_then_duration_as_the_two_key_sort_sorts_them(
    pairs: list[tuple[int, int]],
) -> None:
    code = np.array([c for c, _ in pairs], dtype=np.int64)
    duration = np.array([d for _, d in pairs], dtype=np.int64)
    order = np.lexsort((duration, code))
    found_code, found_duration = _by_code_then_duration(code, duration)
    assert found_code.tolist() == code[order].tolist()
    assert found_duration.tolist() == duration[order].tolist()


def test_record_keys_are_kept_for_the_same_tuple_of_ids_only() -> None:
    keys = RecordKeys(JourneyIds(b"bench pseudonym secret, 32 bytes").pseudonym)
    forward, backward = ("j1", "j2", "j3"), ("j3", "j2", "j1")
    assert keys.of(forward).tolist() == [keys.key(j) for j in forward]
    assert keys.of(backward).tolist() == [keys.key(j) for j in backward]
    assert keys.of(backward) is keys.of(backward)
    listed = ["j1", "j2"]
    keys.of(listed)
    listed[1] = "j3"  # a list may change under the same identity: never kept
    assert keys.of(listed).tolist() == [keys.key("j1"), keys.key("j3")]
    with pytest.raises(ValueError, match="read-only"):
        keys.of(forward)[0] = 1
