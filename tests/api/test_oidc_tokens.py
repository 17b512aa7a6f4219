"""Programs' bearer JWT access tokens from a real OpenID provider (oidc-provider under Node, on
localhost; tests/oidc/provider.py), checked against its JWKS: a valid token, an expired one, one
from another issuer (signed with the very same keys), a rotated signing key, a tampered
signature, a tampered payload, the wrong audience and an unsigned token. On both backends."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from runtime.settings import Settings
from runtime.wiring import build_components
from tests.conftest import IN_CI
from tests.oidc.provider import (
    API_AUDIENCE,
    SHORT_RESOURCE,
    WRONG_RESOURCE,
    Provider,
    provider_problem,
    running_provider,
)

SERVICE = {
    "polku_party": "svc-school-sync",
    "polku_org": "school-harbour",
    "polku_role": "Polku.Auditor",
}


@pytest.fixture(scope="module")
def node_ready() -> None:
    problem = provider_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI requires the OpenID provider: {problem}")
        pytest.skip(problem)


@pytest.fixture
def provider(node_ready: None, tmp_path: Path) -> Iterator[Provider]:
    with running_provider(tmp_path, ["key-1"], service_claims=SERVICE) as running:
        yield running


def _oidc(settings: Settings, provider: Provider) -> Settings:
    return settings.model_copy(
        update={
            "oidc_issuer": provider.issuer,
            "oidc_client_id": "polku-web",
            "oidc_audience": API_AUDIENCE,
            "oidc_party_claim": "polku_party",
            "oidc_organisation_claim": "polku_org",
            "oidc_role_claim": "polku_role",
            "oidc_roles": {"Polku.Auditor": "auditor", "Polku.CaseWorker": "caseworker"},
            "oidc_leeway_seconds": 0,
            "oidc_jwks_refetch_seconds": 0.0,
        }
    )


@pytest.fixture
def client(settings: Settings, provider: Provider) -> Iterator[TestClient]:
    configured = _oidc(settings, provider)
    components = build_components(configured)
    with TestClient(create_app(configured, components=components)) as test_client:
        yield test_client
    components.close()


def _me(client: TestClient, token: str) -> tuple[int, dict[str, object]]:
    answer = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    if answer.status_code != 200:
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"] == "Bearer"
    body: dict[str, object] = answer.json()
    return answer.status_code, body


def test_a_valid_token_stands_for_its_mapped_claims(client: TestClient, provider: Provider) -> None:
    status, body = _me(client, provider.service_token())
    assert status == 200
    assert body == {
        "party_id": "svc-school-sync",
        "organisation": "school-harbour",
        "role": "auditor",
    }
    # the role decides what it may do: an auditor writes nothing
    answer = client.post(
        "/v1/journeys",
        json={
            "occurred_at": "2025-03-01T10:00:00+02:00",
            "client_ref": "c-1",
            "preferred_language": "fi",
        },
        headers={"Authorization": f"Bearer {provider.service_token()}"},
    )
    assert answer.status_code == 403


def test_an_expired_token_is_refused(client: TestClient, provider: Provider) -> None:
    token = provider.service_token(SHORT_RESOURCE)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires - time.time()) + 1.1)
    status, body = _me(client, token)
    assert status == 401
    assert "expired" in str(body["detail"])


def test_a_token_from_another_issuer_is_refused_even_with_the_same_keys(
    client: TestClient, provider: Provider, tmp_path: Path
) -> None:
    with running_provider(tmp_path, ["key-1"], service_claims=SERVICE, keys_from=provider) as other:
        token = other.service_token()
    header = jwt.get_unverified_header(token)
    assert header["kid"] == "key-1"  # a key Polku trusts: only the issuer tells them apart
    status, body = _me(client, token)
    assert status == 401
    assert "another issuer" in str(body["detail"])
    assert _me(client, provider.service_token())[0] == 200


def test_a_rotated_key_old_tokens_refused_new_ones_accepted(
    client: TestClient, provider: Provider
) -> None:
    old = provider.service_token()
    assert _me(client, old)[0] == 200  # the keys are fetched and cached
    provider.rotate(["key-2"])  # the provider now publishes only key-2
    new = provider.service_token()
    assert jwt.get_unverified_header(new)["kid"] == "key-2"
    assert _me(client, new)[0] == 200  # an unknown kid: the keys are fetched again
    status, body = _me(client, old)
    assert status == 401
    assert "key" in str(body["detail"])
    assert _me(client, new)[0] == 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_tampered_signature_or_payload_is_refused(client: TestClient, provider: Provider) -> None:
    token = provider.service_token()
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[10] ^= 0x01
    status, body = _me(client, f"{head}.{payload}.{_b64(bytes(raw))}")
    assert status == 401
    assert "signature" in str(body["detail"])

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["polku_role"] = "Polku.CaseWorker"
    forged = f"{head}.{_b64(json.dumps(claims).encode())}.{signature}"
    status, body = _me(client, forged)
    assert status == 401
    assert "signature" in str(body["detail"])

    none_header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "key-1"}).encode())
    unsigned = f"{none_header}.{payload}."
    assert _me(client, unsigned)[0] == 401
    assert _me(client, token)[0] == 200


def test_a_token_for_another_audience_is_refused(client: TestClient, provider: Provider) -> None:
    status, body = _me(client, provider.service_token(WRONG_RESOURCE))
    assert status == 401
    assert "audience" in str(body["detail"])


def test_api_tokens_still_work_beside_the_provider(settings: Settings, provider: Provider) -> None:
    configured = _oidc(settings, provider)
    components = build_components(configured)
    token = components.tokens.create(party_id="p-script", organisation="ops", role="admin")
    with TestClient(create_app(configured, components=components)) as test_client:
        assert _me(test_client, token) == (
            200,
            {"party_id": "p-script", "organisation": "ops", "role": "admin"},
        )
        assert _me(test_client, "polku_0000_not-a-token")[0] == 401
    components.close()


def test_the_sign_in_steps_refuse_what_they_did_not_start(
    settings: Settings, provider: Provider
) -> None:
    """/auth/login sends the browser to the provider with PKCE; a return without this
    browser's state cookie, with an unknown state or with a code the provider did not issue
    is refused (problem+json) and makes no session."""
    configured = _oidc(settings, provider).model_copy(
        update={"oidc_redirect_url": "http://testserver/auth/callback"}
    )
    components = build_components(configured)
    with TestClient(create_app(configured, components=components)) as test_client:
        assert test_client.get("/auth/providers").json() == {"oidc": True}
        start = test_client.get("/auth/login?next=//evil.example/x", follow_redirects=False)
        assert start.status_code == 302
        target = httpx.URL(start.headers["location"])
        assert str(target).startswith(f"{provider.issuer}/auth")
        query = dict(target.params)
        assert query["code_challenge_method"] == "S256"
        assert len(query["code_challenge"]) == 43
        assert query["client_id"] == "polku-web"
        state = query["state"]

        cookie = test_client.cookies.get("polku_login")
        test_client.cookies.clear()
        for path, status in (
            (f"/auth/callback?code=c&state={state}", 400),  # not this browser's sign-in
            ("/auth/callback?error=access_denied", 400),
            ("/auth/callback?state=s", 400),
        ):
            answer = test_client.get(path, follow_redirects=False)
            assert answer.status_code == status
            assert answer.headers["content-type"] == "application/problem+json"
        test_client.cookies.set("polku_login", str(cookie), path="/auth/")
        refused = test_client.get(
            f"/auth/callback?code=made-up&state={state}", follow_redirects=False
        )
        assert refused.status_code == 401  # the provider does not know the code
        assert "polku_session" not in refused.headers.get("set-cookie", "")
        again = test_client.get(
            f"/auth/callback?code=made-up&state={state}", follow_redirects=False
        )
        assert again.status_code == 400  # the state was used up
    components.close()
