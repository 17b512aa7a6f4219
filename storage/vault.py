"""Per-client data keys for the personal part of events (crypto-shredding), stored wrapped.

Each client (journey) gets a random 256-bit AES-GCM data key the first time personal data is
stored for them. The personal part of every event is sealed with it, bound to the journey and
the event id. The data key is stored only *wrapped*: encrypted (AES-GCM, bound to the journey and
the KEK's id) under a key-encryption key that lives outside the database (:mod:`storage.keyring`).

Erasure deletes the wrapped key (on SQLite with ``secure_delete``, then a WAL checkpoint; on
PostgreSQL with ``VACUUM FULL`` of the key table). Copies of the wrapped key that the database
cannot reach — WAL segments, archives, replicas, backups — stay wrapped under the KEK, and
:meth:`KeyVault.rotate` re-wraps every *live* key under a new KEK and destroys the old one, after
which no such copy can be unwrapped. ``docs/reliability.md`` states the guarantee.

The KEK new wrappings use is also named in ``polku_meta`` and read in the transaction that
stores a new key, so a process started before a rotation notices it (and re-reads its keyring)
instead of wrapping under a KEK that is about to be destroyed.

Keys are cached in the process for :attr:`KeyVault.CACHE_SECONDS`; another process that erases
a key is noticed within that time.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.personal import ERASED, SEALED
from storage.keyring import Keyring, KeyringError
from storage.sql import META_TABLE, SqlStore, Tx

__all__ = ["KeyVault", "Rotation", "unwrap_key", "wrap_key"]

_TABLE = (
    "CREATE TABLE IF NOT EXISTS {polku_client_keys} ("
    " journey_id TEXT PRIMARY KEY, key_b64 TEXT NOT NULL, created_at TEXT NOT NULL,"
    " kek_id TEXT)"
)
"""``key_b64`` holds the wrapped key; ``kek_id`` names the KEK it is wrapped under (NULL only in
stores written before keys were wrapped, until :meth:`KeyVault.bind` wraps them)."""
_CURRENT_KEK = "kek_current"
_SELECT_CURRENT = "SELECT value FROM {polku_meta} WHERE name = %s"
_SELECT_CURRENT_LOCKED = _SELECT_CURRENT + " FOR UPDATE"
_INSERT_KEY = "INSERT INTO {polku_client_keys} VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"


class Rotation:
    """What a rotation did: the new KEK, the keys re-wrapped, the KEKs destroyed, seconds."""

    def __init__(self, kek_id: str, rewrapped: int, destroyed: list[str], seconds: float) -> None:
        self.kek_id, self.rewrapped, self.destroyed, self.seconds = (
            kek_id,
            rewrapped,
            destroyed,
            seconds,
        )


def _aad(journey: str, kek_id: str) -> bytes:
    return f"polku client key|{journey}|{kek_id}".encode()


def wrap_key(kek: bytes, kek_id: str, journey: str, key: bytes) -> str:
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(kek).encrypt(nonce, key, _aad(journey, kek_id))).decode()


def unwrap_key(kek: bytes, kek_id: str, journey: str, wrapped: str) -> bytes:
    token = base64.b64decode(wrapped)
    return AESGCM(kek).decrypt(token[:12], token[12:], _aad(journey, kek_id))


_PREFETCH = 500
"""Journeys per key query when prefetching (under SQLite's limit on parameters)."""


class KeyVault:
    CACHE_SECONDS = 2.0

    def __init__(self, keyring: Keyring, reload: Callable[[], Keyring] | None = None) -> None:
        self._keyring = keyring
        self._reload = reload
        self._store: SqlStore | None = None
        self._cache: dict[UUID, tuple[float, bytes | None]] = {}
        self._lock = threading.Lock()

    def bind(self, store: SqlStore) -> None:
        """Attach the database (built after the service, whose mapper uses this vault); wrap
        any key a store from before wrapped keys still holds in the clear."""
        self._store = store
        store.ensure(_TABLE, META_TABLE)
        if "kek_id" not in store.columns("polku_client_keys"):
            store.ensure("ALTER TABLE {polku_client_keys} ADD COLUMN kek_id TEXT")
        with store.transaction() as tx:
            kek_id, kek = self._current(tx)
            plain = tx.rows(
                "SELECT journey_id, key_b64 FROM {polku_client_keys} WHERE kek_id IS NULL"
            )
            tx.executemany(
                "UPDATE {polku_client_keys} SET key_b64 = %s, kek_id = %s WHERE journey_id = %s",
                [
                    (wrap_key(kek, kek_id, str(j), base64.b64decode(str(k))), kek_id, str(j))
                    for j, k in plain
                ],
            )
        if plain:
            store.compact_after_delete("polku_client_keys")

    # -- the PersonalVault protocol -----------------------------------------------------------

    def seal(
        self, journey: UUID, event_id: UUID, personal: dict[str, Any], *, create: bool = True
    ) -> dict[str, Any] | None:
        key = self._key(journey, create=create)
        if key is None:
            return None
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

    def move(self, old: UUID, new: UUID) -> bool:
        """Give journey ``new`` the data key of journey ``old`` (re-wrapped for its new id) and
        delete the old row; ``False`` if ``old`` had no key (erased, or no personal data)."""
        store = self._bound()
        with store.transaction() as tx:
            rows = tx.rows(
                "SELECT key_b64, kek_id FROM {polku_client_keys} WHERE journey_id = %s",
                (str(old),),
            )
            if not rows:
                return False
            key = self._unwrap_row(str(old), rows[0])
            kek_id, kek = self._current(tx)
            tx.execute(
                _INSERT_KEY,
                (
                    str(new),
                    wrap_key(kek, kek_id, str(new), key),
                    datetime.now(UTC).isoformat(),
                    kek_id,
                ),
            )
            tx.execute("DELETE FROM {polku_client_keys} WHERE journey_id = %s", (str(old),))
        with self._lock:
            self._cache.pop(old, None)
            self._cache.pop(new, None)
        return True

    def rotate(self) -> Rotation:
        """Re-wrap every live key under a new KEK, then destroy every other KEK.

        The re-wrapping is one transaction, which also names the new KEK as current; the old
        KEKs are destroyed only after it commits, so a crash leaves every key unwrappable by a
        KEK the keyring still holds (run the rotation again)."""
        store = self._bound()
        started = time.perf_counter()
        new_id, new_kek = self._keyring.begin_rotation()
        with store.transaction() as tx:
            self._set_current(tx, new_id)
            rows = tx.rows("SELECT journey_id, key_b64, kek_id FROM {polku_client_keys}")
            rewrapped = []
            for journey, wrapped, kek_id in rows:
                if kek_id == new_id:
                    continue
                kek = self._keyring.kek(str(kek_id))
                if kek is None:
                    raise KeyringError(f"a client key is wrapped under {kek_id}, which is gone")
                key = unwrap_key(kek, str(kek_id), str(journey), str(wrapped))
                rewrapped.append(
                    (wrap_key(new_kek, new_id, str(journey), key), new_id, str(journey))
                )
            tx.executemany(
                "UPDATE {polku_client_keys} SET key_b64 = %s, kek_id = %s WHERE journey_id = %s",
                rewrapped,
            )
        store.compact_after_delete("polku_client_keys")
        destroyed = self._keyring.retire(new_id)
        return Rotation(new_id, len(rewrapped), destroyed, time.perf_counter() - started)

    def _bound(self) -> SqlStore:
        if self._store is None:
            raise RuntimeError("the key vault is not bound to a database")
        return self._store

    def _current(self, tx: Tx) -> tuple[str, bytes]:
        """The KEK to wrap new keys under: the one the database names, from this process's
        keyring (re-read once if it does not hold it yet: a rotation happened meanwhile)."""
        select = _SELECT_CURRENT_LOCKED if self._bound().backend == "postgres" else _SELECT_CURRENT
        rows = tx.rows(select, (_CURRENT_KEK,))
        if not rows:
            kek_id, kek = self._keyring.current()
            self._set_current(tx, kek_id)
            return kek_id, kek
        named = str(rows[0][0])
        found = self._keyring.kek(named)
        if found is None and self._reload is not None:
            self._keyring = self._reload()
            found = self._keyring.kek(named)
        if found is None:
            raise KeyringError(
                f"the database wraps keys under {named}, which this process's keyring does not"
                " hold: restart it with the current keyring"
            )
        return named, found

    @staticmethod
    def _set_current(tx: Tx, kek_id: str) -> None:
        tx.execute("DELETE FROM {polku_meta} WHERE name = %s", (_CURRENT_KEK,))
        tx.execute("INSERT INTO {polku_meta} VALUES (%s, %s)", (_CURRENT_KEK, kek_id))

    def prefetch(self, journeys: Sequence[UUID]) -> None:
        """Look up the keys of ``journeys`` in one query per few hundred, into the cache (a
        journey without a key is cached as such, as :meth:`_key` does)."""
        now = time.monotonic()
        with self._lock:
            wanted = [
                j
                for j in dict.fromkeys(journeys)
                if (c := self._cache.get(j)) is None or now - c[0] >= self.CACHE_SECONDS
            ]
        if not wanted:
            return
        store = self._bound()
        found: dict[str, tuple[Any, ...]] = {}
        with store.transaction() as tx:
            for start in range(0, len(wanted), _PREFETCH):
                chunk = [str(j) for j in wanted[start : start + _PREFETCH]]
                marks = ",".join(["%s"] * len(chunk))  # placeholders only
                query = f"SELECT journey_id, key_b64, kek_id FROM {{polku_client_keys}} WHERE journey_id IN ({marks})"  # noqa: S608, E501
                for row in tx.rows(query, chunk):
                    found[str(row[0])] = (row[1], row[2])
        keys = {
            j: self._unwrap_row(str(j), found[str(j)]) if str(j) in found else None for j in wanted
        }
        with self._lock:
            for journey, key in keys.items():
                self._cache[journey] = (now, key)

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
                "SELECT key_b64, kek_id FROM {polku_client_keys} WHERE journey_id = %s",
                (str(journey),),
            )
            if not rows and create:
                # Another process may make the first key at the same moment: keep whichever
                # was stored first, and use that one.
                kek_id, kek = self._current(tx)
                key = AESGCM.generate_key(bit_length=256)
                tx.execute(
                    _INSERT_KEY,
                    (
                        str(journey),
                        wrap_key(kek, kek_id, str(journey), key),
                        datetime.now(UTC).isoformat(),
                        kek_id,
                    ),
                )
                rows = tx.rows(
                    "SELECT key_b64, kek_id FROM {polku_client_keys} WHERE journey_id = %s",
                    (str(journey),),
                )
        key_bytes = self._unwrap_row(str(journey), rows[0]) if rows else None
        with self._lock:
            self._cache[journey] = (now, key_bytes)
        return key_bytes

    def _unwrap_row(self, journey: str, row: tuple[Any, ...]) -> bytes:
        wrapped, kek_id = str(row[0]), str(row[1])
        kek = self._keyring.kek(kek_id)
        if kek is None and self._reload is not None:
            self._keyring = self._reload()
            kek = self._keyring.kek(kek_id)
        if kek is None:
            raise KeyringError(f"a client key is wrapped under {kek_id}, which this keyring lacks")
        return unwrap_key(kek, kek_id, journey, wrapped)
