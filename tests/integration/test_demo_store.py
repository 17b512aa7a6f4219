"""The demo store in any state: ``polku demo`` (the first half of ``make run``) and the demo
preparation of ``polku serve --demo`` load whatever is missing and leave the rest — a demo
stored in part, a demo client since erased, a population written in part. And the demo's
verdicts are pinned: they are what its story says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cli.main import main
from cli.serve import _prepare_demo
from demo.journeys import CHILD, ELDER, WORKER, demo_steps
from demo.loader import ManualClock, load_demo
from demo.population import generate
from domain.events import Actor
from pathways.conformance import check
from pathways.definitions import catalogue
from projections import view
from runtime.erasure import erase_client
from runtime.settings import Settings
from runtime.wiring import build_components, build_service

ADMIN = Actor("p-admin", "polku-ops", "admin")


def _load(settings: Settings, steps: int | None = None) -> int:
    clock = ManualClock(datetime.now(UTC))
    service = build_service(settings, clock=clock)
    try:
        all_steps = demo_steps()
        return load_demo(service, clock, all_steps[:steps] if steps else all_steps)
    finally:
        service.close()


def test_a_demo_stored_in_part_is_completed_step_by_step(settings: Settings) -> None:
    everything = len(demo_steps())
    assert _load(settings, 10) == 10
    assert _load(settings) == everything - 10
    assert _load(settings) == 0


def test_the_demo_loads_and_serves_after_a_demo_client_was_erased(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POLKU_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("POLKU_KEYRING", str(settings.keyring_path().resolve()))
    _load(settings)
    components = build_components(settings)
    try:
        erase_client(components, ELDER, "client_request", ADMIN)
        version = components.service.get_version(ELDER)
        # What ``make run`` does: ``polku demo``, then ``polku serve --demo``'s preparation.
        assert main(["--database-url", settings.database_url, "demo"]) == 0
        assert "demo-elder-003" in capsys.readouterr().out
        _prepare_demo(settings, components, population=0)
        assert components.service.get_version(ELDER) == version  # nothing written to it
        assert view(components.service.get_record(ELDER)).team  # the journey still folds
    finally:
        components.close()


def test_a_population_written_in_part_is_completed(settings: Settings) -> None:
    def write(clients: int) -> int:
        done = generate(lambda clock: build_service(settings, clock=clock), clients, 21)
        return done.clients

    assert (write(3), write(5), write(5)) == (3, 2, 0)


def _verdicts(settings: Settings, client_ref: str) -> set[tuple[str, str, str, str, str]]:
    _load(settings)
    service = build_service(settings)
    try:
        v = view(service.get_record(client_ref))
    finally:
        service.close()
    return {
        (d.disclosure_id, d.to_party or d.to_org or "", c.category, c.then.verdict, c.now.verdict)
        for d in v.disclosures
        for c in d.verdicts
    }


def test_the_demo_verdicts_are_those_of_its_story(settings: Settings) -> None:
    # The child: the consent was signed 10 February but entered 20 April, after the handover
    # meeting (16 March) and the portfolio (1 April): lawful now, unsupported then.
    child = _verdicts(settings, CHILD)
    assert {v for v in child if v[0] == "disc-child-portfolio"} == {
        ("disc-child-portfolio", "p-school-01", "education", "unsupported", "lawful")
    }
    meeting = {v for v in child if v[0] == "meet-handover"}
    assert {(v[3], v[4]) for v in meeting} == {("unsupported", "lawful")}
    assert len(meeting) == 4 * 2  # four participants, two categories
    # The older person: the client's denial of health information to the seniors' association
    # beats the family consent naming the visitor — unlawful then and now.
    elder = _verdicts(settings, ELDER)
    assert ("disc-elder-visitor", "p-visitor-01", "health", "unlawful", "unlawful") in elder
    assert {(v[3], v[4]) for v in elder if v[0] == "meet-my-team"} == {("lawful", "lawful")}
    # The working-age client: every disclosure rests on the team's consent, given in time.
    worker = _verdicts(settings, WORKER)
    assert worker
    assert {(v[3], v[4]) for v in worker} == {("lawful", "lawful")}


def _conformance(settings: Settings, client_ref: str, pathway: str) -> tuple[bool, dict[str, str]]:
    _load(settings)
    service = build_service(settings)
    try:
        result = check(service.get_record(client_ref), catalogue()[pathway])
    finally:
        service.close()
    return result.conforming, {s.step_id: s.status for s in result.steps}


def test_the_demo_journeys_conform_where_their_story_says(settings: Settings) -> None:
    # The child: the teacher joined in March, the consent was signed in February (it names the
    # school, so it need not wait for the teacher), the handover meeting (16 March) and the
    # portfolio (1 April) came months before school started on 10 August — early, not overdue.
    assert _conformance(settings, CHILD, "daycare-to-school") == (
        True,
        {
            "school-on-team": "done",
            "consent-for-school": "done",
            "information-to-school": "early",
            "handover-meeting": "early",
        },
    )
    # The working-age client: referral answered, rehabilitation started and a shared plan, in time.
    assert _conformance(settings, WORKER, "employment-rehabilitation") == (
        True,
        {"referral-answered": "done", "rehabilitation-started": "done", "shared-plan": "done"},
    )
