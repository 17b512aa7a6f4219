"""The authorization matrix: each kind of caller against each class of endpoint.

A case worker asking about a journey they are not on (or have left) gets 404, as for a journey
that does not exist, and a referral from them is received (202) without a version; a
registration answers 202 to whoever may not read the journey; a role that may never do a thing
gets 403; no valid token, 401.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import Api, T, team_member

J = "/v1/journeys/client-1"
_counter = itertools.count()


def call(api: Api, endpoint: str, headers: dict[str, str]) -> int:
    n = next(_counter)
    requests: dict[str, tuple[str, str, dict[str, Any] | None, dict[str, str] | None]] = {
        "view": ("GET", J, None, None),
        "history": ("GET", J + "/history", None, None),
        "may_share": (
            "GET",
            J + "/may-share",
            None,
            {"recipient": "rehab", "category": "health", "purpose": "rehabilitation"},
        ),
        "access_log": ("GET", J + "/access-log", None, None),
        "write": ("POST", J + "/team-members", team_member(f"p-added-{n}", 4), None),
        "register": (
            "POST",
            "/v1/journeys",
            {"occurred_at": T.format(4), "client_ref": f"new-{n}", "preferred_language": "sv"},
            None,
        ),
        "referral": (
            "POST",
            J + "/referrals",
            {
                # recent: a referral from outside the team must be dated within the last week
                "occurred_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
                "referral_id": f"r-{n}",
                "from_org": "x",
                "to_org": "y",
                "to_sector": "rehabilitation",
                "service": "s",
            },
            None,
        ),
        "caseload": ("GET", "/v1/me/caseload", None, None),
    }
    method, path, body, params = requests[endpoint]
    response = api.client.request(method, path, json=body, params=params, headers=headers)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    status: int = response.status_code
    return status


OK_READ, OK_WRITE = 200, 201
MATRIX = {
    #              view history may_share access_log write register referral caseload
    "worker": (200, 200, 200, 200, 201, 202, 201, 200),
    "coordinator": (200, 200, 200, 200, 201, 202, 201, 200),
    "outsider": (404, 404, 404, 404, 404, 202, 202, 200),
    "leaver": (404, 404, 404, 404, 404, 202, 202, 200),
    "auditor": (200, 200, 200, 200, 403, 403, 403, 200),
    "planner": (403, 403, 403, 403, 403, 403, 403, 200),
    "admin": (403, 403, 403, 403, 403, 403, 403, 200),
}
ENDPOINTS = (
    "view",
    "history",
    "may_share",
    "access_log",
    "write",
    "register",
    "referral",
    "caseload",
)


@pytest.mark.parametrize("caller", sorted(MATRIX))
def test_each_role_against_each_endpoint(api: Api, journey: str, caller: str) -> None:
    got = tuple(call(api, endpoint, api.headers(caller)) for endpoint in ENDPOINTS)
    assert dict(zip(ENDPOINTS, got, strict=True)) == dict(
        zip(ENDPOINTS, MATRIX[caller], strict=True)
    )


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer polku_nope_nope"}, {"Authorization": "Basic dXNlcjpwdw=="}],
)
def test_no_valid_token_is_401_everywhere(api: Api, journey: str, headers: dict[str, str]) -> None:
    assert {call(api, endpoint, headers) for endpoint in ENDPOINTS} == {401}


def test_a_revoked_token_stops_working(api: Api, journey: str) -> None:
    assert call(api, "view", api.headers("worker")) == 200
    token_id = api.tokens["worker"].split("_")[1]
    assert api.components.tokens.revoke(token_id)
    assert call(api, "view", api.headers("worker")) == 401


def test_the_recorder_is_the_caller_never_the_body(api: Api, journey: str) -> None:
    forged = team_member("p-x", 4) | {"recorded_by": {"party_id": "p-ceo"}}
    assert (
        api.client.post(J + "/team-members", json=forged, headers=api.headers("worker")).status_code
        == 422
    )
    api.client.post(
        J + "/team-members", json=team_member("p-x", 4), headers=api.headers("coordinator")
    )
    last = api.client.get(J + "/history", headers=api.headers("worker")).json()[-1]
    assert last["recorded_by"] == {
        "party_id": "p-coord",
        "organisation": "city-social",
        "role": "coordinator",
    }
