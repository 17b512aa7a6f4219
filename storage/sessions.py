"""Web sessions after sign-in through an OpenID provider, and sign-ins under way.

A session is a random id in an HttpOnly cookie and a CSRF token the page sends back as a header
on every write; only their SHA-256 digests are stored, beside the party, organisation, role and
expiry. A sign-in under way (between the redirect to the provider and its return) is stored
under the digest of its ``state`` with its nonce and PKCE verifier, for a few minutes, and is
used at most once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.events import Actor
from storage.sql import SqlStore

__all__ = ["LoginRecord", "NewSession", "SessionStore", "WebSession"]

_SESSIONS = """
CREATE TABLE IF NOT EXISTS {polku_web_sessions} (
    session_sha256 TEXT PRIMARY KEY,
    csrf_sha256 TEXT NOT NULL,
    party_id TEXT NOT NULL,
    organisation TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
)"""
_LOGINS = """
CREATE TABLE IF NOT EXISTS {polku_oidc_logins} (
    state_sha256 TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    expires_at TEXT NOT NULL
)"""
LOGIN_MINUTES = 10


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    """A session just made: the cookie's value and the CSRF token (neither is stored)."""

    session_id: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class WebSession:
    actor: Actor
    csrf_sha256: str
    expires_at: datetime

    def csrf_matches(self, token: str | None) -> bool:
        """Whether ``token`` is this session's CSRF token (in constant time)."""
        return token is not None and hmac.compare_digest(self.csrf_sha256, _digest(token))


@dataclass(frozen=True)
class LoginRecord:
    nonce: str
    code_verifier: str
    next_path: str


class SessionStore:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        store.ensure(_SESSIONS, _LOGINS)

    def create(self, actor: Actor, lifetime: timedelta) -> NewSession:
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        expires = now + lifetime
        with self._store.transaction() as tx:
            tx.execute("DELETE FROM {polku_web_sessions} WHERE expires_at < %s", (now.isoformat(),))
            tx.execute(
                "INSERT INTO {polku_web_sessions} (session_sha256, csrf_sha256, party_id,"
                " organisation, role, created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    _digest(session_id),
                    _digest(csrf),
                    actor.party_id,
                    actor.organisation,
                    actor.role,
                    now.isoformat(),
                    expires.isoformat(),
                ),
            )
        return NewSession(session_id, csrf, expires)

    def find(self, session_id: str) -> WebSession | None:
        """The unexpired session with this cookie value; ``None`` otherwise."""
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT csrf_sha256, party_id, organisation, role, expires_at"
                " FROM {polku_web_sessions} WHERE session_sha256 = %s",
                (_digest(session_id),),
            )
        if not rows:
            return None
        csrf, party_id, organisation, role, expires_at = rows[0]
        expires = datetime.fromisoformat(expires_at)
        if expires <= datetime.now(UTC):
            return None
        return WebSession(Actor(party_id, organisation, role), csrf, expires)

    def delete(self, session_id: str) -> bool:
        with self._store.transaction() as tx:
            found = tx.rows(
                "SELECT 1 FROM {polku_web_sessions} WHERE session_sha256 = %s",
                (_digest(session_id),),
            )
            tx.execute(
                "DELETE FROM {polku_web_sessions} WHERE session_sha256 = %s",
                (_digest(session_id),),
            )
        return bool(found)

    def begin_login(self, state: str, nonce: str, code_verifier: str, next_path: str) -> None:
        now = datetime.now(UTC)
        with self._store.transaction() as tx:
            tx.execute("DELETE FROM {polku_oidc_logins} WHERE expires_at < %s", (now.isoformat(),))
            tx.execute(
                "INSERT INTO {polku_oidc_logins} (state_sha256, nonce, code_verifier, next_path,"
                " expires_at) VALUES (%s, %s, %s, %s, %s)",
                (
                    _digest(state),
                    nonce,
                    code_verifier,
                    next_path,
                    (now + timedelta(minutes=LOGIN_MINUTES)).isoformat(),
                ),
            )

    def take_login(self, state: str) -> LoginRecord | None:
        """The sign-in under way with this state, removed (used once); ``None`` if unknown or
        too old."""
        with self._store.transaction() as tx:
            rows = tx.rows(
                "SELECT nonce, code_verifier, next_path, expires_at FROM {polku_oidc_logins}"
                " WHERE state_sha256 = %s",
                (_digest(state),),
            )
            tx.execute("DELETE FROM {polku_oidc_logins} WHERE state_sha256 = %s", (_digest(state),))
        if not rows:
            return None
        nonce, verifier, next_path, expires_at = rows[0]
        if datetime.fromisoformat(expires_at) <= datetime.now(UTC):
            return None
        return LoginRecord(nonce, verifier, next_path)
