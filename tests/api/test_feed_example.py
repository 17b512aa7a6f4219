"""The worked example of docs/feed.md: examples/school_teams.py keeps a school's list of its
pupils' teams current from the feed — across restarts, with a late entry, a retraction and the
school leaving a team — on both backends."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from examples import school_teams
from tests.api.conftest import Api
from tests.api.test_feed import SCHOOL, Journeys
from tests.support import free_port


@pytest.fixture
def school(api: Api) -> str:
    return api.components.tokens.create(party_id=SCHOOL[0], organisation=SCHOOL[1], role=SCHOOL[2])


def through(api: Api, token: str) -> school_teams.Fetch:
    """The example's fetch, through the test client instead of a socket."""

    def fetch(params: dict[str, str]) -> dict[str, Any]:
        response = api.client.get(
            "/v1/feed", params=params, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    return fetch


def parties(teams: dict[str, dict[str, dict[str, str]]]) -> dict[str, list[str]]:
    return {ref: sorted(team) for ref, team in teams.items()}


def test_the_school_keeps_its_pupils_teams_current(api: Api, school: str, tmp_path: Path) -> None:
    state = tmp_path / "school-teams.json"
    journeys = Journeys(api)
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-family-worker", "city-social", 1)
    journeys.add("pupil-1", "p-teacher", "school-harbour", 2)
    wrong = journeys.add("pupil-1", "p-nurse", "city-social", 3)
    journeys.register("not-ours")
    journeys.add("not-ours", "p-worker", "city-social", 1)

    first = school_teams.follow(through(api, school), state, once=True)
    assert parties(first.teams()) == {
        "pupil-1": ["p-family-worker", "p-nurse", "p-teacher", "p-worker"]
    }

    # The nurse was entered in error; a psychologist joined on day 2, entered late; the family
    # worker left. A new run of the consumer (a restart) picks up from the saved state.
    journeys.retract("pupil-1", wrong, 4)
    journeys.add("pupil-1", "p-psych", "city-social", 2)
    journeys.remove("pupil-1", "p-family-worker", 5)
    journeys.add("pupil-1", "p-teacher-2", "school-harbour", 6, role="teacher")
    second = school_teams.follow(through(api, school), state, once=True)
    assert parties(second.teams()) == {
        "pupil-1": ["p-psych", "p-teacher", "p-teacher-2", "p-worker"]
    }
    # Valid time: on day 2 the psychologist and the family worker were on the team; the nurse
    # never was.
    day2 = datetime(2025, 3, 2, 12, tzinfo=UTC)
    assert sorted(second.team("pupil-1", day2)) == [
        "p-family-worker", "p-psych", "p-teacher", "p-worker"
    ]  # fmt: skip

    # The school's members leave the team: the pupil is dropped from the list.
    journeys.remove("pupil-1", "p-teacher", 7)
    journeys.remove("pupil-1", "p-teacher-2", 7)
    third = school_teams.follow(through(api, school), state, once=True)
    assert third.teams() == {}
    saved = json.loads(state.read_text())
    assert saved["pupils"] == {}
    assert saved["cursor"]


def test_the_script_runs_against_a_served_polku(
    api: Api,
    school: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The script as a school runs it: over HTTP against a real server."""
    journeys = Journeys(api)
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-teacher", "school-harbour", 2)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(api.components.settings, components=api.components),
            host="127.0.0.1",
            port=port,
            log_config=None,
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
        monkeypatch.setenv("POLKU_TOKEN", school)
        state = tmp_path / "teams.json"
        code = school_teams.main(
            ["--url", f"http://127.0.0.1:{port}", "--state", str(state), "--once"]
        )
    finally:
        server.should_exit = True
        thread.join(10)
    assert code == 0
    assert parties(json.loads(capsys.readouterr().out)) == {"pupil-1": ["p-teacher", "p-worker"]}
