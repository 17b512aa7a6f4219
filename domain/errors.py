"""Errors raised by the domain. Every rejected command writes nothing."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.rules import Rule

__all__ = [
    "AlreadyRegisteredError",
    "ConcurrencyError",
    "HouseholdNotFoundError",
    "IdempotencyConflictError",
    "InvalidQueryError",
    "InvariantViolationError",
    "JourneyNotFoundError",
    "NotPermittedError",
    "PolkuError",
    "RateLimitedError",
    "UnknownEventError",
]


class PolkuError(Exception):
    """Base of the errors a caller can act on."""


class InvalidQueryError(PolkuError):
    """A question asked with parameters that cannot be answered (a period that ends before it
    starts, an unknown vocabulary term)."""


class NotPermittedError(PolkuError):
    """The caller's role may never do this (whichever journey it concerns)."""


class RateLimitedError(PolkuError):
    """The caller has made too many writes to journeys they may not read, or too many planner
    queries; retry later."""

    def __init__(
        self,
        retry_after_seconds: int,
        message: str = "too many writes to journeys you are not on; retry later",
    ) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class JourneyNotFoundError(PolkuError):
    def __init__(self, client_ref: str) -> None:
        super().__init__("no journey is registered for this client")
        self.client_ref = client_ref


class HouseholdNotFoundError(PolkuError):
    """No household with this ref, or none the caller may read or write (told alike)."""

    def __init__(self, household_ref: str) -> None:
        super().__init__("no such household")
        self.household_ref = household_ref


class AlreadyRegisteredError(PolkuError):
    def __init__(self, client_ref: str) -> None:
        super().__init__("a journey is already registered for this client")
        self.client_ref = client_ref


class UnknownEventError(PolkuError):
    def __init__(self, event_id: UUID) -> None:
        super().__init__(f"event {event_id} is not part of this journey")
        self.event_id = event_id


class ConcurrencyError(PolkuError):
    """The journey changed since the version the caller expected."""

    def __init__(self, expected_version: int | None, actual_version: int | None) -> None:
        super().__init__(
            f"expected journey version {expected_version}, but it is at version {actual_version}"
        )
        self.expected_version = expected_version
        self.actual_version = actual_version


class IdempotencyConflictError(PolkuError):
    """A command id was reused for a different command."""

    def __init__(self, command_id: str) -> None:
        super().__init__("this command id was already used for a different command on this journey")
        self.command_id = command_id


class InvariantViolationError(PolkuError):
    """A command would make the valid-time timeline inconsistent.

    ``conflicting_event_id`` names the recorded fact the command conflicts with, when there is one.
    """

    def __init__(
        self,
        rule: Rule,
        detail: str,
        *,
        conflicting_event_id: UUID | None = None,
        conflicting_kind: str | None = None,
        conflicting_occurred_at: datetime | None = None,
    ) -> None:
        self.rule = rule
        self.detail = detail
        self.conflicting_event_id = conflicting_event_id
        self.conflicting_kind = conflicting_kind
        self.conflicting_occurred_at = conflicting_occurred_at
        message = f"[{rule.code}] {rule.text}: {detail}"
        if conflicting_event_id is not None:
            message += (
                f" (conflicts with {conflicting_kind} {conflicting_event_id}"
                f" occurred {conflicting_occurred_at:%Y-%m-%dT%H:%M:%S%z})"
            )
        super().__init__(message)
