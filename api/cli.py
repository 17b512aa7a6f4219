"""The ``polku`` command."""

from __future__ import annotations

import argparse
import base64
import getpass
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import structlog

from api.analytics_cli import ANALYTICS
from api.bootstrap import build_service
from api.demo import ManualClock, load_demo, print_demo
from api.demo_data import CHILD
from api.deps import Components
from api.ledger import LedgerEntry
from api.logging import configure_logging
from api.settings import Settings
from api.sqlstore import SqlStore
from api.tables import fmt_time, render_table
from api.tokens import ROLES, TokenStore
from domain.errors import JourneyNotFoundError, PolkuError
from domain.events import Actor
from domain.journey import journey_id
from pathways.analytics import MIN_CLIENTS
from projections.audit import JourneyAudit, RecordDiff

__all__ = ["main"]

log = structlog.get_logger(__name__)

DEMO_LABEL = "demo"
DEMO_POPULATION = 300
"""Synthetic clients ``polku serve --demo`` writes for the planner dashboard (if none yet)."""
DEMO_POPULATION_SEED = 7


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
        help="load the demo journeys unless they are stored, add a synthetic population for the"
        " planner dashboard unless there is one, and print fresh demo tokens",
    )
    serve.add_argument(
        "--population",
        type=int,
        default=DEMO_POPULATION,
        metavar="N",
        help=f"with --demo: how many synthetic clients (seed {DEMO_POPULATION_SEED}) to write"
        f" when the store holds none yet (default {DEMO_POPULATION}; 0: none)",
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

    audit = sub.add_parser("audit", help="auditor reports (JSON, or --format html)")
    asub = audit.add_subparsers(dest="audit_command", required=True)
    journey = asub.add_parser(
        "journey", help="a journey replayed at (--at, --known-at), with findings"
    )
    journey.add_argument("client_ref")
    journey.add_argument("--at", type=_moment)
    journey.add_argument("--known-at", type=_moment)
    ledger = asub.add_parser("disclosures", help="the disclosure ledger in a period")
    ledger.add_argument("--from", dest="start", type=_moment)
    ledger.add_argument("--to", dest="end", type=_moment)
    ledger.add_argument("--unlawful", action="store_true", help="only those unlawful then or now")
    diff = asub.add_parser("diff", help="what the record showed differently at --t2 than at --t1")
    diff.add_argument("client_ref")
    diff.add_argument("--t1", type=_moment, required=True)
    diff.add_argument("--t2", type=_moment, required=True)
    knew = asub.add_parser("who-knew", help="who had received a category, and the chains")
    knew.add_argument("client_ref")
    knew.add_argument("--category", required=True)
    knew.add_argument("--at", type=_moment)
    knew.add_argument("--known-at", type=_moment)
    log_report = asub.add_parser("log-report", help="the client's log report for a period")
    log_report.add_argument("client_ref")
    log_report.add_argument("--from", dest="start", type=_moment)
    log_report.add_argument("--to", dest="end", type=_moment)
    for command in (journey, ledger, diff, knew, log_report):
        command.add_argument("--format", choices=["json", "html"], default="json")
        command.add_argument("--output", help="write to this file instead of standard output")

    export = sub.add_parser("export", help="export a journey, or the planners' event log")
    esub = export.add_subparsers(dest="export_command", required=True)
    fhir = esub.add_parser("fhir", help="the journey at (--at, --known-at) as a FHIR R5 Bundle")
    fhir.add_argument("client_ref")
    fhir.add_argument("--at", type=_moment)
    fhir.add_argument("--known-at", type=_moment)
    fhir.add_argument("--output", help="write to this file instead of standard output")
    for name, text in (
        ("ocel", "the pseudonymous event log as OCEL 2.0 (JSON or SQLite)"),
        ("xes", "the pseudonymous event log as XES, one trace per client"),
    ):
        mining = esub.add_parser(name, help=text)
        if name == "ocel":
            mining.add_argument("--format", choices=["json", "sqlite"], default="json")
        mining.add_argument("--output", help="the file to write (required for SQLite)")
        mining.add_argument("--from", dest="start", type=_moment)
        mining.add_argument("--to", dest="end", type=_moment)

    pathways = sub.add_parser("pathways", help="the pathway catalogue and conformance")
    pwsub = pathways.add_subparsers(dest="pathways_command", required=True)
    pwsub.add_parser("list", help="list the pathways in the catalogue")
    validate = pwsub.add_parser("validate", help="validate pathway definition files")
    validate.add_argument("files", nargs="+")
    conformance = pwsub.add_parser("check", help="check a journey against a pathway")
    conformance.add_argument("client_ref")
    conformance.add_argument("pathway")
    conformance.add_argument("--at", type=_moment)
    conformance.add_argument("--known-at", type=_moment)
    generate = sub.add_parser(
        "generate", help="write a synthetic population (for demos, benchmarks)"
    )
    generate.add_argument("--clients", type=int, required=True)
    generate.add_argument("--seed", type=int, default=1)
    analytics = sub.add_parser(
        "analytics", help="planner analytics (pseudonymous, small cells suppressed)"
    )
    ansub = analytics.add_subparsers(dest="analytics_command", required=True)
    for name, (text, _) in ANALYTICS.items():
        command = ansub.add_parser(name, help=text)
        command.add_argument("--from", dest="start", type=_moment)
        command.add_argument("--to", dest="end", type=_moment)
    sub.add_parser("keygen", help="print a new key for POLKU_CIPHER_KEY")
    erase = sub.add_parser("erase", help="erase a client's personal data (admin token needed)")
    erase.add_argument("client_ref")
    erase.add_argument("--reason", required=True, help="why (kept; no personal data here)")
    erase.add_argument("--token", help="an admin token (default: $POLKU_TOKEN)")
    retention = sub.add_parser(
        "retention", help="erase journeys closed longer ago than POLKU_RETENTION_CLOSED_YEARS"
    )
    retention.add_argument("--years", type=int, help="override the configured number of years")
    retention.add_argument("--dry-run", action="store_true", help="only list what would go")
    retention.add_argument("--token", help="an admin token (default: $POLKU_TOKEN)")

    projections = sub.add_parser("projections", help="read models fed from the event log")
    psub = projections.add_subparsers(dest="projections_command", required=True)
    rebuild = psub.add_parser("rebuild", help="rebuild read models from scratch, with progress")
    rebuild.add_argument(
        "name", nargs="?", choices=["caseload", "ledger", "planner", "conformance"]
    )
    return parser


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone, e.g. {text}+00:00")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {"database_url": args.database_url} if args.database_url else {}
    try:
        settings = Settings(**overrides)
    except ValueError as error:
        print(f"polku: invalid settings: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    if args.command == "keygen":
        print(base64.b64encode(secrets.token_bytes(32)).decode())
        return 0
    if args.command == "demo":
        return _demo(settings)
    if args.command == "tokens":
        return _tokens(settings, args)
    if args.command == "serve":
        return _serve(settings, args.host, args.port, demo=args.demo, population=args.population)
    if args.command == "audit":
        return _audit(settings, args)
    if args.command == "projections":
        return _rebuild(settings, args.name)
    if args.command == "export":
        if args.export_command == "fhir":
            return _export_fhir(settings, args)
        return _export_log(settings, args)
    if args.command in {"erase", "retention"}:
        return _erase(settings, args)
    if args.command == "pathways":
        return _pathways(settings, args)
    if args.command == "generate":
        return _generate(settings, args.clients, args.seed)
    if args.command == "analytics":
        return _analytics(settings, args)
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


def _audit(settings: Settings, args: argparse.Namespace) -> int:
    from pydantic import TypeAdapter

    from api.app import build_components
    from api.audit_reports import (
        ClientLogReport,
        client_log_html,
        client_log_report,
        diff_html,
        journey_audit_html,
        ledger_html,
        who_knew_html,
    )
    from projections import view
    from projections.audit import Knower, audit_journey, record_diff, who_knew

    components = build_components(settings)
    reader = Actor(f"cli:{getpass.getuser()}", "local", "auditor")
    try:
        if args.audit_command == "disclosures":
            entries = components.ledger.entries(args.start, args.end, unlawful_only=args.unlawful)
            for client_ref in dict.fromkeys(e.client_ref for e in entries):
                components.access_log.record(
                    journey_id(client_ref),
                    reader,
                    "cli audit disclosures",
                    None,
                    components.clock(),
                )
            text = (
                ledger_html(entries, args.start, args.end)
                if args.format == "html"
                else TypeAdapter(list[LedgerEntry]).dump_json(entries, indent=2).decode()
            )
        else:
            try:
                record = components.service.get_record(args.client_ref)
            except JourneyNotFoundError:
                print(f"polku: no journey for {args.client_ref}", file=sys.stderr)
                return 1
            components.access_log.record(
                record.journey_id,
                reader,
                f"cli audit {args.audit_command}",
                None,
                components.clock(),
            )
            if args.audit_command == "journey":
                audit = audit_journey(record, at=args.at, known_at=args.known_at)
                text = (
                    journey_audit_html(audit)
                    if args.format == "html"
                    else TypeAdapter(JourneyAudit).dump_json(audit, indent=2).decode()
                )
            elif args.audit_command == "who-knew":
                now = datetime.now(UTC)
                at, known_at = args.at or now, args.known_at or now
                knowers = who_knew(record, args.category, at=at, known_at=known_at)
                text = (
                    who_knew_html(record.client_ref, args.category, at, known_at, knowers)
                    if args.format == "html"
                    else TypeAdapter(list[Knower]).dump_json(knowers, indent=2).decode()
                )
            elif args.audit_command == "log-report":
                reads = components.access_log.entries(record.journey_id, args.start, args.end)
                report = client_log_report(
                    record.client_ref, args.start, args.end, reads, view(record).disclosures
                )
                text = (
                    client_log_html(report)
                    if args.format == "html"
                    else TypeAdapter(ClientLogReport).dump_json(report, indent=2).decode()
                )
            else:
                if args.t2 <= args.t1:
                    print("polku: --t2 must be after --t1", file=sys.stderr)
                    return 2
                diff = record_diff(record, args.t1, args.t2)
                text = (
                    diff_html(diff)
                    if args.format == "html"
                    else TypeAdapter(RecordDiff).dump_json(diff, indent=2).decode()
                )
    finally:
        components.close()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


def _export_log(settings: Settings, args: argparse.Namespace) -> int:
    from api.app import build_components
    from pathways.analytics import between
    from pathways.exports import write_ocel_json, write_ocel_sqlite, write_xes

    kind = "xes" if args.export_command == "xes" else f"ocel-{args.format}"
    if kind == "ocel-sqlite" and not args.output:
        print("polku: --output is required for the SQLite format", file=sys.stderr)
        return 2
    components = build_components(settings)
    try:
        log = between(components.planner.log(), args.start, args.end)
    finally:
        components.close()
    if not args.output:
        (write_xes if kind == "xes" else write_ocel_json)(log, sys.stdout)
        return 0
    target = Path(args.output)
    partial = target.with_name(target.name + ".partial")  # nothing half-written at the target
    partial.unlink(missing_ok=True)
    if kind == "ocel-sqlite":
        write_ocel_sqlite(log, partial)
    else:
        with partial.open("w", encoding="utf-8") as out:
            (write_xes if kind == "xes" else write_ocel_json)(log, out)
    partial.replace(target)
    print(f"wrote {target}: {len(log.journeys)} clients, {len(log)} events", file=sys.stderr)
    return 0


def _export_fhir(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from api.app import build_components
    from projections.fhir import fhir_bundle

    components = build_components(settings)
    try:
        try:
            record = components.service.get_record(args.client_ref)
        except JourneyNotFoundError:
            print(f"polku: no journey for {args.client_ref}", file=sys.stderr)
            return 1
        reads = components.access_log.fhir_reads(record.journey_id, args.known_at)
        reader = Actor(f"cli:{getpass.getuser()}", "local", "auditor")
        components.access_log.record(
            record.journey_id, reader, "cli export fhir", None, components.clock()
        )
        try:
            bundle = fhir_bundle(record, at=args.at, known_at=args.known_at, reads=reads)
        except ValueError as error:
            print(f"polku: {error}", file=sys.stderr)
            return 1
    finally:
        components.close()
    text = json.dumps(bundle, indent=2)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


def _erase(settings: Settings, args: argparse.Namespace) -> int:
    import os

    from api.app import build_components
    from api.erasure import erase_client, retention_candidates

    components = build_components(settings)
    try:
        token = args.token or os.environ.get("POLKU_TOKEN", "")
        actor = components.tokens.authenticate(token) if token else None
        if actor is None or actor.role != "admin":
            print(
                "polku: erasure needs a valid admin token (--token or POLKU_TOKEN)", file=sys.stderr
            )
            return 2
        if args.command == "erase":
            targets = [args.client_ref]
            reason = args.reason
        else:
            years = args.years or settings.retention_closed_years
            candidates = retention_candidates(components, years, datetime.now(UTC))
            rows = [(c.client_ref, c.closed_at.isoformat(timespec="minutes")) for c in candidates]
            print(render_table([f"closed more than {years} years ago", "closed at"], rows))
            if args.dry_run:
                print(f"dry run: {len(candidates)} journeys would be erased")
                return 0
            targets = [c.client_ref for c in candidates]
            reason = f"retention: closed more than {years} years ago"
        for client_ref in targets:
            try:
                result = erase_client(components, client_ref, reason, actor)
            except JourneyNotFoundError:
                print(f"polku: no journey for {client_ref}", file=sys.stderr)
                return 1
            state = "was already erased" if result.already_erased else "erased"
            print(f"{client_ref}: {state} (event {result.event_id})")
    finally:
        components.close()
    return 0


def _analytics(settings: Settings, args: argparse.Namespace) -> int:
    from api.analytics_cli import analytics_table
    from api.app import build_components

    components = build_components(settings)
    try:
        print(analytics_table(components, args.analytics_command, (args.start, args.end)))
    finally:
        components.close()
    print(f"Cells describing fewer than {MIN_CLIENTS} clients are suppressed.")
    return 0


def _generate(settings: Settings, clients: int, seed: int) -> int:
    from pathways.population import generate

    if clients < 1:
        print("polku: --clients must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    result = generate(
        lambda clock: build_service(settings, clock=clock),
        clients,
        seed,
        progress=_progress_bar("generate"),
    )
    seconds = time.perf_counter() - started
    print(
        f"\n{result.clients} clients, {result.events} events in {seconds:.1f} s;"
        f" features: {', '.join(f'{k} {v}' for k, v in sorted(result.features.items()))}",
        file=sys.stderr,
    )
    return 0


def _pathways(settings: Settings, args: argparse.Namespace) -> int:
    from pathways.conformance import check
    from pathways.definitions import DefinitionError, catalogue, load_pathway

    if args.pathways_command == "validate":
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
    known = catalogue()
    if args.pathways_command == "list":
        rows = [(p.id, p.title, ", ".join(p.sectors), str(len(p.steps))) for p in known.values()]
        print(render_table(["pathway", "title", "sectors", "steps"], rows))
        return 0
    definition = known.get(args.pathway)
    if definition is None:
        print(f"polku: no pathway '{args.pathway}' (see polku pathways list)", file=sys.stderr)
        return 1
    service = build_service(settings)
    try:
        try:
            record = service.get_record(args.client_ref)
        except JourneyNotFoundError:
            print(f"polku: no journey for {args.client_ref}", file=sys.stderr)
            return 1
        result = check(record, definition, at=args.at, known_at=args.known_at)
    finally:
        service.close()
    anchor = result.anchor.occurred_at.isoformat(timespec="minutes") if result.anchor else "not yet"
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
    print(render_table(["step", "status", "window from", "window to", "evidence"], step_rows))
    return 0


def _rebuild(settings: Settings, name: str | None) -> int:
    from api.app import build_components

    components = build_components(settings)
    try:
        for model_name, model in components.read_models.items():
            if name not in (None, model_name):
                continue
            started = time.perf_counter()
            count = model.rebuild(progress=_progress_bar(model_name))
            seconds = time.perf_counter() - started
            print(
                f"\n{model_name}: {count} notifications in {seconds:.2f} s"
                f" ({count / seconds if seconds else 0:,.0f}/s)",
                file=sys.stderr,
            )
    finally:
        components.close()
    return 0


def _progress_bar(name: str) -> Callable[[int, int], None]:
    def show(position: int, last: int) -> None:
        done = position / last if last else 1.0
        bar = "#" * int(done * 30)
        print(f"\r{name:9} [{bar:<30}] {done:6.1%} {position}/{last}", end="", file=sys.stderr)

    return show


def _serve(settings: Settings, host: str, port: int, *, demo: bool, population: int) -> int:
    import uvicorn

    from api.app import build_components, create_app

    components = build_components(settings)
    if demo:
        if not components.service.get_version(CHILD):
            clock = ManualClock(now=datetime.now(UTC))
            demo_service = build_service(settings, clock=clock)
            try:
                stored = load_demo(demo_service, clock)
            finally:
                demo_service.close()
            log.info("demo.loaded", new_events=stored)
        if population > 0:
            _demo_population(settings, components, population)
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
        planner = components.tokens.create(
            party_id="p-planner-01",
            organisation="regional-planning",
            role="planner",
            label=DEMO_LABEL,
        )
        print("Demo tokens (new each start; the previous demo tokens are revoked):")
        print(f"  admin       {admin}")
        print(f"  case worker {worker}   (on the team of demo-child-001)")
        print(f"  auditor     {auditor}")
        print(f"  planner     {planner}")
        print(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
        print(f"Web pages: http://{host}:{port}/  (sign in with one of the tokens above)")
        print(
            f'Try: curl -H "Authorization: Bearer {worker}" http://{host}:{port}/v1/journeys/demo-child-001'
        )
    app = create_app(settings, components=components)
    try:
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    finally:
        components.close()
    return 0


def _demo_population(settings: Settings, components: Components, clients: int) -> None:
    """Write a synthetic population (seed ``DEMO_POPULATION_SEED``) unless the store holds its
    first client already, and bring the read models up to date, so the planner dashboard has
    figures to show from the first request."""
    from pathways.population import generate

    if components.service.get_version(f"gen-{DEMO_POPULATION_SEED}-{0:06d}"):
        return
    started = time.perf_counter()
    print(
        f"Writing a synthetic population of {clients} clients for the planner dashboard…",
        file=sys.stderr,
    )
    result = generate(
        lambda clock: build_service(settings, clock=clock), clients, DEMO_POPULATION_SEED
    )
    for model in components.read_models.values():
        model.catch_up()
    seconds = time.perf_counter() - started
    print(f"  {result.clients} clients, {result.events} events in {seconds:.1f} s", file=sys.stderr)
    log.info("demo.population", clients=result.clients, events=result.events, seconds=seconds)


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
