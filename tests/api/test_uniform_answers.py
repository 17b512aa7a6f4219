"""Whoever may not read a journey learns nothing about it: proved by walking every operation of the
OpenAPI document as an off-team case worker, for a journey that exists and one that does not, with
valid and invalid bodies and with idempotency replays, and finding the answers (status, body and
headers) byte for byte the same.

An operation the walk does not know how to call fails the test, so a new route cannot slip past.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import Response

from runtime.limits import SlidingWindowLimit
from tests.api.conftest import Api, T

EXISTING = "client-1"
MISSING = "client-nobody"
QUERY_VALUES = {
    "recipient": "rehab",
    "category": "health",
    "purpose": "rehabilitation",
    "pathway": "my-team-older-person",
    "t1": "2025-03-01T00:00:00+00:00",
    "t2": "2025-03-09T00:00:00+00:00",
}
PATH_VALUES = {
    "referral_id": "ref-1",
    "consent_id": "c-1",
    "denial_id": "d-1",
    "party_id": "p-worker",
    "episode_id": "ep-1",
}
"""Path parameters naming things that exist in the existing journey."""
_keys = itertools.count()


@pytest.fixture
def walked(api: Api, journey: str) -> dict[str, str]:
    """client-1 with a referral, a consent, a denial and a service; no limit on outside writes
    (the limit itself is tested below); returns the event id of the registration."""
    api.components.outside_writes = SlidingWindowLimit(
        10**9, timedelta(hours=1), api.components.clock
    )
    worker = api.headers("worker")
    base = f"/v1/journeys/{journey}"
    for path, body in (
        (
            "/referrals",
            {
                "occurred_at": T.format(3),
                "referral_id": "ref-1",
                "from_org": "city-social",
                "to_org": "rehab",
                "to_sector": "rehabilitation",
                "service": "vocational_rehabilitation",
            },
        ),
        (
            "/consents",
            {
                "occurred_at": T.format(3),
                "consent_id": "c-1",
                "recipient_orgs": ["rehab"],
                "categories": ["health"],
                "purposes": ["rehabilitation"],
                "form": "written",
            },
        ),
        (
            "/denials",
            {"occurred_at": T.format(3), "denial_id": "d-1", "categories": ["income"]},
        ),
        (
            "/services",
            {
                "occurred_at": T.format(3),
                "episode_id": "ep-1",
                "service": "job_coaching",
                "sector": "employment_services",
                "provider_org": "city-social",
            },
        ),
    ):
        response = api.client.post(base + path, json=body, headers=worker)
        assert response.status_code == 201, response.text
    history = api.client.get(base + "/history", headers=worker).json()
    return {"event_id": history[0]["event_id"]}


def _operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    paths: dict[str, dict[str, Any]] = api.client.get("/openapi.json").json()["paths"]
    return [
        (method, path, operation)
        for path, item in sorted(paths.items())
        for method, operation in sorted(item.items())
    ]


def _names_a_client(path: str, method: str) -> bool:
    return "{client_ref}" in path or (method == "post" and path == "/v1/journeys")


def _query(operation: dict[str, Any]) -> dict[str, str]:
    query = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter.get("required"):
            name = parameter["name"]
            assert name in QUERY_VALUES, f"the walk does not know a value for {name!r}"
            query[name] = QUERY_VALUES[name]
    return query


def _url(path: str, ref: str, ids: dict[str, str]) -> str:
    url = path.replace("{client_ref}", ref)
    for name, value in (PATH_VALUES | ids).items():
        url = url.replace("{" + name + "}", value)
    assert "{" not in url, f"the walk does not know a value for a parameter of {path}"
    return url


def _bodies(operation: dict[str, Any], ref: str) -> list[Any]:
    """A valid body (the document's example, also dated just now) and invalid ones: the
    conflicts the issue found (an old date, a stale or current expected version, a reused id),
    a date in the future, and bodies that break the schema."""
    content = operation["requestBody"]["content"]["application/json"]
    assert "example" in content, f"{operation['operationId']} has no example body"
    example: dict[str, Any] = copy.deepcopy(content["example"])
    if "client_ref" in example:
        example["client_ref"] = ref
    recent = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    bodies: list[Any] = [example]
    if "occurred_at" in example:
        bodies += [
            example | {"occurred_at": recent},
            example | {"occurred_at": "1900-01-02T00:00:00+00:00"},
            example | {"occurred_at": future},
            example | {"occurred_at": recent, "expected_version": 0},
            example | {"occurred_at": recent, "expected_version": 7},
            example | {"occurred_at": "2025-03-02T00:00:00+00:00"},
        ]
    for name, value in PATH_VALUES.items():
        if name in example:  # an id the existing journey already uses
            bodies.append(example | {"occurred_at": recent, name: value})
    bodies += [{}, example | {"unknown_field": 1}, [1, 2]]
    return bodies


def _same(a: Response, b: Response, *, ref_a: str, ref_b: str) -> None:
    # The registration body names the ref the caller sent; everything else must match exactly.
    body_a = a.content.replace(ref_a.encode(), b"{ref}")
    body_b = b.content.replace(ref_b.encode(), b"{ref}")
    headers_a = {k: v.replace(ref_a, "{ref}") for k, v in a.headers.items()}
    headers_b = {k: v.replace(ref_b, "{ref}") for k, v in b.headers.items()}
    if a.headers.get("content-length") != b.headers.get("content-length"):
        # The ref appears once in each body: the lengths differ by the refs' lengths only.
        assert len(a.content) - len(b.content) == len(ref_a.encode()) - len(ref_b.encode())
        headers_a.pop("content-length")
        headers_b.pop("content-length")
    assert (a.status_code, body_a, headers_a) == (b.status_code, body_b, headers_b)


def _call(
    api: Api,
    method: str,
    path: str,
    operation: dict[str, Any],
    ref: str,
    ids: dict[str, str],
    body: Any = None,
    key: str | None = None,
) -> Response:
    headers = api.headers("outsider", **{"X-Request-ID": "walk"})
    if key is not None:
        headers["Idempotency-Key"] = key
    response: Response = api.client.request(
        method.upper(),
        _url(path, ref, ids),
        params=_query(operation),
        json=body,
        headers=headers,
    )
    return response


def test_every_operation_answers_an_outsider_alike_for_existing_and_missing_journeys(
    api: Api, walked: dict[str, str]
) -> None:
    counter = itertools.count()
    called, statuses = 0, set()
    for method, path, operation in _operations(api):
        if not _names_a_client(path, method):
            continue
        if "requestBody" not in operation:
            a = _call(api, method, path, operation, EXISTING, walked)
            b = _call(api, method, path, operation, MISSING, walked)
            _same(a, b, ref_a=EXISTING, ref_b=MISSING)
            statuses.add(a.status_code)
            called += 1
            continue
        for body in _bodies(operation, "{ref}"):
            missing = f"nobody-{next(counter)}"  # a registration creates its missing ref
            existing_body = _with_ref(body, EXISTING)
            missing_body = _with_ref(body, missing)
            a = _call(api, method, path, operation, EXISTING, walked, existing_body)
            b = _call(api, method, path, operation, missing, walked, missing_body)
            _same(a, b, ref_a=EXISTING, ref_b=missing)
            statuses.add(a.status_code)
            called += 1
    assert called > 200  # the walk reached every write with every body
    assert {202, 404, 422}.issubset(statuses), statuses


def test_idempotency_replays_answer_an_outsider_alike(api: Api, walked: dict[str, str]) -> None:
    counter = itertools.count()
    replayed = 0
    for method, path, operation in _operations(api):
        if not _names_a_client(path, method) or "requestBody" not in operation:
            continue
        for body in _bodies(operation, "{ref}")[:2]:
            key = f"walk-{next(_keys)}"
            missing = f"replay-{next(counter)}"
            for _ in range(3):  # the first call, then two retries with the same key
                a = _call(
                    api, method, path, operation, EXISTING, walked, _with_ref(body, EXISTING), key
                )
                b = _call(
                    api, method, path, operation, missing, walked, _with_ref(body, missing), key
                )
                _same(a, b, ref_a=EXISTING, ref_b=missing)
                assert "idempotent-replayed" not in a.headers
                replayed += 1
    assert replayed > 50


def test_another_callers_idempotency_key_is_no_name_oracle(api: Api) -> None:
    """The issue's attack: replay someone's (predictable) key with a guessed name."""
    registration = {
        "occurred_at": T.format(1),
        "client_ref": "client-7",
        "preferred_language": "fi",
        "name": "Maija Meikäläinen",
    }
    worker = api.headers("worker", **{"Idempotency-Key": "reg:client-7:001"})
    assert api.client.post("/v1/journeys", json=registration, headers=worker).status_code == 202
    answers = set()
    for name in ("Maija Meikäläinen", "Someone Else"):
        for ref in ("client-7", "client-8"):
            body = registration | {"name": name, "client_ref": ref}
            headers = api.headers(
                "outsider", **{"Idempotency-Key": "reg:client-7:001", "X-Request-ID": "x"}
            )
            response = api.client.post("/v1/journeys", json=body, headers=headers)
            answers.add((response.status_code, response.content.replace(ref.encode(), b"{ref}")))
    assert answers == {(202, b'{"status":"received","client_ref":"{ref}"}')}
    # The outsider's key is theirs: it replayed nothing of the worker's, and client-8 is new.
    history = api.components.service.get_record("client-7").events
    assert len(history) == 1


def test_a_referral_from_outside_the_team_is_recorded_but_says_nothing(
    api: Api, walked: dict[str, str]
) -> None:
    body = {
        "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "referral_id": "ref-outside",
        "from_org": "city-social",
        "to_org": "rehab",
        "to_sector": "rehabilitation",
        "service": "vocational_rehabilitation",
    }
    for ref in (EXISTING, MISSING):
        response = api.client.post(
            f"/v1/journeys/{ref}/referrals", json=body, headers=api.headers("outsider")
        )
        assert response.status_code == 202
        assert response.json() == {"status": "received", "referral_id": "ref-outside"}
    kinds = [e.KIND for e in api.components.service.get_record(EXISTING).events]
    assert kinds.count("referral_made") == 2  # the worker's and the outsider's
    # Nothing is kept about a client Polku does not know.
    assert api.components.service.get_version(MISSING) == 0


def test_writes_from_outside_the_team_are_limited_per_caller_alike(api: Api, journey: str) -> None:
    api.components.outside_writes = SlidingWindowLimit(4, timedelta(hours=1), api.components.clock)
    body = {
        "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "referral_id": "ref-limited",
        "from_org": "city-social",
        "to_org": "rehab",
        "to_sector": "rehabilitation",
        "service": "s",
    }
    statuses = []
    for ref in (EXISTING, MISSING) * 3:
        response = api.client.post(
            f"/v1/journeys/{ref}/referrals", json=body, headers=api.headers("outsider")
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) > 0
    assert statuses == [202, 202, 202, 202, 429, 429]
    # A team member writing to their own journey is not limited.
    member = api.client.post(
        f"/v1/journeys/{EXISTING}/referrals",
        json=body | {"referral_id": "ref-member"},
        headers=api.headers("worker"),
    )
    assert member.status_code == 201


def _with_ref(body: Any, ref: str) -> Any:
    if isinstance(body, dict) and body.get("client_ref") == "{ref}":
        return body | {"client_ref": ref}
    return body


def test_an_idempotency_key_belongs_to_its_caller(api: Api, journey: str) -> None:
    """Two team members who happen to pick the same key send two independent commands."""

    def referral(ref_id: str) -> dict[str, str]:
        return {
            "occurred_at": T.format(4),
            "referral_id": ref_id,
            "from_org": "city-social",
            "to_org": "rehab",
            "to_sector": "rehabilitation",
            "service": "s",
        }

    url = f"/v1/journeys/{journey}/referrals"
    first = api.client.post(
        url, json=referral("r-a"), headers=api.headers("worker", **{"Idempotency-Key": "k-1"})
    )
    again = api.client.post(
        url, json=referral("r-a"), headers=api.headers("worker", **{"Idempotency-Key": "k-1"})
    )
    other = api.client.post(
        url,
        json=referral("r-b"),
        headers=api.headers("coordinator", **{"Idempotency-Key": "k-1"}),
    )
    assert first.status_code == again.status_code == other.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["event_id"] == first.json()["event_id"]
    assert "idempotent-replayed" not in other.headers
    assert other.json()["version"] == first.json()["version"] + 1
