"""Webhooks on both backends: a real local HTTP receiver that is down for a while gets every event
once it is back (signatures verified), across a restart of the delivery worker; dead letters and
their redelivery; the worker inside the app; signing; subscriptions refused for bad input."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from runtime.settings import Settings
from runtime.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookWorker, sign, verify
from runtime.wiring import Components, build_components
from tests.api.conftest import CALLERS, Api
from tests.api.test_feed import Journeys
from tests.support import free_port


class Receiver:
    """A webhook receiver on a real local port: verifies each request's signature and keeps the
    items; can be down (not listening) or answer with an error."""

    def __init__(self, port: int, secret: str) -> None:
        self.port = port
        self.secret = secret
        self.items: list[dict[str, Any]] = []
        self.requests = 0
        self.rejected = 0
        self.status = 200
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/polku"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                ok = verify(
                    receiver.secret,
                    self.headers.get(TIMESTAMP_HEADER),
                    self.headers.get(SIGNATURE_HEADER),
                    body,
                )
                if not ok:
                    receiver.rejected += 1
                    self.send_response(401)
                elif receiver.status != 200:
                    self.send_response(receiver.status)
                else:
                    receiver.items += json.loads(body)["items"]
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def quiet_settings(settings: Settings) -> Settings:
    """The test's store, with no worker inside the app: the tests run their own."""
    return settings.model_copy(update={"webhook_worker": False})


@pytest.fixture
def hooks_api(quiet_settings: Settings) -> Iterator[Api]:
    components = build_components(quiet_settings)
    tokens = {
        who: components.tokens.create(party_id=party, organisation=org, role=role)
        for who, (party, org, role) in CALLERS.items()
    }
    with TestClient(create_app(quiet_settings, components=components)) as client:
        yield Api(client, components, tokens)
    components.close()


def school_journeys(api: Api) -> Journeys:
    journeys = Journeys(api)
    journeys.register("pupil-1")
    journeys.add("pupil-1", "p-worker", "city-social", 1)
    journeys.add("pupil-1", "p-teacher", "school-harbour", 2)
    journeys.register("other-1")  # never the school's
    journeys.add("other-1", "p-worker", "city-social", 1)
    return journeys


def fast(worker: WebhookWorker, attempts: int = 1000) -> WebhookWorker:
    worker.backoff, worker.max_backoff, worker.max_attempts = 0.05, 0.2, attempts
    return worker


def wait_for(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_receiver_down_for_a_while_gets_every_event_once_it_is_back(
    hooks_api: Api, quiet_settings: Settings
) -> None:
    journeys = school_journeys(hooks_api)
    components = hooks_api.components
    port = free_port()
    subscription, secret = components.webhooks.add(
        "school-harbour", f"http://127.0.0.1:{port}/hooks/polku", components.clock()
    )
    receiver = Receiver(port, secret)
    # The receiver is down: the worker tries, backs off, tries again...
    first = fast(WebhookWorker(components, batch=2, interval=0.05))
    first.start()
    wait_for(
        lambda: (
            (components.webhooks.get(subscription.subscription_id) or subscription).attempts >= 3
        )
    )
    # ... more is written meanwhile, and the worker's process stops (a restart).
    journeys.share("pupil-1", 3)
    journeys.remove("pupil-1", "p-teacher", 4)
    journeys.share("pupil-1", 5)  # after the school left: never delivered
    first.stop()
    assert receiver.requests == 0
    stored = components.webhooks.get(subscription.subscription_id)
    assert stored is not None
    assert stored.delivered == 0
    assert stored.last_error
    # The receiver comes back; a new worker on a new set of components takes over.
    receiver.up()
    restarted = build_components(quiet_settings)
    second = fast(WebhookWorker(restarted, batch=2, interval=0.05))
    second.start()
    try:
        expected = journeys.event_ids("pupil-1")[:-1]
        wait_for(lambda: {i["event_id"] for i in receiver.items} >= set(expected))
        time.sleep(0.5)  # anything more would come now
    finally:
        second.stop()
        restarted.close()
        receiver.down()
    got = [i["event_id"] for i in receiver.items]
    assert got == expected  # every event once, in feed order, nothing after the removal
    assert receiver.items[-1]["access"] == "ended"
    assert receiver.rejected == 0
    assert components.webhooks.dead_letters(subscription.subscription_id) == []
    done = components.webhooks.get(subscription.subscription_id)
    assert done is not None
    assert done.delivered == len(expected)
    assert done.attempts == 0
    # Each batch that reached the receiver is in the client's access log, as the webhook's read.
    with components.store.transaction(write=False) as tx:
        rows = tx.rows(
            "SELECT DISTINCT journey_id, party_id, organisation FROM {polku_access_log}"
            " WHERE endpoint = %s",
            (f"webhook {subscription.subscription_id}",),
        )
    pupil = str(components.service.journey_id("pupil-1"))
    assert rows == [(pupil, f"webhook-{subscription.subscription_id}", "school-harbour")]


def test_a_batch_that_keeps_failing_becomes_a_dead_letter_and_can_be_redelivered(
    hooks_api: Api,
) -> None:
    journeys = school_journeys(hooks_api)
    components = hooks_api.components
    port = free_port()
    subscription, secret = components.webhooks.add(
        "school-harbour", f"http://127.0.0.1:{port}/hooks", components.clock()
    )
    receiver = Receiver(port, secret)
    receiver.status = 500
    receiver.up()
    try:
        worker = fast(WebhookWorker(components, batch=100), attempts=3)
        wait_for(lambda: worker.run_once() == 0 and not _due(components))
        [letter] = components.webhooks.dead_letters(subscription.subscription_id)
        assert (letter.items, letter.attempts, letter.last_error) == (3, 3, "HTTP 500")
        assert receiver.requests == 3
        assert receiver.items == []
        # Delivery went on past it: a new event is delivered on its own.
        receiver.status = 200
        journeys.share("pupil-1", 3)
        worker.run_once()
        assert [i["kind"] for i in receiver.items] == ["information_shared"]
        # The admin has the dead letter sent again.
        [(again, ok)] = worker.redeliver(subscription.subscription_id)
        assert ok
        assert again.dead_letter_id == letter.dead_letter_id
        assert [i["event_id"] for i in receiver.items] == journeys.event_ids("pupil-1")[-1:] + (
            journeys.event_ids("pupil-1")[:3]
        )
        [done] = components.webhooks.dead_letters(subscription.subscription_id)
        assert done.redelivered_at is not None
        assert worker.redeliver(subscription.subscription_id) == []
    finally:
        receiver.down()


def _due(components: Components) -> bool:
    return any(s.attempts for s in components.webhooks.all())


def test_the_app_delivers_webhooks_in_the_background(settings: Settings) -> None:
    components = build_components(settings)
    port = free_port()
    _subscription, secret = components.webhooks.add(
        "school-harbour", f"http://127.0.0.1:{port}/", components.clock()
    )
    receiver = Receiver(port, secret)
    receiver.up()
    try:
        with TestClient(create_app(settings, components=components)) as client:
            token = components.tokens.create(
                party_id="p-worker", organisation="city-social", role="caseworker"
            )
            api = Api(client, components, {"worker": token})
            school_journeys(api)
            wait_for(lambda: len(receiver.items) == 3)
    finally:
        receiver.down()
        components.close()
    assert [i["kind"] for i in receiver.items] == ["client_registered"] + ["team_member_added"] * 2


def test_signatures() -> None:
    body = b'{"items":[]}'
    now = 1_800_000_000
    header = sign("whsec_x", now, body)
    assert verify("whsec_x", str(now), header, body, now=now + 10)
    assert not verify("whsec_x", str(now), header, body + b" ", now=now)  # tampered body
    assert not verify("whsec_y", str(now), header, body, now=now)  # another secret
    assert not verify("whsec_x", str(now), header, body, now=now + 301)  # replayed later
    assert not verify("whsec_x", str(now + 1), header, body, now=now)  # another timestamp
    assert not verify("whsec_x", None, header, body, now=now)
    assert not verify("whsec_x", "-5", header, body, now=now)


def test_subscriptions_refuse_bad_input_and_keep_the_secret_sealed(hooks_api: Api) -> None:
    webhooks = hooks_api.components.webhooks
    now = hooks_api.components.clock()
    for org, url in [
        ("school", "ftp://example.org/"),
        ("school", "http:///nohost"),
        ("school", "https://user:pw@example.org/"),
        ("school", "https://example.org/a b"),
        ("", "https://example.org/"),
        ("school\n", "https://example.org/"),
    ]:
        with pytest.raises(ValueError, match=r"\w"):
            webhooks.add(org, url, now)
    assert webhooks.all() == []
    subscription, secret = webhooks.add("school", "https://example.org/hook", now)
    with hooks_api.components.store.transaction(write=False) as tx:
        stored = tx.rows("SELECT secret FROM {polku_webhooks}")[0][0]
    assert secret not in str(stored)
    assert secret.removeprefix("whsec_") not in str(stored)
    assert webhooks.secret(subscription.subscription_id) == secret


def test_admins_manage_subscriptions_over_the_api(hooks_api: Api) -> None:
    client, admin = hooks_api.client, hooks_api.headers("admin")
    body = {"organisation": "school-harbour", "url": "https://sis.example/polku"}
    for who in ("worker", "auditor", "planner"):
        refused = client.post("/v1/webhooks", json=body, headers=hooks_api.headers(who))
        assert refused.status_code == 403
        assert client.get("/v1/webhooks", headers=hooks_api.headers(who)).status_code == 403
    for bad in (
        {**body, "url": "javascript:alert(1)"},
        {**body, "url": "https://user:pw@sis.example/"},
        {**body, "organisation": ""},
        {**body, "organisation": "a\nb"},
        {**body, "extra": 1},
        {"url": body["url"]},
    ):
        response = client.post("/v1/webhooks", json=bad, headers=admin)
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/webhooks", headers=admin).json() == []  # nothing written
    created = client.post("/v1/webhooks", json=body, headers=admin)
    assert created.status_code == 201
    subscription, secret = created.json()["subscription_id"], created.json()["secret"]
    assert hooks_api.components.webhooks.secret(subscription) == secret
    listing = client.get("/v1/webhooks", headers=admin)
    assert secret not in listing.text
    assert [(s["subscription_id"], s["dead_letters"]) for s in listing.json()] == [
        (subscription, 0)
    ]
    dead = client.get(f"/v1/webhooks/{subscription}/dead-letters", headers=admin)
    assert dead.json() == []
    missing = "wh-0000000000000000"
    assert client.get(f"/v1/webhooks/{missing}/dead-letters", headers=admin).status_code == 404
    assert client.delete(f"/v1/webhooks/{subscription}", headers=admin).status_code == 204
    assert client.delete(f"/v1/webhooks/{subscription}", headers=admin).status_code == 404
    [stopped] = client.get("/v1/webhooks", headers=admin).json()
    assert stopped["removed_at"] is not None


def test_two_workers_at_once_deliver_each_batch_once_in_order(hooks_api: Api) -> None:
    journeys = school_journeys(hooks_api)
    for day in (3, 4, 5, 6):
        journeys.share("pupil-1", day)
    components = hooks_api.components
    port = free_port()
    subscription, secret = components.webhooks.add(
        "school-harbour", f"http://127.0.0.1:{port}/", components.clock()
    )
    receiver = Receiver(port, secret)
    receiver.up()
    workers = [fast(WebhookWorker(components, batch=1, interval=0.01)) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        expected = journeys.event_ids("pupil-1")
        wait_for(lambda: len(receiver.items) >= len(expected))
        time.sleep(0.3)
    finally:
        for worker in workers:
            worker.stop()
        receiver.down()
    assert [i["event_id"] for i in receiver.items] == expected
    done = components.webhooks.get(subscription.subscription_id)
    assert done is not None
    assert done.delivered == len(expected)
