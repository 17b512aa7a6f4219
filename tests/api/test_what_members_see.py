"""What a team member reads follows their type and the client's consents and denials.

The issue's scenario: the older person (demo-elder-003) denied the ``health`` category to the
seniors' association, whose volunteer visitor is on her team. The visitor walks every read route
of the OpenAPI document and finds no health fact in any answer; the nurse (a professional whom no
denial names) still sees them; team members are not shown the auditors' reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from demo.journeys import ELDER, WORKER
from demo.loader import ManualClock, load_demo
from runtime.settings import Settings
from runtime.wiring import build_service
from tests.api.conftest import Api

QUERY_VALUES = {
    "recipient": "p-visitor-01",
    "category": "health",
    "purpose": "care_coordination",
    "pathway": "my-team-older-person",
    "t1": "2025-10-01T00:00:00+00:00",
    "t2": "2026-02-01T00:00:00+00:00",
}
HEALTH_IDS = ("disc-elder-visitor", "deny-health-visitor", "cons-elder-family")
"""The health disclosure, the denial, and the consent naming health for the visitor."""


@pytest.fixture
def demo(api: Api, settings: Settings) -> dict[str, str]:
    clock = ManualClock(datetime.now(UTC))
    service = build_service(settings, clock=clock)
    try:
        load_demo(service, clock)
    finally:
        service.close()
    tokens = {
        who: api.components.tokens.create(party_id=party, organisation=org, role="caseworker")
        for who, party, org in (
            ("visitor", "p-visitor-01", "seniors-association"),
            ("daughter", "p-family-01", "family"),
            ("nurse", "p-homecare-01", "home-care-east"),
            ("rehab", "p-rehab-03", "rehab-centre-north"),
            ("social", "p-social-02", "city-social-services"),
        )
    }
    api.tokens.update(tokens)
    return tokens


def _reads(api: Api) -> Iterator[tuple[str, dict[str, Any]]]:
    paths: dict[str, dict[str, Any]] = api.client.get("/openapi.json").json()["paths"]
    for path, item in sorted(paths.items()):
        if "get" in item and "{client_ref}" in path:
            yield path, item["get"]


def _params(operation: dict[str, Any]) -> list[dict[str, str]]:
    query = {}
    formats: list[dict[str, str]] = [{}]
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        if parameter["name"] == "format":
            formats.append({"format": "html"})
        elif parameter.get("required"):
            query[parameter["name"]] = QUERY_VALUES[parameter["name"]]
    return [query | f for f in formats]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _event_ids(api: Api, ref: str, *kinds: str) -> set[str]:
    return {
        str(e.event_id) for e in api.components.service.get_record(ref).events if e.KIND in kinds
    }


def _walk(api: Api, who: str, ref: str) -> dict[str, tuple[int, str]]:
    answers = {}
    for path, operation in _reads(api):
        for params in _params(operation):
            response = api.client.get(
                path.replace("{client_ref}", ref), params=params, headers=api.headers(who)
            )
            answers[f"{path}?{sorted(params)}"] = (response.status_code, response.text)
    return answers


def _health_facts(api: Api, text: str, hidden_ids: set[str]) -> list[str]:
    """Every trace of a health fact in one answer (JSON, or a printable page)."""
    found = [ident for ident in (*HEALTH_IDS, *hidden_ids) if ident in text]
    try:
        values = set(_strings(json.loads(text)))
    except ValueError:
        values = set()
    if "health" in values:
        found.append('the category "health"')
    return found


def test_a_denied_category_is_hidden_from_the_visitor_on_every_read_route(
    api: Api, demo: dict[str, str]
) -> None:
    hidden = _event_ids(api, ELDER, "information_shared", "denial_registered", "consent_granted")
    answers = _walk(api, "visitor", ELDER)
    shown = {route: text for route, (status, text) in answers.items() if status == 200}
    assert len(shown) >= 4, answers  # view, history, fhir, conformance at least
    for route, text in shown.items():
        assert _health_facts(api, text, hidden) == [], route
    # The visitor still sees the team, the meeting they took part in and the plan they share.
    view = api.client.get(f"/v1/journeys/{ELDER}", headers=api.headers("visitor")).json()
    assert {m["party_id"] for m in view["team"]} >= {"p-visitor-01", "p-homecare-01"}
    assert [d["disclosure_id"] for d in view["disclosures"]] == ["meet-my-team"] * 3
    assert view["plan"] is not None
    assert view["consents"] == view["denials"] == view["active_services"] == []
    # The questions about sharing and the client's log are for professionals.
    for route, (status, _) in answers.items():
        if "may-share" in route or "access-log" in route or "log-report" in route:
            assert status == 403, route


def test_the_daughter_sees_what_the_client_consented_to_share_with_her(
    api: Api, demo: dict[str, str]
) -> None:
    view = api.client.get(f"/v1/journeys/{ELDER}", headers=api.headers("daughter")).json()
    # Her consent names health and the plan; no denial names her. The disclosure of health went
    # to the visitor, so she sees it as a fact of the journey; the consent itself is the
    # professionals' business.
    assert {d["disclosure_id"] for d in view["disclosures"]} == {
        "meet-my-team",
        "disc-elder-visitor",
    }
    assert view["consents"] == []


def test_a_professional_sees_everything_no_denial_names_for_them(
    api: Api, demo: dict[str, str]
) -> None:
    view = api.client.get(f"/v1/journeys/{ELDER}", headers=api.headers("nurse")).json()
    assert "disc-elder-visitor" in {d["disclosure_id"] for d in view["disclosures"]}
    assert {d["denial_id"] for d in view["denials"]} == {"deny-health-visitor"}
    history = api.client.get(f"/v1/journeys/{ELDER}/history", headers=api.headers("nurse"))
    assert len(history.json()) == api.components.service.get_version(ELDER)


def test_a_denial_naming_a_professionals_organisation_hides_the_category_from_them(
    api: Api, demo: dict[str, str]
) -> None:
    """demo-adult-002: health went to the rehabilitation centre; the client then denies health
    to it. Its counsellor no longer sees the disclosure, on any read route."""
    deny = {
        "occurred_at": "2025-10-01T10:00:00+00:00",
        "denial_id": "deny-health-rehab",
        "categories": ["health"],
        "recipient_orgs": ["rehab-centre-north"],
    }
    added = api.client.post(
        f"/v1/journeys/{WORKER}/denials", json=deny, headers=api.headers("social")
    )
    assert added.status_code == 201, added.text
    hidden = _event_ids(api, WORKER, "information_shared")
    for route, (status, text) in _walk(api, "rehab", WORKER).items():
        if status == 200:
            found = [i for i in ("disc-worker-health", *hidden) if i in text]
            assert found == [], route
    # Lifting the denial shows it again.
    lift = {"occurred_at": "2025-10-02T10:00:00+00:00"}
    lifted = api.client.post(
        f"/v1/journeys/{WORKER}/denials/deny-health-rehab/lifting",
        json=lift,
        headers=api.headers("social"),
    )
    assert lifted.status_code == 201, lifted.text
    view = api.client.get(f"/v1/journeys/{WORKER}", headers=api.headers("rehab")).json()
    assert "disc-worker-health" in {d["disclosure_id"] for d in view["disclosures"]}


def test_team_members_are_not_shown_the_auditors_reads(api: Api, demo: dict[str, str]) -> None:
    audited = api.client.get(
        f"/v1/journeys/{ELDER}",
        headers=api.headers("auditor", **{"X-Purpose": "investigation of p-homecare-01"}),
    )
    assert audited.status_code == 200
    routes = (
        f"/v1/journeys/{ELDER}/access-log",
        f"/v1/journeys/{ELDER}/log-report",
        f"/v1/journeys/{ELDER}/log-report?format=html",
        f"/v1/journeys/{ELDER}/fhir",
    )
    for route in routes:
        member = api.client.get(route, headers=api.headers("nurse"))
        assert member.status_code == 200, route
        assert "investigation" not in member.text, route
        assert "p-auditor" not in member.text, route
        auditor = api.client.get(route, headers=api.headers("auditor"))
        assert "investigation" in auditor.text or "p-auditor" in auditor.text, route


def test_the_visitors_organisation_finds_no_health_fact_in_its_change_feed(
    api: Api, demo: dict[str, str]
) -> None:
    """The feed (docs/feed.md) applies the same rule to the visitor's organisation: the team,
    the meeting, the plan; no health fact, in any item."""
    hidden = _event_ids(api, ELDER, "information_shared", "denial_registered", "consent_granted")
    items: list[dict[str, Any]] = []
    after: dict[str, str] = {}
    while True:
        response = api.client.get(
            "/v1/feed", params={"limit": 1000, **after}, headers=api.headers("visitor")
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        assert _health_facts(api, json.dumps(page["items"]), hidden) == []
        after = {"after": page["next"]}
        if page["caught_up"]:
            break
    kinds = {i["kind"] for i in items if i["client_ref"] == ELDER}
    assert {"team_member_added", "meeting_held"} <= kinds
    assert not kinds & {"information_shared", "consent_granted", "denial_registered"}
    # The nurse, a professional whom no denial names, is given the health disclosure.
    nurse = api.client.get("/v1/feed", params={"limit": 1000}, headers=api.headers("nurse"))
    assert set(hidden) & {i["event_id"] for i in nurse.json()["items"]}
