"""API tokens with an expiry and scopes (read, write, feed), on both backends; tokens made
before these existed (a table without the columns) keep working with every scope."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from storage.tokens import TokenStore
from tests.api.conftest import Api, T

REGISTRATION = {"occurred_at": T.format(1), "client_ref": "client-9", "preferred_language": "fi"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_scopes_are_checked(api: Api) -> None:
    tokens = api.components.tokens
    reader = tokens.create(party_id="p-r", organisation="o", role="caseworker", scopes=("read",))
    writer = tokens.create(party_id="p-w", organisation="o", role="caseworker", scopes=("write",))
    feeder = tokens.create(party_id="p-f", organisation="o", role="caseworker", scopes=("feed",))
    get = api.client.get
    assert get("/v1/me", headers=_bearer(reader)).status_code == 200
    refused = get("/v1/me", headers=_bearer(writer))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "read" in refused.json()["detail"]
    assert get("/v1/feed", headers=_bearer(reader)).status_code == 403
    assert get("/v1/feed", headers=_bearer(feeder)).status_code == 200
    assert get("/v1/me", headers=_bearer(feeder)).status_code == 403

    assert (
        api.client.post("/v1/journeys", json=REGISTRATION, headers=_bearer(reader)).status_code
        == 403
    )
    assert api.components.service.get_version("client-9") == 0  # nothing written
    assert (
        api.client.post("/v1/journeys", json=REGISTRATION, headers=_bearer(writer)).status_code
        == 202
    )


def test_an_expired_token_is_refused(api: Api) -> None:
    tokens = api.components.tokens
    soon = datetime.now(UTC) + timedelta(seconds=1)
    token = tokens.create(party_id="p-x", organisation="o", role="auditor", expires_at=soon)
    later = tokens.create(
        party_id="p-y", organisation="o", role="auditor", expires_at=soon + timedelta(days=1)
    )
    assert api.client.get("/v1/me", headers=_bearer(token)).status_code == 200
    while datetime.now(UTC) <= soon:
        pass
    assert api.client.get("/v1/me", headers=_bearer(token)).status_code == 401
    assert api.client.get("/v1/me", headers=_bearer(later)).status_code == 200
    listed = {t.party_id: t for t in tokens.list()}
    assert listed["p-x"].expires_at is not None
    assert listed["p-worker"].expires_at is None
    assert listed["p-worker"].scopes is None


@pytest.mark.parametrize(
    ("expires", "scopes"),
    [
        (None, ("admin",)),
        (None, ()),
        (datetime(2020, 1, 1, tzinfo=UTC), None),
        (datetime(2999, 1, 1), None),  # noqa: DTZ001 (a time without a zone is refused)
    ],
)
def test_bad_expiry_or_scopes_are_refused(
    api: Api, expires: datetime | None, scopes: tuple[str, ...] | None
) -> None:
    before = len(api.components.tokens.list())
    with pytest.raises(ValueError, match=r"scopes|expiry"):
        api.components.tokens.create(
            party_id="p", organisation="o", role="auditor", expires_at=expires, scopes=scopes
        )
    assert len(api.components.tokens.list()) == before


def test_tokens_made_before_scopes_keep_working(api: Api) -> None:
    """A token table as it was before expiry and scopes: the columns are added, old tokens
    never expire and hold every scope."""
    store = api.components.store
    with store.transaction() as tx:
        tx.execute("DROP TABLE {polku_api_tokens}")
        tx.execute(
            "CREATE TABLE {polku_api_tokens} (token_id TEXT PRIMARY KEY, secret_sha256 TEXT"
            " NOT NULL, party_id TEXT NOT NULL, organisation TEXT NOT NULL, role TEXT NOT NULL,"
            " label TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"
        )
        # the token "polku_0123456789abcdef_old-secret", as the old code stored it
        tx.execute(
            "INSERT INTO {polku_api_tokens} VALUES (%s, %s, %s, %s, %s, %s, %s, NULL)",
            (
                "0123456789abcdef",
                hashlib.sha256(b"old-secret").hexdigest(),
                "p-old",
                "o",
                "caseworker",
                "",
                "2025-01-01T00:00:00+00:00",
            ),
        )
    tokens = TokenStore(store)
    assert {"expires_at", "scopes"} <= store.columns("polku_api_tokens")
    use = tokens.use("polku_0123456789abcdef_old-secret")
    assert use is not None
    assert use.actor.party_id == "p-old"
    assert use.scopes == {"read", "write", "feed"}
    TokenStore(store)  # a second start adds nothing and fails on nothing
