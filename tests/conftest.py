"""Fixtures: every storage test runs once on SQLite and once on PostgreSQL.

PostgreSQL comes from ``POLKU_TEST_POSTGRES_URL`` (default: the local server's ``postgres``
database). Each test gets a schema of its own, dropped afterwards. Outside CI, the PostgreSQL
runs are skipped with the reason shown when no server answers; with ``CI=true`` they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from domain.application import JourneyService
from runtime.logging import configure_logging
from runtime.settings import Settings
from runtime.wiring import build_service
from tests.support import StepClock

POSTGRES_URL = os.environ.get(
    "POLKU_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _postgres_unavailable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at POLKU_TEST_POSTGRES_URL ({error.__class__.__name__})"


_PG_PROBLEM: list[str | None] = []


def postgres_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_unavailable())
    return _PG_PROBLEM[0]


@pytest.fixture(autouse=True, scope="session")
def _quiet_logs() -> None:
    """Tests that look at log lines configure logging themselves."""
    configure_logging(Settings(log_level="warning", _env_file=None))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty store on each backend."""
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite:///{tmp_path / 'polku.db'}", _env_file=None)
        return
    yield from _postgres_settings(tmp_path)


def _postgres_settings(keys: Path) -> Iterator[Settings]:
    problem = postgres_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI requires PostgreSQL: {problem}")
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield Settings(
            database_url=POSTGRES_URL,
            database_schema=schema,
            keyring=keys / "polku.keyring.json",
            # A busy CI machine (a checkpoint of thousands of test schemas) can take longer than
            # production's 5 s to hand out a first connection; a test waits rather than fails.
            postgres_connect_timeout=30,
            # Likewise a test process starved of CPU for seconds between two statements of a
            # transaction (seen once in CI, creating a table) is not what a test is about.
            postgres_idle_in_transaction_timeout=60,
            _env_file=None,
        )
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def postgres_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh schema on PostgreSQL only (for PostgreSQL-specific tests)."""
    yield from _postgres_settings(tmp_path)


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def make_service(settings: Settings, clock: StepClock) -> Iterator[Callable[..., JourneyService]]:
    """Build services on the test's store (several may share it, like separate processes)."""
    built: list[JourneyService] = []

    def make(**overrides: object) -> JourneyService:
        service = build_service(settings.model_copy(update=overrides), clock=clock)
        built.append(service)
        return service

    yield make
    for service in built:
        service.close()


@pytest.fixture
def service(make_service: Callable[..., JourneyService]) -> JourneyService:
    return make_service()


@pytest.fixture
def memory_service(clock: StepClock) -> Iterator[JourneyService]:
    """A service on the library's in-memory store, for fast unit tests of domain rules."""
    service = JourneyService({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
    yield service
    service.close()
