"""Bad input gets a 4xx problem and writes nothing; odd but valid text is stored verbatim."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, T

J = "/v1/journeys/client-1"
EDGE = "0001-01-01T00:00:00+14:00"
FAR = "9999-12-31T23:59:59-14:00"


@pytest.mark.parametrize(
    ("method", "path", "params", "body"),
    [
        ("GET", J, {"at": EDGE}, None),
        ("GET", J, {"known_at": FAR}, None),
        ("GET", J + "/history", {"known_at": EDGE}, None),
        ("GET", J + "/access-log", {"from": EDGE, "to": FAR}, None),
        ("GET", J + "/access-log", {"from": T.format(5), "to": T.format(4)}, None),
        ("POST", J + "/closure", None, {"occurred_at": EDGE}),
        ("POST", J + "/closure", None, {"occurred_at": FAR}),
        ("POST", J + "/closure", None, {"occurred_at": "2025-03-05T10:00:00"}),
        ("POST", J + "/closure", None, {"occurred_at": "2025-13-45T10:00:00Z"}),
        ("POST", J + "/closure", None, {"occurred_at": T.format(5), "expected_version": -1}),
        ("POST", J + "/closure", None, {"occurred_at": T.format(5), "extra": 1}),
        (
            "POST",
            J + "/team-members",
            None,
            {
                "occurred_at": T.format(5),
                "party_id": "a\x00b",
                "member_type": "professional",
                "role": "nurse",
                "organisation": "o",
                "sector": "health_care",
            },
        ),
        (
            "POST",
            J + "/consents",
            None,
            {
                "occurred_at": T.format(5),
                "consent_id": "k",
                "recipient_orgs": ["o"] * 101,
                "categories": ["health"],
                "purposes": ["care_coordination"],
                "form": "written",
            },
        ),
        (
            "POST",
            "/v1/journeys",
            None,
            {"occurred_at": EDGE, "client_ref": "c2", "preferred_language": "fi"},
        ),
        (
            "POST",
            J + "/events/00000000-0000-0000-0000-000000000000/retraction",
            None,
            {
                "occurred_at": T.format(5),
                "reason": "other",
                "replacement": {"kind": "team_member_added", "command": {"occurred_at": [1, 2]}},
            },
        ),
        (
            "POST",
            J + "/events/not-a-uuid/retraction",
            None,
            {"occurred_at": T.format(5), "reason": "other"},
        ),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    api: Api, journey: str, method: str, path: str, params: dict[str, str] | None, body: Any
) -> None:
    before = api.components.service.recorder.max_notification_id()
    response = api.client.request(
        method, path, params=params, json=body, headers=api.headers("worker")
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert api.components.service.recorder.max_notification_id() == before


def test_sql_like_and_unusual_text_is_just_text(api: Api, journey: str) -> None:
    odd = "'; DROP TABLE stored_events;-- \u202e ÄÖ 😀 \" \\"
    body = {
        "occurred_at": T.format(5),
        "disclosure_id": odd,
        "from_org": "a",
        "to_org": "b",
        "categories": ["health"],
        "purpose": "care_coordination",
        "basis": "none",
        "note": odd,
    }
    assert (
        api.client.post(J + "/disclosures", json=body, headers=api.headers("worker")).status_code
        == 201
    )
    history = api.client.get(J + "/history", headers=api.headers("worker")).json()
    assert history[-1]["facts"]["disclosure_id"] == odd


def test_oversized_bodies_are_refused_before_parsing(api: Api, journey: str) -> None:
    from api.guards import MAX_BODY_BYTES

    before = api.components.service.recorder.max_notification_id()
    big = {"occurred_at": T.format(5), "note": "x" * (MAX_BODY_BYTES + 1)}
    response = api.client.post(J + "/closure", json=big, headers=api.headers("worker"))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert api.components.service.recorder.max_notification_id() == before


def test_deeply_nested_json_is_refused(api: Api, journey: str) -> None:
    deep = '{"occurred_at": "2025-03-05T10:00:00Z", "note": ' + "[" * 5000 + "]" * 5000 + "}"
    response = api.client.post(
        J + "/closure",
        content=deep.encode(),
        headers=api.headers("worker", **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422
    assert "nest" in response.json()["detail"]


def test_responses_carry_security_headers_and_no_cors(api: Api, journey: str) -> None:
    response = api.client.get(J, headers=api.headers("worker", Origin="https://evil.example"))
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "access-control-allow-origin" not in response.headers
    assert api.client.get("/docs").status_code == 200  # the docs page keeps its own scripts


def test_an_unreachable_store_is_a_503_not_a_500(
    api: Api, journey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventsourcing.persistence import OperationalError

    def down(*_: object, **__: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(api.components.service.recorder, "select_events", down)
    monkeypatch.setattr(api.components.service.recorder, "insert_events", down)
    response = api.client.get(J, headers=api.headers("worker"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    monkeypatch.undo()
    assert api.client.get(J, headers=api.headers("worker")).status_code == 200
