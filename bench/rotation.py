"""KEK rotation at scale: re-wrapping every live client key under a new KEK.

Anchor, in the same run and store: one raw pass over the same rows that reads every key row and
writes it back unchanged in one transaction (the floor for any rotation that touches every row),
so the figure says how much the unwrap/wrap work adds. Keys are inserted directly (wrapped under
the current KEK, as the vault stores them), not by recording journeys: rotation does not look at
events. Default 100,000 clients; ``--clients`` changes it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import uuid4

from bench.common import Store, backends, parse_args, report, store
from domain.application import JourneyService
from runtime.wiring import build_service, open_keyring
from storage.sql import SqlStore
from storage.vault import KeyVault, wrap_key


def _fill(s: Store, clients: int) -> JourneyService:
    service = build_service(s.settings)
    kek_id, kek = open_keyring(s.settings).current()
    db = SqlStore(service)
    now = datetime.now(UTC).isoformat()
    rows = []
    for _ in range(clients):
        journey = str(uuid4())
        rows.append((journey, wrap_key(kek, kek_id, journey, uuid4().bytes * 2), now, kek_id))
    with db.transaction() as tx:
        tx.insert_many("polku_client_keys", ("journey_id", "key_b64", "created_at", "kek_id"), rows)
    return service


def _raw_pass(s: Store) -> float:
    service = build_service(s.settings)
    db = SqlStore(service)
    started = time.perf_counter()
    with db.transaction() as tx:
        rows = tx.rows("SELECT journey_id, key_b64, kek_id FROM {polku_client_keys}")
        tx.executemany(
            "UPDATE {polku_client_keys} SET key_b64 = %s, kek_id = %s WHERE journey_id = %s",
            [(wrapped, kek_id, journey) for journey, wrapped, kek_id in rows],
        )
    seconds = time.perf_counter() - started
    service.close()
    return seconds


def main() -> None:
    args = parse_args(__doc__ or "", [("--clients", int, 100_000)])
    for backend in backends(args.backend):
        with store(backend) as s:
            service = _fill(s, args.clients)  # kept open: closing it closes its store
            anchor = _raw_pass(s)
            vault = service.vault
            assert isinstance(vault, KeyVault)
            rotation = vault.rotate()
            service.close()
            assert rotation.rewrapped == args.clients
            report(
                backend,
                f"rotate {args.clients:,} client keys",
                f"{rotation.seconds:.2f} s",
                f"{anchor:.2f} s",
                rotation.seconds / anchor,
                "rotation vs one raw read-and-write pass over the key rows; daily is cheap",
            )


if __name__ == "__main__":
    main()
