"""``polku erase`` and ``polku retention``: erasing clients' personal data (admin token needed)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from cli.common import Command, bounded, settings_of
from cli.tables import render_table
from domain.vocabulary import vocabulary

if TYPE_CHECKING:
    from runtime.wiring import Components

__all__ = ["register"]

Targets = Callable[["Components"], "tuple[list[str], str] | None"]
"""Which clients to erase and why, or None when nothing is to be erased."""


def register(commands: Command) -> None:
    erase = commands.add_parser("erase", help="erase a client's personal data (admin token needed)")
    reasons = sorted(vocabulary().terms["erasure_reasons"])
    erase.add_argument("client_ref", help="the client's ref")
    erase.add_argument("--reason", required=True, choices=reasons, help="why (kept, as a code)")
    erase.add_argument("--note", help="optional free text, erased with the client's data")
    erase.add_argument("--token", help=argparse.SUPPRESS)
    erase.set_defaults(handler=_erase)
    retention = commands.add_parser(
        "retention", help="erase journeys closed longer ago than POLKU_RETENTION_CLOSED_YEARS"
    )
    retention.add_argument(
        "--years", type=bounded(1, 100), help="override the configured number of years"
    )
    retention.add_argument("--dry-run", action="store_true", help="only list what would go")
    retention.add_argument("--token", help=argparse.SUPPRESS)
    retention.set_defaults(handler=_retention)


def _erase(args: argparse.Namespace) -> int:
    return _erase_each(args, lambda components: ([args.client_ref], args.reason))


def _admin_token(args: argparse.Namespace) -> str | None:
    """The admin token from ``POLKU_TOKEN``, or asked for at the terminal — never from the
    command line, where every user of the machine can read it in the process list."""
    if args.token:
        print(
            "polku: --token is refused: a token on the command line is visible to every user"
            " of this machine (ps); set POLKU_TOKEN or type it when asked",
            file=sys.stderr,
        )
        return None
    token = os.environ.get("POLKU_TOKEN", "")
    if not token and sys.stdin.isatty():
        token = getpass.getpass("admin token: ")
    return token or None


def _retention(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from runtime.erasure import retention_candidates

    def targets(components: Components) -> tuple[list[str], str] | None:
        settings = settings_of(args)
        years = args.years or settings.retention_closed_years
        candidates = retention_candidates(components, years, datetime.now(UTC))
        rows = [(c.client_ref, c.closed_at.isoformat(timespec="minutes")) for c in candidates]
        print(render_table([f"closed more than {years} years ago", "closed at"], rows))
        if args.dry_run:
            print(f"dry run: {len(candidates)} journeys would be erased")
            return None
        return [c.client_ref for c in candidates], "retention_expired"

    return _erase_each(args, targets)


def _erase_each(args: argparse.Namespace, choose: Targets) -> int:
    from runtime.erasure import erase_client
    from runtime.wiring import build_components

    token = _admin_token(args)
    if token is None and args.token:
        return 2
    components = build_components(settings_of(args))
    try:
        actor = components.tokens.authenticate(token) if token else None
        if actor is None or actor.role != "admin":
            print("polku: erasure needs a valid admin token in POLKU_TOKEN", file=sys.stderr)
            return 2
        chosen = choose(components)
        if chosen is None:
            return 0
        client_refs, reason = chosen
        for client_ref in client_refs:
            result = erase_client(
                components, client_ref, reason, actor, getattr(args, "note", None)
            )
            state = "was already erased" if result.already_erased else "erased"
            print(f"{client_ref}: {state} (event {result.event_id})")
    finally:
        components.close()
    return 0
