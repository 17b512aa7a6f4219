"""``polku export …``: a journey as a FHIR Bundle, or the planners' event log (OCEL 2.0, XES)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import Command, cli_reader, moment, settings_of, write_output

__all__ = ["register"]


def register(commands: Command) -> None:
    export = commands.add_parser("export", help="export a journey, or the planners' event log")
    sub = export.add_subparsers(dest="export_command", required=True)
    fhir = sub.add_parser("fhir", help="the journey at (--at, --known-at) as a FHIR R5 Bundle")
    fhir.add_argument("client_ref", help="the client's ref")
    fhir.add_argument("--at", type=moment, help="valid time (default now)")
    fhir.add_argument("--known-at", type=moment, help="record time (default now)")
    fhir.add_argument("--output", help="write to this file instead of standard output")
    fhir.set_defaults(handler=_fhir)
    for name, text in (
        ("ocel", "the pseudonymous event log as OCEL 2.0 (JSON or SQLite)"),
        ("xes", "the pseudonymous event log as XES, one trace per client"),
    ):
        mining = sub.add_parser(name, help=text)
        if name == "ocel":
            mining.add_argument(
                "--format", choices=["json", "sqlite"], default="json", help="default: json"
            )
        mining.add_argument("--output", help="the file to write (required for SQLite)")
        mining.add_argument("--from", dest="start", type=moment, help="events from this time")
        mining.add_argument("--to", dest="end", type=moment, help="events up to this time")
        mining.set_defaults(handler=_event_log)


def _fhir(args: argparse.Namespace) -> int:
    import json

    from runtime.audit import AuditReports
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        reader = cli_reader("cli export fhir")
        bundle = (
            AuditReports(components)
            .fhir(reader, args.client_ref, args.at, args.known_at, count=None)
            .bundle
        )
    finally:
        components.close()
    write_output(json.dumps(bundle, indent=2), args.output)
    return 0


def _event_log(args: argparse.Namespace) -> int:
    from pathways.exports import write_ocel_json, write_ocel_sqlite, write_xes
    from runtime.analytics import Analytics
    from runtime.wiring import build_components

    kind = "xes" if args.export_command == "xes" else f"ocel-{args.format}"
    if kind == "ocel-sqlite" and not args.output:
        print("polku: --output is required for the SQLite format", file=sys.stderr)
        return 2
    components = build_components(settings_of(args))
    try:
        # The local operator exports with the auditor's rights, written to the query log.
        operator = cli_reader(f"cli export {kind}").actor
        log = Analytics(components).export_log(operator, kind, args.start, args.end)
    finally:
        components.close()
    write_text = write_xes if kind == "xes" else write_ocel_json
    if not args.output:
        write_text(log, sys.stdout)
        return 0
    target = Path(args.output)
    partial = target.with_name(target.name + ".partial")  # nothing half-written at the target
    partial.unlink(missing_ok=True)
    if kind == "ocel-sqlite":
        write_ocel_sqlite(log, partial)
    else:
        with partial.open("w", encoding="utf-8") as out:
            write_text(log, out)
    partial.replace(target)
    print(f"wrote {target}: {len(log.journeys)} clients, {len(log)} events", file=sys.stderr)
    return 0
