"""``/v1/directory/…`` on both backends: staff read it alike, planners, clients and guardians get
403; filters by organisation and sector, ``q`` in any case and with or without accents, pages
with cursors; nothing is access-logged and no name reaches a log line."""

from __future__ import annotations

from typing import Any

import pytest

from domain.directory import Organisation, Professional
from runtime.logging import configure_logging
from runtime.settings import Settings
from tests.api.conftest import Api

ORGANISATIONS = [
    Organisation(org_id="school-harbour", name="Hamnens skola", sector="education"),
    Organisation(
        org_id="city-social",
        name="Sosiaalipalvelut",
        sector="social_care",
        municipality="Satamakaupunki",
    ),
    Organisation(org_id="clinic-north", name="Hälsocentralen Norr", sector="health_care"),
]
PROFESSIONALS = [
    Professional(
        party_id="p-1",
        display_name="Sari Mäkinen",
        organisation="city-social",
        sector="social_care",
        role="social_worker",
        title="Sosiaalityöntekijä",
    ),
    Professional(
        party_id="p-2",
        display_name="Åsa Öhman",
        organisation="clinic-north",
        sector="health_care",
        role="physician",
    ),
    Professional(
        party_id="p-3",
        display_name="Maarten van der Berg",
        organisation="school-harbour",
        sector="education",
        role="teacher",
    ),
    Professional(
        party_id="p-makinen-2",
        display_name="Pekka Makinen",
        organisation="city-social",
        sector="social_care",
        role="case_manager",
    ),
    Professional(
        party_id="p-5",
        display_name="Elin Sjöström",
        organisation="school-harbour",
        sector="health_care",
        role="nurse",
    ),
]
PROS = "/v1/directory/professionals"
ORGS = "/v1/directory/organisations"


@pytest.fixture
def directory(api: Api) -> Api:
    api.components.directory.load(ORGANISATIONS, PROFESSIONALS)
    return api


def _ids(api: Api, path: str, who: str = "worker", **params: Any) -> list[str]:
    response = api.client.get(path, params=params, headers=api.headers(who))
    assert response.status_code == 200, response.text
    body = response.json()
    return [
        e.get("party_id") or e["org_id"]
        for e in next(v for v in body.values() if isinstance(v, list))
    ]


def test_the_answers_shapes(directory: Api) -> None:
    orgs = directory.client.get(ORGS, headers=directory.headers("worker")).json()
    assert orgs == {
        "organisations": [
            {
                "org_id": "clinic-north",
                "name": "Hälsocentralen Norr",
                "sector": "health_care",
                "municipality": None,
            },
            {
                "org_id": "school-harbour",
                "name": "Hamnens skola",
                "sector": "education",
                "municipality": None,
            },
            {
                "org_id": "city-social",
                "name": "Sosiaalipalvelut",
                "sector": "social_care",
                "municipality": "Satamakaupunki",
            },
        ],
        "next_cursor": None,
    }
    pros = directory.client.get(PROS, params={"q": "sari"}, headers=directory.headers("worker"))
    assert pros.json() == {
        "professionals": [
            {
                "party_id": "p-1",
                "display_name": "Sari Mäkinen",
                "organisation": "city-social",
                "organisation_name": "Sosiaalipalvelut",
                "sector": "social_care",
                "role": "social_worker",
                "title": "Sosiaalityöntekijä",
            }
        ],
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["p-2", "p-5", "p-3", "p-makinen-2", "p-1"]),  # by name: Åsa, Elin, Maarten, P, S
        ({"organisation": "city-social"}, ["p-makinen-2", "p-1"]),
        ({"sector": "health_care"}, ["p-2", "p-5"]),
        ({"organisation": "school-harbour", "sector": "health_care"}, ["p-5"]),
        ({"q": "mäkinen"}, ["p-makinen-2", "p-1"]),  # with or without the accent
        ({"q": "MAKINEN"}, ["p-makinen-2", "p-1"]),  # in any case; and the id p-makinen-2
        ({"q": "asa oh"}, ["p-2"]),
        ({"q": "SJÖSTRÖM"}, ["p-5"]),
        ({"q": "p-3"}, ["p-3"]),  # by id
        ({"q": "van der"}, ["p-3"]),
        ({"q": "%"}, []),  # LIKE's wildcards are plain characters
        ({"q": "_"}, []),
        ({"q": "nobody"}, []),
        ({"organisation": "nowhere"}, []),
    ],
)
def test_professionals_are_filtered(
    directory: Api, params: dict[str, str], expected: list[str]
) -> None:
    assert _ids(directory, PROS, **params) == expected


def test_organisations_are_filtered(directory: Api) -> None:
    assert _ids(directory, ORGS, sector="education") == ["school-harbour"]
    assert _ids(directory, ORGS, q="halso") == ["clinic-north"]
    assert _ids(directory, ORGS, q="CITY") == ["city-social"]


@pytest.mark.parametrize("path", [ORGS, PROS])
def test_pages_follow_each_other_with_cursors(directory: Api, path: str) -> None:
    everything = _ids(directory, path)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = directory.client.get(
            path, params=params, headers=directory.headers("auditor")
        ).json()
        entries = next(v for v in body.values() if isinstance(v, list))
        assert len(entries) <= 2
        seen += [e.get("party_id") or e["org_id"] for e in entries]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    assert pages == (len(everything) + 1) // 2


@pytest.mark.parametrize(
    "params",
    [
        {"sector": "helth_care"},
        {"cursor": "not-a-cursor"},
        {"cursor": "WyJhIl0"},  # base64 of a JSON list, but not one this directory gave
        {"limit": 0},
        {"limit": 1001},
        {"q": ""},
        {"q": "a\x00b"},
    ],
)
def test_bad_parameters_are_422(directory: Api, params: dict[str, Any]) -> None:
    response = directory.client.get(PROS, params=params, headers=directory.headers("worker"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("who", ["worker", "coordinator", "auditor", "admin", "outsider"])
def test_staff_read_the_same_directory(directory: Api, who: str) -> None:
    for path in (ORGS, PROS):
        response = directory.client.get(path, headers=directory.headers(who))
        assert response.status_code == 200
        assert (
            response.json()
            == directory.client.get(path, headers=directory.headers("worker")).json()
        )


@pytest.mark.parametrize("role", ["planner", "client", "guardian"])
def test_planners_clients_and_guardians_are_refused(directory: Api, role: str) -> None:
    token = directory.components.tokens.create(party_id=f"p-{role}", organisation="x", role=role)
    for path in (ORGS, PROS):
        response = directory.client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert "Mäkinen" not in response.text
    assert directory.client.get(PROS).status_code == 401


def test_reads_are_not_access_logged_and_names_are_not_logged(
    directory: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(Settings(log_format="json", log_level="debug", _env_file=None))
    try:
        capsys.readouterr()
        for params in ({"q": "Mäkinen"}, {"q": "Sjöström"}, {"organisation": "city-social"}):
            directory.client.get(PROS, params=params, headers=directory.headers("worker"))
        directory.client.get(ORGS, params={"q": "Hamnens"}, headers=directory.headers("admin"))
        logs = capsys.readouterr().err
    finally:
        configure_logging(Settings(log_level="warning", _env_file=None))
    assert "/v1/directory/professionals" in logs  # the request lines are there
    texts = {p.display_name for p in PROFESSIONALS} | {o.name for o in ORGANISATIONS}
    texts |= {"Sosiaalityöntekijä", "Satamakaupunki", "Mäkinen", "Sjöström", "Hamnens"}
    assert {t for t in texts if t in logs} == set()
    with directory.components.store.transaction(write=False) as tx:
        assert tx.rows("SELECT COUNT(*) FROM {polku_access_log}") == [(0,)]
