"""Pathway definitions (data files, refused with file, line and field) and conformance."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from domain import commands as cmd
from domain.application import JourneyService
from pathways.conformance import check
from pathways.definitions import DefinitionError, catalogue, load_pathway
from tests.support import CTX, StepClock, day, member, register

GOOD = """\
id = "small"
title = "A small pathway"
anchor = { kind = "transition_recorded", fields = { kind = "daycare_to_school" } }

[[steps]]
id = "consent"
title = "Consent first"
event = { kind = "consent_granted", fields = { categories = "education" } }
window = { relative_to_anchor = "before" }

[[steps]]
id = "meeting"
title = "Handover within 30 days before"
event = { kind = "meeting_held" }
window = { relative_to_anchor = "before", days = 30 }
responsible_roles = ["teacher"]
"""


def test_the_catalogue_has_the_five_pathways() -> None:
    assert set(catalogue()) == {
        "daycare-to-school",
        "integration-social-health",
        "employment-rehabilitation",
        "my-team-older-person",
        "youth-social-health",
    }


@pytest.mark.parametrize(
    ("broken", "line", "field"),
    [
        (GOOD.replace("days = 30", "days = -3"), 15, "steps.1.window.days"),
        (GOOD.replace('["teacher"]', '["wizard"]'), 16, "steps.1.responsible_roles"),
        (GOOD.replace('kind = "meeting_held"', 'kind = "party_thrown"'), 14, "steps.1.event.kind"),
        (GOOD.replace('categories = "education"', 'colour = "blue"'), 8, "steps.0.event"),
        (GOOD.replace('id = "small"', 'id = "Small Pathway"'), 1, "id"),
        (GOOD.replace('title = "A small pathway"\n', ""), None, "title"),
        (
            GOOD.replace(
                'window = { relative_to_anchor = "before" }',
                'window = { relative_to_anchor = "soon" }',
            ),
            9,
            "steps.0.window.relative_to_anchor",
        ),
    ],
)
def test_a_malformed_definition_names_file_line_and_field(
    tmp_path: Path, broken: str, line: int | None, field: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(broken)
    with pytest.raises(DefinitionError) as caught:
        load_pathway(path)
    error = caught.value
    assert error.file == str(path)
    assert error.field == field
    if line is not None:
        assert error.line == line
    assert str(path) in str(error)


def test_a_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "syntax.toml"
    path.write_text('id = "x"\ntitle = \n')
    with pytest.raises(DefinitionError) as caught:
        load_pathway(path)
    assert caught.value.line == 2


@pytest.fixture
def journey(memory_service: JourneyService, clock: StepClock) -> JourneyService:
    clock.set(day(200))
    memory_service.register_client(register(), CTX)
    memory_service.execute("client-1", member("p-t", day(1), role="teacher"), CTX)
    return memory_service


def transition(at: float) -> cmd.RecordTransition:
    return cmd.RecordTransition(
        occurred_at=day(at), transition_id="t1", kind="daycare_to_school", to_org="school"
    )


def consent(at: float) -> cmd.GrantConsent:
    return cmd.GrantConsent(
        occurred_at=day(at),
        consent_id="k",
        recipient_orgs=["school"],
        categories=["education"],
        purposes=["transition_planning"],
        form="written",
    )


def meeting(at: float) -> cmd.RecordMeeting:
    return cmd.RecordMeeting(
        occurred_at=day(at),
        meeting_id=f"m{at}",
        participants=["p-t"],
        client_present=False,
        categories=["education"],
        purpose="transition_planning",
        basis="client_self",
    )


def statuses(journey: JourneyService, **when: object) -> dict[str, str]:
    pathway = load_pathway("good.toml", GOOD)
    result = check(journey.get_record("client-1"), pathway, **when)  # type: ignore[arg-type]
    return {s.step_id: s.status for s in result.steps}


def test_without_its_anchor_a_pathway_does_not_apply_yet(journey: JourneyService) -> None:
    journey.execute("client-1", consent(10), CTX)
    pathway = load_pathway("good.toml", GOOD)
    result = check(journey.get_record("client-1"), pathway)
    assert not result.applies
    assert not result.conforming
    assert {s.status for s in result.steps} == {"missing"}


def test_steps_done_in_their_windows_conform(journey: JourneyService) -> None:
    journey.execute("client-1", consent(10), CTX)
    journey.execute("client-1", meeting(80), CTX)
    journey.execute("client-1", transition(100), CTX)
    assert statuses(journey) == {"consent": "done", "meeting": "done"}
    result = check(journey.get_record("client-1"), load_pathway("good.toml", GOOD))
    assert result.conforming
    assert result.steps[1].evidence[0].occurred_at == day(80)


def test_a_step_done_before_its_window_is_early_and_conforms(journey: JourneyService) -> None:
    journey.execute("client-1", consent(10), CTX)
    journey.execute("client-1", meeting(20), CTX)  # 50 days before the window opens
    journey.execute("client-1", transition(100), CTX)
    result = check(journey.get_record("client-1"), load_pathway("good.toml", GOOD))
    meeting_step = result.steps[1]
    assert meeting_step.status == "early"
    assert meeting_step.window_start == day(70)
    assert [e.occurred_at for e in meeting_step.evidence] == [day(20)]
    assert result.conforming
    # Early even while its window is still open, as of a moment inside it.
    assert statuses(journey, at=day(100) + timedelta(hours=1))["meeting"] == "early"


def test_a_step_done_only_after_its_window_is_overdue_with_the_late_event_as_evidence(
    journey: JourneyService, clock: StepClock
) -> None:
    journey.execute("client-1", consent(10), CTX)
    journey.execute("client-1", transition(100), CTX)
    clock.set(day(210))
    journey.execute("client-1", meeting(110), CTX)  # after the window closed at day 100
    result = check(journey.get_record("client-1"), load_pathway("good.toml", GOOD))
    meeting_step = result.steps[1]
    assert meeting_step.status == "overdue"
    assert [e.occurred_at for e in meeting_step.evidence] == [day(110)]
    assert not result.conforming


def test_a_step_may_name_its_prerequisites(journey: JourneyService) -> None:
    journey.execute("client-1", meeting(75), CTX)
    journey.execute("client-1", consent(90), CTX)
    journey.execute("client-1", transition(100), CTX)
    free = GOOD.replace(
        'window = { relative_to_anchor = "before", days = 30 }',
        'window = { relative_to_anchor = "before", days = 30 }\nafter = []',
    )
    assert free != GOOD
    result = check(journey.get_record("client-1"), load_pathway("free.toml", free))
    assert [s.status for s in result.steps] == ["done", "done"]
    assert result.conforming
    with pytest.raises(DefinitionError, match="not an earlier step"):
        load_pathway("bad.toml", free.replace("after = []", 'after = ["meeting"]'))


def test_a_step_not_yet_due_is_missing(journey: JourneyService) -> None:
    journey.execute("client-1", consent(10), CTX)
    journey.execute("client-1", transition(100), CTX)
    assert statuses(journey, at=day(100) - timedelta(hours=1)) == {
        "consent": "missing",
        "meeting": "missing",
    }  # the anchor has not happened yet at that time
    assert statuses(journey)["meeting"] == "overdue"


def test_steps_done_in_the_wrong_order_are_flagged(journey: JourneyService) -> None:
    journey.execute("client-1", meeting(75), CTX)
    journey.execute("client-1", consent(90), CTX)
    journey.execute("client-1", transition(100), CTX)
    pathway = load_pathway("x.toml", GOOD.replace('id = "consent"', 'id = "a-meeting-first"'))
    del pathway
    swapped = GOOD.split("[[steps]]")
    reordered = swapped[0] + "[[steps]]" + swapped[2] + "\n[[steps]]" + swapped[1]
    result = check(journey.get_record("client-1"), load_pathway("r.toml", reordered))
    assert [s.status for s in result.steps] == ["done", "done"]
    result = check(journey.get_record("client-1"), load_pathway("good.toml", GOOD))
    assert [s.status for s in result.steps] == ["done", "out_of_order"]


def test_conformance_follows_the_record_time(journey: JourneyService, clock: StepClock) -> None:
    journey.execute("client-1", transition(100), CTX)
    clock.set(day(300))
    journey.execute("client-1", consent(10), CTX)  # entered late
    assert statuses(journey, known_at=day(250))["consent"] == "overdue"
    assert statuses(journey)["consent"] == "done"
