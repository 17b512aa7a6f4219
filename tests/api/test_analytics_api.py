"""Planner analytics through the API and the CLI, on both backends, over a generated population."""

from __future__ import annotations

import json

import pytest

from api.bootstrap import build_service
from api.cli import main
from api.settings import Settings
from pathways.population import generate
from tests.api.conftest import Api


def test_planners_get_pseudonymous_suppressed_figures(api: Api, settings: Settings) -> None:
    generate(lambda clock: build_service(settings, clock=clock), 30, 11)
    response = api.client.get("/v1/analytics/transitions", headers=api.headers("planner"))
    assert response.status_code == 200
    cells = response.json()
    assert any(not c["suppressed"] and c["clients"] >= 5 for c in cells)
    assert all(c["clients"] is None for c in cells if c["suppressed"])
    variants = api.client.get("/v1/analytics/variants", headers=api.headers("planner")).json()
    assert variants[0]["clients"] >= 5
    text = json.dumps(cells) + json.dumps(variants)
    assert "gen-" not in text  # no client ref leaves the analytics
    for who in ("worker", "admin"):
        assert (
            api.client.get("/v1/analytics/transitions", headers=api.headers(who)).status_code == 403
        )
    assert (
        api.client.get("/v1/analytics/variants", headers=api.headers("auditor")).status_code == 200
    )


def test_the_analytics_commands(
    api: Api,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generate(lambda clock: build_service(settings, clock=clock), 20, 12)
    monkeypatch.setenv("POLKU_DATABASE_SCHEMA", settings.database_schema)
    url = ["--database-url", settings.database_url]
    assert main([*url, "analytics", "transitions"]) == 0
    out = capsys.readouterr().out
    assert "from sector" in out
    assert "suppressed" in out
    assert main([*url, "analytics", "variants"]) == 0
    assert "route" in capsys.readouterr().out
    assert main([*url, "projections", "rebuild", "planner"]) == 0
