"""Per-client keys for the personal part of events (crypto-shredding), kept in Polku's database.

Each client (journey) gets a random 256-bit AES-GCM key the first time personal data is stored
for them. The personal part of every event is sealed with it, bound to the journey and the
event id. Erasure deletes the key (on SQLite with ``secure_delete``, so the freed space is
zeroed) and then checkpoints SQLite's WAL or runs ``VACUUM FULL`` on PostgreSQL's key table, so
the key's bytes do not linger in the database.
Keys are cached in the process for :attr:`KeyVault.CACHE_SECONDS`; another process that erases
a key is noticed within that time.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.personal import ERASED, SEALED
from storage.sql import SqlStore

__all__ = ["KeyVault"]

_TABLE = (
    "CREATE TABLE IF NOT EXISTS {polku_client_keys} ("
    " journey_id TEXT PRIMARY KEY, key_b64 TEXT NOT NULL, created_at TEXT NOT NULL)"
)


class KeyVault:
    CACHE_SECONDS = 2.0

    def __init__(self) -> None:
        self._store: SqlStore | None = None
        self._cache: dict[UUID, tuple[float, bytes | None]] = {}
        self._lock = threading.Lock()

    def bind(self, store: SqlStore) -> None:
        """Attach the database (built after the service, whose mapper uses this vault)."""
        self._store = store
        store.ensure(_TABLE)

    # -- the PersonalVault protocol -----------------------------------------------------------

    def seal(self, journey: UUID, event_id: UUID, personal: dict[str, Any]) -> dict[str, Any]:
        key = self._key(journey, create=True)
        assert key is not None
        nonce = os.urandom(12)
        plain = json.dumps(personal, separators=(",", ":"), ensure_ascii=False).encode()
        token = nonce + AESGCM(key).encrypt(nonce, plain, journey.bytes + event_id.bytes)
        return {SEALED: base64.urlsafe_b64encode(token).decode(), "_fields": sorted(personal)}

    def open(self, journey: UUID, event_id: UUID, stored: dict[str, Any]) -> dict[str, Any]:
        fields = [str(f) for f in stored.get("_fields", [])]
        key = self._key(journey, create=False)
        if key is None:
            return dict.fromkeys(fields, ERASED)
        token = base64.urlsafe_b64decode(str(stored[SEALED]))
        try:
            plain = AESGCM(key).decrypt(token[:12], token[12:], journey.bytes + event_id.bytes)
        except InvalidTag:
            # A key made after an erasure cannot open what was sealed before it.
            return dict.fromkeys(fields, ERASED)
        opened: dict[str, Any] = json.loads(plain)
        return opened

    # -- keys ---------------------------------------------------------------------------------

    def erase(self, journey: UUID) -> bool:
        """Delete the journey's key for good; ``False`` if it had none."""
        store = self._bound()
        with store.transaction() as tx:
            if store.backend == "sqlite":
                tx.execute("PRAGMA secure_delete = ON")  # overwrite the deleted key with zeros
            found = tx.rows(
                "SELECT 1 FROM {polku_client_keys} WHERE journey_id = %s", (str(journey),)
            )
            tx.execute("DELETE FROM {polku_client_keys} WHERE journey_id = %s", (str(journey),))
        with self._lock:
            self._cache.pop(journey, None)
        store.compact_after_delete("polku_client_keys")
        return bool(found)

    def _bound(self) -> SqlStore:
        if self._store is None:
            raise RuntimeError("the key vault is not bound to a database")
        return self._store

    def _key(self, journey: UUID, *, create: bool) -> bytes | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(journey)
        if (
            cached is not None
            and now - cached[0] < self.CACHE_SECONDS
            and (cached[1] or not create)
        ):
            return cached[1]
        store = self._bound()
        with store.transaction(write=create) as tx:
            rows = tx.rows(
                "SELECT key_b64 FROM {polku_client_keys} WHERE journey_id = %s", (str(journey),)
            )
            if not rows and create:
                # Another process may make the first key at the same moment: keep whichever
                # was stored first, and use that one.
                key = AESGCM.generate_key(bit_length=256)
                tx.execute(
                    "INSERT INTO {polku_client_keys} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (str(journey), base64.b64encode(key).decode(), datetime.now(UTC).isoformat()),
                )
                rows = tx.rows(
                    "SELECT key_b64 FROM {polku_client_keys} WHERE journey_id = %s", (str(journey),)
                )
        key_bytes = base64.b64decode(rows[0][0]) if rows else None
        with self._lock:
            self._cache[journey] = (now, key_bytes)
        return key_bytes
