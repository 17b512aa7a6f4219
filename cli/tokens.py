"""``polku tokens create|list|revoke``: API tokens for service accounts and scripts (admin)."""

from __future__ import annotations

import argparse
import sys

from cli.common import Command, moment, settings_of
from cli.tables import add_format, emit
from domain.roles import ROLES

__all__ = ["register"]


def register(commands: Command) -> None:
    tokens = commands.add_parser("tokens", help="issue, list and revoke API tokens (admin)")
    sub = tokens.add_subparsers(dest="tokens_command", required=True)
    create = sub.add_parser("create", help="issue a token; it is printed once, stored hashed")
    create.add_argument(
        "--party",
        required=True,
        help="the party id the token acts as (a client: their client ref;"
        " a guardian: their id as the registration's guardians name it)",
    )
    create.add_argument("--org", required=True, help="the party's organisation")
    create.add_argument("--role", required=True, choices=ROLES, help="what the token may do")
    create.add_argument("--label", default="", help="a note for the token list (no secrets)")
    create.add_argument(
        "--expires",
        type=moment,
        default=None,
        help="when the token stops working (a date or date and time; default: never)",
    )
    create.add_argument(
        "--scopes",
        default=None,
        help="what it may be used for, comma-separated: read (GET), write (other methods),"
        " feed (the change feed); default: all three",
    )
    create.set_defaults(handler=_create, creates_store=True)
    listing = sub.add_parser("list", help="list tokens (ids, parties, roles; never secrets)")
    add_format(listing)
    listing.set_defaults(handler=_list)
    revoke = sub.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", help="the id shown by `polku tokens list`")
    revoke.set_defaults(handler=_revoke)


def _create(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        scopes = None
        if args.scopes is not None:
            scopes = tuple(s.strip() for s in args.scopes.split(",") if s.strip())
        token = components.tokens.create(
            party_id=args.party,
            organisation=args.org,
            role=args.role,
            label=args.label,
            expires_at=args.expires,
            scopes=scopes,
        )
    except ValueError as error:
        print(f"polku: {error}", file=sys.stderr)
        return 2
    finally:
        components.close()
    print(token)
    return 0


def _list(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        rows = [
            (
                t.token_id,
                t.party_id,
                t.organisation,
                t.role,
                t.label,
                t.created_at[:19],
                (t.revoked_at or "")[:19],
                (t.expires_at or "")[:19],
                t.scopes or "read write feed",
            )
            for t in components.tokens.list()
        ]
    finally:
        components.close()
    headers = ["id", "party", "organisation", "role", "label", "created", "revoked"]
    headers += ["expires", "scopes"]
    print(emit(headers, rows, args.format))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        revoked = components.tokens.revoke(args.token_id)
    finally:
        components.close()
    if revoked:
        print(f"revoked {args.token_id}")
        return 0
    print(f"polku: no active token with id {args.token_id}", file=sys.stderr)
    return 1
