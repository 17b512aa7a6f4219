"""``polku generate``, ``polku projections rebuild`` and ``polku projections image``: filling a
store with a synthetic population, rebuilding the read models from the event log (with progress
shown), and writing the planners' log's image."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from cli.common import Command, bounded, progress_bar, settings_of

if TYPE_CHECKING:
    from runtime.wiring import Components

__all__ = ["READ_MODELS", "register"]

READ_MODELS = ("caseload", "ledger", "planner", "conformance", "feed_index")


def register(commands: Command) -> None:
    generate = commands.add_parser(
        "generate", help="write a synthetic population (for demos, benchmarks)"
    )
    generate.add_argument(
        "--clients", type=bounded(1, 10_000_000), required=True, help="how many clients"
    )
    generate.add_argument("--seed", type=int, default=1, help="the random seed (default 1)")
    generate.add_argument(
        "--households",
        action="store_true",
        help="also group the clients in synthetic households (for figures by household)",
    )
    generate.set_defaults(handler=_generate, creates_store=True)
    projections = commands.add_parser("projections", help="read models fed from the event log")
    sub = projections.add_subparsers(dest="projections_command", required=True)
    rebuild = sub.add_parser("rebuild", help="rebuild read models from scratch, with progress")
    rebuild.add_argument("name", nargs="?", choices=READ_MODELS, help="one model (default: all)")
    rebuild.set_defaults(handler=_rebuild)
    image = sub.add_parser(
        "image",
        help="write the planners' log's image now (new processes load it instead of reading"
        " every fact; a server writes one itself as the log grows)",
    )
    image.set_defaults(handler=_image)


def _generate(args: argparse.Namespace) -> int:
    from demo.population import generate
    from runtime.wiring import build_service

    settings = settings_of(args)
    started = time.perf_counter()
    result = generate(
        lambda clock: build_service(settings, clock=clock),
        args.clients,
        args.seed,
        progress=progress_bar("generate"),
    )
    seconds = time.perf_counter() - started
    print(
        f"\n{result.clients} clients, {result.events} events in {seconds:.1f} s;"
        f" features: {', '.join(f'{k} {v}' for k, v in sorted(result.features.items()))}",
        file=sys.stderr,
    )
    if args.households:
        from demo.population import generate_households
        from runtime.wiring import build_households

        service = build_service(settings)
        households = build_households(settings, service)
        try:
            formed = generate_households(households, args.clients, args.seed)
        finally:
            households.close()
            service.close()
        print(f"{formed} households", file=sys.stderr)
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        for model_name, model in components.read_models.items():
            if args.name not in (None, model_name):
                continue
            started = time.perf_counter()
            count = model.rebuild(progress=progress_bar(model_name))
            seconds = time.perf_counter() - started
            print(
                f"\n{model_name}: {count} notifications in {seconds:.2f} s"
                f" ({count / seconds if seconds else 0:,.0f}/s)",
                file=sys.stderr,
            )
            if model_name == "planner":
                # The rebuild deleted the log's image: the next process to read the log would
                # read every fact again, so a new image is written now.
                _write_image(components)
    finally:
        components.close()
    return 0


def _image(args: argparse.Namespace) -> int:
    from runtime.wiring import build_components

    components = build_components(settings_of(args))
    try:
        return _write_image(components)
    finally:
        components.close()


def _write_image(components: Components) -> int:
    started = time.perf_counter()
    header = components.planner.save_image()
    if header is None:
        print(
            "the planners' log was rebuilt meanwhile: no image written; try again", file=sys.stderr
        )
        return 1
    print(
        f"planner image: {header.facts:,} facts of {header.journeys:,} journeys up to position"
        f" {header.position:,}, {header.parts} parts, in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0
