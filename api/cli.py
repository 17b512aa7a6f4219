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
    return 2  # pragma: no cover - argparse rejects unknown commands


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
