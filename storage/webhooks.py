"""Webhook subscriptions, their delivery positions and their dead letters (docs/feed.md).

A subscription is an organisation's change feed pushed to a URL. Its position in the feed is kept
in its row and moved like a read model's tracking position (readmodels/tracking.py): in one
transaction that first checks the position is still the one the delivery started from, so a
batch is acknowledged once even when two workers run, and a restart resumes where the last
acknowledged batch ended. A worker takes a subscription for a while (a lease) before it delivers.

The signing secret is needed in the clear to sign, so it cannot be stored hashed like an API
token: it is sealed with AES-GCM under a key derived from the keyring (never in the database), so a
copy of the database alone does not give it away.
"""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.sql import SqlStore, Tx, utc_text

__all__ = ["MAX_URL", "DeadLetter", "Subscription", "WebhookStore", "check_url"]

_SUBSCRIPTIONS = """
CREATE TABLE IF NOT EXISTS {polku_webhooks} (
    subscription_id TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT,
    notification BIGINT NOT NULL,
    skip INTEGER NOT NULL,
    delivered BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    last_error TEXT,
    lease_until DOUBLE PRECISION NOT NULL
)"""
_DEAD_LETTERS = """
CREATE TABLE IF NOT EXISTS {polku_webhook_dead_letters} (
    dead_letter_id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    from_notification BIGINT NOT NULL,
    from_skip INTEGER NOT NULL,
    items INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    failed_at TEXT NOT NULL,
    redelivered_at TEXT
)"""
_COLUMNS = (
    "subscription_id, organisation, url, created_at, removed_at, notification, skip, delivered,"
    " attempts, next_attempt_at, last_error"
)
_SELECT_LEASE = (
    "SELECT notification, skip, lease_until, removed_at FROM {polku_webhooks}"
    " WHERE subscription_id = %s"
)
_SELECT_POSITION = "SELECT notification, skip FROM {polku_webhooks} WHERE subscription_id = %s"
MAX_URL = 2000


def check_url(url: str) -> str:
    """An ``http(s)`` URL with a host and no credentials in it (else ValueError)."""
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"the URL must be http:// or https:// with a host, at most {MAX_URL}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL must not carry credentials (the payload is signed instead)")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValueError("the URL must not contain spaces or control characters")
    return url


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    organisation: str
    url: str
    created_at: datetime
    removed_at: datetime | None
    notification: int
    """The delivery position: every notification before it was delivered, ..."""
    skip: int
    """... and this many items of the notification itself."""
    delivered: int
    """Items acknowledged by the receiver so far."""
    attempts: int
    """Failed attempts of the batch now due (0: none failed)."""
    next_attempt_at: float
    """Unix time of the next attempt."""
    last_error: str | None


@dataclass(frozen=True)
class DeadLetter:
    """A batch given up on after every attempt failed: where it starts and how many items."""

    dead_letter_id: str
    subscription_id: str
    from_notification: int
    from_skip: int
    items: int
    attempts: int
    last_error: str
    failed_at: datetime
    redelivered_at: datetime | None


class WebhookStore:
    def __init__(self, store: SqlStore, key: bytes) -> None:
        self._store = store
        self._cipher = AESGCM(key)
        store.ensure(_SUBSCRIPTIONS, _DEAD_LETTERS)
        # Two workers at once: on PostgreSQL the row is locked; SQLite serialises writers.
        lock = " FOR UPDATE" if store.backend == "postgres" else ""
        self._select_lease = _SELECT_LEASE + lock
        self._select_position = _SELECT_POSITION + lock

    # -- the admin's side ---------------------------------------------------------------------

    def add(self, organisation: str, url: str, now: datetime) -> tuple[Subscription, str]:
        """A new subscription from the start of the feed, and its secret (shown once)."""
        if not organisation or len(organisation) > 128 or not organisation.isprintable():
            raise ValueError("the organisation is 1-128 printable characters")
        check_url(url)
        subscription_id = f"wh-{uuid.uuid4().hex[:16]}"
        secret = f"whsec_{secrets.token_urlsafe(32)}"
        with self._store.transaction() as tx:
            tx.execute(
                "INSERT INTO {polku_webhooks} VALUES"
                " (%s, %s, %s, %s, %s, NULL, 0, 0, 0, 0, 0, NULL, 0)",
                (
                    subscription_id, organisation, url, self._seal(subscription_id, secret),
                    utc_text(now),
                ),
            )  # fmt: skip
        subscription = self.get(subscription_id)
        assert subscription is not None
        return subscription, secret

    def remove(self, subscription_id: str, now: datetime) -> bool:
        """Stop delivering (the row stays, for the record); False if there is no such one."""
        with self._store.transaction() as tx:
            found = tx.rows(
                "SELECT 1 FROM {polku_webhooks} WHERE subscription_id = %s AND removed_at IS NULL",
                (subscription_id,),
            )
            tx.execute(
                "UPDATE {polku_webhooks} SET removed_at = %s"
                " WHERE subscription_id = %s AND removed_at IS NULL",
                (utc_text(now), subscription_id),
            )
        return bool(found)

    def get(self, subscription_id: str) -> Subscription | None:
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(
                f"SELECT {_COLUMNS} FROM {{polku_webhooks}} WHERE subscription_id = %s",  # noqa: S608
                (subscription_id,),
            )
        return _subscription(rows[0]) if rows else None

    def all(self) -> list[Subscription]:
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(
                f"SELECT {_COLUMNS} FROM {{polku_webhooks}} ORDER BY created_at, subscription_id"  # noqa: S608
            )
        return [_subscription(row) for row in rows]

    def dead_letters(self, subscription_id: str) -> list[DeadLetter]:
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT dead_letter_id, subscription_id, from_notification, from_skip, items,"
                " attempts, last_error, failed_at, redelivered_at"
                " FROM {polku_webhook_dead_letters} WHERE subscription_id = %s"
                " ORDER BY from_notification, from_skip",
                (subscription_id,),
            )
        return [
            DeadLetter(
                str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]), str(r[6]),
                datetime.fromisoformat(str(r[7])),
                datetime.fromisoformat(str(r[8])) if r[8] is not None else None,
            )
            for r in rows
        ]  # fmt: skip

    def redelivered(self, dead_letter_id: str, now: datetime) -> None:
        with self._store.transaction() as tx:
            tx.execute(
                "UPDATE {polku_webhook_dead_letters} SET redelivered_at = %s"
                " WHERE dead_letter_id = %s",
                (utc_text(now), dead_letter_id),
            )

    # -- the worker's side --------------------------------------------------------------------

    def due(self, now: float) -> list[Subscription]:
        """Subscriptions in force whose next attempt is due and that no worker holds."""
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(
                f"SELECT {_COLUMNS} FROM {{polku_webhooks}}"  # noqa: S608
                " WHERE removed_at IS NULL AND next_attempt_at <= %s AND lease_until <= %s"
                " ORDER BY next_attempt_at, subscription_id",
                (now, now),
            )
        return [_subscription(row) for row in rows]

    def lease(self, subscription: Subscription, now: float, seconds: float) -> bool:
        """Take the subscription for ``seconds`` unless another worker holds it or it moved."""
        with self._store.transaction() as tx:
            rows = tx.rows(self._select_lease, (subscription.subscription_id,))
            if not rows:
                return False
            notification, skip, lease_until, removed_at = rows[0]
            if (
                removed_at is not None
                or float(lease_until) > now
                or (int(notification), int(skip)) != (subscription.notification, subscription.skip)
            ):
                return False
            tx.execute(
                "UPDATE {polku_webhooks} SET lease_until = %s WHERE subscription_id = %s",
                (now + seconds, subscription.subscription_id),
            )
        return True

    def secret(self, subscription_id: str) -> str:
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT secret FROM {polku_webhooks} WHERE subscription_id = %s",
                (subscription_id,),
            )
        return self._open(subscription_id, str(rows[0][0]))

    def acknowledged(
        self, subscription: Subscription, notification: int, skip: int, items: int
    ) -> bool:
        """The batch from the subscription's position was delivered (or there was nothing to
        deliver): move the position on, if it is still where the batch started."""
        with self._store.transaction() as tx:
            if not self._still_at(tx, subscription):
                return False
            tx.execute(
                "UPDATE {polku_webhooks} SET notification = %s, skip = %s,"
                " delivered = delivered + %s, attempts = 0, next_attempt_at = 0,"
                " last_error = NULL, lease_until = 0 WHERE subscription_id = %s",
                (notification, skip, items, subscription.subscription_id),
            )
        return True

    def failed(
        self, subscription: Subscription, error: str, retry_at: float, attempts: int
    ) -> None:
        """An attempt failed: try again at ``retry_at``."""
        with self._store.transaction() as tx:
            if not self._still_at(tx, subscription):
                return
            tx.execute(
                "UPDATE {polku_webhooks} SET attempts = %s, next_attempt_at = %s,"
                " last_error = %s, lease_until = 0 WHERE subscription_id = %s",
                (attempts, retry_at, error, subscription.subscription_id),
            )

    def dead(
        self,
        subscription: Subscription,
        error: str,
        attempts: int,
        items: int,
        after: tuple[int, int],
        now: datetime,
    ) -> None:
        """Give up on the batch: keep where it starts as a dead letter and move on past it."""
        with self._store.transaction() as tx:
            if not self._still_at(tx, subscription):
                return
            tx.execute(
                "INSERT INTO {polku_webhook_dead_letters} VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, NULL)",
                (
                    f"dl-{uuid.uuid4().hex[:16]}", subscription.subscription_id,
                    subscription.notification, subscription.skip, items, attempts, error,
                    utc_text(now),
                ),
            )  # fmt: skip
            tx.execute(
                "UPDATE {polku_webhooks} SET notification = %s, skip = %s, attempts = 0,"
                " next_attempt_at = 0, last_error = %s, lease_until = 0"
                " WHERE subscription_id = %s",
                (after[0], after[1], error, subscription.subscription_id),
            )

    # -- internals ----------------------------------------------------------------------------

    def _still_at(self, tx: Tx, subscription: Subscription) -> bool:
        rows = tx.rows(self._select_position, (subscription.subscription_id,))
        return bool(rows) and (int(rows[0][0]), int(rows[0][1])) == (
            subscription.notification,
            subscription.skip,
        )

    def _seal(self, subscription_id: str, secret: str) -> str:
        nonce = os.urandom(12)
        sealed = self._cipher.encrypt(nonce, secret.encode(), subscription_id.encode())
        return base64.b64encode(nonce + sealed).decode()

    def _open(self, subscription_id: str, sealed: str) -> str:
        raw = base64.b64decode(sealed)
        return self._cipher.decrypt(raw[:12], raw[12:], subscription_id.encode()).decode()


def _subscription(row: tuple[object, ...]) -> Subscription:
    return Subscription(
        subscription_id=str(row[0]),
        organisation=str(row[1]),
        url=str(row[2]),
        created_at=datetime.fromisoformat(str(row[3])),
        removed_at=datetime.fromisoformat(str(row[4])) if row[4] is not None else None,
        notification=int(row[5]),  # type: ignore[call-overload]
        skip=int(row[6]),  # type: ignore[call-overload]
        delivered=int(row[7]),  # type: ignore[call-overload]
        attempts=int(row[8]),  # type: ignore[call-overload]
        next_attempt_at=float(row[9]),  # type: ignore[arg-type]
        last_error=str(row[10]) if row[10] is not None else None,
    )
