"""Kill -9 the server under write load and restart it: every command that got a 2xx is stored,
none twice, and a client retrying with its idempotency key stores nothing more."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from api.app import build_components
from api.settings import Settings
from domain import commands as c
from domain.application import CommandContext
from domain.events import Actor

WORKER = Actor("p-w", "org", "caseworker")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        POLKU_DATABASE_URL=settings.database_url,
        POLKU_DATABASE_SCHEMA=settings.database_schema,
        POLKU_LOG_LEVEL="warning",
    )
    polku = Path(sys.executable).with_name("polku")
    server = subprocess.Popen(  # noqa: S603 - our own entry point
        [str(polku), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError("server did not start")


def body(key: str) -> dict[str, object]:
    return {
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "disclosure_id": key,
        "from_org": "org",
        "to_org": "other",
        "categories": ["health"],
        "purpose": "care_coordination",
        "basis": "client_self",
    }


def test_a_killed_server_loses_nothing_it_acknowledged(settings: Settings) -> None:
    components = build_components(settings)
    ctx = CommandContext(actor=WORKER)
    start = datetime.now(UTC) - timedelta(days=1)
    components.service.register_client(
        c.RegisterClient(occurred_at=start, client_ref="kill-1", preferred_language="fi"), ctx
    )
    components.service.add_team_member(
        "kill-1",
        c.AddTeamMember(
            occurred_at=start,
            party_id="p-w",
            member_type="professional",
            role="nurse",
            organisation="org",
            sector="health_care",
        ),
        ctx,
    )
    token = components.tokens.create(party_id="p-w", organisation="org", role="caseworker")
    components.close()
    headers = {"Authorization": f"Bearer {token}"}

    port = free_port()
    server = serve(settings, port)
    url = f"http://127.0.0.1:{port}/v1/journeys/kill-1/disclosures"
    acknowledged: list[str] = []
    attempted: list[str] = []
    sent: dict[str, dict[str, object]] = {}
    stop = threading.Event()

    def writer(n: int) -> None:
        with httpx.Client(timeout=5) as client:
            for i in range(10_000):
                if stop.is_set():
                    return
                key = f"k-{n}-{i}"
                sent[key] = body(key)
                attempted.append(key)
                try:
                    response = client.post(
                        url, json=sent[key], headers=headers | {"Idempotency-Key": key}
                    )
                except httpx.HTTPError:
                    return
                if response.status_code == 201:
                    acknowledged.append(key)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) > 10

    server = serve(settings, port)
    try:
        with httpx.Client(timeout=10) as client:
            for key in attempted:  # a client retries whatever it sent, with the same key
                retry = client.post(url, json=sent[key], headers=headers | {"Idempotency-Key": key})
                assert retry.status_code == 201, retry.text
            history = client.get(
                f"http://127.0.0.1:{port}/v1/journeys/kill-1/history", headers=headers
            )
        counts = Counter(
            e["facts"]["disclosure_id"] for e in history.json() if e["kind"] == "information_shared"
        )
        assert all(counts[key] == 1 for key in acknowledged)  # nothing acknowledged was lost
        assert set(counts) == set(attempted)
        assert max(counts.values()) == 1  # and nothing is stored twice
    finally:
        server.terminate()
        server.wait(timeout=30)
