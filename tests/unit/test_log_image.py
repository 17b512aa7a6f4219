"""The planners' log written as an image and loaded again (``pathways/logimage.py``).

A process that loads the image must hold what reading every fact would have given it — the
same facts per journey, the same effective log, journey for journey — and go on from there as
if it had read them: the facts recorded after the image make the same log as all the facts
read afresh. Whatever the facts (retractions, late entries, parties given per-journey
pseudonyms) and however the image is cut into parts.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.analytics import Engine, _Engines
from pathways.eventlog import EventLog, Fact, LogBuilder
from pathways.logimage import ImageError, LogImage, image_parts, load_parts

T0 = datetime(2025, 1, 1, tzinfo=UTC)
JOURNEYS = ("j1", "j3", "j5", "j0", "j4", "j2")
PARTIES = ("p-nurse", "p-aunt", "p-coach")
MEMBER_TYPES = ("professional", "informal", "employer", None)


@st.composite
def _facts(draw: st.DrawFn) -> list[Fact]:
    made: list[Fact] = []
    for n in range(1, draw(st.integers(1, 40)) + 1):
        journey = draw(st.sampled_from(JOURNEYS))
        theirs = [f.event_id for f in made if f.journey == journey]
        kind = draw(
            st.sampled_from(
                (
                    "ReferralMade",
                    "ServiceStarted",
                    "ServiceEnded",
                    "TeamMemberAdded",
                    "InformationShared",
                    "ConsentGranted",
                    "TransitionRecorded",
                )
            )
        )
        if theirs and draw(st.integers(0, 5)) == 0:
            kind = "EventRetracted"
        party = draw(st.sampled_from(PARTIES))
        made.append(
            Fact(
                position=n,
                journey=journey,
                event_id=f"ev{n}",
                kind=kind,
                # Late entries too, and valid times with and without microseconds.
                occurred_at=T0 + timedelta(hours=draw(st.integers(0, 48)), microseconds=n % 3),
                sector=draw(st.sampled_from(("health_care", "education", None))),
                ref=party if kind == "TeamMemberAdded" else draw(st.sampled_from(("e1", "e2"))),
                link=draw(st.sampled_from(theirs)) if kind == "EventRetracted" else None,
                detail=draw(st.sampled_from(MEMBER_TYPES))
                if kind == "TeamMemberAdded"
                else draw(st.sampled_from(("school_entry", None))),
                links=tuple(
                    draw(
                        st.lists(
                            st.sampled_from(
                                [("party", p, "recipient") for p in PARTIES]
                                + [("consent", "c-1", "basis"), ("organisation", "o-1", "by")]
                            ),
                            max_size=3,
                        )
                    )
                ),
            )
        )
    return made


def _reloaded(builder: LogBuilder, per_part: int) -> LogBuilder:
    return load_parts(image_parts(LogImage.of_builder(builder), per_part)).builder


def _named(engine: Engine) -> tuple[list[int], list[str], list[int]]:
    """An engine's columns, activities by name (codes depend on the order names were met)."""
    names = [engine.names[code] for code in engine.activity.tolist()]
    return engine.case.tolist(), names, engine.time_us.tolist()


@settings(max_examples=300, deadline=None)
@given(_facts(), st.integers(0, 40), st.integers(1, 4))
def test_a_loaded_image_holds_and_goes_on_as_the_facts_read_afresh(
    facts: list[Fact], cut: int, per_part: int
) -> None:
    before, after = facts[:cut], facts[cut:]
    kept = LogBuilder()
    kept.add(before)
    image = load_parts(image_parts(LogImage.of_builder(kept), per_part))
    loaded = image.builder
    # The engine built from the image's times is the engine of the log, built from nothing,
    # and the engine of the log the later facts make, built on it, is too.
    engines = _Engines()
    engines.prime(loaded.log(), image.micros)
    assert engines._last is not None
    assert engines.of(loaded.log()) is engines._last.engine
    assert _named(engines.of(loaded.log())) == _named(Engine.of(EventLog.of(before)))
    assert loaded.log() == kept.log() == EventLog.of(before)
    assert loaded.log().ids == kept.log().ids
    assert loaded.facts_by_journey() == kept.facts_by_journey()
    # Each event is one of its journey's facts (the same object, as a builder keeps it).
    for journey in loaded.log().journeys:
        for event in journey:
            assert any(event.fact is f for f in loaded.facts_by_journey()[event.fact.journey])
    loaded.add(after)
    assert loaded.log() == EventLog.of(facts)
    assert _named(engines.of(loaded.log())) == _named(Engine.of(EventLog.of(facts)))
    assert loaded.log().ids == tuple(sorted({f.journey for f in facts}))


def test_an_image_shows_the_log_when_it_was_taken_not_later_facts() -> None:
    def fact(n: int, journey: str) -> Fact:
        return Fact(n, journey, f"ev{n}", "ServiceStarted", T0 + timedelta(hours=n), "education")

    builder = LogBuilder()
    builder.add([fact(n, f"j{n % 3}") for n in range(1, 10)])
    image = LogImage.of_builder(builder)
    then = builder.log()
    builder.add([fact(10, "j1"), fact(11, "j9")])  # arrive while the image is being written
    loaded = load_parts(image_parts(image, 2)).builder
    assert loaded.log() == then
    assert image.fact_count == 9


def _part() -> bytes:
    builder = LogBuilder()
    builder.add(
        [Fact(1, "j1", "ev1", "ServiceStarted", T0, "education", links=(("o", "1", "by"),))]
    )
    return next(image_parts(LogImage.of_builder(builder), 10))


def _column_changed(number: int, value: list[object]) -> Callable[[bytes], bytes]:
    def changed(data: bytes) -> bytes:
        columns = list(marshal.loads(data))  # noqa: S302 (our own part, made just above)
        columns[number] = value
        return marshal.dumps(tuple(columns))

    return changed


@pytest.mark.parametrize(
    "damaged",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="cut short"),
        pytest.param(lambda data: marshal.dumps([1, 2, 3]), id="not columns"),
        pytest.param(lambda data: marshal.dumps(tuple([[]] * 16)), id="a column missing"),
        pytest.param(_column_changed(12, [5]), id="an event's fact out of range"),
        pytest.param(_column_changed(5, ["not a time"]), id="a time that is not one"),
        pytest.param(_column_changed(1, [0]), id="a journey of no facts"),
    ],
)
def test_a_damaged_part_is_refused_with_an_error_that_quotes_nothing(
    damaged: Callable[[bytes], bytes],
) -> None:
    data = damaged(_part())
    with pytest.raises(ImageError) as raised:
        load_parts(iter([data]))
    assert "not a time" not in str(raised.value)


def test_parts_out_of_order_are_refused() -> None:
    builder = LogBuilder()
    builder.add(
        [Fact(n, f"j{n}", f"ev{n}", "ServiceStarted", T0, "education") for n in range(1, 5)]
    )
    parts = list(image_parts(LogImage.of_builder(builder), 2))
    assert load_parts(iter(parts)).builder.log() == builder.log()
    with pytest.raises(ImageError):
        load_parts(iter(reversed(parts)))
