"""`polku serve --demo` (what `make run` runs): demo data (the demo household too), a synthetic
population for the planner dashboard, printed tokens, a working API and the web pages."""

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
        family = next(
            line.split()[2]
            for line in printed.splitlines()
            if line.strip().startswith("household coordinator")
        )
        household = f"http://127.0.0.1:{port}/v1/households/demo-household-001"
        seen = httpx.get(household, headers={"Authorization": f"Bearer {family}"})
        assert seen.status_code == 200
        assert len(seen.json()["members"]) == 3
        assert seen.json()["coordinator"]["party_id"] == "p-family-coord-01"
        assert httpx.get(household, headers=headers).status_code == 404  # on no member's team
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
