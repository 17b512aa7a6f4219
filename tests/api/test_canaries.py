"""Canaries through the API: a population with a private network full of canary party ids and
names, one canary client erased, then every planner figure and export, the erased client's FHIR
export and audit reports, and the server's debug log searched byte by byte.

The control: the live canary client's own FHIR export (for a reader of the journey) does hold
the canary ids, so a search that finds nothing elsewhere is a real search.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from demo.population import generate
from runtime.logging import configure_logging
from runtime.settings import Settings
from runtime.wiring import build_service
from tests.api.conftest import Api
from tests.api.test_analytics_api import ENDPOINTS
from tests.integration.test_privacy_attacks import CANARIES, NAME, _canary_journey
from tests.support import settle

LIVE = "010190-555L"
ERASED = "010190-666E"


@pytest.fixture
def debug_logs() -> Iterator[None]:
    configure_logging(Settings(log_level="debug", _env_file=None))
    yield None
    configure_logging(Settings(log_level="warning", _env_file=None))


def test_no_figure_export_report_or_log_line_names_the_private_network(
    api: Api, settings: Settings, debug_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    generate(lambda clock: build_service(settings, clock=clock), 30, 5)
    for ref in (LIVE, ERASED):
        _canary_journey(api.components, ref)
    erased = api.client.post(
        f"/v1/journeys/{ERASED}/erasure",
        json={"reason": "client_request"},
        headers=api.headers("admin"),
    )
    assert erased.status_code == 201, erased.text
    settle(api.components)

    planner_facing = b""
    for who in ("planner", "auditor"):
        for name in ENDPOINTS:
            got = api.client.get(f"/v1/analytics/{name}", headers=api.headers(who))
            assert got.status_code == 200, (who, name, got.text)
            planner_facing += got.content
    for path in (
        "/v1/analytics/export/xes",
        "/v1/analytics/export/ocel",
        "/v1/analytics/export/ocel?format=sqlite",
    ):
        got = api.client.get(path, headers=api.headers("auditor"))
        assert got.status_code == 200, (path, got.text)
        planner_facing += got.content
    assert b"client-" in planner_facing  # the exports hold the population

    erased_id = str(api.components.service.journey_id(ERASED))
    about_erased = b""
    for path in (
        f"/v1/journeys/{ERASED}/fhir",
        f"/v1/audit/journeys/{ERASED}",
        f"/v1/audit/journeys/{ERASED}?format=html",
        f"/v1/journeys/{ERASED}/log-report?format=html",
        f"/v1/audit/disclosures?client=erased-{erased_id}&format=html",
        f"/v1/audit/disclosures?client=erased-{erased_id}",
    ):
        got = api.client.get(path, headers=api.headers("auditor", **{"X-Purpose": "audit"}))
        assert got.status_code == 200, (path, got.text)
        about_erased += got.content

    live_fhir = api.client.get(
        f"/v1/journeys/{LIVE}/fhir", headers=api.headers("auditor", **{"X-Purpose": "audit"})
    )
    assert b"p-canary-aunt" in live_fhir.content  # the control: the search finds what is there

    logs = capsys.readouterr().err.encode()
    assert b"journey.erased" in logs  # the debug log was captured
    canaries = [c.encode() for c in (*CANARIES, NAME)]
    for secret in canaries:
        assert secret not in planner_facing, secret
        assert secret not in logs, secret
    # The erased client's reports and ledger entries hold pseudonyms only (the auditor asked
    # for its reports by the ref, so the ref itself is not searched there).
    assert f"erased-{erased_id}".encode() in about_erased
    assert b"party-" in about_erased
    for secret in canaries:
        assert secret not in about_erased, secret
    for ref in (LIVE, ERASED):
        for guess in (ref.encode(), hashlib.sha256(ref.encode()).hexdigest().encode()):
            assert guess not in planner_facing
            assert guess not in logs
