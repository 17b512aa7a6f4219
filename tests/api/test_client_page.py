"""The client's page (docs/client-page.md): the client and a guardian read their own journey and
log report, withdraw consents, register and lift denials and record their wishes, recorded as
``client`` / ``guardian-<n>``; every other route answers them as it answers a stranger, the same
whether or not the target exists (walked over the whole OpenAPI document)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import Response

from cli.main import main
from domain.events import Actor, ClientWishRecorded
from domain.personal import ERASED
from projections.client_view import wishes
from runtime.erasure import erase_client
from runtime.limits import SlidingWindowLimit
from tests.api.conftest import Api, T
from tests.api.test_uniform_answers import _bodies, _operations, _query, _same, _url

OWN = "client-1"
CHILD = "child-1"
OTHER = "client-2"
MISSING = "client-nobody"


def _now(hours: int = 1) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


@pytest.fixture
def family(api: Api, journey: str) -> Api:
    """client-1 (with a consent for rehab), child-1 whose guardian is g-parent, client-2 (with a
    consent), and tokens for the client of client-1, g-parent and another guardian."""
    worker = api.headers("worker")
    for ref, guardians in ((CHILD, ["g-parent", "g-second"]), (OTHER, [])):
        body = {
            "occurred_at": T.format(1),
            "client_ref": ref,
            "preferred_language": "sv",
            "guardians": guardians,
        }
        assert api.client.post("/v1/journeys", json=body, headers=worker).status_code == 202
        member = {
            "occurred_at": T.format(1),
            "party_id": "p-worker",
            "member_type": "professional",
            "role": "social_worker",
            "organisation": "city-social",
            "sector": "social_care",
            "display_name": "Sari",
        }
        added = api.client.post(f"/v1/journeys/{ref}/team-members", json=member, headers=worker)
        assert added.status_code == 201, added.text
    for ref in (OWN, CHILD, OTHER):
        consent = {
            "occurred_at": T.format(3),
            "consent_id": "c-1",
            "recipient_orgs": ["rehab"],
            "categories": ["health"],
            "purposes": ["rehabilitation"],
            "form": "written",
        }
        granted = api.client.post(f"/v1/journeys/{ref}/consents", json=consent, headers=worker)
        assert granted.status_code == 201, granted.text
    tokens = api.components.tokens
    api.tokens["client"] = tokens.create(party_id=OWN, organisation="citizen", role="client")
    api.tokens["guardian"] = tokens.create(
        party_id="g-parent", organisation="citizen", role="guardian"
    )
    api.tokens["stranger-guardian"] = tokens.create(
        party_id="g-nobody", organisation="citizen", role="guardian"
    )
    api.components.outside_writes = SlidingWindowLimit(
        10**9, timedelta(hours=1), api.components.clock
    )
    return api


def _log(api: Api) -> list[tuple[str, str, str, str]]:
    with api.components.store.transaction(write=False) as tx:
        rows = tx.rows("SELECT journey_id, party_id, role, endpoint FROM {polku_access_log}")
    return [(str(j), str(p), str(r), str(e)) for j, p, r, e in rows]


def test_the_client_reads_their_page_and_the_read_is_logged_without_their_id(
    family: Api,
) -> None:
    api = family
    before = len(_log(api))
    page = api.client.get(f"/v1/client/journeys/{OWN}", headers=api.headers("client"))
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["speaking_as"] == "client"
    assert body["preferred_language"] == "fi"
    assert {m["party_id"] for m in body["team"]} == {"p-worker", "p-coord"}
    assert [c["consent_id"] for c in body["consents"]] == ["c-1"]
    rows = _log(api)[before:]
    journey = str(api.components.service.journey_id(OWN))
    assert rows == [(journey, "client", "client", "GET /v1/client/journeys/{client_ref}")]
    assert all(OWN not in row[1] for row in _log(api))

    report = api.client.get(f"/v1/client/journeys/{OWN}/log-report", headers=api.headers("client"))
    assert report.status_code == 200, report.text
    readers = {(r["party_id"], r["role"]) for r in report.json()["reads"]}
    assert ("client", "client") in readers  # the page read just before


def test_the_client_withdraws_a_consent_and_the_case_worker_sees_it(family: Api) -> None:
    api = family
    url = f"/v1/journeys/{OWN}/consents/c-1/withdrawal"
    done = api.client.post(url, json={"occurred_at": _now()}, headers=api.headers("client"))
    assert done.status_code == 201, done.text
    page = api.client.get(f"/v1/client/journeys/{OWN}", headers=api.headers("client")).json()
    assert page["consents"] == []
    worker_view = api.client.get(f"/v1/journeys/{OWN}", headers=api.headers("worker")).json()
    assert worker_view["consents"] == []
    last = api.client.get(f"/v1/journeys/{OWN}/history", headers=api.headers("worker")).json()[-1]
    assert last["kind"] == "consent_withdrawn"
    assert last["recorded_by"] == {
        "party_id": "client",
        "organisation": "private",
        "role": "client",
    }


def test_the_client_registers_and_lifts_a_denial(family: Api) -> None:
    api = family
    client = api.headers("client")
    denial = {"occurred_at": _now(2), "denial_id": "d-own", "categories": ["income"]}
    made = api.client.post(f"/v1/journeys/{OWN}/denials", json=denial, headers=client)
    assert made.status_code == 201, made.text
    page = api.client.get(f"/v1/client/journeys/{OWN}", headers=client).json()
    assert [d["denial_id"] for d in page["denials"]] == ["d-own"]
    lifted = api.client.post(
        f"/v1/journeys/{OWN}/denials/d-own/lifting", json={"occurred_at": _now()}, headers=client
    )
    assert lifted.status_code == 201, lifted.text
    page = api.client.get(f"/v1/client/journeys/{OWN}", headers=client).json()
    assert page["denials"] == []


def test_wishes_are_the_clients_own_sealed_and_not_team_changes(family: Api) -> None:
    api = family
    client = api.headers("client")
    url = f"/v1/client/journeys/{OWN}/wishes"
    for body in (
        {"occurred_at": _now(3), "about_party": "p-coord", "wishes": ["want_on_team"]},
        {"occurred_at": _now(2), "about_party": "p-coord", "wishes": ["matters_to_me"]},
        {"occurred_at": _now(2), "about_name": "Grandma Aino", "wishes": ["want_on_team"]},
        {"occurred_at": _now(2), "about_party": "p-worker", "wishes": ["want_on_team"]},
        {"occurred_at": _now(1), "about_party": "p-worker", "wishes": []},
    ):
        answer = api.client.post(url, json=body, headers=client)
        assert answer.status_code == 201, answer.text
    page = api.client.get(f"/v1/client/journeys/{OWN}", headers=client).json()
    held = {(w["about_party"], w["about_name"], tuple(w["wishes"])) for w in page["wishes"]}
    assert held == {
        ("p-coord", None, ("matters_to_me",)),
        (None, "Grandma Aino", ("want_on_team",)),
    }
    assert {m["party_id"] for m in page["team"]} == {"p-worker", "p-coord"}  # no team change
    assert all(w["recorded_by"] == "client" for w in page["wishes"])
    # Sealed: the stored events hold neither whom a wish is about nor what it is.
    service = api.components.service
    stored = service.recorder.select_events(service.journey_id(OWN))
    raw = b"".join(s.state for s in stored)
    for plain in (b"Grandma Aino", b"want_on_team", b"matters_to_me"):
        assert plain not in raw
    assert b"client-1" not in raw


def test_bad_wishes_are_refused_and_nothing_is_written(family: Api) -> None:
    api = family
    url = f"/v1/client/journeys/{OWN}/wishes"
    version = api.components.service.get_version(OWN)
    for body in (
        {"occurred_at": _now(), "wishes": ["matters_to_me"]},  # about nobody
        {"occurred_at": _now(), "about_party": "p", "about_name": "n", "wishes": []},
        {"occurred_at": _now(), "about_party": "p-worker", "wishes": ["boss"]},
        {"occurred_at": "2099-01-01T00:00:00+00:00", "about_party": "p-worker", "wishes": []},
    ):
        answer = api.client.post(url, json=body, headers=api.headers("client"))
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    # A case worker on the team may not record the client's wishes.
    body = {"occurred_at": _now(), "about_party": "p-worker", "wishes": ["matters_to_me"]}
    assert api.client.post(url, json=body, headers=api.headers("worker")).status_code == 403
    assert api.components.service.get_version(OWN) == version


def test_the_client_may_not_change_the_team_or_grant_consents(family: Api) -> None:
    api = family
    version = api.components.service.get_version(OWN)
    for path, body in (
        ("/closure", {"occurred_at": _now()}),
        (
            "/consents",
            {
                "occurred_at": _now(),
                "consent_id": "c-new",
                "recipient_orgs": ["x"],
                "categories": ["health"],
                "purposes": ["rehabilitation"],
                "form": "written",
            },
        ),
        ("/team-members/p-worker/removal", {"occurred_at": _now()}),
    ):
        answer = api.client.post(
            f"/v1/journeys/{OWN}{path}", json=body, headers=api.headers("client")
        )
        assert answer.status_code == 403, (path, answer.text)
    assert api.components.service.get_version(OWN) == version


def test_a_guardian_speaks_for_the_child_whose_registration_names_them(family: Api) -> None:
    api = family
    guardian = api.headers("guardian")
    page = api.client.get(f"/v1/client/journeys/{CHILD}", headers=guardian)
    assert page.status_code == 200, page.text
    assert page.json()["speaking_as"] == "guardian-1"
    assert page.json()["preferred_language"] == "sv"
    withdrawn = api.client.post(
        f"/v1/journeys/{CHILD}/consents/c-1/withdrawal",
        json={"occurred_at": _now()},
        headers=guardian,
    )
    assert withdrawn.status_code == 201, withdrawn.text
    last = api.client.get(f"/v1/journeys/{CHILD}/history", headers=api.headers("worker")).json()
    assert last[-1]["recorded_by"]["party_id"] == "guardian-1"
    # Not the guardian of client-1; and a guardian named nowhere reaches nothing.
    for who, ref in (("guardian", OWN), ("stranger-guardian", CHILD), ("client", CHILD)):
        headers = api.headers(who, **{"X-Request-ID": "same"})
        a = api.client.get(f"/v1/client/journeys/{ref}", headers=headers)
        b = api.client.get(f"/v1/client/journeys/{MISSING}", headers=headers)
        assert a.status_code == 404
        _same(a, b, ref_a=ref, ref_b=MISSING)


OWN_ROUTES = {"/v1/client/journeys/{client_ref}", "/v1/client/journeys/{client_ref}/log-report"}
ANYONE = {"/v1/me", "/v1/vocabulary", "/v1/pathways", "/healthz", "/readyz"}
"""Routes that hold no client data (who the caller is, the vocabularies, the pathway
definitions, health) and answer any signed-in caller (or anyone)."""


def _call(api: Api, who: str, method: str, op: dict[str, Any], url: str, body: Any) -> Response:
    headers = api.headers(who, **{"X-Request-ID": "walk"})
    response: Response = api.client.request(
        method.upper(), url, params=_query(op), json=body, headers=headers
    )
    return response


@pytest.mark.parametrize("who", ["client", "guardian"])
def test_every_route_answers_the_client_as_a_stranger_beyond_their_own_journey(
    family: Api, who: str
) -> None:
    """Every operation of the OpenAPI document, called by the client or a guardian for a journey
    (household) they do not speak for and for one that does not exist: the same answer; and no
    route that names no journey hands them anything (403, 404 or 422)."""
    api = family
    household = api.client.post(
        "/v1/households",
        json={"occurred_at": T.format(4), "household_ref": "household-1"},
        headers=api.headers("worker"),
    )
    assert household.status_code == 202, household.text
    counter = itertools.count()
    ids = {
        "household_ref": "household-1",
        "subscription_id": "s-1",
        "event_id": "00000000-0000-4000-8000-000000000001",
    }
    missing_ids = ids | {"household_ref": "household-nobody"}
    called, statuses = 0, set()
    for method, path, op in _operations(api):
        if path in ANYONE:
            continue
        names_target = "{client_ref}" in path or "{household_ref}" in path
        bodies = _bodies(op, "{ref}") if "requestBody" in op else [None]
        for body in bodies:
            missing = f"nobody-{next(counter)}"
            a_body = _ref(body, OTHER)
            b_body = _ref(body, missing)
            a = _call(api, who, method, op, _fill(path, OTHER, ids), a_body)
            b = _call(api, who, method, op, _fill(path, missing, missing_ids), b_body)
            statuses.add(a.status_code)
            called += 1
            if path == "/v1/me/caseload":  # their own (empty) caseload: on no team
                assert a.json()["journeys"] == [], a.text
                continue
            assert a.status_code in (403, 404, 405, 422), (method, path, a.status_code, a.text)
            if names_target or (method == "post" and path in ("/v1/journeys", "/v1/households")):
                _same(a, b, ref_a=OTHER, ref_b=missing)
    assert called > 200
    assert {403, 404, 422}.issubset(statuses), statuses
    # Nothing was written to the other journeys, nor any new one made.
    assert api.components.service.get_version(MISSING) == 0


def _fill(path: str, ref: str, ids: dict[str, str]) -> str:
    url = path
    for name, value in ids.items():
        url = url.replace("{" + name + "}", value)
    return _url(url, ref, {})


def _ref(body: Any, ref: str) -> Any:
    if isinstance(body, dict) and body.get("client_ref") == "{ref}":
        return body | {"client_ref": ref}
    return body


def test_the_client_reaches_their_own_routes(family: Api) -> None:
    for path in OWN_ROUTES:
        url = path.replace("{client_ref}", OWN)
        assert family.client.get(url, headers=family.headers("client")).status_code == 200


def test_the_token_command_issues_client_and_guardian_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``polku tokens create`` binds a client token to the client ref and a guardian's to their
    party (what they then open: the tests above, with tokens made the same way)."""
    url = ["--database-url", f"sqlite:///{tmp_path / 'polku.db'}"]
    for role, party in (("client", OTHER), ("guardian", "g-second")):
        args = ["tokens", "create", "--party", party, "--org", "citizen", "--role", role]
        assert main([*url, *args]) == 0
        assert capsys.readouterr().out.startswith("polku_")
    assert main([*url, "tokens", "list"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert [OTHER, "citizen", "client"] in [row[1:4] for row in rows]
    assert ["g-second", "citizen", "guardian"] in [row[1:4] for row in rows]


def test_after_erasure_the_wishes_read_as_erased_and_the_client_token_opens_nothing(
    family: Api,
) -> None:
    api = family
    body = {"occurred_at": _now(), "about_name": "Grandma Aino", "wishes": ["want_on_team"]}
    made = api.client.post(
        f"/v1/client/journeys/{OWN}/wishes", json=body, headers=api.headers("client")
    )
    assert made.status_code == 201, made.text
    record = api.components.service.get_record(OWN)
    assert [w.about_name for w in wishes(record.events)] == ["Grandma Aino"]
    erase_client(api.components, OWN, "client_request", Actor("p-admin", "ops", "admin"))
    record = api.components.service.get_record(OWN)
    wish_events = [e for e in record.events if isinstance(e, ClientWishRecorded)]
    assert wish_events
    assert all(e.personal.get("about_name") == ERASED for e in wish_events)
    assert wishes(record.events) == ()
    # The stored ref now reads erased-<journey id>: the client token matches no journey.
    gone = api.client.get(f"/v1/client/journeys/{OWN}", headers=api.headers("client"))
    assert gone.status_code == 404


def test_no_team_member_retracts_what_the_client_recorded(family: Api) -> None:
    api = family
    url = f"/v1/journeys/{OWN}/consents/c-1/withdrawal"
    withdrawn = api.client.post(url, json={"occurred_at": _now()}, headers=api.headers("client"))
    assert withdrawn.status_code == 201, withdrawn.text
    event_id = withdrawn.json()["event_id"]
    version = api.components.service.get_version(OWN)
    retraction = {"occurred_at": _now(), "reason": "entered_in_error"}
    for who in ("worker", "coordinator"):
        answer = api.client.post(
            f"/v1/journeys/{OWN}/events/{event_id}/retraction",
            json=retraction,
            headers=api.headers(who),
        )
        assert answer.status_code == 403, answer.text
    assert api.components.service.get_version(OWN) == version
    # What a team member recorded they may still retract.
    denial = {"occurred_at": _now(2), "denial_id": "d-worker", "categories": ["income"]}
    made = api.client.post(
        f"/v1/journeys/{OWN}/denials", json=denial, headers=api.headers("worker")
    )
    assert made.status_code == 201, made.text
    answer = api.client.post(
        f"/v1/journeys/{OWN}/events/{made.json()['event_id']}/retraction",
        json=retraction,
        headers=api.headers("worker"),
    )
    assert answer.status_code == 201, answer.text
