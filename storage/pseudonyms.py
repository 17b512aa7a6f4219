"""Which journey-id scheme a store uses, and whether the keyring's pseudonym secret is its own.

A new store records ``hmac-v1`` (keyed ids). A store that already held events when this was
first asked was written with the unkeyed ids of earlier versions and records ``uuid5`` until
``polku keys migrate-ids`` moves it. The store also keeps a fingerprint of the pseudonym secret
(an HMAC of a constant, which reveals nothing of the secret), so that opening it with another
keyring fails at once with a clear error instead of answering "not found" for every client.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable
from typing import cast
from uuid import UUID

from domain.application import JourneyService
from domain.events import ClientRegistered, JourneyEvent
from domain.journey import JourneyIds
from storage.keyring import KeyringError
from storage.sql import META_TABLE, SqlStore
from storage.vault import KeyVault

__all__ = ["KEYED", "LEGACY", "journey_id_scheme", "migrate_journey_ids"]

KEYED = "hmac-v1"
LEGACY = "uuid5"
_SELECT = "SELECT value FROM {polku_meta} WHERE name = %s"
_INSERT = "INSERT INTO {polku_meta} VALUES (%s, %s) ON CONFLICT DO NOTHING"


def journey_id_scheme(store: SqlStore, service: JourneyService, secret: bytes) -> str:
    """The store's journey-id scheme (recorded on first use); refuses a foreign secret."""
    store.ensure(META_TABLE)
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


def migrate_journey_ids(
    service: JourneyService,
    store: SqlStore,
    secret: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Move every journey of a store written with unkeyed ids to its keyed id; how many moved.

    Each journey's events are copied under the new id (their personal parts re-sealed for it,
    with the same data key; an erased journey's stay as they are, unreadable), its key and its
    access-log rows follow, then its old rows are deleted. A journey already copied (a run that
    stopped half-way) is not copied twice. The read models must be rebuilt afterwards; the
    caller does that. Finally the store records the keyed scheme."""
    vault = service.vault
    if not isinstance(vault, KeyVault):
        raise TypeError("migrating journey ids needs the key vault")
    keyed = JourneyIds(secret)
    olds = store.journey_ids_in_store(service)
    moved = 0
    for n, old_text in enumerate(olds, 1):
        old = UUID(old_text)
        stored = service.recorder.select_events(old)
        first = service.decode_sealed(stored[0]) if stored else None
        if isinstance(first, ClientRegistered) and keyed(first.client_ref) != old:
            new = keyed(first.client_ref)
            if not service.recorder.select_events(new, limit=1):
                # Opened with the old id's key before the key moves to the new id.
                opened = [cast(JourneyEvent, service.mapper.to_domain_event(r)) for r in stored]
                if vault.move(old, new):
                    copies = [
                        service.mapper.to_stored_event(dataclasses.replace(e, originator_id=new))
                        for e in opened
                    ]
                else:  # erased: the sealed parts stay sealed, unreadable by anyone
                    copies = [dataclasses.replace(row, originator_id=new) for row in stored]
                service.recorder.insert_events(copies)
            with store.transaction() as tx:
                tx.execute(
                    "UPDATE {polku_access_log} SET journey_id = %s WHERE journey_id = %s",
                    (str(new), str(old)),
                )
            store.delete_journey_events(service, old_text)
            moved += 1
        if progress is not None:
            progress(n, len(olds))
    with store.transaction() as tx:
        tx.execute("UPDATE {polku_meta} SET value = %s WHERE name = %s", (KEYED, "journey_ids"))
    store.compact_after_delete("polku_client_keys")
    return moved
