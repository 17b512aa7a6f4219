"""Bearer tokens: issued by ``polku tokens create``, stored only as hashes, revocable.

A token reads ``polku_<id>_<secret>``. The id finds the row; the secret is checked by comparing
SHA-256 digests in constant time. Secrets are 256 random bits, so a fast hash is enough (there
is nothing to brute-force); the plaintext is shown once, when the token is created.

A token may carry an expiry and scopes (``read``: GET requests; ``write``: every other method;
``feed``: the change feed). Tokens made before these existed (the columns are NULL) never expire
and hold every scope; the columns are added to an existing table on start, nothing else changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.events import Actor
from domain.roles import ROLES
from storage.sql import SqlStore

__all__ = ["SCOPES", "TokenInfo", "TokenStore", "TokenUse"]

SCOPES = ("read", "write", "feed")
"""What a token may be used for: ``read`` (GET), ``write`` (any other method), ``feed``."""

_TABLE = """
CREATE TABLE IF NOT EXISTS {polku_api_tokens} (
    token_id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    party_id TEXT NOT NULL,
    organisation TEXT NOT NULL,
    role TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    expires_at TEXT,
    scopes TEXT
)"""
_ADDED_COLUMNS = ("expires_at", "scopes")


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    party_id: str
    organisation: str
    role: str
    label: str
    created_at: str
    revoked_at: str | None
    expires_at: str | None = None
    scopes: str | None = None
    """Space-separated; ``None``: every scope (a token made before scopes existed)."""


@dataclass(frozen=True)
class TokenUse:
    """Who a valid token stands for, and what it may be used for."""

    actor: Actor
    scopes: frozenset[str]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        store.ensure(_TABLE)
        missing = [c for c in _ADDED_COLUMNS if c not in store.columns("polku_api_tokens")]
        if missing:  # a table made before expiry and scopes: add them, NULL for the old rows
            guard = " IF NOT EXISTS" if store.backend == "postgres" else ""
            store.ensure(
                *(f"ALTER TABLE {{polku_api_tokens}} ADD COLUMN{guard} {c} TEXT" for c in missing)
            )

    def create(
        self,
        *,
        party_id: str,
        organisation: str,
        role: str,
        label: str = "",
        expires_at: datetime | None = None,
        scopes: tuple[str, ...] | None = None,
    ) -> str:
        """Issue a token; returns the plaintext, which is not kept. ``scopes=None``: all."""
        if scopes is not None:
            unknown = sorted(set(scopes) - set(SCOPES))
            if unknown or not scopes:
                raise ValueError(f"scopes must be some of {', '.join(SCOPES)}")
        if expires_at is not None and (
            expires_at.tzinfo is None or expires_at <= datetime.now(UTC)
        ):
            raise ValueError("the expiry must be a time with a zone, in the future")
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not party_id.strip() or not organisation.strip():
            raise ValueError("party and organisation must not be empty")
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        with self._store.transaction() as tx:
            tx.execute(
                "INSERT INTO {polku_api_tokens} (token_id, secret_sha256, party_id, organisation,"
                " role, label, created_at, revoked_at, expires_at, scopes)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, %s, %s)",
                (
                    token_id,
                    _digest(secret),
                    party_id.strip(),
                    organisation.strip(),
                    role,
                    label,
                    datetime.now(UTC).isoformat(),
                    None if expires_at is None else expires_at.astimezone(UTC).isoformat(),
                    None if scopes is None else " ".join(s for s in SCOPES if s in scopes),
                ),
            )
        return f"polku_{token_id}_{secret}"

    def authenticate(self, token: str) -> Actor | None:
        """The actor a valid, unrevoked, unexpired token stands for; ``None`` otherwise."""
        use = self.use(token)
        return None if use is None else use.actor

    def use(self, token: str) -> TokenUse | None:
        """The actor and scopes of a valid, unrevoked, unexpired token; ``None`` otherwise."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "polku" or not parts[1] or not parts[2]:
            return None
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT secret_sha256, party_id, organisation, role, expires_at, scopes"
                " FROM {polku_api_tokens} WHERE token_id = %s AND revoked_at IS NULL",
                (parts[1],),
            )
        if not rows:
            _digest(parts[2])  # same work whether or not the id exists
            return None
        stored, party_id, organisation, role, expires_at, scopes = rows[0]
        if not hmac.compare_digest(stored, _digest(parts[2])):
            return None
        if expires_at is not None and datetime.fromisoformat(expires_at) <= datetime.now(UTC):
            return None
        return TokenUse(
            Actor(party_id=party_id, organisation=organisation, role=role),
            frozenset(SCOPES if scopes is None else scopes.split()),
        )

    def list(self) -> list[TokenInfo]:
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT token_id, party_id, organisation, role, label, created_at, revoked_at,"
                " expires_at, scopes FROM {polku_api_tokens} ORDER BY created_at"
            )
        return [TokenInfo(*row) for row in rows]

    def revoke(self, token_id: str) -> bool:
        """Revoke a token by id; ``False`` if no such unrevoked token exists."""
        with self._store.transaction() as tx:
            found = tx.rows(
                "SELECT token_id FROM {polku_api_tokens}"
                " WHERE token_id = %s AND revoked_at IS NULL",
                (token_id,),
            )
            if found:
                tx.execute(
                    "UPDATE {polku_api_tokens} SET revoked_at = %s WHERE token_id = %s",
                    (datetime.now(UTC).isoformat(), token_id),
                )
        return bool(found)

    def revoke_labelled(self, label: str) -> int:
        """Revoke every unrevoked token with ``label`` (used for demo tokens)."""
        revoked = 0
        for info in self.list():
            if info.label == label and info.revoked_at is None:
                revoked += self.revoke(info.token_id)
        return revoked
