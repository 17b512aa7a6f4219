"""Shared helpers for tests: a controllable clock, actors and short command builders."""

from __future__ import annotations

import os
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain import commands as c
from domain.application import CommandContext
from domain.events import Actor
from runtime.settings import Settings

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


def register(client_ref: str = "client-1", at: datetime = T0, **extra: object) -> c.RegisterClient:
    return c.RegisterClient.model_validate(
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
) -> c.AddTeamMember:
    return c.AddTeamMember(
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


def polku_env(settings: Settings) -> dict[str, str]:
    """The environment for a ``polku`` process on the store ``settings`` name."""
    env = dict(os.environ)
    env.update(
        POLKU_DATABASE_URL=settings.database_url,
        POLKU_DATABASE_SCHEMA=settings.database_schema,
        POLKU_LOG_LEVEL="warning",
    )
    return env
