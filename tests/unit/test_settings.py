"""Settings: the store a URL names, and no silent defaults in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from runtime.settings import Settings, persistence_env


def test_the_default_store_is_an_sqlite_file() -> None:
    env = persistence_env(Settings(_env_file=None))
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == "./polku.db"


def test_a_postgresql_url_becomes_the_library_settings() -> None:
    settings = Settings(
        database_url="postgresql://polku:s%40cret@db.example:6543/care",
        database_schema="polku",
        _env_file=None,
    )
    env = persistence_env(settings)
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.example",
        "6543",
        "care",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("polku", "s@cret")
    assert env["POSTGRES_SCHEMA"] == "polku"


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite://relative.db", "polku.db"])
def test_unknown_database_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match=r"POLKU_DATABASE_URL|SQLite URL"):
        Settings(database_url=url, _env_file=None)


def test_production_needs_an_explicit_database(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="explicitly"):
        Settings(environment="production", _env_file=None)
    monkeypatch.setenv("POLKU_DATABASE_URL", "postgresql://polku@db/care")
    with pytest.raises(ValidationError, match="POLKU_CIPHER_KEY"):
        Settings(environment="production", _env_file=None)
    monkeypatch.setenv("POLKU_CIPHER_KEY", "A" * 43 + "=")
    with pytest.raises(ValidationError, match="POLKU_KEYRING"):
        Settings(environment="production", _env_file=None)
    monkeypatch.setenv("POLKU_KEYRING", "/run/secrets/polku.keyring.json")
    settings = Settings(environment="production", _env_file=None)
    assert settings.json_logs
    assert persistence_env(settings)["CIPHER_TOPIC"] == "eventsourcing.cryptography:AESCipher"


@pytest.mark.parametrize("key", ["not base64!", "QUJD"])
def test_a_cipher_key_must_be_an_aes_key(key: str) -> None:
    with pytest.raises(ValidationError, match="POLKU_CIPHER_KEY"):
        Settings(cipher_key=key, _env_file=None)


def test_the_keyring_sits_beside_an_sqlite_file_unless_named() -> None:
    beside = Settings(database_url="sqlite:////srv/polku/care.db", _env_file=None)
    assert str(beside.keyring_path()) == "/srv/polku/care.keyring.json"
    named = Settings(keyring="/run/keys/k.json", _env_file=None)
    assert str(named.keyring_path()) == "/run/keys/k.json"


def test_a_kek_comes_with_a_pseudonym_secret() -> None:
    with pytest.raises(ValidationError, match="POLKU_PSEUDONYM_SECRET"):
        Settings(kek="A" * 43 + "=", _env_file=None)


def test_openid_connect_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from runtime.oidc import OidcProvider

    assert Settings(_env_file=None).oidc_issuer is None  # make run: API tokens only
    with pytest.raises(ValidationError, match="POLKU_OIDC_CLIENT_ID"):
        Settings(oidc_issuer="https://id.example", _env_file=None)
    with pytest.raises(ValidationError, match="openid"):
        Settings(
            oidc_issuer="https://id.example",
            oidc_client_id="c",
            oidc_scopes="email",
            _env_file=None,
        )
    monkeypatch.setenv("POLKU_OIDC_ROLES", '{"Polku.CaseWorker": "caseworker"}')
    monkeypatch.setenv("POLKU_SESSION_COOKIE_SECURE", "false")
    read = Settings(oidc_issuer="https://id.example", oidc_client_id="c", _env_file=None)
    assert read.oidc_roles == {"Polku.CaseWorker": "caseworker"}
    assert read.session_cookie_secure is False
    with pytest.raises(ValueError, match="unknown roles: janitor"):
        OidcProvider(read.model_copy(update={"oidc_roles": {"Polku.Janitor": "janitor"}}))
    monkeypatch.setenv("POLKU_ENVIRONMENT", "production")
    monkeypatch.setenv("POLKU_DATABASE_URL", "postgresql://db/polku")
    monkeypatch.setenv("POLKU_CIPHER_KEY", "A" * 43 + "=")
    monkeypatch.setenv("POLKU_KEYRING", "/secrets/keyring.json")
    with pytest.raises(ValidationError, match="POLKU_SESSION_COOKIE_SECURE"):
        Settings(_env_file=None)


def test_a_replica_is_a_postgresql_url_beside_a_postgresql_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).replica_url is None  # unset: every read on the primary
    with pytest.raises(ValidationError, match="POLKU_REPLICA_URL must start with postgresql"):
        Settings(database_url="postgresql://db/polku", replica_url="mysql://r/p", _env_file=None)
    with pytest.raises(ValidationError, match="POLKU_REPLICA_URL needs PostgreSQL"):
        Settings(replica_url="postgresql://replica/polku", _env_file=None)
    with pytest.raises(ValidationError, match="replica_max_lag_seconds"):
        Settings(replica_max_lag_seconds=0, _env_file=None)
    monkeypatch.setenv("POLKU_DATABASE_URL", "postgresql://db/polku")
    monkeypatch.setenv("POLKU_REPLICA_URL", "postgresql://replica/polku")
    monkeypatch.setenv("POLKU_REPLICA_MAX_LAG_SECONDS", "2.5")
    read = Settings(_env_file=None)
    assert (read.replica_url, read.replica_max_lag_seconds) == ("postgresql://replica/polku", 2.5)
    assert read.replica_journey_reads is True
