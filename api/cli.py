"""The ``polku`` command."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog

from api.bootstrap import build_service
from api.demo import ManualClock, load_demo, print_demo
from api.logging import configure_logging
from api.settings import Settings
from api.sqlstore import SqlStore
from api.tables import render_table
from api.tokens import ROLES, TokenStore
from domain.application import JourneyService
from domain.errors import PolkuError

__all__ = ["main"]

log = structlog.get_logger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polku", description="Polku care-pathway engine")
    parser.add_argument(
        "--database-url",
        help="overrides POLKU_DATABASE_URL (default sqlite:///./polku.db)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "demo",
        help="load the three demo journeys (once) and print their teams and information flow",
    )
    serve = sub.add_parser("serve", help="serve the HTTP API (docs at /docs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo",
        action="store_true",
        help="load the demo journeys if the store is empty and print fresh demo tokens",
    )
    tokens = sub.add_parser("tokens", help="issue, list and revoke API tokens (admin)")
    tsub = tokens.add_subparsers(dest="tokens_command", required=True)
    create = tsub.add_parser("create", help="issue a token; it is printed once, stored hashed")
    create.add_argument("--party", required=True)
    create.add_argument("--org", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--label", default="")
    tsub.add_parser("list", help="list tokens (ids, parties, roles; never secrets)")
    revoke = tsub.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {"database_url": args.database_url} if args.database_url else {}
    try:
        settings = Settings(**overrides)
    except ValueError as error:
        print(f"polku: invalid settings: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    if args.command == "demo":
        return _demo(settings)
    if args.command == "tokens":
        return _tokens(settings, args)
    if args.command == "serve":
        return _serve(settings, args.host, args.port, demo=args.demo)
    return 2  # pragma: no cover - argparse rejects unknown commands


def _tokens(settings: Settings, args: argparse.Namespace) -> int:
    service = build_service(settings)
    store = SqlStore(service)
    try:
        tokens = TokenStore(store)
        if args.tokens_command == "create":
            try:
                token = tokens.create(
                    party_id=args.party, organisation=args.org, role=args.role, label=args.label
                )
            except ValueError as error:
                print(f"polku: {error}", file=sys.stderr)
                return 2
            print(token)
            return 0
        if args.tokens_command == "list":
            rows = [
                (
                    t.token_id,
                    t.party_id,
                    t.organisation,
                    t.role,
                    t.label,
                    t.created_at[:19],
                    (t.revoked_at or "")[:19],
                )
                for t in tokens.list()
            ]
            print(
                render_table(
                    ["id", "party", "organisation", "role", "label", "created", "revoked"], rows
                )
            )
            return 0
        if tokens.revoke(args.token_id):
            print(f"revoked {args.token_id}")
            return 0
        print(f"polku: no active token with id {args.token_id}", file=sys.stderr)
        return 1
    finally:
        service.close()


DEMO_LABEL = "demo"


def _serve(settings: Settings, host: str, port: int, *, demo: bool) -> int:
    import uvicorn

    from api.app import build_components, create_app

    components = build_components(settings)
    if demo:
        if not _has_journeys(components.service):
            clock = ManualClock(now=datetime.now(UTC))
            demo_service = build_service(settings, clock=clock)
            try:
                stored = load_demo(demo_service, clock)
            finally:
                demo_service.close()
            log.info("demo.loaded", new_events=stored)
        components.tokens.revoke_labelled(DEMO_LABEL)
        admin = components.tokens.create(
            party_id="p-admin", organisation="polku-ops", role="admin", label=DEMO_LABEL
        )
        worker = components.tokens.create(
            party_id="p-integration-01",
            organisation="city-integration-services",
            role="caseworker",
            label=DEMO_LABEL,
        )
        auditor = components.tokens.create(
            party_id="p-audit-01", organisation="regional-audit", role="auditor", label=DEMO_LABEL
        )
        print("Demo tokens (new each start; the previous demo tokens are revoked):")
        print(f"  admin       {admin}")
        print(f"  case worker {worker}   (on the team of demo-child-001)")
        print(f"  auditor     {auditor}")
        print(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
        print(
            f'Try: curl -H "Authorization: Bearer {worker}" http://{host}:{port}/v1/journeys/demo-child-001'
        )
    app = create_app(settings, components=components)
    try:
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    finally:
        components.close()
    return 0


def _has_journeys(service: JourneyService) -> bool:
    return bool(service.recorder.max_notification_id())


def _demo(settings: Settings) -> int:
    clock = ManualClock(now=datetime.now(UTC))
    service = build_service(settings, clock=clock)
    try:
        started = time.perf_counter()
        stored = load_demo(service, clock)
        log.info("demo.loaded", new_events=stored, seconds=round(time.perf_counter() - started, 3))
        print_demo(service)
    except PolkuError as error:
        print(f"polku: {error}", file=sys.stderr)
        return 1
    finally:
        service.close()
    return 0
