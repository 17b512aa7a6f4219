"""``polku pathways list|validate|check``: the pathway catalogue and a journey's conformance."""

from __future__ import annotations

import argparse
import sys

from cli.common import Command, cli_reader, moment, settings_of
from cli.tables import add_format, emit, fmt_time

__all__ = ["register"]


def register(commands: Command) -> None:
    pathways = commands.add_parser("pathways", help="the pathway catalogue and conformance")
    sub = pathways.add_subparsers(dest="pathways_command", required=True)
    listing = sub.add_parser("list", help="list the pathways in the catalogue")
    add_format(listing)
    listing.set_defaults(handler=_list)
    validate = sub.add_parser("validate", help="validate pathway definition files")
    validate.add_argument("files", nargs="+", help="TOML pathway definitions")
    validate.set_defaults(handler=_validate)
    check = sub.add_parser("check", help="check a journey against a pathway")
    check.add_argument("client_ref", help="the client's ref")
    check.add_argument("pathway", help="a pathway id (see polku pathways list)")
    check.add_argument("--at", type=moment, help="valid time (default now)")
    check.add_argument("--known-at", type=moment, help="record time (default now)")
    add_format(check)
    check.set_defaults(handler=_check)


def _validate(args: argparse.Namespace) -> int:
    from pathways.definitions import DefinitionError, load_pathway

    failed = 0
    for file in args.files:
        try:
            pathway = load_pathway(file)
        except (DefinitionError, OSError) as error:
            print(f"polku: {error}", file=sys.stderr)
            failed += 1
        else:
            print(f"{file}: {pathway.id} ({len(pathway.steps)} steps) ok")
    return 1 if failed else 0


def _list(args: argparse.Namespace) -> int:
    from pathways.definitions import catalogue

    rows = [(p.id, p.title, ", ".join(p.sectors), str(len(p.steps))) for p in catalogue().values()]
    print(emit(["pathway", "title", "sectors", "steps"], rows, args.format))
    return 0


def _check(args: argparse.Namespace) -> int:
    from pathways.conformance import check
    from pathways.definitions import catalogue
    from runtime.reads import Reads
    from runtime.wiring import build_components

    definition = catalogue().get(args.pathway)
    if definition is None:
        print(f"polku: no pathway '{args.pathway}' (see polku pathways list)", file=sys.stderr)
        return 1
    components = build_components(settings_of(args))
    try:
        journey = Reads(components).journey(cli_reader("cli pathways check"), args.client_ref)
        result = check(journey.record(), definition, at=args.at, known_at=args.known_at)
    finally:
        components.close()
    anchor = result.anchor.occurred_at.isoformat(timespec="minutes") if result.anchor else "not yet"
    if args.format == "table":
        print(
            f"{definition.title} — {args.client_ref}: anchor {anchor};"
            f" {'conforming' if result.conforming else 'not conforming'}"
        )
    step_rows = [
        (
            s.step_id,
            s.status,
            fmt_time(s.window_start),
            fmt_time(s.window_end),
            ", ".join(str(e.event_id)[:8] for e in s.evidence) or "-",
        )
        for s in result.steps
    ]
    headers = ["step", "status", "window from", "window to", "evidence"]
    print(emit(headers, step_rows, args.format))
    return 0
