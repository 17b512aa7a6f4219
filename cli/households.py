"""``polku household show REF``: the household at (--at, --known-at), as JSON.

Read through :class:`runtime.households.Households`, the use case the HTTP route calls, as the
local operator (``cli:<user>``, with the auditor's rights): every member is shown, and each one's
journey gets an access-log row.
"""

from __future__ import annotations

import argparse

from cli.common import Command, cli_reader, moment, settings_of, write_output

__all__ = ["register"]


def register(commands: Command) -> None:
    household = commands.add_parser("household", help="households (docs/households.md)")
    sub = household.add_subparsers(dest="household_command", required=True)
    show = sub.add_parser(
        "show",
        help="the household at (--at, --known-at) as JSON",
        description="The household's members, the union of their teams, its plan, its"
        " coordinator with the periods and gaps, and the flows between its members' teams, at"
        " valid time --at as recorded by --known-at (both default to now), as JSON.",
    )
    show.add_argument("household_ref", help="the household's ref")
    show.add_argument("--at", type=moment, help="valid time (default now)")
    show.add_argument("--known-at", type=moment, help="record time (default now)")
    show.add_argument("--output", help="write to this file instead of standard output")
    show.set_defaults(handler=_show)


def _show(args: argparse.Namespace) -> int:
    from pydantic import TypeAdapter

    from projections.household_view import HouseholdView
    from runtime.households import Households
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        found = Households(components).view(
            cli_reader("cli household show"), args.household_ref, at=args.at, known_at=args.known_at
        )
    finally:
        components.close()
    text = TypeAdapter(HouseholdView).dump_json(found, indent=2).decode()
    write_output(text, args.output)
    return 0
