"""The pathway catalogue and conformance through the API and the CLI, on both backends."""

from __future__ import annotations

import pytest

from cli.main import main
from runtime.settings import Settings
from tests.api.conftest import Api, T

J = "/v1/journeys/client-1"


def test_the_catalogue_is_open_to_every_role(api: Api) -> None:
    for who in ("worker", "auditor", "planner", "admin"):
        listed = api.client.get("/v1/pathways", headers=api.headers(who))
        assert listed.status_code == 200
        assert "daycare-to-school" in {p["id"] for p in listed.json()}
    assert api.client.get("/v1/pathways").status_code == 401


def _home_care_starts(api: Api) -> None:
    started = api.client.post(
        J + "/services",
        json={
            "occurred_at": T.format(5),
            "episode_id": "ep-home",
            "service": "home_care",
            "sector": "health_care",
            "provider_org": "home-care",
        },
        headers=api.headers("worker"),
    )
    assert started.status_code == 201, started.text


def test_conformance_of_a_journey(api: Api, journey: str) -> None:
    h = api.headers("worker")
    before = api.client.get(
        J + "/conformance", params={"pathway": "my-team-older-person"}, headers=h
    ).json()
    assert before["applies"] is False  # anchored at the start of home care
    _home_care_starts(api)
    response = api.client.get(
        J + "/conformance", params={"pathway": "my-team-older-person"}, headers=h
    )
    assert response.status_code == 200
    result = response.json()
    assert result["applies"] is True
    statuses = {s["step_id"]: s["status"] for s in result["steps"]}
    assert statuses["family-member"] in {"missing", "overdue"}
    assert result["conforming"] is False
    unknown = api.client.get(J + "/conformance", params={"pathway": "nope"}, headers=h)
    assert unknown.status_code == 404
    outsider = api.client.get(
        J + "/conformance",
        params={"pathway": "my-team-older-person"},
        headers=api.headers("outsider"),
    )
    assert outsider.status_code == 404
    planner = api.client.get(
        J + "/conformance",
        params={"pathway": "my-team-older-person"},
        headers=api.headers("planner"),
    )
    assert planner.status_code == 403


def test_the_pathway_commands(
    api: Api,
    journey: str,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLKU_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("POLKU_KEYRING", str(settings.keyring_path().resolve()))
    url = ["--database-url", settings.database_url]
    assert main([*url, "pathways", "list"]) == 0
    assert "youth-social-health" in capsys.readouterr().out
    _home_care_starts(api)
    assert main([*url, "pathways", "check", "client-1", "my-team-older-person"]) == 0
    assert "not conforming" in capsys.readouterr().out
    assert main([*url, "pathways", "check", "client-1", "nope"]) == 1
    assert main([*url, "pathways", "validate", "pathways/catalogue/daycare-to-school.toml"]) == 0
