"""What the command groups share: argument types, settings, the CLI's reader, output and progress.

Only the standard library is imported here at module level: ``polku keygen`` and ``polku
--help`` must not pay for the database drivers, pydantic or FastAPI. Each command imports what
it needs when it runs.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.reads import Reader
    from runtime.settings import Settings

__all__ = [
    "MOMENT_HELP",
    "Command",
    "CommandError",
    "bounded",
    "cli_reader",
    "moment",
    "progress_bar",
    "settings_of",
    "write_output",
]

Command = Any
"""The ``add_parser`` side of ``argparse``'s sub-parsers (its class is private to argparse)."""


MOMENT_HELP = (
    "a date (2026-04-05) or a date and time (2026-04-05T14:30), with a zone (+03:00, Z) or"
    " without one, when it is UTC; a date alone is the start of that day"
)
_DATE_WITH_ZONE = re.compile(r"^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})$")


def moment(text: str) -> datetime:
    """A time as ``--at``-style options take it: see :data:`MOMENT_HELP`."""
    dated = _DATE_WITH_ZONE.match(text.strip())
    candidate = f"{dated[1]}T00:00{dated[2]}" if dated else text.strip()
    try:
        value = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date or time: {text!r} (e.g. 2026-04-05, 2026-04-05T14:30+03:00)"
        ) from None
    if not 1900 <= value.year <= 2199:
        raise argparse.ArgumentTypeError(f"out of range (years 1900-2199): {text!r}")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def bounded(low: int, high: int) -> Callable[[str], int]:
    """An integer argument type that refuses values outside [low, high] with a clear message."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse


def settings_of(args: argparse.Namespace, *, store_must_exist: bool = True) -> Settings:
    """The settings from the environment, with ``--database-url`` on top. A command that only
    reads (``creates_store`` is false) refuses an SQLite file that does not exist, rather than
    create an empty store and answer from it."""
    from runtime.settings import Settings

    overrides = {"database_url": args.database_url} if args.database_url else {}
    settings = Settings(**overrides)
    url = settings.database_url
    if (
        store_must_exist
        and url.startswith("sqlite:///")
        and not getattr(args, "creates_store", False)
    ):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) != ":memory:" and not path.exists():
            raise CommandError(
                f"there is no store at {path} (polku demo or polku serve makes one;"
                " POLKU_DATABASE_URL or --database-url names another)"
            )
    return settings


class CommandError(Exception):
    """A command cannot go on: the message says why, in one line, for the person at the
    terminal."""


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
