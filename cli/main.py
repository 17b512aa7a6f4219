"""The ``polku`` command: each command group lives in its own module, registers its sub-commands
and names the handler that runs them (``set_defaults(handler=…)``)."""

from __future__ import annotations

import argparse
import base64
import secrets
import sys
from collections.abc import Sequence

from cli import analytics, audit, demo, erase, export, keys, pathways, serve, store, tokens

__all__ = ["main"]

GROUPS = (demo, serve, tokens, keys, audit, export, pathways, store, analytics, erase)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polku", description="Polku care-pathway engine")
    parser.add_argument(
        "--database-url",
        help="overrides POLKU_DATABASE_URL (default sqlite:///./polku.db)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(commands)
    commands.add_parser("keygen", help="print a new key for POLKU_CIPHER_KEY").set_defaults(
        handler=_keygen, needs_settings=False
    )
    return parser


def _keygen(args: argparse.Namespace) -> int:
    print(base64.b64encode(secrets.token_bytes(32)).decode())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "needs_settings", True):
        from cli.common import settings_of
        from domain.errors import (
            InvalidQueryError,
            JourneyNotFoundError,
            NotPermittedError,
            PolkuError,
        )
        from runtime.logging import configure_logging

        try:
            settings = settings_of(args)
        except ValueError as error:
            print(f"polku: invalid settings: {error}", file=sys.stderr)
            return 2
        configure_logging(settings)
        try:
            code: int = args.handler(args)
        except JourneyNotFoundError:
            print("polku: no journey for that client", file=sys.stderr)
            return 1
        except (InvalidQueryError, NotPermittedError) as error:
            print(f"polku: {error}", file=sys.stderr)
            return 2
        except PolkuError as error:
            print(f"polku: {error}", file=sys.stderr)
            return 1
        return code
    return int(args.handler(args))
