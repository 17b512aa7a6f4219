"""Shared by the fault tests: a journey with a case worker on it, and a real server process."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

from domain import commands as cmd
from domain.application import CommandContext
from domain.events import Actor
from runtime.settings import Settings
from runtime.wiring import build_components
from tests.support import free_port, start_polku_serve

__all__ = ["disclosure", "free_port", "seed_journey", "serve"]

WORKER = Actor("p-w", "org", "caseworker")


def seed_journey(settings: Settings, client_ref: str) -> str:
    """Register ``client_ref`` with the case worker on its team; returns their token."""
    components = build_components(settings)
    ctx = CommandContext(actor=WORKER)
    start = datetime.now(UTC) - timedelta(days=1)
    try:
        components.service.register_client(
            cmd.RegisterClient(occurred_at=start, client_ref=client_ref, preferred_language="fi"),
            ctx,
        )
        member = cmd.AddTeamMember(
            occurred_at=start,
            party_id=WORKER.party_id,
            member_type="professional",
            role="nurse",
            organisation=WORKER.organisation,
            sector="health_care",
        )
        components.service.execute(client_ref, member, ctx)
        return components.tokens.create(
            party_id=WORKER.party_id, organisation=WORKER.organisation, role="caseworker"
        )
    finally:
        components.close()


def disclosure(key: str) -> dict[str, object]:
    """A command body recording information shared, identified by ``key``."""
    return {
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "disclosure_id": key,
        "from_org": "org",
        "to_org": "other",
        "categories": ["health"],
        "purpose": "care_coordination",
        "basis": "client_self",
    }


def serve(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """`polku serve` on ``port``, once it answers /readyz."""
    return start_polku_serve(settings, port)
