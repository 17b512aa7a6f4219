"""`polku serve --demo` (what `make run` runs): demo data, a synthetic population for the
planner dashboard, printed tokens, a working API and the web pages."""

from __future__ import annotations

from pathlib import Path

import httpx

from runtime.settings import Settings
from tests.support import free_port, start_polku_serve


def test_serve_demo_prints_tokens_that_work(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    out = (tmp_path / "out.txt").open("w+")
    server = start_polku_serve(settings, port, "--demo", stdout=out, cwd=tmp_path)
    try:
        out.seek(0)
        printed = out.read()
        tokens = {
            line.split()[0]: line.split()[-1]
            for line in printed.splitlines()
            if "polku_" in line and not line.startswith("Try")
        }
        worker = next(
            line.split()[2]
            for line in printed.splitlines()
            if line.strip().startswith("case worker")
        )
        headers = {"Authorization": f"Bearer {worker}"}
        child = httpx.get(f"http://127.0.0.1:{port}/v1/journeys/demo-child-001", headers=headers)
        assert child.status_code == 200
        assert child.json()["coordinator"]["party_id"] == "p-integration-01"
        elder = httpx.get(f"http://127.0.0.1:{port}/v1/journeys/demo-elder-003", headers=headers)
        assert elder.status_code == 404  # not on that team
        assert "admin" in tokens
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        cells = httpx.get(
            f"http://127.0.0.1:{port}/v1/analytics/transitions",
            headers={"Authorization": f"Bearer {tokens['planner']}"},
        ).json()
        assert [c for c in cells if not c["suppressed"]]  # the dashboard has figures to show
        page = httpx.get(f"http://127.0.0.1:{port}/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
    finally:
        server.terminate()
        server.wait(timeout=30)
        out.close()
