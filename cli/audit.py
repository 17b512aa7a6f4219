"""``polku audit …``: the auditor's reports (JSON, or a printable page with ``--format html``).

The reports are worked out by :class:`runtime.audit.AuditReports`, the same use cases the HTTP
routes call, and each journey shown is written to its access log as read by ``cli:<user>``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from cli.common import Command, bounded, cli_reader, moment, settings_of, write_output
from cli.tables import add_format, emit

if TYPE_CHECKING:
    from reports.audit import AuditReport
    from runtime.audit import AuditReports
    from runtime.reads import Reader

__all__ = ["register"]

Maker = Callable[["AuditReports", "Reader", argparse.Namespace], "AuditReport"]


def register(commands: Command) -> None:
    audit = commands.add_parser("audit", help="auditor reports (JSON, or --format html)")
    sub = audit.add_subparsers(dest="audit_command", required=True)
    journey = sub.add_parser(
        "journey", help="a journey replayed at (--at, --known-at), with findings"
    )
    journey.add_argument("client_ref", help="the client's ref")
    _times(journey)
    search = sub.add_parser(
        "journeys", help="find journeys by client ref, organisation, period and findings"
    )
    search.add_argument("--client", help="one client, by ref (there is no search by part of a ref)")
    search.add_argument("--organisation", help="sent or received the client's data")
    _period(search)
    search.add_argument("--findings", action="store_true", help="only journeys with a finding")
    search.add_argument(
        "--after", help="continue after this journey id (next_after of the last page)"
    )
    search.add_argument(
        "--limit", type=bounded(1, 1000), default=100, help="journeys per page (1-1000)"
    )
    add_format(search)
    search.set_defaults(handler=_search)
    ledger = sub.add_parser(
        "disclosures", help="the disclosure ledger in a period, a page at a time"
    )
    _period(ledger)
    ledger.add_argument(
        "--verdict",
        choices=["lawful", "unsupported", "unlawful", "findings"],
        help="only entries judged so now (findings: not lawful then or now)",
    )
    ledger.add_argument(
        "--unlawful",
        action="store_const",
        const="findings",
        dest="verdict",
        help="the same as --verdict findings",
    )
    ledger.add_argument("--client", help="only this client's disclosures")
    ledger.add_argument("--cursor", help="the next_cursor of the previous page")
    ledger.add_argument(
        "--limit", type=bounded(1, 1000), default=100, help="entries per page (1-1000, default 100)"
    )
    diff = sub.add_parser("diff", help="what the record showed differently at --t2 than at --t1")
    diff.add_argument("client_ref", help="the client's ref")
    diff.add_argument("--t1", type=moment, required=True, help="the earlier record time")
    diff.add_argument("--t2", type=moment, required=True, help="the later record time")
    knew = sub.add_parser("who-knew", help="who had received a category, and the chains")
    knew.add_argument("client_ref", help="the client's ref")
    knew.add_argument("--category", required=True, help="an information category")
    _times(knew)
    log_report = sub.add_parser("log-report", help="the client's log report for a period")
    log_report.add_argument("client_ref", help="the client's ref")
    _period(log_report)
    makers: list[tuple[argparse.ArgumentParser, Maker]] = [
        # The operator's file: the whole report, not a page of it.
        (journey, lambda r, who, a: r.journey(who, a.client_ref, a.at, a.known_at, limit=None)),
        (
            ledger,
            lambda r, who, a: r.ledger(
                who,
                a.start,
                a.end,
                verdict=a.verdict,
                client_ref=a.client,
                cursor=a.cursor,
                limit=a.limit,
            ),
        ),
        (diff, lambda r, who, a: r.diff(who, a.client_ref, a.t1, a.t2)),
        (knew, lambda r, who, a: r.who_knew(who, a.client_ref, a.category, a.at, a.known_at)),
        (
            log_report,
            lambda r, who, a: r.log_report(who, a.client_ref, a.start, a.end, limit=None),
        ),
    ]
    for command, make in makers:
        command.add_argument(
            "--format", choices=["json", "html"], default="json", help="default: json"
        )
        command.add_argument("--output", help="write to this file instead of standard output")
        command.set_defaults(handler=_report, make=make)


def _times(command: argparse.ArgumentParser) -> None:
    command.add_argument("--at", type=moment, help="valid time (default now)")
    command.add_argument("--known-at", type=moment, help="record time (default now)")


def _period(command: argparse.ArgumentParser) -> None:
    command.add_argument("--from", dest="start", type=moment, help="from this time")
    command.add_argument("--to", dest="end", type=moment, help="up to this time")


def _search(args: argparse.Namespace) -> int:
    from pydantic import TypeAdapter

    from runtime.audit import AuditReports, JourneySearch
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        found = AuditReports(components).search(
            cli_reader("cli audit journeys"),
            client_ref=args.client,
            organisation=args.organisation,
            start=args.start,
            end=args.end,
            findings_only=args.findings,
            after=args.after,
            limit=args.limit,
        )
    finally:
        components.close()
    if args.format == "json":
        print(TypeAdapter(JourneySearch).dump_json(found, indent=2).decode())
        return 0
    rows = [
        (h.client_ref, h.disclosures, h.findings, h.first_at, h.last_at) for h in found.journeys
    ]
    print(emit(["client", "disclosures", "findings", "first", "last"], rows, args.format))
    if found.next_after and args.format == "table":
        print(f"more: --after {found.next_after}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from reports.audit import as_html, as_json
    from runtime.audit import AuditReports
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        reader = cli_reader(f"cli audit {args.audit_command}")
        report = args.make(AuditReports(components), reader, args)
    finally:
        components.close()
    text = as_html(report) if args.format == "html" else as_json(report, indent=2).decode()
    write_output(text, args.output)
    return 0
