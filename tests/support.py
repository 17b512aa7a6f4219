"""Shared helpers for tests: a controllable clock, actors and short command builders."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx

from domain import commands as cmd
from domain.application import CommandContext
from domain.events import Actor
from runtime.settings import Settings
from runtime.wiring import Components

__all__ = [
    "CTX",
    "POLKU",
    "T0",
    "StepClock",
    "ctx",
    "day",
    "free_port",
    "member",
    "polku_env",
    "register",
    "settle",
    "start_polku_serve",
]

T0 = datetime(2025, 1, 1, 9, tzinfo=UTC)
WORKER = Actor("p-tester", "org-test", "caseworker")
CTX = CommandContext(actor=WORKER)


def ctx(command_id: str | None = None, expected_version: int | None = None) -> CommandContext:
    return CommandContext(actor=WORKER, command_id=command_id, expected_version=expected_version)


def day(n: float) -> datetime:
    """``n`` days after T0."""
    return T0 + timedelta(days=n)


class StepClock:
    """Record time under test control: ``now`` is fixed until a test moves it."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 6, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


def register(
    client_ref: str = "client-1", at: datetime = T0, **extra: object
) -> cmd.RegisterClient:
    return cmd.RegisterClient.model_validate(
        {"occurred_at": at, "client_ref": client_ref, "preferred_language": "fi", **extra}
    )


def member(
    party: str,
    at: datetime,
    *,
    org: str = "org-a",
    sector: str = "social_care",
    role: str = "social_worker",
    name: str | None = None,
) -> cmd.AddTeamMember:
    return cmd.AddTeamMember(
        occurred_at=at,
        party_id=party,
        member_type="professional",
        role=role,
        organisation=org,
        sector=sector,
        display_name=name,
    )


POLKU = Path(sys.executable).with_name("polku")
"""The ``polku`` command of this environment, for tests that run it as a real process."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def polku_env(settings: Settings, log_level: str = "warning") -> dict[str, str]:
    """The environment for a ``polku`` process on the store ``settings`` name."""
    env = dict(os.environ)
    env.update(
        POLKU_DATABASE_URL=settings.database_url,
        POLKU_DATABASE_SCHEMA=settings.database_schema,
        POLKU_KEYRING=str(settings.keyring_path().resolve()),
        POLKU_LOG_LEVEL=log_level,
    )
    return env


def settle(components: Components) -> None:
    """Bring every read model to the head of the log, as the background runner would by the
    time anyone asks: for tests that write a population straight into the store and then read
    through models that catch up only a bounded slice per read."""
    for model in components.read_models.values():
        model.catch_up()


def start_polku_serve(
    settings: Settings,
    port: int,
    *options: str,
    stdout: IO[Any] | int = subprocess.DEVNULL,
    cwd: Path | None = None,
    log_level: str = "warning",
    timeout: float = 60,
) -> subprocess.Popen[bytes]:
    """``polku serve`` as a real process on ``port``, returned once it answers ``/readyz``; if it
    exits or is not ready within ``timeout`` seconds it is stopped and ``RuntimeError`` raised."""
    process = subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
        [str(POLKU), "serve", "--port", str(port), *options],
        env=polku_env(settings, log_level),
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not subprocess.DEVNULL else subprocess.DEVNULL,
        cwd=cwd,
    )
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError(f"polku serve did not become ready on port {port} in {timeout:.0f} s")
