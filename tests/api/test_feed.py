"""The change feed (docs/feed.md) on both backends: a consumer that restarts mid-stream, an
organisation removed from a team, a retraction, the access log, long polling, and the feed as an
attacker sees it (a journey it may not read against one that does not exist)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from runtime.settings import Settings
from runtime.wiring import build_components
from tests.api.conftest import Api
from tests.conftest import POSTGRES_URL

SCHOOL = ("svc-school-sis", "school-harbour", "caseworker")
"""The school's student system: a service account of the school."""
OTHER_SCHOOL = ("svc-school-north", "school-north", "caseworker")


def at(day: int, hour: int = 10) -> str:
    return f"2025-03-{day:02d}T{hour:02d}:00:00+02:00"


class Journeys:
    """Commands as the city's case worker sends them."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.client.post(path, json=body, headers=self.api.headers("worker"))
        assert response.status_code in (201, 202), response.text
        result: dict[str, Any] = response.json()
        return result

    def register(self, ref: str, day: int = 1) -> None:
        self.post(
            "/v1/journeys",
            {"occurred_at": at(day), "client_ref": ref, "preferred_language": "fi"},
        )

    def add(self, ref: str, party: str, org: str, day: int, **extra: str) -> str:
        body = {
            "occurred_at": at(day),
            "party_id": party,
            "member_type": "professional",
            "role": "teacher" if org.startswith("school") else "social_worker",
            "organisation": org,
            "sector": "education" if org.startswith("school") else "social_care",
            "display_name": f"Name of {party}",
            **extra,
        }
        return str(self.post(f"/v1/journeys/{ref}/team-members", body)["event_id"])

    def remove(self, ref: str, party: str, day: int) -> str:
        body = {"occurred_at": at(day)}
        return str(self.post(f"/v1/journeys/{ref}/team-members/{party}/removal", body)["event_id"])

    def share(self, ref: str, day: int, category: str = "education") -> str:
        body = {
            "occurred_at": at(day),
            "disclosure_id": f"d-{uuid.uuid4().hex[:8]}",
            "from_party": "p-worker",
            "to_org": "school-harbour",
            "categories": [category],
            "purpose": "education_support",
            "basis": "none",
        }
        return str(self.post(f"/v1/journeys/{ref}/disclosures", body)["event_id"])

    def retract(self, ref: str, event_id: str, day: int) -> str:
        body = {"occurred_at": at(day), "reason": "entered_in_error"}
        path = f"/v1/journeys/{ref}/events/{event_id}/retraction"
        return str(self.post(path, body)["event_id"])

    def event_ids(self, ref: str) -> list[str]:
        """Every event of the journey, in record order (as an auditor reads its history)."""
        response = self.api.client.get(
            f"/v1/journeys/{ref}/history", headers=self.api.headers("auditor")
        )
        assert response.status_code == 200, response.text
        return [entry["event_id"] for entry in response.json()]


@pytest.fixture
def school(api: Api) -> str:
    return api.components.tokens.create(party_id=SCHOOL[0], organisation=SCHOOL[1], role=SCHOOL[2])


@pytest.fixture
def journeys(api: Api) -> Journeys:
    return Journeys(api)


def feed(client: TestClient, token: str, after: str | None = None, **params: Any) -> dict[str, Any]:
    query = {**params, **({"after": after} if after else {})}
    response = client.get("/v1/feed", params=query, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def follow(
    client: TestClient, token: str, after: str | None = None, limit: int = 100
) -> tuple[list[dict[str, Any]], str | None]:
    """Every item from ``after`` to the head, a page at a time."""
    items: list[dict[str, Any]] = []
    while True:
        page = feed(client, token, after, limit=limit)
        items += page["items"]
        after = page["next"]
        if page["caught_up"]:
            return items, after


def test_a_consumer_that_restarts_mid_stream_gets_what_it_may_see_once_each(
    api: Api, settings: Settings, journeys: Journeys, school: str
) -> None:
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.register("other-1")  # the school is never on this team
    journeys.add("other-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-teacher", "school-harbour", 2)
    journeys.share("pupil-1", 3)
    journeys.share("other-1", 3)

    seen: list[str] = []
    stored: str | None = None  # the consumer's own store of its position
    page = feed(api.client, school, stored, limit=2)
    for item in page["items"]:
        seen.append(item["event_id"])
        stored = item["cursor"]
    # More is written while the consumer is down; it restarts on a new process (a new app on
    # the same store) from the position it stored.
    journeys.add("pupil-1", "p-nurse", "school-harbour", 4)
    journeys.share("other-1", 4)
    journeys.share("pupil-1", 5, category="health")
    components = build_components(settings)
    try:
        with TestClient(create_app(settings, components=components)) as restarted:
            token = components.tokens.create(
                party_id=SCHOOL[0], organisation=SCHOOL[1], role=SCHOOL[2]
            )
            items, _ = follow(restarted, token, stored, limit=3)
    finally:
        components.close()
    seen += [item["event_id"] for item in items]
    assert len(seen) == len(set(seen)), "an event came twice"
    assert seen == journeys.event_ids("pupil-1"), "not exactly the pupil's events, in order"
    assert not set(seen) & set(journeys.event_ids("other-1"))


def test_pages_of_any_size_give_the_same_items(api: Api, journeys: Journeys, school: str) -> None:
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-teacher", "school-harbour", 2)  # catch-up: three items at once
    journeys.share("pupil-1", 3)
    whole, _ = follow(api.client, school, limit=1000)
    for size in (1, 2, 3):
        paged, _ = follow(api.client, school, limit=size)
        assert [i["event_id"] for i in paged] == [i["event_id"] for i in whole]
    assert [i["catch_up"] for i in whole] == [True, True, False, False]


def test_an_organisation_removed_from_a_team_receives_nothing_after_its_removal(
    api: Api, journeys: Journeys, school: str
) -> None:
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-teacher", "school-harbour", 2)
    journeys.share("pupil-1", 3)
    removal = journeys.remove("pupil-1", "p-teacher", 4)
    after_removal = [
        journeys.share("pupil-1", 5),
        journeys.add("pupil-1", "p-nurse", "city-social", 5),
    ]
    # A late entry dated while the school was still on the team, recorded after its removal.
    after_removal.append(journeys.share("pupil-1", 3))
    items, _ = follow(api.client, school)
    ids = [i["event_id"] for i in items]
    assert ids[-1] == removal
    assert items[-1]["access"] == "ended"
    assert all(i["access"] == "reading" for i in items[:-1])
    assert not set(after_removal) & set(ids)


def test_a_retraction_reaches_the_consumer_as_a_retraction(
    api: Api, journeys: Journeys, school: str
) -> None:
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-teacher", "school-harbour", 2)
    wrong = journeys.add("pupil-1", "p-nurse", "school-harbour", 3)
    first, after = follow(api.client, school)
    assert wrong in [i["event_id"] for i in first]
    retraction = journeys.retract("pupil-1", wrong, 4)
    late = journeys.add("pupil-1", "p-nurse-2", "city-social", 2)  # dated before what it has
    items, _ = follow(api.client, school, after)
    assert [i["event_id"] for i in items] == [retraction, late]
    assert items[0]["kind"] == "event_retracted"
    assert items[0]["retracts"] == wrong
    assert items[0]["occurred_at"] == "2025-03-04T10:00:00+02:00"
    assert items[0]["recorded_at"] > first[-1]["recorded_at"]
    assert items[1]["late"] is True
    assert items[1]["occurred_at"] == "2025-03-02T10:00:00+02:00"


def test_what_a_member_may_not_see_is_not_delivered(
    api: Api, journeys: Journeys, school: str
) -> None:
    """The school's member is from the informal network: it sees the team, not disclosures
    without a consent naming it (the reads rule, docs/rules.md)."""
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-volunteer", "school-harbour", 2, member_type="third_sector")
    hidden = journeys.share("pupil-1", 3, category="health")
    items, _ = follow(api.client, school)
    assert hidden not in [i["event_id"] for i in items]
    assert [i["kind"] for i in items] == ["client_registered"] + ["team_member_added"] * 2


def test_reading_the_feed_writes_one_access_log_row_per_client_per_page(
    api: Api, journeys: Journeys, school: str
) -> None:
    for ref in ("pupil-1", "pupil-2"):
        journeys.register(ref)
        journeys.add(ref, "p-worker", "city-social", 1)
        journeys.add(ref, "p-teacher", "school-harbour", 2)
    journeys.register("other-1")
    with api.components.store.transaction() as tx:
        tx.execute("DELETE FROM {polku_access_log}")
    feed(api.client, school, limit=1000)
    with api.components.store.transaction(write=False) as tx:
        rows = tx.rows(
            "SELECT journey_id, party_id, organisation, endpoint FROM {polku_access_log}"
        )
    ids = api.components.service.journey_id
    assert sorted(rows) == sorted(
        (str(ids(ref)), SCHOOL[0], SCHOOL[1], "GET /v1/feed") for ref in ("pupil-1", "pupil-2")
    )


def test_bad_requests_are_refused_and_write_nothing(
    api: Api, journeys: Journeys, school: str
) -> None:
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-teacher", "school-harbour", 2)
    other = api.components.tokens.create(
        party_id=OTHER_SCHOOL[0], organisation=OTHER_SCHOOL[1], role=OTHER_SCHOOL[2]
    )
    theirs = feed(api.client, other)["next"]
    with api.components.store.transaction() as tx:
        tx.execute("DELETE FROM {polku_access_log}")
    bad = [
        ({"after": theirs}, school, 422),  # another organisation's cursor
        ({"after": "AAAA"}, school, 422),
        ({"after": "not a cursor!"}, school, 422),
        ({"limit": 0}, school, 422),
        ({"limit": 1001}, school, 422),
        ({"wait": 31}, school, 422),
        ({"wait": -1}, school, 422),
        ({}, api.tokens["planner"], 403),
        ({}, api.tokens["admin"], 403),
        ({}, "polku_nope_nope", 401),
    ]
    for params, token, status in bad:
        response = api.client.get(
            "/v1/feed", params=params, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == status, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    with api.components.store.transaction(write=False) as tx:
        assert tx.rows("SELECT COUNT(*) FROM {polku_access_log}")[0][0] == 0


def test_auditors_follow_every_journey(api: Api, journeys: Journeys) -> None:
    journeys.register("pupil-1")
    journeys.register("other-1")
    items, _ = follow(api.client, api.tokens["auditor"])
    assert [i["client_ref"] for i in items] == ["pupil-1", "other-1"]


def test_a_long_poll_answers_when_an_event_arrives(
    api: Api, journeys: Journeys, school: str
) -> None:
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-teacher", "school-harbour", 2)
    _, head = follow(api.client, school)
    started = time.monotonic()
    empty = feed(api.client, school, head, wait=0.5)
    assert empty["items"] == []
    assert empty["caught_up"] is True
    assert time.monotonic() - started >= 0.5

    def write_later() -> None:
        time.sleep(0.5)
        journeys.share("pupil-1", 3)

    writer = threading.Thread(target=write_later)
    writer.start()
    started = time.monotonic()
    page = feed(api.client, school, head, wait=20)
    writer.join()
    assert [i["kind"] for i in page["items"]] == ["information_shared"]
    assert time.monotonic() - started < 10


@pytest.fixture
def empty_settings(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A second, empty store on the same backend (with its own keyring)."""
    keys = tmp_path / "other"
    keys.mkdir()
    if settings.database_url.startswith("sqlite"):
        yield Settings(database_url=f"sqlite:///{keys / 'polku.db'}", _env_file=None)
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield settings.model_copy(
            update={"database_schema": schema, "keyring": keys / "polku.keyring.json"}
        )
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _world(settings: Settings, with_journey: bool) -> list[tuple[int, dict[str, str], Any]]:
    """What the other school's feed answers in a store where a journey it may not read exists
    (or not): every page it follows, long polls included."""
    components = build_components(settings)
    answers = []
    try:
        with TestClient(create_app(settings, components=components)) as client:
            api = Api(
                client,
                components,
                {
                    "worker": components.tokens.create(
                        party_id="p-worker", organisation="city-social", role="caseworker"
                    )
                },
            )
            attacker = components.tokens.create(
                party_id=OTHER_SCHOOL[0], organisation=OTHER_SCHOOL[1], role=OTHER_SCHOOL[2]
            )
            journeys = Journeys(api)
            journeys.register("mine")
            journeys.add("mine", "p-worker", "city-social", 1)
            journeys.add("mine", "p-teacher-north", "school-north", 2)
            if with_journey:
                journeys.register("pupil-1")
                journeys.add("pupil-1", "p-worker", "city-social", 1)
                journeys.add("pupil-1", "p-teacher", "school-harbour", 2)
                journeys.share("pupil-1", 3)
            after = None
            for params in ({"limit": 1}, {"limit": 1}, {"limit": 100}, {"wait": 0.2}):
                response = client.get(
                    "/v1/feed",
                    params={**params, **({"after": after} if after else {})},
                    headers={"Authorization": f"Bearer {attacker}"},
                )
                body = response.json()
                after = body["next"]
                body["next"] = len(body["next"])  # sealed with a fresh nonce each time
                for item in body["items"]:
                    item["cursor"] = len(item["cursor"])
                    # Ids and record times are the store's own in each world.
                    for key in ("event_id", "recorded_at"):
                        item.pop(key)
                headers = {
                    k: v for k, v in response.headers.items() if k not in {"x-request-id", "date"}
                }
                answers.append((response.status_code, headers, body))
    finally:
        components.close()
    return answers


def test_an_attacker_cannot_tell_a_journey_it_may_not_read_from_none(
    settings: Settings, empty_settings: Settings
) -> None:
    exists = _world(settings, with_journey=True)
    missing = _world(empty_settings, with_journey=False)
    assert exists == missing
    assert [len(body["items"]) for _, _, body in exists] == [1, 1, 1, 0]


def test_an_erased_clients_ref_is_not_handed_out_again(
    api: Api, journeys: Journeys, school: str
) -> None:
    journeys.register("010190-999Z")
    journeys.add("010190-999Z", "p-worker", "city-social", 1)
    journeys.add("010190-999Z", "p-teacher", "school-harbour", 2)
    before, after = follow(api.client, school)
    assert {i["client_ref"] for i in before} == {"010190-999Z"}
    erased = api.client.post(
        "/v1/journeys/010190-999Z/erasure",
        json={"reason": "client_request"},
        headers=api.headers("admin"),
    )
    assert erased.status_code in (200, 201), erased.text
    # A consumer following on gets the erasure; one starting afresh never sees the ref.
    [erasure], _ = follow(api.client, school, after)
    assert erasure["kind"] == "personal_data_erased"
    again, _ = follow(api.client, school)
    assert len(again) == len(before) + 1
    assert "010190-999Z" not in json.dumps(again)
    journey_id = api.components.service.journey_id("010190-999Z")
    assert {i["client_ref"] for i in again} == {f"erased-{journey_id}"}


def test_an_organisation_back_on_the_team_catches_up_on_what_it_may_see_again(
    api: Api, journeys: Journeys, school: str
) -> None:
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-teacher", "school-harbour", 2)
    journeys.remove("pupil-1", "p-teacher", 3)
    _, after = follow(api.client, school)
    while_away = journeys.share("pupil-1", 4)
    assert follow(api.client, school, after)[0] == []
    back = journeys.add("pupil-1", "p-teacher-2", "school-harbour", 5)
    items, _ = follow(api.client, school, after)
    assert [(i["event_id"], i["catch_up"]) for i in items] == [(while_away, True), (back, False)]


def test_a_consent_naming_the_organisation_delivers_what_it_now_sees(
    api: Api, journeys: Journeys, school: str
) -> None:
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-coach", "school-harbour", 2, member_type="third_sector")
    shared = journeys.share("pupil-1", 3, category="education")
    first, after = follow(api.client, school)
    assert shared not in [i["event_id"] for i in first]
    consent = {
        "occurred_at": at(4),
        "consent_id": "c-1",
        "recipient_orgs": ["school-harbour"],
        "categories": ["education"],
        "purposes": ["education_support"],
        "form": "written",
    }
    journeys.post("/v1/journeys/pupil-1/consents", consent)
    items, _ = follow(api.client, school, after)
    # The consent itself is the professionals' business; the disclosure it opens comes now.
    assert [(i["event_id"], i["catch_up"]) for i in items] == [(shared, True)]
