"""Every endpoint through the HTTP API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from tests.api.conftest import Api, T, team_member

J = "/v1/journeys/client-1"


def post(api: Api, path: str, body: dict[str, Any], who: str = "worker", **headers: str) -> Any:
    return api.client.post(path, json=body, headers=api.headers(who, **headers))


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["event_id"] == body["event_ids"][0]
    return body


def test_every_command_endpoint_records_its_event(api: Api, journey: str) -> None:
    at = T.format
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "/referrals",
            {
                "occurred_at": at(4),
                "referral_id": "r1",
                "from_org": "city-social",
                "to_org": "rehab",
                "to_sector": "rehabilitation",
                "service": "vr",
            },
        ),
        ("/referrals/r1/acceptance", {"occurred_at": at(5)}),
        (
            "/referrals",
            {
                "occurred_at": at(4),
                "referral_id": "r2",
                "from_org": "city-social",
                "to_org": "clinic",
                "to_sector": "health_care",
                "service": "x",
            },
        ),
        ("/referrals/r2/decline", {"occurred_at": at(5), "decline_reason": "no_capacity"}),
        (
            "/consents",
            {
                "occurred_at": at(4),
                "consent_id": "k1",
                "recipient_orgs": ["rehab"],
                "categories": ["health"],
                "purposes": ["rehabilitation"],
                "form": "written",
            },
        ),
        ("/consents/k1/withdrawal", {"occurred_at": at(6)}),
        ("/denials", {"occurred_at": at(4), "denial_id": "n1", "categories": ["health"]}),
        ("/denials/n1/lifting", {"occurred_at": at(5)}),
        ("/team-members/p-coord/role", {"occurred_at": at(4), "role": "nurse"}),
        ("/coordinator", {"occurred_at": at(4), "party_id": "p-coord"}),
        ("/coordinator/release", {"occurred_at": at(5), "party_id": "p-coord"}),
        (
            "/services",
            {
                "occurred_at": at(4),
                "episode_id": "e1",
                "service": "vr",
                "sector": "rehabilitation",
                "provider_org": "rehab",
            },
        ),
        ("/services/e1/end", {"occurred_at": at(6)}),
        (
            "/transitions",
            {
                "occurred_at": at(6),
                "transition_id": "t1",
                "kind": "rehabilitation_to_work",
                "to_org": "employer",
            },
        ),
        (
            "/disclosures",
            {
                "occurred_at": at(5),
                "disclosure_id": "d1",
                "from_org": "city-social",
                "to_org": "rehab",
                "categories": ["health"],
                "purpose": "rehabilitation",
                "basis": "consent",
                "consent_id": "k1",
            },
        ),
        (
            "/meetings",
            {
                "occurred_at": at(5),
                "meeting_id": "m1",
                "participants": ["p-worker"],
                "client_present": True,
                "categories": ["social_care"],
                "purpose": "care_coordination",
                "basis": "client_self",
            },
        ),
        (
            "/plan",
            {"occurred_at": at(6), "goals": ["Work trial"], "responsible_parties": ["p-worker"]},
        ),
        ("/closure", {"occurred_at": at(7)}),
        ("/reopening", {"occurred_at": at(8)}),
        ("/team-members/p-coord/removal", {"occurred_at": at(8)}),
    ]
    version = api.components.service.get_version("client-1")
    for path, body in steps:
        result = ok(post(api, J + path, body))
        version += 1
        assert result["version"] == version, path

    kinds = [
        e["kind"] for e in api.client.get(J + "/history", headers=api.headers("worker")).json()
    ]
    assert {
        "referral_accepted",
        "referral_declined",
        "consent_withdrawn",
        "denial_lifted",
        "coordinator_released",
        "service_ended",
        "transition_recorded",
        "information_shared",
        "meeting_held",
        "plan_agreed",
        "journey_closed",
        "journey_reopened",
    } <= set(kinds)


def test_a_correction_replaces_an_event_in_one_save(api: Api, journey: str) -> None:
    added = ok(post(api, J + "/team-members", team_member("p-typo", 4)))
    body = {
        "occurred_at": T.format(5),
        "reason": "entered_in_error",
        "replacement": {"kind": "team_member_added", "command": team_member("p-right", 4)},
    }
    result = ok(post(api, f"{J}/events/{added['event_id']}/retraction", body))
    assert len(result["event_ids"]) == 2
    team = api.client.get(J, headers=api.headers("worker")).json()["team"]
    assert "p-right" in {m["party_id"] for m in team}
    assert "p-typo" not in {m["party_id"] for m in team}


def test_a_command_answers_its_record_time_to_read_as_recorded_just_after(
    api: Api, journey: str
) -> None:
    h = api.headers("worker")
    first = ok(post(api, J + "/team-members", team_member("p-first", 4)))
    second = ok(post(api, J + "/team-members", team_member("p-second", 4)))
    assert second["version"] == first["version"] + 1
    recorded = datetime.fromisoformat(first["recorded_at"])
    assert recorded <= datetime.fromisoformat(second["recorded_at"])
    just_after = api.client.get(J, params={"known_at": first["recorded_at"]}, headers=h).json()
    assert just_after["known_version"] == first["version"]
    assert "p-first" in {m["party_id"] for m in just_after["team"]}
    before = (recorded - timedelta(microseconds=1)).isoformat()
    just_before = api.client.get(J, params={"known_at": before}, headers=h).json()
    assert "p-first" not in {m["party_id"] for m in just_before["team"]}
    stored = ok(
        post(api, J + "/team-members", team_member("p-third", 4), **{"Idempotency-Key": "k"})
    )
    retry = ok(
        post(api, J + "/team-members", team_member("p-third", 4), **{"Idempotency-Key": "k"})
    )
    assert retry["replayed"]
    assert (retry["recorded_at"], retry["version"]) == (stored["recorded_at"], stored["version"])


def test_the_view_answers_for_any_valid_and_record_time(api: Api, journey: str) -> None:
    h = api.headers("worker")
    now = api.client.get(J, headers=h).json()
    assert {m["party_id"] for m in now["team"]} == {"p-worker", "p-coord"}
    on_day_2 = api.client.get(J, params={"at": T.format(2)}, headers=h).json()
    assert {m["party_id"] for m in on_day_2["team"]} == {"p-worker", "p-coord", "p-leaver"}
    before_recording = api.client.get(J, params={"known_at": T.format(1)}, headers=h).json()
    assert before_recording["team"] == []
    naive = api.client.get(J, params={"at": "2025-03-02T10:00:00"}, headers=h)
    assert naive.status_code == 422
    assert naive.headers["content-type"] == "application/problem+json"


def test_may_share_answers_with_its_reason(api: Api, journey: str) -> None:
    ok(
        post(
            api,
            J + "/consents",
            {
                "occurred_at": T.format(4),
                "consent_id": "k1",
                "recipient_orgs": ["rehab"],
                "categories": ["health"],
                "purposes": ["rehabilitation"],
                "form": "written",
            },
        )
    )
    h = api.headers("worker")
    yes = api.client.get(
        J + "/may-share",
        params={"recipient": "rehab", "category": "health", "purpose": "rehabilitation"},
        headers=h,
    )
    answer = yes.json()
    assert {k: answer[k] for k in ("allowed", "consent_id", "statute")} == {
        "allowed": True,
        "consent_id": "k1",
        "statute": None,
    }
    assert (answer["verdict"]["verdict"], answer["verdict"]["relied_on"]) == ("lawful", "k1")
    assert "consent k1" in answer["reason"]
    no = api.client.get(
        J + "/may-share",
        params={"recipient": "rehab", "category": "income", "purpose": "rehabilitation"},
        headers=h,
    ).json()
    assert no["allowed"] is False
    assert (no["verdict"]["verdict"], no["verdict"]["reasons"]) == ("unsupported", ["no-basis"])
    bad = api.client.get(
        J + "/may-share",
        params={"recipient": "rehab", "category": "astrology", "purpose": "rehabilitation"},
        headers=h,
    )
    assert bad.status_code == 422


def test_errors_are_problem_details(api: Api, journey: str) -> None:
    rule = post(api, J + "/team-members/p-nobody/removal", {"occurred_at": T.format(4)})
    assert rule.status_code == 422
    assert rule.headers["content-type"] == "application/problem+json"
    assert rule.json()["rule"] == "member-on-team"

    coordinator = ok(
        post(api, J + "/coordinator", {"occurred_at": T.format(5), "party_id": "p-coord"})
    )
    late_removal = post(api, J + "/team-members/p-coord/removal", {"occurred_at": T.format(4)})
    problem = late_removal.json()
    assert problem["rule"] == "coordinator-on-team"
    assert problem["conflicting_event_id"] == coordinator["event_id"]

    assert post(api, "/v1/journeys/nobody/closure", {"occurred_at": T.format(4)}).status_code == 404
    malformed = post(api, J + "/team-members", {"occurred_at": "yesterday", "party_id": 7})
    assert malformed.status_code == 422
    assert malformed.json()["errors"]
    missing = post(api, J + "/closure", {})
    assert missing.status_code == 422
    assert (
        api.client.post(
            J + "/closure", content=b"{not json", headers=api.headers("worker")
        ).status_code
        == 422
    )


def test_a_stale_expected_version_is_a_conflict(api: Api, journey: str) -> None:
    version = api.components.service.get_version("client-1")
    ok(post(api, J + "/closure", {"occurred_at": T.format(5), "expected_version": version}))
    stale = post(api, J + "/reopening", {"occurred_at": T.format(6), "expected_version": version})
    assert stale.status_code == 409
    assert stale.json()["actual_version"] == version + 1


def test_an_idempotency_key_stores_a_retry_once(api: Api, journey: str) -> None:
    body = team_member("p-new", 4)
    first = post(api, J + "/team-members", body, **{"Idempotency-Key": "key-1"})
    again = post(api, J + "/team-members", body, **{"Idempotency-Key": "key-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() | {"replayed": True} == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    history = api.client.get(J + "/history", headers=api.headers("worker")).json()
    assert sum(1 for e in history if e["facts"].get("party_id") == "p-new") == 1
    other = post(
        api, J + "/team-members", team_member("p-other", 4), **{"Idempotency-Key": "key-1"}
    )
    assert other.status_code == 422


def test_of_concurrent_posts_on_one_version_exactly_one_lands(api: Api, journey: str) -> None:
    version = api.components.service.get_version("client-1")
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def attempt(n: int) -> None:
        body = team_member(f"p-racer-{n}", 4) | {"expected_version": version}
        barrier.wait()
        statuses.append(post(api, J + "/team-members", body).status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 5


def test_the_caseload_lists_the_journeys_you_are_on_now(api: Api, journey: str) -> None:
    assert [
        j["client_ref"]
        for j in api.client.get("/v1/me/caseload", headers=api.headers("worker")).json()["journeys"]
    ] == ["client-1"]
    assert api.client.get("/v1/me/caseload", headers=api.headers("leaver")).json()["journeys"] == []
    assert (
        api.client.get("/v1/me/caseload", headers=api.headers("outsider")).json()["journeys"] == []
    )


def test_the_access_log_records_every_read_with_its_purpose(api: Api, journey: str) -> None:
    api.client.get(J, headers=api.headers("worker", **{"X-Purpose": "care planning"}))
    api.client.get(J + "/history", headers=api.headers("auditor"))
    api.client.get(J, headers=api.headers("outsider"))  # refused: not logged as a read
    log = api.client.get(J + "/access-log", headers=api.headers("auditor")).json()
    reads = [(r["party_id"], r["endpoint"], r["purpose"]) for r in log["reads"]]
    assert ("p-worker", "GET /v1/journeys/{client_ref}", "care planning") in reads
    assert ("p-auditor", "GET /v1/journeys/{client_ref}/history", None) in reads
    assert ("p-auditor", "GET /v1/journeys/{client_ref}/access-log", None) in reads
    assert not any(party == "p-outsider" for party, _, _ in reads)
    windowed = api.client.get(
        J + "/access-log", params={"from": "2099-01-01T00:00:00Z"}, headers=api.headers("auditor")
    ).json()
    assert windowed["reads"] == []


def test_health_and_readiness(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").status_code == 200
    assert api.client.get("/openapi.json").json()["paths"]
