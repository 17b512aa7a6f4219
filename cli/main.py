"""The ``polku`` command: each command group lives in its own module, registers its sub-commands
and names the handler that runs them (``set_defaults(handler=…)``).

Every failure ends in one line on standard error and a non-zero exit, never a traceback: bad
arguments (2), a store or keyring that cannot be used, a client that is not there (1). A closed
pipe (``polku … | head``) ends the command quietly.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from cli import (
    analytics,
    audit,
    demo,
    directory,
    erase,
    export,
    households,
    keys,
    pathways,
    serve,
    store,
    tokens,
    webhooks,
)
from cli.common import MOMENT_HELP, CommandError, moment

__all__ = ["main"]

GROUPS = (
    demo,
    serve,
    tokens,
    keys,
    audit,
    export,
    pathways,
    store,
    analytics,
    erase,
    households,
    webhooks,
    directory,
)


class Parser(argparse.ArgumentParser):
    """Argument errors in one line, naming the command and where its help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> Parser:
    parser = Parser(prog="polku", description="Polku care-pathway engine")
    parser.add_argument(
        "--database-url",
        help="overrides POLKU_DATABASE_URL (default sqlite:///./polku.db)",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for group in GROUPS:
        group.register(commands)
    commands.add_parser("keygen", help="print a new key for POLKU_CIPHER_KEY").set_defaults(
        handler=_keygen, needs_settings=False
    )
    for action in _actions(parser):
        if action.type is moment:
            action.help = f"{action.help}: {MOMENT_HELP}"
    return parser


def _actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    """Every option and argument of the parser and of its sub-commands, at any depth."""
    for action in parser._actions:  # argparse offers no public walk of its tree
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _actions(sub)


def _keygen(args: argparse.Namespace) -> int:
    print(base64.b64encode(secrets.token_bytes(32)).decode())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining
        # about the closed pipe on the way out.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("polku: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    if not getattr(args, "needs_settings", True):
        return int(args.handler(args))
    from cli.common import settings_of
    from domain.errors import InvalidQueryError, JourneyNotFoundError, NotPermittedError, PolkuError
    from runtime.logging import configure_logging
    from storage.keyring import KeyringError

    try:
        configure_logging(settings_of(args, store_must_exist=False))
        return int(args.handler(args))
    except CommandError as error:
        return _fail(str(error), 1)
    except JourneyNotFoundError:
        return _fail("no journey for that client", 1)
    except (InvalidQueryError, NotPermittedError) as error:
        return _fail(str(error), 2)
    except PolkuError as error:
        return _fail(str(error), 1)
    except KeyringError as error:
        return _fail(f"keyring: {error}", 1)
    except BrokenPipeError:
        raise  # main ends it quietly
    except Exception as error:
        return _fail(_explain(error), 1)


def _explain(error: Exception) -> str:
    """One line for an error nobody planned for: what kind, and for a store that does not
    answer, which (never the values in the message, which may quote personal data)."""
    from eventsourcing.persistence import InterfaceError, OperationalError
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        return f"invalid settings: {fields} (see the README's configuration table)"
    if isinstance(error, OperationalError | InterfaceError):
        cause = error.__cause__ or error
        return f"the store does not answer ({type(cause).__name__}): is the database there?"
    return f"failed: {type(error).__name__} (POLKU_LOG_LEVEL=debug shows more in the log)"


def _fail(message: str, code: int) -> int:
    print(f"polku: {message}", file=sys.stderr)
    return code
