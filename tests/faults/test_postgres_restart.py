"""Restart PostgreSQL under load: requests fail with 503 (never 500) while it is down, and the
app recovers by itself once it is back."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from runtime.settings import Settings
from tests.faults.support import disclosure, free_port, seed_journey, serve


def restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    pg_ctlcluster = shutil.which("pg_ctlcluster")
    assert pg_ctlcluster is not None
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            pg_ctlcluster,
            "--skip-systemctl-redirect",
            version,
            "main",
            "restart",
            "--",
            "-m",
            "fast",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.postgres
def test_requests_get_503_during_a_restart_and_recover(postgres_settings: Settings) -> None:
    settings = postgres_settings
    if not Path("/etc/postgresql").is_dir():
        pytest.skip("no local PostgreSQL cluster to restart")
    token = seed_journey(settings, "pg-1")
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    server = serve(settings, port)
    base = f"http://127.0.0.1:{port}/v1/journeys/pg-1"
    statuses: Counter[int] = Counter()
    stop = threading.Event()

    def load(n: int) -> None:
        with httpx.Client(timeout=30) as client:
            i = 0
            while not stop.is_set():
                i += 1
                if i % 5 == 0:
                    body = disclosure(f"d-{n}-{i}")
                    response = client.post(base + "/disclosures", json=body, headers=headers)
                else:
                    response = client.get(base, headers=headers)
                statuses[response.status_code] += 1

    threads = [threading.Thread(target=load, args=(n,)) for n in range(3)]
    try:
        for t in threads:
            t.start()
        time.sleep(1.0)
        restart_postgres()
        time.sleep(3.0)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        print("statuses during the restart:", dict(statuses))
        assert set(statuses) <= {200, 201, 503}, statuses
        # Recovered without restarting the app: reads and writes succeed again.
        with httpx.Client(timeout=30) as client:
            deadline = time.monotonic() + 30
            while client.get(base, headers=headers).status_code != 200:
                assert time.monotonic() < deadline, "the app did not recover"
                time.sleep(0.5)
            body = disclosure("after")
            assert client.post(base + "/disclosures", json=body, headers=headers).status_code == 201
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
