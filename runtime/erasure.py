"""Erasing a client's personal data (admin only), and the retention rule that does it for
journeys closed long ago."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.application import CommandContext
from domain.errors import JourneyNotFoundError, NotPermittedError
from domain.events import Actor
from domain.vocabulary import check_term
from projections.journey_view import FOLDS
from runtime.wiring import Components

__all__ = ["ErasureResult", "RetentionCandidate", "erase_client", "retention_candidates"]


@dataclass(frozen=True)
class ErasureResult:
    client_ref: str
    event_id: str
    version: int
    already_erased: bool
    access_log_purposes_cleared: int


def erase_client(
    components: Components,
    client_ref: str,
    reason: str,
    actor: Actor,
    note: str | None = None,
) -> ErasureResult:
    """Delete the client's key (their personal fields then read "erased"), record who, when and
    why (a code), and clear the free-text purposes of the reads of their data. Admin only.

    The purposes are cleared first, so the compaction that follows the key's deletion (a WAL
    checkpoint on SQLite) sweeps their old bytes away too."""
    if actor.role != "admin":
        raise NotPermittedError("only an admin may erase personal data")
    check_term("erasure_reasons", reason)
    service = components.service
    if not service.get_version(client_ref):
        raise JourneyNotFoundError(client_ref)
    cleared = components.access_log.clear_purposes(service.journey_id(client_ref))
    recorded = service.erase_personal_data(client_ref, reason, CommandContext(actor=actor), note)
    # The fold kept for views of the journey holds what the record held before: dropped, as the
    # service drops its cached journey (the next view folds the scrubbed record).
    FOLDS.forget(recorded.journey_id)
    return ErasureResult(
        client_ref=client_ref,
        event_id=str(recorded.event_ids[0]),
        version=recorded.version,
        already_erased=recorded.replayed,
        access_log_purposes_cleared=cleared,
    )


@dataclass(frozen=True)
class RetentionCandidate:
    client_ref: str
    closed_at: datetime


def retention_candidates(
    components: Components, years: int, now: datetime
) -> list[RetentionCandidate]:
    """Journeys closed (in valid time) more than ``years`` years before ``now``, not yet erased."""
    cutoff = now - timedelta(days=365.25 * years)
    found = []
    for client_ref in components.caseload.client_refs():
        journey = components.service.get_journey(client_ref)
        closed = journey.end_state().closed
        if closed is not None and closed.occurred_at < cutoff and not journey.erased:
            found.append(RetentionCandidate(client_ref, closed.occurred_at))
    return sorted(found, key=lambda c: c.closed_at)
