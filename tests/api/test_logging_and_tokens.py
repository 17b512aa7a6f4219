"""One log line per request, without personal data; tokens stored only as hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from runtime.logging import configure_logging
from runtime.settings import Settings
from tests.api.conftest import Api, team_member

J = "/v1/journeys/client-1"


def test_each_request_logs_one_line_without_personal_data(
    api: Api, journey: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(Settings(log_format="json", log_level="info", _env_file=None))
    try:
        capsys.readouterr()
        api.client.post(
            J + "/team-members",
            json=team_member("p-name", 4) | {"note": "Secret note"},
            headers=api.headers("worker", **{"X-Request-ID": "req-123"}),
        )
        api.client.get(J, headers=api.headers("worker"))
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    finally:
        configure_logging(Settings(log_level="warning", _env_file=None))
    requests = [line for line in lines if line["event"] == "request"]
    assert len(requests) == 2
    first = requests[0]
    assert first["request_id"] == "req-123"
    assert first["route"] == "/v1/journeys/{client_ref}/team-members"
    assert (first["status"], first["actor"], first["role"]) == (201, "p-worker", "caseworker")
    assert isinstance(first["ms"], float)
    text = json.dumps(lines)
    for personal in ("client-1", "Name of p-name", "Secret note", api.tokens["worker"]):
        assert personal not in text


def test_tokens_are_stored_hashed(api: Api) -> None:
    token = api.tokens["worker"]
    with api.components.store.transaction() as tx:
        rows = tx.rows("SELECT * FROM {polku_api_tokens}")
    dump = repr(rows)
    assert token.split("_", 2)[2] not in dump
    assert token.split("_")[1] in dump  # the id is not secret


def test_the_token_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'polku.db'}"]
    assert (
        main([*url, "tokens", "create", "--party", "p1", "--org", "o1", "--role", "auditor"]) == 0
    )
    token = capsys.readouterr().out.strip()
    assert token.startswith("polku_")
    assert main([*url, "tokens", "list"]) == 0
    listing = capsys.readouterr().out
    assert "p1" in listing
    assert token.split("_", 2)[2] not in listing
    token_id = token.split("_")[1]
    assert main([*url, "tokens", "revoke", token_id]) == 0
    assert main([*url, "tokens", "revoke", token_id]) == 1
    with pytest.raises(SystemExit):
        main([*url, "tokens", "create", "--party", "p1", "--org", "o1", "--role", "emperor"])
