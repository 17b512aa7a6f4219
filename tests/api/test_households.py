"""Households on both backends: membership over time, the household coordinator's gaps and
hand-overs, the household view at (at, known_at), who may see what of it (one member's denial
hides their facts; a member the reader may not read is only counted), the access log, and bad
input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from cli.main import main
from runtime.limits import SlidingWindowLimit
from tests.api.conftest import Api

H = "/v1/households"
HH = f"{H}/hh-1"


def d(n: int) -> str:
    """Day ``n`` of March 2025, 10:00 in Helsinki (as sent, and as valid times come back)."""
    return f"2025-03-{n:02d}T10:00:00+02:00"


READERS = {
    "teacher": ("p-teacher", "school", "caseworker"),
    "nurse": ("p-nurse", "school-health", "caseworker"),
    "psych": ("p-psych", "clinic", "caseworker"),
}


def post(api: Api, who: str, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = api.client.post(path, json=body, headers=api.headers(who))
    assert response.status_code == status, response.text
    return response.json()


def get(api: Api, who: str, path: str, status: int = 200, **params: str) -> Any:
    response = api.client.get(path, params=params, headers=api.headers(who))
    assert response.status_code == status, response.text
    return response.json()


def member(party: str, org: str, day: int = 1, sector: str = "education") -> dict[str, Any]:
    return {
        "occurred_at": d(day),
        "party_id": party,
        "member_type": "professional",
        "role": "teacher",
        "organisation": org,
        "sector": sector,
        "display_name": f"Name of {party}",
    }


def journey(api: Api, ref: str, *parties: tuple[str, str]) -> None:
    post(
        api,
        "worker",
        "/v1/journeys",
        {"occurred_at": d(1), "client_ref": ref, "preferred_language": "ar"},
        202,
    )
    for party, org in (("p-worker", "city-social"), *parties):
        post(api, "worker", f"/v1/journeys/{ref}/team-members", member(party, org))


def share(
    api: Api, ref: str, ident: str, to_party: str, category: str, day: int = 4, **basis: Any
) -> None:
    post(
        api,
        "worker",
        f"/v1/journeys/{ref}/disclosures",
        {
            "occurred_at": d(day),
            "disclosure_id": ident,
            "from_party": "p-worker",
            "from_org": "city-social",
            "to_party": to_party,
            "categories": [category],
            "purpose": "education_support",
            "basis": "none",
            **basis,
        },
    )


def members(view: dict[str, Any]) -> list[str]:
    return [m["client_ref"] for m in view["members"]]


@pytest.fixture
def family(api: Api) -> Api:
    """hh-1, formed on day 1: child-a (teacher, nurse) and child-b (nurse, psych) join on day 2;
    parent-p (worker only) is a client who has not joined. The worker is on every team."""
    api.tokens.update(
        {
            who: api.components.tokens.create(party_id=party, organisation=org, role=role)
            for who, (party, org, role) in READERS.items()
        }
    )
    journey(api, "child-a", ("p-teacher", "school"), ("p-nurse", "school-health"))
    journey(api, "child-b", ("p-nurse", "school-health"), ("p-psych", "clinic"))
    journey(api, "parent-p")
    post(api, "worker", H, {"occurred_at": d(1), "household_ref": "hh-1"}, 202)
    for ref in ("child-a", "child-b"):
        post(api, "worker", f"{HH}/members", {"occurred_at": d(2), "client_ref": ref})
    return api


def test_members_join_and_leave_on_valid_dates_and_late_entries_show_only_after(
    family: Api,
) -> None:
    api = family
    left = post(api, "worker", f"{HH}/departures", {"occurred_at": d(6), "client_ref": "child-b"})
    assert members(get(api, "worker", HH, at=d(1))) == []
    assert members(get(api, "worker", HH, at=d(4))) == ["child-a", "child-b"]
    assert members(get(api, "worker", HH, at=d(7))) == ["child-a"]

    # The parent's join, dated day 3, is recorded only now: a late entry.
    joined = post(api, "worker", f"{HH}/members", {"occurred_at": d(3), "client_ref": "parent-p"})
    before, after = left["recorded_at"], joined["recorded_at"]
    assert members(get(api, "worker", HH, at=d(4), known_at=before)) == ["child-a", "child-b"]
    assert members(get(api, "worker", HH, at=d(4), known_at=after)) == [
        "child-a",
        "child-b",
        "parent-p",
    ]
    assert members(get(api, "worker", HH, at=d(2), known_at=after)) == ["child-a", "child-b"]
    view = get(api, "worker", HH, at=d(4))
    assert view["known_version"] == joined["version"]
    joins = {m["client_ref"]: m["joined_at"] for m in view["members"]}
    assert joins["parent-p"] == d(3)

    # Retracting the departure brings child-b back from now on, not as recorded before.
    retracted = post(
        api,
        "worker",
        f"{HH}/events/{left['event_id']}/retraction",
        {"occurred_at": d(8), "reason": "entered_in_error"},
    )
    assert "child-b" in members(get(api, "worker", HH, at=d(7)))
    assert "child-b" not in members(get(api, "worker", HH, at=d(7), known_at=after))
    assert retracted["version"] == joined["version"] + 1

    # A correction: the parent's join was really on day 5 — retraction and replacement in one
    # save, so no record time shows half of it.
    corrected = post(
        api,
        "worker",
        f"{HH}/events/{joined['event_id']}/retraction",
        {
            "occurred_at": d(8),
            "reason": "wrong_date",
            "replacement": {
                "kind": "household_member_joined",
                "command": {"occurred_at": d(5), "client_ref": "parent-p"},
            },
        },
    )
    assert len(corrected["event_ids"]) == 2
    assert "parent-p" not in members(get(api, "worker", HH, at=d(4)))
    assert "parent-p" in members(get(api, "worker", HH, at=d(5)))
    as_before = get(api, "worker", HH, at=d(4), known_at=_just_before(corrected["recorded_at"]))
    assert "parent-p" in members(as_before)


def test_membership_rules_refuse_and_write_nothing(family: Api) -> None:
    api = family
    version = get(api, "worker", HH)["known_version"]
    for body, path, rule in (
        ({"occurred_at": d(4), "client_ref": "child-a"}, "members", "household-not-member"),
        ({"occurred_at": d(4), "client_ref": "parent-p"}, "departures", "household-member"),
        ({"occurred_at": d(1), "client_ref": "child-b"}, "departures", "household-member"),
    ):
        problem = post(api, "worker", f"{HH}/{path}", body, 422)
        assert problem["rule"] == rule
    # A join dated before the formation.
    problem = post(
        api,
        "worker",
        f"{HH}/members",
        {"occurred_at": "2025-02-01T10:00:00+02:00", "client_ref": "parent-p"},
        422,
    )
    assert problem["rule"] == "household-formed-first"
    formed = get(api, "auditor", HH)
    assert formed["known_version"] == version
    # The formation cannot be retracted.
    household = api.components.households.get_record("hh-1")
    problem = post(
        api,
        "worker",
        f"{HH}/events/{household.events[0].event_id}/retraction",
        {"occurred_at": d(8), "reason": "entered_in_error"},
        422,
    )
    assert problem["rule"] == "household-formation-kept"
    # Retracting the join a later departure depends on is refused, naming the departure.
    left = post(api, "worker", f"{HH}/departures", {"occurred_at": d(6), "client_ref": "child-b"})
    join_b = next(
        m for m in get(api, "worker", HH, at=d(3))["members"] if m["client_ref"] == "child-b"
    )
    problem = post(
        api,
        "worker",
        f"{HH}/events/{join_b['join_event_id']}/retraction",
        {"occurred_at": d(8), "reason": "entered_in_error"},
        422,
    )
    assert problem["rule"] == "household-member"
    assert problem["conflicting_event_id"] == left["event_id"]
    assert get(api, "worker", HH)["known_version"] == left["version"]


def test_household_coordinator_gaps_and_hand_overs(family: Api) -> None:
    api = family
    coordinator = f"{HH}/coordinator"
    post(
        api,
        "worker",
        coordinator,
        {"occurred_at": d(3), "party_id": "p-coord", "organisation": "family-services"},
    )
    handover = post(
        api,
        "worker",
        coordinator,
        {"occurred_at": d(5), "party_id": "p-worker", "organisation": "city-social"},
    )
    post(api, "worker", f"{coordinator}/release", {"occurred_at": d(7), "party_id": "p-worker"})
    post(
        api,
        "worker",
        coordinator,
        {"occurred_at": d(9), "party_id": "p-coord", "organisation": "family-services"},
    )

    view = get(api, "worker", HH, at=d(10))
    assert [(p["party_id"], p["start"], p["end"]) for p in view["coordinator_periods"]] == [
        ("p-coord", d(3), d(5)),
        ("p-worker", d(5), d(7)),  # a hand-over: no gap between
        ("p-coord", d(9), None),
    ]
    # Gaps: members from day 2 with no coordinator until day 3; released on 7, next on 9.
    assert [(g["start"], g["end"]) for g in view["coordinator_gaps"]] == [
        (d(2), d(3)),
        (d(7), d(9)),
    ]
    assert view["coordinator"] == {
        "party_id": "p-coord",
        "organisation": "family-services",
        "since": d(9),
    }
    during = get(api, "worker", HH, at=d(8))
    assert during["coordinator"] == {"party_id": None, "organisation": None, "since": d(7)}
    assert during["coordinator_gaps"][-1] == {"start": d(7), "end": None}
    # As recorded before the hand-over: p-coord still coordinating on day 6, one period.
    as_then = get(api, "worker", HH, at=d(6), known_at=_just_before(handover["recorded_at"]))
    assert as_then["coordinator"]["party_id"] == "p-coord"
    assert [p["party_id"] for p in as_then["coordinator_periods"]] == ["p-coord"]

    # The rules: release only the current one, no re-assigning the one coordinating.
    for path, body, rule in (
        (
            "coordinator/release",
            {"party_id": "p-coord", "occurred_at": d(6)},
            "coordinator-release-current",
        ),
        (
            "coordinator",
            {"party_id": "p-worker", "organisation": "city-social", "occurred_at": d(6)},
            "coordinator-not-already",
        ),
    ):
        assert post(api, "worker", f"{HH}/{path}", body, 422)["rule"] == rule
    # The last member may not leave while a household coordinator is assigned.
    post(api, "worker", f"{HH}/departures", {"occurred_at": d(11), "client_ref": "child-b"})
    problem = post(
        api, "worker", f"{HH}/departures", {"occurred_at": d(11), "client_ref": "child-a"}, 422
    )
    assert problem["rule"] == "household-coordinator-released-before-empty"
    # A household with no members takes no coordinator.
    post(api, "worker", H, {"occurred_at": d(1), "household_ref": "hh-empty"}, 202)
    problem = post(
        api,
        "worker",
        f"{H}/hh-empty/coordinator",
        {"occurred_at": d(2), "party_id": "p-worker", "organisation": "city-social"},
        422,
    )
    assert problem["rule"] == "household-coordinator-with-members"


def _just_before(recorded_at: str) -> str:
    """A record time one microsecond before ``recorded_at`` (ISO, UTC)."""
    moment = datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
    return (moment - timedelta(microseconds=1)).isoformat()


def test_the_household_view_at_at_and_known_at(family: Api) -> None:
    api = family
    first = post(
        api,
        "worker",
        f"{HH}/plan",
        {
            "occurred_at": d(3),
            "domains": ["education", "integration_services"],
            "goals": ["Settle in school"],
        },
    )
    second = post(
        api,
        "worker",
        f"{HH}/plan",
        {
            "occurred_at": d(8),
            "domains": ["housing"],
            "goals": ["A bigger flat"],
            "responsible_parties": ["p-worker"],
        },
    )
    # A consent lets child-a's education data go to the clinic; one disclosure relies on it, one
    # has no basis: flows from child-a's team to child-b's (p-psych serves child-b only).
    post(
        api,
        "worker",
        "/v1/journeys/child-a/consents",
        {
            "occurred_at": d(3),
            "consent_id": "c-a",
            "recipient_orgs": ["clinic"],
            "categories": ["education"],
            "purposes": ["education_support"],
            "form": "written",
        },
    )
    share(
        api,
        "child-a",
        "d-ok",
        "p-psych",
        "education",
        basis="consent",
        consent_id="c-a",
        to_org="clinic",
    )
    share(api, "child-a", "d-none", "p-psych", "family", day=5)
    share(api, "child-a", "d-inside", "p-teacher", "education", day=5)  # child-a's own team only

    view = get(api, "worker", HH, at=d(9))
    assert view["plan"]["domains"] == ["housing"]
    assert view["plan"]["goals"] == ["A bigger flat"]
    assert get(api, "worker", HH, at=d(4))["plan"]["goals"] == ["Settle in school"]
    assert get(api, "worker", HH, at=d(9), known_at=first["recorded_at"])["plan"]["domains"] == [
        "education",
        "integration_services",
    ]
    assert (
        get(api, "worker", HH, at=d(9), known_at=_just_before(first["recorded_at"]))["plan"] is None
    )
    assert view["known_version"] == second["version"]

    serves = {p["party_id"]: p["serves"] for p in view["team"]}
    assert serves == {
        "p-worker": ["child-a", "child-b"],
        "p-nurse": ["child-a", "child-b"],
        "p-teacher": ["child-a"],
        "p-psych": ["child-b"],
    }
    flows = {(f["about"], f["disclosure"]["disclosure_id"]): f for f in view["flows"]}
    assert set(flows) == {("child-a", "d-ok"), ("child-a", "d-none")}
    assert flows["child-a", "d-ok"]["recipient_serves"] == ["child-b"]
    assert flows["child-a", "d-ok"]["disclosure"]["now"]["verdict"] == "lawful"
    assert flows["child-a", "d-none"]["disclosure"]["now"]["verdict"] == "unsupported"
    # On day 4 the second disclosure had not happened.
    assert {f["disclosure"]["disclosure_id"] for f in get(api, "worker", HH, at=d(4))["flows"]} == {
        "d-ok"
    }
    # The goals are sealed in the store: the plain text is nowhere in the household's table.
    assert b"A bigger flat" not in _stored_household_bytes(api)


def _stored_household_bytes(api: Api) -> bytes:
    recorder = api.components.households.recorder
    rows = recorder.select_events(api.components.households.household_id("hh-1"))
    return b"".join(bytes(r.state) for r in rows)


def _without_record_time(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k != "known_at"}


def test_one_members_denial_hides_their_facts_from_the_household_view(family: Api) -> None:
    """child-b denies their health data to the school nurses' organisation. What the nurse sees
    of the household must not change when child-b's health facts are recorded — while the case
    worker, whom no denial names, sees them appear (so the comparison could fail)."""
    api = family
    post(
        api,
        "worker",
        "/v1/journeys/child-b/denials",
        {
            "occurred_at": d(2),
            "denial_id": "no-health",
            "categories": ["health"],
            "recipient_orgs": ["school-health"],
        },
    )
    nurse_before = get(api, "nurse", HH, at=d(20))
    worker_before = get(api, "worker", HH, at=d(20))

    # child-b's health facts: a disclosure to child-a's teacher (a flow between the teams), one
    # to the nurse herself, and a meeting of both teams.
    share(api, "child-b", "hb-1", "p-teacher", "health", day=6)
    share(api, "child-b", "hb-2", "p-nurse", "health", day=7)
    post(
        api,
        "worker",
        "/v1/journeys/child-b/meetings",
        {
            "occurred_at": d(8),
            "meeting_id": "m-health",
            "participants": ["p-worker", "p-nurse", "p-teacher"],
            "client_present": False,
            "categories": ["health"],
            "purpose": "care_coordination",
            "basis": "none",
        },
    )
    nurse_after = get(api, "nurse", HH, at=d(20))
    worker_after = get(api, "worker", HH, at=d(20))

    assert _without_record_time(nurse_after) == _without_record_time(nurse_before)
    assert _without_record_time(worker_after) != _without_record_time(worker_before)
    worker_flows = {f["disclosure"]["disclosure_id"] for f in worker_after["flows"]}
    assert {"hb-1", "m-health"} <= worker_flows
    # The nurse still sees child-b as a member with a team: the denial hides facts, not people.
    assert members(nurse_after) == ["child-a", "child-b"]


def test_a_member_the_reader_may_not_read_is_only_counted(family: Api) -> None:
    """The teacher is on child-a's team only: child-b is counted, and nothing the teacher is
    shown changes when child-b's journey gains facts — even facts about the teacher."""
    api = family
    before = get(api, "teacher", HH, at=d(20))
    assert members(before) == ["child-a"]
    assert before["members_not_shown"] == 1

    post(api, "worker", "/v1/journeys/child-b/team-members", member("p-extra", "youth-centre", 3))
    post(
        api,
        "worker",
        "/v1/journeys/child-b/plan",
        {"occurred_at": d(4), "goals": ["Swimming lessons"]},
    )
    share(api, "child-b", "hb-teacher", "p-teacher", "education", day=5)
    share(api, "child-b", "hb-nurse", "p-nurse", "family", day=5)
    after = get(api, "teacher", HH, at=d(20))
    response = api.client.get(HH, params={"at": d(20)}, headers=api.headers("teacher"))

    assert _without_record_time(after) == _without_record_time(before)
    assert "child-b" not in response.text
    assert "p-psych" not in response.text
    # The nurse, on both teams, sees child-b: the facts exist.
    nurse = get(api, "nurse", HH, at=d(20))
    assert members(nurse) == ["child-a", "child-b"]
    assert {"hb-teacher", "hb-nurse"} <= {f["disclosure"]["disclosure_id"] for f in nurse["flows"]}
    assert any(p["party_id"] == "p-extra" for p in nurse["team"])


def _log_rows(api: Api) -> list[tuple[str, str]]:
    with api.components.store.transaction(write=False) as tx:
        rows = tx.rows("SELECT journey_id, endpoint FROM {polku_access_log}")
    return sorted((str(j), str(e)) for j, e in rows)


def test_household_reads_are_logged_per_member_shown(family: Api) -> None:
    api = family
    ids = api.components.service.journey_id
    endpoint = "GET /v1/households/{household_ref}"
    start = len(_log_rows(api))
    get(api, "teacher", HH)
    assert _log_rows(api)[start:] == [(str(ids("child-a")), endpoint)]
    with api.components.store.transaction() as tx:
        tx.execute("DELETE FROM {polku_access_log}")
    get(api, "worker", HH)
    assert _log_rows(api) == sorted((str(ids(r)), endpoint) for r in ("child-a", "child-b"))


def test_who_may_do_what_and_outsiders_learn_nothing(family: Api) -> None:
    api = family
    version = get(api, "worker", HH)["known_version"]
    # An outsider (on no member's team) gets the same answer for an existing household and a
    # missing one, reading and writing.
    for method, suffix, body in (
        ("GET", "", None),
        ("POST", "/members", {"occurred_at": d(4), "client_ref": "parent-p"}),
        ("POST", "/plan", {"occurred_at": d(4), "domains": ["education"], "goals": ["x"]}),
        ("POST", "/departures", {"occurred_at": d(4), "client_ref": "child-a"}),
        (
            "POST",
            "/coordinator",
            {"occurred_at": d(4), "party_id": "p-outsider", "organisation": "city-social"},
        ),
        ("POST", "/coordinator/release", {"occurred_at": d(4), "party_id": "p-worker"}),
        (
            "POST",
            f"/events/{api.components.households.get_record('hh-1').events[0].event_id}/retraction",
            {"occurred_at": d(4), "reason": "entered_in_error"},
        ),
    ):
        answers = [
            api.client.request(
                method, f"{H}/{ref}{suffix}", json=body, headers=api.headers("outsider")
            )
            for ref in ("hh-1", "hh-nobody")
        ]
        assert [a.status_code for a in answers] == [404, 404]
        assert answers[0].content == answers[1].content
    # Forming: "received" whether or not the ref is taken; nothing is stored over a taken one.
    taken = api.client.post(
        H, json={"occurred_at": d(4), "household_ref": "hh-1"}, headers=api.headers("outsider")
    )
    free = api.client.post(
        H, json={"occurred_at": d(4), "household_ref": "hh-2"}, headers=api.headers("outsider")
    )
    assert (taken.status_code, free.status_code) == (202, 202)
    assert taken.json() == {"household_ref": "hh-1", "status": "received"}
    assert free.json() == {"household_ref": "hh-2", "status": "received"}
    # Roles that may never read or write person-level data.
    for who in ("planner", "admin"):
        get(api, who, HH, 403)
    post(api, "auditor", f"{HH}/members", {"occurred_at": d(4), "client_ref": "parent-p"}, 403)
    assert members(get(api, "auditor", HH)) == ["child-a", "child-b"]
    # Joining names a client: the writer must be on that client's team (404 otherwise, as for a
    # client who does not exist).
    for ref in ("parent-p", "nobody"):
        problem = post(
            api, "teacher", f"{HH}/members", {"occurred_at": d(4), "client_ref": ref}, 404
        )
        assert problem["detail"] == "no such journey"
    # Nor can a member the writer may not read be moved or probed: the teacher (on child-a's
    # team only) is told the same about child-b as about a client who does not exist, and the
    # same about child-b's join as about an event the household does not hold.
    gone = [
        post(api, "teacher", f"{HH}/departures", {"occurred_at": d(4), "client_ref": r}, 404)
        for r in ("child-b", "nobody")
    ]
    assert gone[0] == gone[1]
    join_b = next(m for m in get(api, "worker", HH)["members"] if m["client_ref"] == "child-b")
    refusals = []
    for event_id in (join_b["join_event_id"], "00000000-0000-4000-8000-000000000000"):
        problem = post(
            api,
            "teacher",
            f"{HH}/events/{event_id}/retraction",
            {"occurred_at": d(4), "reason": "entered_in_error"},
            422,
        )
        refusals.append(json.dumps(problem).replace(event_id, "{id}"))
    assert refusals[0] == refusals[1]
    assert get(api, "worker", HH)["known_version"] == version
    # The household coordinator has standing without being on a team, and sees members only as
    # their journeys allow: none.
    post(
        api,
        "worker",
        f"{HH}/coordinator",
        {"occurred_at": d(4), "party_id": "p-coord", "organisation": "family-services"},
    )
    seen = get(api, "coordinator", HH)
    assert (members(seen), seen["members_not_shown"]) == ([], 2)


def test_bad_input_is_refused_with_problem_details_and_nothing_written(family: Api) -> None:
    api = family
    version = get(api, "worker", HH)["known_version"]
    for path, body in (
        ("plan", {"occurred_at": d(4), "domains": ["nowhere"], "goals": ["x"]}),
        ("plan", {"occurred_at": d(4), "domains": ["education"], "goals": []}),
        ("members", {"occurred_at": "2025-03-04T10:00:00", "client_ref": "parent-p"}),
        ("members", {"occurred_at": "2199-03-04T10:00:00+00:00", "client_ref": "parent-p"}),
        ("members", {"occurred_at": d(4), "client_ref": "parent-p", "recorded_by": "me"}),
        ("members", {"occurred_at": d(4), "client_ref": "bad\nref"}),
        ("coordinator", {"occurred_at": d(4), "party_id": "p-coord"}),
    ):
        response = api.client.post(f"{HH}/{path}", json=body, headers=api.headers("worker"))
        assert response.status_code == 422, (path, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    response = api.client.get(HH, params={"at": "yesterday"}, headers=api.headers("worker"))
    assert response.status_code == 422
    assert get(api, "worker", HH)["known_version"] == version


def test_idempotent_household_commands(family: Api) -> None:
    api = family
    body = {"occurred_at": d(4), "client_ref": "parent-p"}
    headers = api.headers("worker", **{"Idempotency-Key": "join-parent"})
    first = api.client.post(f"{HH}/members", json=body, headers=headers)
    again = api.client.post(f"{HH}/members", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["event_ids"] == again.json()["event_ids"]
    other = api.client.post(f"{HH}/members", json=body | {"occurred_at": d(5)}, headers=headers)
    assert other.status_code == 422
    stale = api.client.post(
        f"{HH}/plan",
        json={"occurred_at": d(4), "domains": ["education"], "goals": ["x"], "expected_version": 1},
        headers=api.headers("worker"),
    )
    assert stale.status_code == 409


def test_polku_household_show(
    family: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = family.components.settings
    monkeypatch.setenv("POLKU_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("POLKU_KEYRING", str(settings.keyring_path().resolve()))
    args = ["--database-url", settings.database_url, "household", "show", "hh-1"]
    args += ["--at", "2025-03-04"]
    assert main(args) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (members(shown), shown["members_not_shown"]) == (["child-a", "child-b"], 0)
    assert main([*args[:4], "hh-nobody"]) == 1  # the same command for a household not there
    assert "no such household" in capsys.readouterr().err


def test_households_keep_out_of_the_journeys_notification_log(family: Api) -> None:
    """The journeys' read models (and anything else fed from their notification log) never meet
    a household event: the household stream has a table and a log of its own."""
    journeys = family.components.service.recorder.select_notifications(start=1, limit=10_000)
    households = family.components.households.recorder.select_notifications(start=1, limit=100)
    assert journeys
    assert all(n.topic.startswith("domain.events:") for n in journeys)
    assert [n.topic.split(":")[1] for n in households] == [
        "HouseholdFormed",
        "HouseholdMemberJoined",
        "HouseholdMemberJoined",
    ]


def test_household_history_marks_late_entries_and_leaves_out_members_not_shown(
    family: Api,
) -> None:
    api = family
    post(api, "worker", f"{HH}/departures", {"occurred_at": d(6), "client_ref": "child-b"})
    late = post(api, "worker", f"{HH}/members", {"occurred_at": d(3), "client_ref": "parent-p"})
    entries = get(api, "worker", f"{HH}/history")
    assert [(e["kind"], e["facts"].get("client_ref")) for e in entries] == [
        ("household_formed", None),
        ("household_member_joined", "child-a"),
        ("household_member_joined", "child-b"),
        ("household_member_left", "child-b"),
        ("household_member_joined", "parent-p"),
    ]
    assert [e["late"] for e in entries] == [False, False, False, False, True]
    # The departure's event id, from the history, is what a retraction names.
    departure = entries[3]["event_id"]
    post(
        api,
        "worker",
        f"{HH}/events/{departure}/retraction",
        {"occurred_at": d(8), "reason": "entered_in_error"},
    )
    again = get(api, "worker", f"{HH}/history")
    assert again[3]["retracted_by"] == again[-1]["event_id"]
    as_then = get(api, "worker", f"{HH}/history", known_at=late["recorded_at"])
    assert len(as_then) == 5
    assert as_then[3]["retracted_by"] is None

    # The teacher may read child-a only: child-b's join, departure and its retraction are left
    # out, and the read is logged for child-a alone.
    with api.components.store.transaction() as tx:
        tx.execute("DELETE FROM {polku_access_log}")
    seen = get(api, "teacher", f"{HH}/history")
    assert [e["facts"].get("client_ref") for e in seen] == [None, "child-a"]
    assert _log_rows(api) == [
        (
            str(api.components.service.journey_id("child-a")),
            "GET /v1/households/{household_ref}/history",
        )
    ]
    # Paging, as for a journey's history.
    page = api.client.get(f"{HH}/history", params={"limit": 2}, headers=api.headers("worker"))
    assert [e["version"] for e in page.json()] == [1, 2]
    assert 'rel="next"' in page.headers["link"]
    get(api, "outsider", f"{HH}/history", 404)


def test_forming_counts_against_the_limit_alike_for_free_and_taken_refs(family: Api) -> None:
    api = family
    api.components.outside_writes = SlidingWindowLimit(2, timedelta(hours=1), api.components.clock)
    for ref in ("hh-1", "hh-free"):  # taken, free: both counted
        post(api, "outsider", H, {"occurred_at": d(4), "household_ref": ref}, 202)
    for ref in ("hh-1", "hh-other"):
        response = api.client.post(
            H, json={"occurred_at": d(4), "household_ref": ref}, headers=api.headers("outsider")
        )
        assert response.status_code == 429
        assert "retry-after" in response.headers
    # The worker, with standing on hh-1, is not counted for it.
    for _ in range(3):
        post(api, "worker", H, {"occurred_at": d(4), "household_ref": "hh-1"}, 202)
