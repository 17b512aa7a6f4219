"""``polku directory load|show``: the organisations and professionals case workers pick from
(admin). ``load`` checks every row of the CSV files first and writes nothing if any is wrong,
printing one line per bad row (``FILE:LINE: what is wrong``); ``show`` lists the directory."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.common import Command, settings_of
from cli.tables import add_format, emit

__all__ = ["register"]


def register(commands: Command) -> None:
    directory = commands.add_parser(
        "directory", help="the organisations and professionals case workers pick from (admin)"
    )
    sub = directory.add_subparsers(dest="directory_command", required=True)
    load = sub.add_parser(
        "load",
        help="load organisations and/or professionals from CSV files (all rows checked first)",
        description="Check every row of the files, then write them in one transaction (upsert"
        " by id). On any problem, print one line per bad row and write nothing. Files are"
        " UTF-8 CSV with a header row: org_id,name,sector[,municipality] and"
        " party_id,display_name,organisation,sector,role[,title] (docs/directory.md).",
    )
    load.add_argument(
        "--organisations",
        type=Path,
        metavar="FILE.csv",
        help="organisations: columns org_id, name, sector (a sector term), municipality (optional)",
    )
    load.add_argument(
        "--professionals",
        type=Path,
        metavar="FILE.csv",
        help="professionals: columns party_id, display_name, organisation (a listed org_id),"
        " sector, role (a roles term), title (optional)",
    )
    load.add_argument(
        "--replace",
        action="store_true",
        help="each list given replaces the whole of that list (entries not in its file are"
        " removed); without it entries are added or updated by id",
    )
    load.set_defaults(handler=_load, creates_store=True)
    show = sub.add_parser("show", help="list the organisations and the professionals")
    add_format(show)
    show.add_argument(
        "--list",
        choices=("organisations", "professionals", "both"),
        default="both",
        help="which list to show (default both; CSV needs one: its output loads back with"
        " polku directory load)",
    )
    show.set_defaults(handler=_show)


def _load(args: argparse.Namespace) -> int:
    from runtime.directory import DirectoryLoadError, load_directory
    from runtime.wiring import build_components

    if args.organisations is None and args.professionals is None:
        print(
            "polku directory load: give --organisations FILE.csv, --professionals FILE.csv or"
            " both (see polku directory load --help)",
            file=sys.stderr,
        )
        return 2
    components = build_components(settings_of(args))
    try:
        counts = load_directory(
            components.directory, args.organisations, args.professionals, replace=args.replace
        )
    except DirectoryLoadError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"polku: {error}", file=sys.stderr)
        return 1
    finally:
        components.close()
    for name, done, given in (
        ("organisations", counts.organisations, args.organisations),
        ("professionals", counts.professionals, args.professionals),
    ):
        if given is None:
            continue
        print(
            f"{name}: {done.added} added, {done.updated} updated, {done.unchanged} unchanged,"
            f" {done.removed} removed"
        )
    return 0


_ORG_HEADERS = ["org_id", "name", "sector", "municipality"]
_PRO_HEADERS = ["party_id", "display_name", "organisation", "sector", "role", "title"]


def _show(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components
    from storage.directory import MAX_PAGE

    if args.format == "csv" and args.list == "both":
        print(
            "polku directory show: CSV holds one table: add --list organisations or --list"
            " professionals (see polku directory show --help)",
            file=sys.stderr,
        )
        return 2
    components = build_components(settings_of(args))
    try:
        orgs, pros = [], []
        cursor: str | None = ""
        while cursor is not None:
            page = components.directory.organisations(cursor=cursor or None, limit=MAX_PAGE)
            orgs += [(o.org_id, o.name, o.sector, o.municipality) for o in page.entries]
            cursor = page.next_cursor
        cursor = ""
        while cursor is not None:
            found = components.directory.professionals(cursor=cursor or None, limit=MAX_PAGE)
            pros += [
                (p.party_id, p.display_name, p.organisation, p.sector, p.role, p.title)
                for p in found.entries
            ]
            cursor = found.next_cursor
    finally:
        components.close()
    tables = {
        "organisations": emit(_ORG_HEADERS, orgs, args.format),
        "professionals": emit(_PRO_HEADERS, pros, args.format),
    }
    if args.list != "both":
        print(tables[args.list])
    elif args.format == "json":
        print(
            json.dumps({k: json.loads(v) for k, v in tables.items()}, ensure_ascii=False, indent=2)
        )
    else:
        print("\n\n".join(f"{name}\n{table}" for name, table in tables.items()))
    return 0
