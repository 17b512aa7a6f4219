"""Crypto-shredding on both backends: after erasure the journey still folds, its personal
fields read "erased", the erasure is recorded, and the bytes are gone from the database."""

from __future__ import annotations

import base64
import dataclasses
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from runtime.settings import Settings
from tests.api.conftest import Api, T, team_member

J = "/v1/journeys/client-1"
NAME = "Matti Meikäläinen-Erasable"
NOTE = "Fragile-note-about-health-4711"
GOAL = "Goal-text-that-must-vanish-0815"


def personal_journey(api: Api) -> None:
    h = api.headers("worker")
    body = {
        "occurred_at": T.format(1),
        "client_ref": "client-1",
        "preferred_language": "fi",
        "name": NAME,
        "contact": "matti@example.invalid",
    }
    assert api.client.post("/v1/journeys", json=body, headers=h).status_code == 202
    member = team_member("p-worker", 1) | {"note": NOTE}
    assert api.client.post(J + "/team-members", json=member, headers=h).status_code == 201
    plan = {"occurred_at": T.format(2), "goals": [GOAL], "responsible_parties": ["p-worker"]}
    assert api.client.post(J + "/plan", json=plan, headers=h).status_code == 201
    share = {
        "occurred_at": T.format(3),
        "disclosure_id": "d1",
        "from_org": "city-social",
        "to_org": "clinic",
        "categories": ["health"],
        "purpose": "care_coordination",
        "basis": "none",
    }
    assert api.client.post(J + "/disclosures", json=share, headers=h).status_code == 201
    api.client.get(J, headers=api.headers("worker", **{"X-Purpose": "call with Matti Erasable"}))


def stored_bytes(api: Api, settings: Settings) -> bytes:
    """Everything the database holds, as bytes: the SQLite file (after a checkpoint) or a
    pg_dump of the test's schema."""
    api.components.store.compact_after_delete("polku_client_keys")
    if settings.database_url.startswith("sqlite"):
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    dump = subprocess.run(  # noqa: S603 - fixed arguments
        ["pg_dump", "--dbname", settings.database_url, "--schema", settings.database_schema],  # noqa: S607
        capture_output=True,
        check=True,
    )
    return dump.stdout


def key_b64(api: Api) -> str:
    with api.components.store.transaction(write=False) as tx:
        rows = tx.rows("SELECT key_b64 FROM {polku_client_keys}")
    assert len(rows) == 1
    return str(rows[0][0])


def test_erasure_shreds_personal_data_and_keeps_the_journey(api: Api, settings: Settings) -> None:
    personal_journey(api)
    h = api.headers("worker")
    before = api.client.get(J, headers=h).json()
    assert before["team"][0]["display_name"] is None or before["plan"]["goals"] == [GOAL]
    key = key_b64(api)
    raw = base64.b64decode(key)
    ledger_before = api.components.ledger.entries()
    assert NAME.encode() not in stored_bytes(api, settings)  # sealed even before erasure

    assert (
        api.client.post(J + "/erasure", json={"reason": "client_request"}, headers=h).status_code
        == 403
    )
    erased = api.client.post(
        J + "/erasure", json={"reason": "client_request"}, headers=api.headers("admin")
    )
    assert erased.status_code == 201, erased.text
    assert erased.json()["access_log_purposes_cleared"] == 1

    after = api.client.get(J, headers=h).json()
    assert after["plan"]["goals"] == ["erased"]
    assert [m["party_id"] for m in after["team"]] == [m["party_id"] for m in before["team"]]
    history = api.client.get(J + "/history", headers=h).json()
    last = history[-1]
    assert last["kind"] == "personal_data_erased"
    assert last["facts"]["reason"] == "client_request"
    assert last["recorded_by"]["role"] == "admin"
    # The ledger keeps every entry and verdict; only the client's ref gives way to a pseudonym.
    erased_as = f"erased-{api.components.service.journey_id('client-1')}"
    assert api.components.ledger.entries() == [
        dataclasses.replace(e, client_ref=erased_as) for e in ledger_before
    ]

    again = api.client.post(
        J + "/erasure", json={"reason": "client_request"}, headers=api.headers("admin")
    )
    assert again.json()["already_erased"] is True
    undo = api.client.post(
        f"{J}/events/{last['event_id']}/retraction",
        json={"occurred_at": T.format(5), "reason": "other"},
        headers=h,
    )
    assert undo.status_code == 422  # an erasure cannot be retracted
    assert undo.json()["rule"] == "retraction-target"

    dump = stored_bytes(api, settings)
    for secret in (NAME.encode(), NOTE.encode(), GOAL.encode(), key.encode(), raw):
        assert secret not in dump


def test_a_fresh_process_reads_erased_fields(api: Api, settings: Settings) -> None:
    from runtime.wiring import build_components

    personal_journey(api)
    api.client.post(J + "/erasure", json={"reason": "client_request"}, headers=api.headers("admin"))
    fresh = build_components(settings)
    try:
        events = fresh.service.get_record("client-1").events
        personal: list[Any] = [e.personal for e in events if e.personal]
        assert personal
        assert all(set(p.values()) == {"erased"} for p in personal)
    finally:
        fresh.close()


def test_erase_and_retention_commands(
    api: Api,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    personal_journey(api)
    h = api.headers("worker")
    assert (
        api.client.post(J + "/closure", json={"occurred_at": T.format(4)}, headers=h).status_code
        == 201
    )
    monkeypatch.setenv("POLKU_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("POLKU_KEYRING", str(settings.keyring_path().resolve()))
    url = ["--database-url", settings.database_url]
    erase = [*url, "erase", "client-1", "--reason", "client_request"]
    assert main([*erase, "--token", api.tokens["admin"]]) == 2  # never a token in argv
    assert "--token is refused" in capsys.readouterr().err
    monkeypatch.setenv("POLKU_TOKEN", api.tokens["worker"])
    assert main(erase) == 2  # not an admin's
    monkeypatch.setenv("POLKU_TOKEN", api.tokens["admin"])
    years = datetime.now(UTC).year - 2025 + 1  # closed in March 2025: not yet that long ago
    assert main([*url, "retention", "--years", str(years), "--dry-run"]) == 0
    assert "0 journeys would be erased" in capsys.readouterr().out
    assert main([*url, "retention", "--years", "1", "--dry-run"]) == 0
    assert "client-1" in capsys.readouterr().out
    assert api.client.get(J, headers=h).json()["plan"]["goals"] == [
        GOAL
    ]  # a dry run erases nothing
    assert main([*url, "retention", "--years", "1"]) == 0
    assert "client-1: erased" in capsys.readouterr().out
    assert api.client.get(J, headers=h).json()["plan"]["goals"] == ["erased"]
    assert main(erase) == 0
    assert "already erased" in capsys.readouterr().out
    os.environ.pop("POLKU_TOKEN", None)
