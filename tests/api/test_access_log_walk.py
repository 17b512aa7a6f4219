"""Every read of a client's data is written to the access log: proved by walking every operation
of the OpenAPI document, not by a list of routes someone has to keep up to date.

A GET whose path names a client (``{client_ref}``) is a person-level read and must leave exactly
one access-log row for that client; a household (``{household_ref}``) one row per member shown
(the walk's household has the one client as its member); the ledger (the one cross-journey
report) one row per client it lists; every other GET none. An operation this walk does not know
how to call fails the test, so a new route cannot slip past it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

QUERY_VALUES = {
    "recipient": "rehab",
    "category": "health",
    "purpose": "rehabilitation",
    "pathway": "my-team-older-person",
    "t1": "2025-03-01T00:00:00+00:00",
    "t2": "2025-03-09T00:00:00+00:00",
}
"""A valid value for each required query parameter the API has."""

CROSS_JOURNEY_READS = {
    "/v1/audit/disclosures": "entries",
    "/v1/audit/journeys": "journeys",
    "/v1/feed": "items",
}
"""Reads of several clients' data at once (and where their answer lists the clients): one row
per client listed."""


def _rows(api: Api) -> list[tuple[str, str]]:
    with api.components.store.transaction(write=False) as tx:
        rows = tx.rows("SELECT journey_id, endpoint FROM {polku_access_log}")
    return [(str(j), str(e)) for j, e in rows]


def _get_operations(api: Api) -> list[tuple[str, dict[str, Any]]]:
    paths: dict[str, dict[str, Any]] = api.client.get("/openapi.json").json()["paths"]
    return [(path, item["get"]) for path, item in sorted(paths.items()) if "get" in item]


def _query(operation: dict[str, Any]) -> dict[str, str]:
    query = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter.get("required"):
            name = parameter["name"]
            assert name in QUERY_VALUES, f"the walk does not know a value for {name!r}"
            query[name] = QUERY_VALUES[name]
    return query


def test_every_person_level_read_leaves_exactly_one_access_log_row(
    api: Api, audited_journey: str
) -> None:
    journey_id = api.components.service.journey_id
    client = journey_id(audited_journey)
    household = _household_of(api, audited_journey)
    walked = 0
    # The client's own routes answer only the client (and guardians): read them as the client.
    api.tokens["client"] = api.components.tokens.create(
        party_id=audited_journey, organisation="citizen", role="client"
    )
    for path, operation in _get_operations(api):
        before = _rows(api)
        url = path.replace("{client_ref}", audited_journey)
        who = "client" if path.startswith("/v1/client/") else "auditor"
        response = api.client.get(
            url.replace("{household_ref}", household),
            params=_query(operation),
            headers=api.headers(who, **{"X-Purpose": "walk"}),
        )
        new = _rows(api)[len(before) :]
        endpoint = f"GET {path}"
        if "{household_ref}" in path:
            # A household read is a read of each member shown: here, its one member.
            assert response.status_code == 200, (path, response.text)
            assert new == [(str(client), endpoint)], path
            walked += 1
        elif "{client_ref}" in path:
            assert response.status_code == 200, (path, response.text)
            assert new == [(str(client), endpoint)], path
            walked += 1
        elif path in CROSS_JOURNEY_READS:
            assert response.status_code == 200, (path, response.text)
            items = response.json()[CROSS_JOURNEY_READS[path]]
            listed = {journey_id(e["client_ref"]) for e in items}
            assert listed == {client}
            assert new == [(str(client), endpoint)], path
            walked += 1
        else:
            assert new == [], f"{path} wrote to the access log but names no client"
    assert walked >= 10  # the walk reached the person-level reads


def test_a_refused_read_leaves_no_access_log_row(api: Api, audited_journey: str) -> None:
    for who in ("outsider", "planner", "admin"):
        response = api.client.get(f"/v1/journeys/{audited_journey}", headers=api.headers(who))
        assert response.status_code in (403, 404)
    assert _rows(api) == []


def _household_of(api: Api, client_ref: str) -> str:
    """A household whose one member is the client (the walk reads it as an auditor)."""
    worker = api.headers("worker")
    formed = api.client.post(
        "/v1/households",
        json={"occurred_at": "2025-03-04T10:00:00+02:00", "household_ref": "household-1"},
        headers=worker,
    )
    assert formed.status_code == 202, formed.text
    joined = api.client.post(
        "/v1/households/household-1/members",
        json={"occurred_at": "2025-03-04T10:00:00+02:00", "client_ref": client_ref},
        headers=worker,
    )
    assert joined.status_code == 201, joined.text
    return "household-1"


@pytest.fixture
def audited_journey(api: Api, journey: str) -> str:
    """client-1 with one disclosure (so the ledger lists it), and an empty access log."""
    response = api.client.post(
        f"/v1/journeys/{journey}/disclosures",
        json={
            "occurred_at": "2025-03-04T10:00:00+02:00",
            "disclosure_id": "d1",
            "from_party": "p-worker",
            "from_org": "city-social",
            "to_org": "rehab",
            "categories": ["health"],
            "purpose": "rehabilitation",
            "basis": "statutory",
            "statute": "fi-integration-act-2024",
            "channel": "secure_email",
        },
        headers=api.headers("worker"),
    )
    assert response.status_code == 201, response.text
    with api.components.store.transaction() as tx:
        tx.execute("DELETE FROM {polku_access_log}")
    return journey
