"""An API client per backend, with a token for each kind of caller."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from runtime.settings import Settings
from runtime.wiring import Components, build_components


@dataclass
class Api:
    client: TestClient
    components: Components
    tokens: dict[str, str]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


CALLERS = {
    "worker": ("p-worker", "city-social", "caseworker"),
    "coordinator": ("p-coord", "city-social", "coordinator"),
    "outsider": ("p-outsider", "city-social", "caseworker"),
    "leaver": ("p-leaver", "clinic", "caseworker"),
    "auditor": ("p-auditor", "audit-office", "auditor"),
    "planner": ("p-planner", "region", "planner"),
    "admin": ("p-admin", "ops", "admin"),
}


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    components = build_components(settings)
    tokens = {
        who: components.tokens.create(party_id=party, organisation=org, role=role)
        for who, (party, org, role) in CALLERS.items()
    }
    with TestClient(create_app(settings, components=components)) as client:
        yield Api(client, components, tokens)
    components.close()


T = "2025-03-0{}T10:00:00+02:00"


def team_member(party: str, day: int, org: str = "city-social") -> dict[str, object]:
    return {
        "occurred_at": T.format(day),
        "party_id": party,
        "member_type": "professional",
        "role": "social_worker",
        "organisation": org,
        "sector": "social_care",
        "display_name": f"Name of {party}",
    }


@pytest.fixture
def journey(api: Api) -> str:
    """client-1, registered by the worker, with worker, coordinator and (former) leaver."""
    post = api.client.post
    assert (
        post(
            "/v1/journeys",
            json={"occurred_at": T.format(1), "client_ref": "client-1", "preferred_language": "fi"},
            headers=api.headers("worker"),
        ).status_code
        == 202  # registration answers alike whether or not the ref was taken
    )
    for party, day in (("p-worker", 1), ("p-coord", 2), ("p-leaver", 2)):
        response = post(
            "/v1/journeys/client-1/team-members",
            json=team_member(party, day),
            headers=api.headers("worker"),
        )
        assert response.status_code == 201, response.text
    removal = post(
        "/v1/journeys/client-1/team-members/p-leaver/removal",
        json={"occurred_at": T.format(3)},
        headers=api.headers("worker"),
    )
    assert removal.status_code == 201, removal.text
    return "client-1"
