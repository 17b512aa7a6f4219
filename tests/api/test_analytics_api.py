"""Planner analytics through the API and the CLI, on both backends, over a generated population."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cli.main import main
from demo.population import generate
from runtime.settings import Settings
from runtime.wiring import build_service
from tests.api.conftest import Api
from tests.support import settle

ENDPOINTS = (
    "transitions",
    "variants",
    "dfg",
    "waiting-times",
    "ping-pong",
    "coordinator-gaps",
    "silent-transitions",
    "conformance",
)


def _assert_suppressed_cells_carry_no_figures(value: object) -> None:
    """Wherever ``suppressed`` is true, every figure beside it is null (never zero)."""
    if isinstance(value, list):
        for item in value:
            _assert_suppressed_cells_carry_no_figures(item)
    elif isinstance(value, dict):
        if value.get("suppressed"):
            figures = {k: v for k, v in value.items() if k not in {"suppressed", "gaps"}}
            assert all(v is None or isinstance(v, str) for v in figures.values()), value
        for item in value.values():
            _assert_suppressed_cells_carry_no_figures(item)


CLIENTS = 120


def test_planners_get_pseudonymous_suppressed_figures(api: Api, settings: Settings) -> None:
    # Enough clients that the cells asserted on stay well above the threshold whatever the
    # noise (a random keyring per test draws different noise each run).
    generate(lambda clock: build_service(settings, clock=clock), CLIENTS, 11)
    settle(api.components)
    refs = [f"gen-11-{n:06d}" for n in range(CLIENTS)]
    seen = {}
    for name in ENDPOINTS:
        response = api.client.get(f"/v1/analytics/{name}", headers=api.headers("planner"))
        assert response.status_code == 200, name
        seen[name] = response.json()
        _assert_suppressed_cells_carry_no_figures(seen[name])
    text = json.dumps(seen)
    assert "gen-" not in text  # no client ref leaves the analytics
    journey_ids = {str(api.components.service.get_record(ref).journey_id) for ref in refs[:5]}
    assert not any(j in text for j in journey_ids)
    assert any(not c["suppressed"] and c["clients"] >= 5 for c in seen["transitions"])
    assert seen["variants"][0]["clients"] >= 5
    assert any(not e["suppressed"] and e["median_seconds"] > 0 for e in seen["dfg"])
    assert any(
        not w["suppressed"] and w["p90_days"] >= w["median_days"] for w in seen["waiting-times"]
    )
    assert abs(seen["coordinator-gaps"]["clients"] - CLIENTS) <= 4  # perturbed by up to ±4
    assert 0 < seen["coordinator-gaps"]["share_without"] < 1
    assert seen["coordinator-gaps"]["journey_days"] is None  # sums of days: exact figures only
    exact = api.client.get("/v1/analytics/coordinator-gaps", headers=api.headers("auditor"))
    assert exact.json()["clients"] == CLIENTS
    assert exact.headers["Polku-Disclosure-Control"] == "exact"
    assert {r["pathway"] for r in seen["conformance"]} >= {"daycare-to-school"}
    assert any(r["transitions"] for r in seen["silent-transitions"] if not r["suppressed"])
    for who in ("worker", "admin"):
        for name in ENDPOINTS:
            status = api.client.get(f"/v1/analytics/{name}", headers=api.headers(who)).status_code
            assert status == 403
    assert api.client.get("/v1/analytics/dfg", headers=api.headers("auditor")).status_code == 200


def test_a_period_limits_the_figures(api: Api, settings: Settings) -> None:
    generate(lambda clock: build_service(settings, clock=clock), 20, 13)
    settle(api.components)
    for who in ("planner", "auditor"):
        headers = api.headers(who)
        everything = api.client.get("/v1/analytics/dfg", headers=headers).json()
        long_ago = {"from": "2001-01-01T00:00:00Z", "to": "2001-02-01T00:00:00Z"}
        before = api.client.get("/v1/analytics/dfg", params=long_ago, headers=headers)
        assert everything
        assert before.json() == []
        bad = api.client.get("/v1/analytics/dfg", params={"from": "yesterday"}, headers=headers)
        assert bad.status_code == 422
        for name in ENDPOINTS:  # a period that starts after it ends is a mistake, not []
            backwards = {"from": "2024-06-01T00:00:00Z", "to": "2024-05-01T00:00:00Z"}
            answer = api.client.get(f"/v1/analytics/{name}", params=backwards, headers=headers)
            assert answer.status_code == 422, name
            assert "starts after it ends" in answer.json()["detail"]
    quarter = api.client.get(
        "/v1/analytics/dfg",
        params={"from": "2001-01-05T10:00:00Z", "to": "2001-02-01T00:00:00Z"},
        headers=api.headers("planner"),
    )
    assert quarter.headers["Polku-Release"] == "2001-Q1"
    assert quarter.headers["Polku-Period-From"] == "2001-01-01T00:00:00+00:00"
    assert quarter.headers["Polku-Period-To"] == "2001-04-01T00:00:00+00:00"


def test_the_event_log_exports_through_the_api(
    api: Api, settings: Settings, tmp_path: Path
) -> None:
    generate(lambda clock: build_service(settings, clock=clock), 10, 14)
    settle(api.components)
    headers = api.headers("auditor")  # the event log is person-level data: auditors only
    xes = api.client.get("/v1/analytics/export/xes", headers=headers)
    assert xes.status_code == 200
    assert xes.headers["content-type"].startswith("application/xml")
    assert xes.text.count("<trace>") == 10
    ocel = api.client.get("/v1/analytics/export/ocel", headers=headers)
    assert ocel.headers["content-type"].startswith("application/json")
    document = ocel.json()
    assert {t["name"] for t in document["objectTypes"]} == {
        "client",
        "party",
        "organisation",
        "consent",
    }
    assert sum(o["type"] == "client" for o in document["objects"]) == 10
    database = api.client.get("/v1/analytics/export/ocel?format=sqlite", headers=headers)
    assert database.headers["content-type"] == "application/vnd.sqlite3"
    (tmp_path / "o.sqlite").write_bytes(database.content)
    with sqlite3.connect(tmp_path / "o.sqlite") as conn:
        events = conn.execute("SELECT COUNT(*) FROM event").fetchone()[0]
    assert events == len(document["events"])
    for text in (xes.text, ocel.text):
        assert "gen-14-" not in text
    for who in ("worker", "planner", "admin"):
        for path in ("xes", "ocel", "ocel?format=sqlite"):
            answer = api.client.get(f"/v1/analytics/export/{path}", headers=api.headers(who))
            assert answer.status_code == 403, (who, path)


def test_the_analytics_and_export_commands(
    api: Api,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    generate(lambda clock: build_service(settings, clock=clock), 20, 12)
    settle(api.components)
    monkeypatch.setenv("POLKU_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("POLKU_KEYRING", str(settings.keyring_path().resolve()))
    url = ["--database-url", settings.database_url]
    headings = {
        "transitions": "from sector",
        "variants": "route",
        "dfg": "directly followed by",
        "waiting-times": "sector referred to",
        "ping-pong": "from and back to",
        "coordinator-gaps": "journey-days without a coordinator",
        "silent-transitions": "nothing shared",
        "conformance": "conforming",
    }
    for name, heading in headings.items():
        assert main([*url, "analytics", name]) == 0
        out = capsys.readouterr().out
        assert heading in out, name
        assert "gen-12-" not in out
    assert main([*url, "projections", "rebuild", "planner"]) == 0
    rebuilt = capsys.readouterr().err
    assert "planner: " in rebuilt
    assert "planner image: " in rebuilt  # the rebuild deleted the image: a new one is written
    assert main([*url, "projections", "image"]) == 0
    assert "planner image: " in capsys.readouterr().err
    for args, name in (
        (["xes"], "log.xes"),
        (["ocel", "--format", "json"], "log.json"),
        (["ocel", "--format", "sqlite"], "log.sqlite"),
    ):
        target = tmp_path / name
        assert main([*url, "export", *args, "--output", str(target)]) == 0
        assert target.stat().st_size > 0
        assert not (tmp_path / f"{name}.partial").exists()
    assert main([*url, "export", "ocel", "--format", "sqlite"]) == 2
    assert "--output is required" in capsys.readouterr().err
