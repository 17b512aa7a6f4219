"""Schemathesis against /openapi.json: generated, authenticated requests to every operation.

Every response must be a non-5xx that conforms to the schema (status code, content type,
headers, body). The one default check left out is "schema-valid data must be accepted": Polku
rightly refuses schema-valid commands that break a rule of the timeline, with a documented 422.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import Api, T, team_member

EXAMPLES_PER_OPERATION = 25
MINIMUM_CASES = 500


def test_generated_requests_get_no_5xx_and_conforming_responses(api: Api) -> None:
    # A journey the caller is on, so that some generated requests reach the domain.
    headers = api.headers("worker")
    api.client.post(
        "/v1/journeys",
        json={"occurred_at": T.format(1), "client_ref": "client-1", "preferred_language": "fi"},
        headers=headers,
    )
    api.client.post(
        "/v1/journeys/client-1/team-members", json=team_member("p-worker", 1), headers=headers
    )

    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    cases = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            nonlocal cases
            cases += 1
            response = case.call(headers=headers)
            try:
                case.validate_response(response, excluded_checks=[positive_data_acceptance])
            except FailureGroup as error:
                failures.append(f"{case.method} {case.path} -> {response.status_code}: {error}")

        run()
    assert failures == [], "\n\n".join(failures[:5])
    assert cases >= MINIMUM_CASES
