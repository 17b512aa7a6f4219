"""``polku serve``: the HTTP API and the web pages; with ``--demo``, the demo journeys, a synthetic
population for the planner dashboard and fresh demo tokens first."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from cli.common import Command, bounded, settings_of

if TYPE_CHECKING:
    from runtime.settings import Settings
    from runtime.wiring import Components

__all__ = ["register"]


DEMO_LABEL = "demo"
DEMO_POPULATION = 300
"""Synthetic clients ``polku serve --demo`` writes for the planner dashboard (if none yet)."""
DEMO_POPULATION_SEED = 7


def register(commands: Command) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API (docs at /docs)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=bounded(1, 65535), default=8000, help="port to listen on")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="load the demo journeys unless they are stored and the demo directory, add a"
        " synthetic population for the planner dashboard unless there is one, and print fresh"
        " demo tokens",
    )
    serve.add_argument(
        "--population",
        type=bounded(0, 1_000_000),
        default=DEMO_POPULATION,
        metavar="N",
        help=f"with --demo: how many synthetic clients (seed {DEMO_POPULATION_SEED}) to write"
        f" when the store holds none yet (default {DEMO_POPULATION}; 0: none)",
    )
    serve.set_defaults(handler=_serve, creates_store=True)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from runtime.wiring import build_components

    settings = settings_of(args)
    components = build_components(settings)
    if args.demo:
        _prepare_demo(settings, components, args.population)
        _print_demo_tokens(components, args.host, args.port)
    app = create_app(settings, components=components)
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            server_header=False,  # no "server: uvicorn": nothing to tell about the stack
        )
    finally:
        components.close()
    return 0


def _prepare_demo(settings: Settings, components: Components, population: int) -> None:
    from datetime import UTC, datetime

    import structlog

    from demo.directory import ORGANISATIONS_CSV, PROFESSIONALS_CSV
    from demo.loader import ManualClock, load_demo
    from runtime.directory import load_directory
    from runtime.wiring import build_households, build_service

    clock = ManualClock(now=datetime.now(UTC))
    demo_service = build_service(settings, clock=clock)
    demo_households = build_households(settings, demo_service)
    try:
        # Steps already stored (or erased) are skipped.
        stored = load_demo(demo_service, clock, households=demo_households)
    finally:
        demo_households.close()
        demo_service.close()
    listed = load_directory(components.directory, ORGANISATIONS_CSV, PROFESSIONALS_CSV)
    structlog.get_logger(__name__).info(
        "demo.loaded",
        new_events=stored,
        directory_added=listed.organisations.added + listed.professionals.added,
    )
    if population > 0:
        _demo_population(settings, components, population)
    # Whatever the store held already, the read models start at the head of the log (requests
    # would otherwise catch them up a bounded slice at a time).
    for model in components.read_models.values():
        model.catch_up()


def _print_demo_tokens(components: Components, host: str, port: int) -> None:
    components.tokens.revoke_labelled(DEMO_LABEL)

    def token(party_id: str, organisation: str, role: str) -> str:
        return components.tokens.create(
            party_id=party_id, organisation=organisation, role=role, label=DEMO_LABEL
        )

    admin = token("p-admin", "polku-ops", "admin")
    worker = token("p-integration-01", "city-integration-services", "caseworker")
    auditor = token("p-audit-01", "regional-audit", "auditor")
    planner = token("p-planner-01", "regional-planning", "planner")
    family = token("p-family-coord-01", "city-family-services", "coordinator")
    client = token("demo-adult-002", "citizen", "client")
    guardian = token("g-child-001-mother", "citizen", "guardian")
    print("Demo tokens (new each start; the previous demo tokens are revoked):")
    print(f"  admin       {admin}")
    print(f"  case worker {worker}   (on the team of demo-child-001)")
    print(f"  auditor     {auditor}")
    print(f"  planner     {planner}")
    print(f"  household coordinator {family}   (of demo-household-001, on its members' teams)")
    print(f"  client      {client}   (demo-adult-002, their own page: /my-team)")
    print(f"  guardian    {guardian}   (the mother of demo-child-001: /my-team?ref=demo-child-001)")
    print(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    print(f"Web pages: http://{host}:{port}/  (sign in with one of the tokens above)")
    print(
        f'Try: curl -H "Authorization: Bearer {worker}" http://{host}:{port}/v1/journeys/demo-child-001'
    )


def _demo_population(settings: Settings, components: Components, clients: int) -> None:
    """Write the synthetic population (seed ``DEMO_POPULATION_SEED``) unless the store holds it
    whole — clients already there are kept, so an interrupted run is completed — and bring the
    read models up to date, so the planner dashboard has figures to show from the first
    request."""
    import structlog

    from demo.population import generate
    from runtime.wiring import build_service

    if components.service.get_version(f"gen-{DEMO_POPULATION_SEED}-{clients - 1:06d}"):
        return  # the last client is there: the population was written whole
    started = time.perf_counter()
    print(
        f"Writing a synthetic population of {clients} clients for the planner dashboard…",
        file=sys.stderr,
    )
    result = generate(
        lambda clock: build_service(settings, clock=clock), clients, DEMO_POPULATION_SEED
    )
    seconds = time.perf_counter() - started
    print(f"  {result.clients} clients, {result.events} events in {seconds:.1f} s", file=sys.stderr)
    structlog.get_logger(__name__).info(
        "demo.population", clients=result.clients, events=result.events, seconds=seconds
    )
