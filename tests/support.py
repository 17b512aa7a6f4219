"""Shared helpers for tests: a controllable clock, actors and short command builders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain import commands as c
from domain.application import CommandContext
from domain.events import Actor

__all__ = ["CTX", "T0", "StepClock", "ctx", "day", "member", "register"]

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
