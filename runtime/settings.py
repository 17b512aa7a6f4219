"""Settings, read from ``POLKU_*`` environment variables (and an optional ``.env`` file)."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "persistence_env"]


class Settings(BaseSettings):
    """Polku's settings. ``POLKU_DATABASE_URL`` chooses the store:

    - ``sqlite:///./polku.db`` (the default): an SQLite file, nothing to install;
    - ``postgresql://user:password@host:5432/dbname``: PostgreSQL through psycopg 3.
    """

    model_config = SettingsConfigDict(env_prefix="POLKU_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./polku.db"
    environment: Literal["development", "production"] = "development"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "console", "json"] = "auto"
    """``auto``: console output in development, JSON lines in production."""
    aggregate_cache_size: int = Field(default=1000, ge=0)
    """Journeys kept in memory between commands (0 turns the cache off)."""
    view_folds_max_events: int = Field(default=200_000, ge=0)
    """Events that the folds kept for views of long journeys may cover together in one
    process (about 650 bytes an event; 0 keeps none: every view folds from the first event)."""
    postgres_pool_size: int = Field(default=5, ge=1)
    postgres_connect_timeout: int = Field(default=5, ge=1, le=300)
    """Seconds to wait for a PostgreSQL connection before the request fails (503)."""
    postgres_idle_in_transaction_timeout: int = Field(default=5, ge=1, le=3600)
    """Seconds PostgreSQL lets a transaction sit idle before it ends the session (a stuck
    client must not hold locks)."""
    group_commit: bool = True
    """On PostgreSQL, saves of concurrent commands are written in one transaction
    (``storage/group_commit.py``); off: one transaction per save."""
    cipher_key: SecretStr | None = None
    """Base64 AES key (16, 24 or 32 bytes) encrypting every stored event at rest, on top of the
    per-client keys. Required in production; ``polku keygen`` makes one. Set it when the store is
    created: events written without it cannot be read with it, and the other way round."""
    projection_batch_size: int = Field(default=500, ge=1, le=100_000)
    """Notifications applied per transaction by the read models (catch-up and rebuild)."""
    projection_runner: bool = True
    """On PostgreSQL, `polku serve` keeps the read models current in a background thread woken
    by LISTEN/NOTIFY (reads catch up in any case)."""
    retention_closed_years: int = Field(default=10, ge=1, le=100)
    """`polku retention` erases the personal data of journeys closed longer ago than this."""
    outside_writes_per_hour: int = Field(default=30, ge=1, le=100_000)
    """Writes (referrals, registrations, refused commands) one caller may send per hour to
    journeys they may not read; beyond it 429."""
    planner_queries_per_hour: int = Field(default=300, ge=1, le=100_000)
    """Analytics questions and exports one caller may ask per hour; beyond it 429."""
    webhook_worker: bool = True
    """`polku serve` delivers webhooks in a background thread (``polku webhooks run`` does it
    on its own)."""
    webhook_max_attempts: int = Field(default=15, ge=1, le=1000)
    """Attempts at one webhook batch before it becomes a dead letter."""
    webhook_backoff_seconds: float = Field(default=2.0, gt=0, le=3600)
    """The pause after a batch's first failed attempt; it doubles with each further one."""
    webhook_max_backoff_seconds: float = Field(default=3600.0, gt=0, le=86400)
    """The longest pause between two attempts at a batch."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """How long one webhook POST may take."""
    api_docs: Literal["auto", "on", "off"] = "auto"
    """``/docs`` and ``/openapi.json``: ``auto`` serves them except in production."""
    replica_url: str | None = None
    """A PostgreSQL streaming replica of the primary (``postgresql://…``, same database and
    schema): the planners' figures, the auditors' ledger and reads of a client's journey read
    there once it has replayed the primary's position at the start of the read
    (docs/scaling.md, "A replica for reads"). Unset: every read on the primary."""
    replica_journey_reads: bool = True
    """With a replica: reads of a client's journey go there too (``false``: only the read
    models' reads do; journeys are read from the primary and its journey cache)."""
    replica_max_lag_seconds: float = Field(default=5.0, gt=0, le=600)
    """How long a read waits for the replica to reach the primary's position; beyond it the
    primary answers, and the replica is left alone for as long again."""
    database_schema: str = Field(default="public", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    """PostgreSQL schema holding Polku's tables (it must exist)."""
    keyring: Path | None = None
    """The keyring file holding the key-encryption keys and the pseudonym secret (never in the
    database). Default: beside an SQLite file (``polku.db`` → ``polku.keyring.json``), or
    ``./polku.keyring.json`` for PostgreSQL in development. Created on first use."""
    kek: SecretStr | None = None
    """Instead of a keyring file: the key-encryption key itself (base64, 32 bytes), e.g. from a
    secrets manager; then ``POLKU_PSEUDONYM_SECRET`` is required too."""
    kek_previous: SecretStr | None = None
    """With ``POLKU_KEK``: the KEK being retired while `polku keys rotate` re-wraps keys."""
    pseudonym_secret: SecretStr | None = None
    """With ``POLKU_KEK``: the secret keying journey ids and other pseudonyms (base64, 32 bytes)."""

    # OpenID Connect (docs/sign-in.md). Without an issuer only API tokens sign in.
    oidc_issuer: str | None = None
    """The provider's issuer URL; its ``/.well-known/openid-configuration`` is read from it."""
    oidc_client_id: str | None = None
    """Polku's client id at the provider (required with an issuer)."""
    oidc_client_secret: SecretStr | None = None
    """The client secret (``client_secret_basic``); none: a public client (PKCE only)."""
    oidc_redirect_url: str | None = None
    """Where the provider sends the browser back: ``https://<this server>/auth/callback``.
    Without it the pages offer no provider sign-in (bearer JWTs are still accepted)."""
    oidc_post_logout_url: str | None = None
    """Where the provider sends the browser after signing out (default: the sign-in page)."""
    oidc_scopes: str = "openid profile email"
    """Scopes asked for at sign-in (``openid`` is required)."""
    oidc_audience: str | None = None
    """The ``aud`` programs' access tokens must carry (default: the client id)."""
    oidc_party_claim: str = "sub"
    """The claim naming the party (the person's id in Polku)."""
    oidc_organisation_claim: str = "organisation"
    """The claim naming the party's organisation."""
    oidc_default_organisation: str | None = None
    """The organisation of everyone signing in whose token lacks the organisation claim (one
    organisation's own provider); without it such a token is refused."""
    oidc_role_claim: str = "roles"
    """The claim holding the role (a string or a list, e.g. Entra ID app roles)."""
    oidc_roles: dict[str, str] = Field(default_factory=dict)
    """Provider role values to Polku roles, as JSON (``{"Polku.CaseWorker": "caseworker"}``);
    empty: the claim's values are Polku's role names themselves."""
    oidc_leeway_seconds: int = Field(default=30, ge=0, le=300)
    """Clock skew allowed when checking a token's expiry and issue time."""
    oidc_jwks_cache_seconds: int = Field(default=3600, ge=0, le=86400)
    """How long the provider's signing keys are kept before they are fetched again."""
    oidc_jwks_refetch_seconds: float = Field(default=30.0, ge=0, le=3600)
    """A token signed with an unknown key makes the keys be fetched again, at most this often."""
    session_minutes: int = Field(default=30, ge=1, le=720)
    """How long a web session (after provider sign-in) lasts; then sign in again."""
    session_cookie_secure: bool = True
    """Session cookies only over HTTPS; ``false`` for a development server on http://localhost."""

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("POLKU_DATABASE_URL must start with sqlite:/// or postgresql://")
        if scheme == "sqlite" and not value.startswith("sqlite:///"):
            raise ValueError("an SQLite URL is sqlite:///relative/path or sqlite:////absolute/path")
        return value

    @field_validator("replica_url")
    @classmethod
    def _replica_is_postgres(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in {"postgresql", "postgres"}:
            raise ValueError("POLKU_REPLICA_URL must start with postgresql://")
        return value

    @field_validator("cipher_key")
    @classmethod
    def _key_is_aes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        try:
            size = len(base64.b64decode(value.get_secret_value(), validate=True))
        except (binascii.Error, ValueError):
            raise ValueError("POLKU_CIPHER_KEY must be base64") from None
        if size not in (16, 24, 32):
            raise ValueError("POLKU_CIPHER_KEY must decode to 16, 24 or 32 bytes")
        return value

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        if self.environment == "production" and "database_url" not in self.model_fields_set:
            raise ValueError(
                "in production POLKU_DATABASE_URL must be set explicitly"
                " (the default is a development SQLite file in the working directory)"
            )
        if self.environment == "production" and self.cipher_key is None:
            raise ValueError("in production POLKU_CIPHER_KEY must be set (polku keygen makes one)")
        if (self.kek is None) != (self.pseudonym_secret is None):
            raise ValueError("POLKU_KEK and POLKU_PSEUDONYM_SECRET are given together")
        if self.kek is not None and self.keyring is not None:
            raise ValueError("give either POLKU_KEYRING or POLKU_KEK, not both")
        if self.replica_url is not None and self.database_url.startswith("sqlite:"):
            raise ValueError("POLKU_REPLICA_URL needs PostgreSQL as POLKU_DATABASE_URL")
        if self.oidc_issuer is not None and not self.oidc_client_id:
            raise ValueError("POLKU_OIDC_ISSUER needs POLKU_OIDC_CLIENT_ID")
        if self.oidc_issuer is not None and "openid" not in self.oidc_scopes.split():
            raise ValueError("POLKU_OIDC_SCOPES must include openid")
        if self.environment == "production" and not self.session_cookie_secure:
            raise ValueError("in production POLKU_SESSION_COOKIE_SECURE must stay true")
        if self.environment == "production" and self.kek is None and self.keyring is None:
            raise ValueError(
                "in production POLKU_KEYRING (a keyring file off the database's volumes) or"
                " POLKU_KEK with POLKU_PSEUDONYM_SECRET must be set"
            )
        return self

    def keyring_path(self) -> Path:
        """Where the keyring file is (see ``keyring``)."""
        if self.keyring is not None:
            return self.keyring
        if self.database_url.startswith("sqlite:///"):
            path = Path(self.database_url.removeprefix("sqlite:///"))
            if path.name != ":memory:":
                return path.with_name(path.stem + ".keyring.json")
        return Path("polku.keyring.json")

    @property
    def serve_api_docs(self) -> bool:
        if self.api_docs == "auto":
            return self.environment != "production"
        return self.api_docs == "on"

    @property
    def json_logs(self) -> bool:
        if self.log_format == "auto":
            return self.environment == "production"
        return self.log_format == "json"


def persistence_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's persistence environment for ``settings.database_url``."""
    url = urlsplit(settings.database_url)
    env = {"CREATE_TABLE": "y"}
    if settings.cipher_key is not None:
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = settings.cipher_key.get_secret_value()
    if settings.aggregate_cache_size:
        # Commands decide on the cached journey without reading the store first; a stale
        # cache is caught by the store's (journey, version) key and the command decided again.
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.aggregate_cache_size)
        env["AGGREGATE_CACHE_FASTFORWARD"] = "n"
    if url.scheme == "sqlite":
        path = settings.database_url.removeprefix("sqlite:///")
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        env |= {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
        return env
    env |= {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        "POSTGRES_CONNECT_TIMEOUT": str(settings.postgres_connect_timeout),
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": str(
            settings.postgres_idle_in_transaction_timeout
        ),
        "POSTGRES_SCHEMA": settings.database_schema,
        "APPLICATION_RECORDER_TOPIC": (
            "storage.group_commit:GroupCommitPostgresApplicationRecorder"
            if settings.group_commit
            else "storage.pg_recorder:OneTripPostgresApplicationRecorder"
        ),
    }
    return env
