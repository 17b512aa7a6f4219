"""What the command groups share: argument types, settings, the CLI's reader, output and progress.

Only the standard library is imported here at module level: ``polku keygen`` and ``polku
--help`` must not pay for the database drivers, pydantic or FastAPI. Each command imports what
it needs when it runs.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.reads import Reader
    from runtime.settings import Settings

__all__ = [
    "Command",
    "cli_reader",
    "moment",
    "progress_bar",
    "settings_of",
    "write_output",
]

Command = Any
"""The ``add_parser`` side of ``argparse``'s sub-parsers (its class is private to argparse)."""


def moment(text: str) -> datetime:
    """An ISO 8601 time with its zone, as ``--at``-style options take it."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone, e.g. {text}+00:00")
    return value


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings from the environment, with ``--database-url`` on top."""
    from runtime.settings import Settings

    overrides = {"database_url": args.database_url} if args.database_url else {}
    return Settings(**overrides)


def cli_reader(endpoint: str) -> Reader:
    """The local operator reading through a command: logged as ``cli:<user>`` with the auditor's
    rights (whoever can run ``polku`` on the server can read the database anyway)."""
    from domain.events import Actor
    from runtime.reads import Reader

    return Reader(Actor(f"cli:{getpass.getuser()}", "local", "auditor"), endpoint)


def write_output(text: str, output: str | None) -> None:
    """Print ``text``, or write it to ``output`` whole (never half-written)."""
    if not output:
        print(text)
        return
    target = Path(output)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)
    print(f"wrote {target}", file=sys.stderr)


def progress_bar(name: str) -> Callable[[int, int], None]:
    def show(position: int, last: int) -> None:
        done = position / last if last else 1.0
        bar = "#" * int(done * 30)
        print(f"\r{name:9} [{bar:<30}] {done:6.1%} {position}/{last}", end="", file=sys.stderr)

    return show
