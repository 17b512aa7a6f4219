"""``polku keys status|rotate|migrate-ids``: the key-encryption keys and the keyed journey ids.

Rotation re-wraps every live client key under a new KEK and destroys the old ones: afterwards
no copy of an erased client's key (WAL, archive, replica, backup) can be unwrapped. Run it after
erasures and at least daily (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import sys

from cli.common import Command, progress_bar, settings_of
from cli.tables import add_format, emit

__all__ = ["register"]


def register(commands: Command) -> None:
    keys = commands.add_parser("keys", help="key-encryption keys and keyed journey ids")
    sub = keys.add_subparsers(dest="keys_command", required=True)
    status = sub.add_parser(
        "status", help="the KEK in use, keys per KEK, and the journey-id scheme"
    )
    add_format(status)
    status.set_defaults(handler=_status)
    sub.add_parser(
        "rotate", help="re-wrap every client key under a new KEK and destroy the old ones"
    ).set_defaults(handler=_rotate)
    sub.add_parser(
        "migrate-ids",
        help="move a store written with unkeyed journey ids to keyed ids (then rebuilds the"
        " read models)",
    ).set_defaults(handler=_migrate_ids)


def _status(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        with components.store.transaction(write=False) as tx:
            per_kek = tx.rows(
                "SELECT kek_id, COUNT(*) FROM {polku_client_keys} GROUP BY kek_id ORDER BY kek_id"
            )
            meta = dict(tx.rows("SELECT name, value FROM {polku_meta} ORDER BY name"))
    finally:
        components.close()
    print(emit(["wrapped under", "client keys"], per_kek, args.format))
    if args.format == "table":
        print(f"KEK named current by the store: {meta.get('kek_current', '-')}")
        print(f"journey ids: {meta.get('journey_ids', '-')}")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    from runtime.wiring import build_service

    service = build_service(settings_of(args))
    try:
        from storage.vault import KeyVault

        vault = service.vault
        assert isinstance(vault, KeyVault)
        rotation = vault.rotate()
    finally:
        service.close()
    print(
        f"re-wrapped {rotation.rewrapped} client keys under {rotation.kek_id} in"
        f" {rotation.seconds:.2f} s; destroyed: {', '.join(rotation.destroyed) or 'none'}"
    )
    return 0


def _migrate_ids(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components, open_keyring
    from storage.pseudonyms import migrate_journey_ids

    settings = settings_of(args)
    components = build_components(settings)
    try:
        if not components.service.journey_id.legacy:
            print("journey ids are keyed already: nothing to migrate")
            return 0
        secret = open_keyring(settings).pseudonym_secret()
        moved = migrate_journey_ids(
            components.service, components.store, secret, progress_bar("journeys")
        )
        print(f"\nmoved {moved} journeys to keyed ids; rebuilding the read models", file=sys.stderr)
    finally:
        components.close()
    rebuilt = build_components(settings)
    try:
        for name, model in rebuilt.read_models.items():
            model.rebuild(progress=progress_bar(name))
            print(file=sys.stderr)
    finally:
        rebuilt.close()
    return 0
