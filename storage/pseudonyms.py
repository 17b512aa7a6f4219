"""Which journey-id scheme a store uses, and whether the keyring's pseudonym secret is its own.

A new store records ``hmac-v1`` (keyed ids). A store that already held events when this was
first asked was written with the unkeyed ids of earlier versions and records ``uuid5`` until
``polku keys migrate-ids`` moves it. The store also keeps a fingerprint of the pseudonym secret
(an HMAC of a constant, which reveals nothing of the secret), so that opening it with another
keyring fails at once with a clear error instead of answering "not found" for every client.
"""

from __future__ import annotations

import hashlib
import hmac

from domain.application import JourneyService
from storage.keyring import KeyringError
from storage.sql import SqlStore

__all__ = ["KEYED", "LEGACY", "journey_id_scheme", "set_journey_id_scheme"]

KEYED = "hmac-v1"
LEGACY = "uuid5"
_META = "CREATE TABLE IF NOT EXISTS {polku_meta} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
_SELECT = "SELECT value FROM {polku_meta} WHERE name = %s"
_INSERT = "INSERT INTO {polku_meta} VALUES (%s, %s) ON CONFLICT DO NOTHING"


def journey_id_scheme(store: SqlStore, service: JourneyService, secret: bytes) -> str:
    """The store's journey-id scheme (recorded on first use); refuses a foreign secret."""
    store.ensure(_META)
    fingerprint = hmac.new(secret, b"polku pseudonym secret check", hashlib.sha256).hexdigest()
    fresh = not (service.recorder.max_notification_id() or 0)
    with store.transaction() as tx:
        tx.execute(_INSERT, ("journey_ids", KEYED if fresh else LEGACY))
        tx.execute(_INSERT, ("pseudonym_check", fingerprint[:24]))
        scheme = str(tx.rows(_SELECT, ("journey_ids",))[0][0])
        check = str(tx.rows(_SELECT, ("pseudonym_check",))[0][0])
    if check != fingerprint[:24]:
        raise KeyringError(
            "the keyring's pseudonym secret is not the one this store was written with"
            " (POLKU_KEYRING or POLKU_PSEUDONYM_SECRET points at another store's keys)"
        )
    return scheme


def set_journey_id_scheme(store: SqlStore, scheme: str) -> None:
    with store.transaction() as tx:
        tx.execute("UPDATE {polku_meta} SET value = %s WHERE name = %s", (scheme, "journey_ids"))
