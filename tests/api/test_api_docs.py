"""The API docs: every operation described in plain words with an example body; served from the
package with the same security headers as everything else; off in production unless asked for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.guards import SECURITY_HEADERS
from runtime.settings import Settings
from tests.api.conftest import Api

_HEADER_NAMES = [name.decode() for name, _ in SECURITY_HEADERS]


def _operations(api: Api) -> Iterator[tuple[str, str, dict[str, Any]]]:
    paths: dict[str, dict[str, Any]] = api.client.get("/openapi.json").json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            yield method, path, operation


def test_every_operation_has_a_summary_a_description_and_an_example_body(api: Api) -> None:
    lacking = []
    for method, path, operation in _operations(api):
        for part in ("summary", "description"):
            if len(operation.get(part, "")) < 10:
                lacking.append(f"{method} {path}: {part}")
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and "example" not in body:
            lacking.append(f"{method} {path}: example")
    assert lacking == []


def test_every_example_body_is_accepted_by_its_schema(api: Api) -> None:
    """Sent by an auditor (whose role may write nothing), a body the schema refuses is 422 and
    one it accepts reaches the role check: 403."""
    for method, path, operation in _operations(api):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        url = path.format(
            client_ref="client-1",
            household_ref="household-1",
            referral_id="r",
            consent_id="c",
            denial_id="d",
            party_id="p",
            episode_id="e",
            event_id="00000000-0000-0000-0000-000000000000",
        )
        response = api.client.request(
            method.upper(), url, json=body["example"], headers=api.headers("auditor")
        )
        assert response.status_code == 403, (path, response.text)


@pytest.mark.parametrize(
    "path", ["/docs", "/openapi.json", "/docs/polku-docs.js", "/docs/assets/swagger-ui.css"]
)
def test_the_docs_carry_the_security_headers_and_load_nothing_from_elsewhere(
    api: Api, path: str
) -> None:
    response = api.client.get(path)
    assert response.status_code == 200
    missing = [name for name in _HEADER_NAMES if name not in response.headers]
    assert missing == []
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "http" not in csp  # no other origin is allowed
    assert "server" not in response.headers
    if path == "/docs":
        assert "script-src 'self'" in csp
        page = response.text
        assert "<script>" not in page  # no inline script
        for src in ('src="', 'href="'):
            for part in page.split(src)[1:]:
                assert part.startswith("/docs/"), part


@pytest.fixture
def production(tmp_path: Any) -> dict[str, Settings]:
    common: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'p.db'}",
        "environment": "production",
        "cipher_key": "A" * 43 + "=",
        "keyring": tmp_path / "p.keyring.json",
        "_env_file": None,
    }
    return {
        "default": Settings(**common),
        "on": Settings(**common, api_docs="on"),
    }


def test_the_docs_are_off_in_production_unless_asked_for(
    production: dict[str, Settings],
) -> None:
    for name, expected in (("default", 404), ("on", 200)):
        with TestClient(create_app(production[name])) as client:
            for path in ("/docs", "/openapi.json", "/docs/polku-docs.js"):
                assert client.get(path).status_code == expected, (name, path)
            assert client.get("/redoc").status_code == 404
