"""A journey's kept fold (``projections.journey_view.FoldMemo``) never outlives what its record
says: after an erasure, or a record whose events changed under the same length, the view is the
fold of the record as it is now, and a name erased is not shown again from memory."""

from __future__ import annotations

import dataclasses
import sys
import threading
from datetime import datetime, timedelta

import pytest

from domain import commands as cmd
from domain.application import JourneyService
from domain.journey import JourneyRecord
from projections import journey_view, may_share, sharing
from projections.fhir import Window, fhir_page
from projections.journey_view import FOLDS, FoldMemo, JourneyView, fresh_view
from tests.support import CTX, StepClock, day, member, register


def _names(record: JourneyRecord, memo: FoldMemo) -> list[str | None]:
    end = record.events[-1].timestamp + timedelta(seconds=1)
    kept = memo.view(record, end, end)
    assert kept is not None
    assert kept == fresh_view(record, end, end)
    return [m.display_name for m in kept.team]


def test_an_erased_name_is_not_shown_again_from_a_kept_fold(
    service: JourneyService, clock: StepClock
) -> None:
    clock.set(day(1))
    service.register_client(register("kept", name="Aino Client"), CTX)
    clock.set(day(2))
    service.execute("kept", member("p-1", day(2), name="Eero Nurse"), CTX)
    memo = FoldMemo(min_events=0, sightings=1)
    assert _names(service.peek("kept", lambda j: j.record()), memo) == ["Eero Nurse"]
    assert _names(service.get_record("kept"), memo) == ["Eero Nurse"]  # read afresh
    clock.set(day(3))
    service.erase_personal_data("kept", "client_request", CTX)
    for record in (service.peek("kept", lambda j: j.record()), service.get_record("kept")):
        assert "Eero Nurse" not in _names(record, memo)


def test_a_record_changed_under_the_same_length_is_folded_again(
    service: JourneyService, clock: StepClock
) -> None:
    """As when a save failed and was taken back, and another command took its place."""
    clock.set(day(1))
    service.register_client(register("kept"), CTX)
    clock.set(day(2))
    service.execute("kept", member("p-1", day(2), name="Eero Nurse"), CTX)
    memo = FoldMemo(min_events=0, sightings=1)
    record = service.get_record("kept")
    assert _names(record, memo) == ["Eero Nurse"]
    last = record.events[-1]
    other = dataclasses.replace(last, personal={"display_name": "Other Name"})
    changed = JourneyRecord(record.client_ref, record.journey_id, (*record.events[:-1], other))
    assert _names(changed, memo) == ["Other Name"]


def test_a_retracted_disclosure_leaves_what_its_recipient_knew(
    service: JourneyService, clock: StepClock
) -> None:
    """The recipient of a disclosure that is retracted, and of nothing else, no longer appears
    among those who knew something (their entry is worked out again, not kept)."""
    clock.set(day(1))
    service.register_client(register("kept"), CTX)
    clock.set(day(2))
    shared = service.execute(
        "kept",
        cmd.RecordInformationShared(
            occurred_at=day(2),
            disclosure_id="d-1",
            from_org="org-a",
            to_org="org-told",
            categories=["health"],
            purpose="care_coordination",
            basis="client_self",
        ),
        CTX,
    )
    memo = FoldMemo(min_events=0, sightings=1)

    def knew() -> list[str]:
        record = service.peek("kept", lambda j: j.record())
        end = record.events[-1].timestamp + timedelta(seconds=1)
        kept = memo.view(record, end, end)
        assert kept is not None
        assert kept == fresh_view(record, end, end)
        return [k.recipient_id for k in kept.knowledge]

    assert knew() == ["org-told"]
    clock.set(day(3))
    service.retract_event(
        "kept",
        cmd.RetractEvent(
            occurred_at=day(3), target_event_id=shared.event_ids[0], reason="entered_in_error"
        ),
        CTX,
    )
    assert knew() == []


def test_may_share_at_now_answers_from_the_kept_fold_as_from_a_fresh_one(
    service: JourneyService, clock: StepClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(day(1))
    service.register_client(register("kept"), CTX)
    clock.set(day(2))
    service.execute("kept", member("p-1", day(2), org="org-b"), CTX)
    service.execute(
        "kept",
        cmd.GrantConsent(
            occurred_at=day(2),
            consent_id="k-1",
            recipient_orgs=["org-b"],
            categories=["health"],
            purposes=["care_coordination"],
            form="written",
        ),
        CTX,
    )
    record = service.peek("kept", lambda j: j.record())
    end = record.events[-1].timestamp + timedelta(seconds=1)
    asked = [
        ("health", "care_coordination", "p-1"),
        ("education", "care_coordination", "p-1"),
        ("health", "transition_planning", "p-2"),
    ]
    answers = {}
    for folds in (FoldMemo(min_events=0, sightings=1), FoldMemo(max_events=0)):
        monkeypatch.setattr(sharing, "FOLDS", folds)
        answers[folds.kept()] = [
            may_share(record, category=category, purpose=purpose, party=party, at=end, known_at=end)
            for category, purpose, party in asked
        ]
    kept, fresh = answers[1], answers[0]
    assert kept == fresh
    assert [a.allowed for a in kept] == [True, False, False]


def test_the_fhir_export_from_the_kept_fold_is_the_fresh_one(
    service: JourneyService, clock: StepClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journey with late entries and retractions, moved on between exports: each export from
    the kept fold (its view and its timeline) equals the export folded afresh."""
    clock.set(day(1))
    service.register_client(register("kept"), CTX)
    monkeypatch.setattr(FOLDS, "_min", 0)
    monkeypatch.setattr(FOLDS, "_sightings", 1)
    late = None
    for n in range(6):
        at = day(2 + n)
        clock.set(at + timedelta(hours=1))
        service.execute("kept", member(f"p-{n}", at, org=f"org-{n % 2}"), CTX)
        service.execute(
            "kept",
            cmd.GrantConsent(
                occurred_at=at,
                consent_id=f"k-{n}",
                recipient_orgs=[f"org-{n % 2}"],
                categories=["health"],
                purposes=["care_coordination"],
                form="written",
            ),
            CTX,
        )
        shared = service.execute(
            "kept",
            cmd.RecordInformationShared(
                occurred_at=at - timedelta(days=1, hours=2),  # before the consent: late
                disclosure_id=f"d-{n}",
                from_org="org-src",
                to_org=f"org-{n % 2}",
                categories=["health"],
                purpose="care_coordination",
                basis="consent",
                consent_id=f"k-{max(n - 1, 0)}",
            ),
            CTX,
        )
        if late is not None and n % 2 == 0:
            service.retract_event(
                "kept",
                cmd.RetractEvent(occurred_at=at, target_event_id=late, reason="entered_in_error"),
                CTX,
            )
        late = shared.event_ids[0]
        record = service.peek("kept", lambda j: j.record())
        end = record.events[-1].timestamp + timedelta(seconds=1)
        kept = fhir_page(record, end, end)
        assert FOLDS.holds(record.journey_id)
        monkeypatch.setattr(FOLDS, "_max", 0)
        fresh = fhir_page(record, end, end)
        monkeypatch.setattr(FOLDS, "_max", 10_000)
        assert kept == fresh
    FOLDS.forget()


def test_readers_and_a_writer_at_once_see_what_a_fresh_fold_shows(
    service: JourneyService, clock: StepClock
) -> None:
    """Threads reading the same journey through one kept fold while another records entries,
    late ones included: every answer is the fresh fold of the record that reader had. A reader
    whose record is older than the one the fold has moved on to gets no answer from the fold
    (``view`` then folds that record afresh); most answers come from it."""
    clock.set(day(1))
    service.register_client(register("kept"), CTX)
    clock.set(day(2))
    service.execute("kept", member("p-1", day(2), org="org-b"), CTX)
    memo = FoldMemo(min_events=0, sightings=1)
    failures: list[str] = []
    answered = [0, 0]  # from the fold, not from it
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            record = service.peek("kept", lambda j: j.record())
            end = record.events[-1].timestamp + timedelta(seconds=1)
            kept = memo.view(record, end, end)
            answered[kept is None] += 1
            if kept is not None and kept != fresh_view(record, end, end):
                failures.append(f"at version {len(record.events)}")

    readers = [threading.Thread(target=read) for _ in range(3)]
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads change places often: races show
    for reader in readers:
        reader.start()
    try:
        for n in range(40):
            at = day(3) + timedelta(hours=n)
            clock.set(at + timedelta(minutes=5))
            service.execute(
                "kept",
                cmd.RecordInformationShared(
                    occurred_at=at - timedelta(hours=5 if n % 3 == 0 else 0),
                    disclosure_id=f"d-{n}",
                    from_org="org-src",
                    to_org="org-b",
                    categories=["health"],
                    purpose="care_coordination",
                    basis="client_self",
                ),
                CTX,
            )
    finally:
        done.set()
        for reader in readers:
            reader.join()
        sys.setswitchinterval(switching)
    assert failures == []
    assert answered[0] > answered[1]


def test_an_exports_first_page_makes_the_fold_and_folds_the_journey_once(
    service: JourneyService, clock: StepClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export reads its record for the view and again for the timeline, and its next pages
    follow on the same record: its first page makes the kept fold at once and takes both from
    it (no fold from the first event besides), and the next page comes from that fold."""
    clock.set(day(1))
    service.register_client(register("kept"), CTX)
    clock.set(day(2))
    service.execute("kept", member("p-1", day(2)), CTX)
    monkeypatch.setattr(FOLDS, "_min", 0)
    afresh: list[int] = []
    folded_afresh = journey_view.fresh_view

    def counted(record: JourneyRecord, at: datetime, known_at: datetime) -> JourneyView:
        afresh.append(len(record.events))
        return folded_afresh(record, at, known_at)

    monkeypatch.setattr(journey_view, "fresh_view", counted)
    FOLDS.forget()
    record = service.peek("kept", lambda j: j.record())
    end = day(3)
    first, more = fhir_page(record, end, end, window=Window(0, 1))
    assert more
    assert FOLDS.holds(record.journey_id)
    second, _ = fhir_page(record, end, end, window=Window(1, 1))
    assert afresh == []
    assert first != second
    FOLDS.forget()


def test_a_fold_is_kept_for_a_record_held_in_memory_not_for_one_read_afresh(
    service: JourneyService, clock: StepClock
) -> None:
    """Records read afresh for one request each are folded afresh and nothing is kept (a fold
    made for them would be thrown away by the next); the service's cached journey, viewed a
    second time, gets a fold, and a record read afresh in between leaves that fold alone."""
    clock.set(day(1))
    service.register_client(register("kept"), CTX)
    clock.set(day(2))
    service.execute("kept", member("p-1", day(2)), CTX)
    journey = service.journey_id("kept")
    end = day(3)
    memo = FoldMemo(min_events=0)
    for _ in range(3):
        assert memo.view(service.get_record("kept"), end, end) is None
    assert not memo.holds(journey)
    assert memo.view(service.peek("kept", lambda j: j.record()), end, end) is None
    kept = memo.view(service.peek("kept", lambda j: j.record()), end, end)
    assert kept is not None
    assert memo.holds(journey)
    assert memo.view(service.get_record("kept"), end, end) is None
    assert memo.view(service.peek("kept", lambda j: j.record()), end, end) == kept


def test_a_fold_made_before_an_erasure_is_dropped_at_the_first_view_after_it(
    service: JourneyService, clock: StepClock
) -> None:
    """As in a process other than the one that erased: its next view of the journey (a record
    holding the erasure) drops the fold with the names in it, before any fold of its own."""
    clock.set(day(1))
    service.register_client(register("kept"), CTX)
    clock.set(day(2))
    service.execute("kept", member("p-1", day(2), name="Eero Nurse"), CTX)
    journey = service.journey_id("kept")
    memo = FoldMemo(min_events=0)
    end = day(4)
    for _ in range(2):  # the second view of the cached journey makes the fold
        memo.view(service.peek("kept", lambda j: j.record()), end, end)
    assert memo.holds(journey)
    clock.set(day(3))
    service.erase_personal_data("kept", "client_request", CTX)
    after = memo.view(service.peek("kept", lambda j: j.record()), end, end)
    assert after is None  # answered afresh
    assert not memo.holds(journey)
