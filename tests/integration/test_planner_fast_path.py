"""The planner log's fast path (facts read straight from the stored JSON, no event built) keeps
exactly the rows the normal decode keeps, on both backends, with and without a cipher at rest.

The store holds a generated population, long journeys with late entries and retractions, and an
erased journey; journey ids are keyed, so private ids are hidden in the plain part. The planner
log is rebuilt with the fast path on and off, and the two tables must be equal row for row.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from bench.journeys import CTX, RecordClock, build_long_journey
from demo.population import generate
from domain.application import JourneyService
from pathways.eventlog import UnreadableStateError, fact_of, fact_of_state
from readmodels.planner import PlannerLog
from runtime.settings import Settings
from runtime.wiring import Components, build_components, build_service

CLIENTS = 25


@pytest.fixture(params=["plain", "cipher"])
def components(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Components]:
    if request.param == "cipher":
        key = base64.b64encode(os.urandom(32)).decode()
        settings = settings.model_copy(update={"cipher_key": SecretStr(key)})
    generate(lambda clock: build_service(settings, clock=clock), CLIENTS, 11)
    clock = RecordClock()
    service = build_service(settings, clock=clock)
    try:
        for ref in ("long-1", "long-2"):
            build_long_journey(service, clock, ref, 120)
        service.erase_personal_data("long-2", "client_request", CTX)
    finally:
        service.close()
    built = build_components(settings)
    yield built
    built.close()


def _rows(planner: PlannerLog) -> list[tuple[Any, ...]]:
    planner.rebuild()
    with planner.store.transaction(write=False) as tx:
        return tx.rows("SELECT * FROM {polku_planner_log} ORDER BY position")


def _count_decodes(service: JourneyService, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    decode = service.decode_sealed

    def counted(stored: Any) -> Any:
        calls[0] += 1
        return decode(stored)

    monkeypatch.setattr(service, "decode_sealed", counted)
    return calls


def test_fast_rows_equal_decoded_rows(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    planner = components.planner
    decodes = _count_decodes(components.service, monkeypatch)
    planner.fast = True
    fast = _rows(planner)
    assert decodes[0] == 0  # every event of the store was read by the fast path
    planner.fast = False
    slow = _rows(planner)
    assert decodes[0] == components.service.recorder.max_notification_id()
    assert fast == slow
    kinds = {row[3] for row in fast}
    assert {"EventRetracted", "InformationShared", "ServiceStarted", "ReferralMade"} <= kinds
    assert "PersonalDataErased" not in kinds
    assert len(fast) == decodes[0] - 1  # one fact per event but the erasure


def test_every_stored_event_gives_the_same_fact(components: Components) -> None:
    """Event by event, beside the table comparison: the fact itself, not only its row."""
    service = components.service
    pseudonym = service.journey_id.pseudonym
    for notification in service.recorder.select_notifications(start=1, limit=10_000):
        state = service.stored_state(notification)
        assert state is not None
        fast = fact_of_state(
            notification.topic,
            state,
            str(service.decode_sealed(notification).originator_id),
            notification.id,
            pseudonym,
        )
        assert fast == fact_of(service.decode_sealed(notification), notification.id, pseudonym)


def test_what_the_fast_path_does_not_know_is_decoded(components: Components) -> None:
    service = components.service
    (notification,) = service.recorder.select_notifications(start=1, limit=1)
    state = service.stored_state(notification)
    assert state is not None
    journey = str(notification.originator_id)
    for topic, changed in [
        ("domain.events:SomethingNew", state),
        (notification.topic, {**state, "class_version": 2}),
        (notification.topic, {**state, "occurred_at": "2024-01-01T00:00:00+00:00"}),
        (notification.topic, {**state, "event_id": {"_type_": "uuid_hex", "_data_": "x"}}),
    ]:
        with pytest.raises(UnreadableStateError):
            fact_of_state(topic, changed, journey, 1)
    member = next(
        n
        for n in service.recorder.select_notifications(start=1, limit=10_000)
        if n.topic.endswith(":TeamMemberAdded")
    )
    member_state = service.stored_state(member)
    assert member_state is not None
    for field, value in [("party_id", 7), ("sector", {"_type_": "x", "_data_": 1})]:
        with pytest.raises(UnreadableStateError):
            fact_of_state(member.topic, {**member_state, field: value}, journey, 1)
    with pytest.raises(UnreadableStateError):
        fact_of_state(member.topic, {k: v for k, v in member_state.items() if k != "sector"}, "", 1)


def test_links_are_written_as_the_encoder_writes_them() -> None:
    from readmodels.planner import _LINKS, _links_text

    for links in [
        (),
        (("party", "p-1", "member"),),
        (("organisation", 'Sote Itä "ry"\n', "sender"), ("consent", "k\\1", "relied on")),
        (("organisation", None, "receiver"),),  # not a text: the encoder's way
    ]:
        assert _links_text(links) == _LINKS(links)  # type: ignore[arg-type]
