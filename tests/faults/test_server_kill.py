"""Kill -9 the server under write load and restart it: every command that got a 2xx is stored,
none twice, and a client retrying with its idempotency key stores nothing more."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter

import httpx

from runtime.settings import Settings
from tests.faults.support import disclosure, free_port, seed_journey, serve


def test_a_killed_server_loses_nothing_it_acknowledged(settings: Settings) -> None:
    token = seed_journey(settings, "kill-1")
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
                sent[key] = disclosure(key)
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
