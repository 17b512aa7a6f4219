"""The web session cookie after sign-in through a provider, on both backends: reads with the
cookie alone, writes only with the session's CSRF token (nothing written otherwise), expiry,
sign-out deleting the session, and the sign-in steps refusing what they did not start."""

from __future__ import annotations

from datetime import timedelta

from domain.events import Actor
from tests.api.conftest import Api, T

WORKER = Actor("p-worker", "city-social", "caseworker")
REGISTRATION = {"occurred_at": T.format(1), "client_ref": "client-7", "preferred_language": "fi"}


def test_the_cookie_reads_and_writes_only_with_its_csrf_token(api: Api) -> None:
    session = api.components.sessions.create(WORKER, timedelta(minutes=5))
    client = api.client
    client.cookies.set("polku_session", session.session_id)
    assert client.get("/v1/me").json()["party_id"] == "p-worker"

    for headers in ({}, {"X-CSRF-Token": "not-the-token"}):
        refused = client.post("/v1/journeys", json=REGISTRATION, headers=headers)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert "X-CSRF-Token" in refused.json()["detail"]
    assert api.components.service.get_version("client-7") == 0  # nothing written
    accepted = client.post(
        "/v1/journeys", json=REGISTRATION, headers={"X-CSRF-Token": session.csrf_token}
    )
    assert accepted.status_code == 202

    client.cookies.set("polku_session", "made-up")
    assert client.get("/v1/me").status_code == 401


def test_an_expired_session_is_refused(api: Api) -> None:
    session = api.components.sessions.create(WORKER, timedelta(seconds=-1))
    api.client.cookies.set("polku_session", session.session_id)
    assert api.client.get("/v1/me").status_code == 401


def test_signing_out_deletes_the_session(api: Api) -> None:
    session = api.components.sessions.create(WORKER, timedelta(minutes=5))
    client = api.client
    client.cookies.set("polku_session", session.session_id)
    assert client.post("/auth/logout").status_code == 403  # no CSRF token: still signed in
    assert client.get("/v1/me").status_code == 200
    done = client.post("/auth/logout", headers={"X-CSRF-Token": session.csrf_token})
    assert done.status_code == 200
    assert done.json() == {"next": "/signin?reason=signed-out"}  # no provider configured
    client.cookies.set("polku_session", session.session_id)
    assert client.get("/v1/me").status_code == 401
    assert api.components.sessions.find(session.session_id) is None


def test_without_a_provider_the_sign_in_steps_are_not_there(api: Api) -> None:
    assert api.client.get("/auth/providers").json() == {"oidc": False}
    for path in ("/auth/login", "/auth/callback?code=c&state=s"):
        answer = api.client.get(path, follow_redirects=False)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"


def test_a_sign_in_state_is_used_once_and_only_in_time(api: Api) -> None:
    sessions = api.components.sessions
    sessions.begin_login("state-1", "nonce-1", "verifier-1", "/journey?ref=x")
    found = sessions.take_login("state-1")
    assert found is not None
    assert (found.nonce, found.code_verifier, found.next_path) == (
        "nonce-1",
        "verifier-1",
        "/journey?ref=x",
    )
    assert sessions.take_login("state-1") is None
    assert sessions.take_login("never-started") is None
