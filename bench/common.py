"""Shared set-up for the benchmarks: a fresh store on each backend, and timing helpers.

Each benchmark prints our figure beside its anchor's, measured in the same run on the same
backend. Timings never fail anything; they are for reading.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from demo.population import generate
from domain.application import Clock as ClockType
from domain.application import JourneyService, system_clock
from runtime.logging import configure_logging
from runtime.settings import Settings
from runtime.wiring import build_service

__all__ = ["Store", "backends", "median_seconds", "parse_args", "populate", "report", "store"]

POSTGRES_URL = os.environ.get(
    "POLKU_BENCH_POSTGRES_URL",
    os.environ.get("POLKU_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
)


@dataclass
class Store:
    backend: str
    settings: Settings
    sqlite_path: Path | None
    postgres_schema: str | None

    def service(self, clock: ClockType = system_clock, cache: int = 1000) -> JourneyService:
        settings = self.settings.model_copy(update={"aggregate_cache_size": cache})
        return build_service(settings, clock=clock)


def parse_args(
    description: str, extra: Sequence[tuple[str, type, object]] = ()
) -> argparse.Namespace:
    """``--backend`` and any ``extra`` (flag, type, default) options."""
    configure_logging(Settings(log_level="warning", _env_file=None))
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    for flag, kind, default in extra:
        parser.add_argument(flag, type=kind, default=default)
    return parser.parse_args()


def backends(choice: str) -> list[str]:
    wanted = ["sqlite", "postgres"] if choice == "both" else [choice]
    if "postgres" in wanted:
        try:
            with psycopg.connect(POSTGRES_URL, connect_timeout=3):
                pass
        except psycopg.Error as error:
            print(f"postgres: skipped, server not reachable ({error.__class__.__name__})")
            wanted.remove("postgres")
    return wanted


@contextmanager
def store(backend: str) -> Iterator[Store]:
    """A fresh, empty store: a temporary SQLite file, or a throwaway PostgreSQL schema."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"
            yield Store(
                backend, Settings(database_url=f"sqlite:///{path}", _env_file=None), path, None
            )
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        with tempfile.TemporaryDirectory() as keys:
            settings = Settings(
                database_url=POSTGRES_URL,
                database_schema=schema,
                keyring=Path(keys) / "polku.keyring.json",
                _env_file=None,
            )
            yield Store(backend, settings, None, schema)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def populate(s: Store, clients: int, seed: int) -> None:
    """Write a generated population of ``clients`` through the service, and say so."""
    started = time.perf_counter()
    result = generate(lambda clock: s.service(clock), clients, seed)
    print(
        f"{s.backend:9} population: {result.clients} clients, {result.events} events"
        f" written through the service in {time.perf_counter() - started:.0f} s"
    )


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def report(backend: str, what: str, ours: str, anchor: str, ratio: float, target: str) -> None:
    line = f"{backend:9} {what:36} ours {ours:>12}   anchor {anchor:>12}   ratio {ratio:5.2f}"
    print(f"{line}  ({target})")
