"""Reading a client's data: authorised and written to the access log in one step.

The law Polku serves says every read of a client's data is logged, so the client can be told who
read it and why. Here that is not a duty each route or command remembers: :meth:`Reads.journey`
and :meth:`Reads.many` are the only ways person-level data is handed out, and each writes its
access-log rows before it returns. Whoever may not read a journey gets
:class:`~domain.errors.JourneyNotFoundError` whether it exists or not (the existence of a client
is itself sensitive); a role that may never read person-level data gets
:class:`~domain.errors.NotPermittedError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from domain.errors import JourneyNotFoundError, NotPermittedError
from domain.events import Actor
from domain.journey import Journey
from domain.policy import may_read, role_may_read
from runtime.wiring import Components

__all__ = ["Reader", "Reads"]


@dataclass(frozen=True)
class Reader:
    """Who reads, through what (a route template or a CLI command) and why."""

    actor: Actor
    endpoint: str
    purpose: str | None = None


class Reads:
    def __init__(self, components: Components) -> None:
        self._components = components

    def journey(self, reader: Reader, client_ref: str, *, auditors_only: bool = False) -> Journey:
        """The client's journey, if ``reader`` may read it; the read is logged before it returns.

        ``auditors_only``: the auditors' reports, which other roles may not ask for at all.
        """
        self.authorise(reader.actor, auditors_only=auditors_only)
        try:
            journey = self._components.service.get_journey(client_ref)
        except JourneyNotFoundError:
            raise JourneyNotFoundError(client_ref) from None
        if not may_read(reader.actor, journey):
            raise JourneyNotFoundError(client_ref)
        self._log(reader, [journey.id])
        return journey

    def many(self, reader: Reader, journeys: Sequence[UUID], *, auditors_only: bool) -> None:
        """Log a read of several journeys' data (a cross-journey report), one row per journey
        shown, before any of it is handed out."""
        self.authorise(reader.actor, auditors_only=auditors_only)
        self._log(reader, list(dict.fromkeys(journeys)))

    @staticmethod
    def authorise(actor: Actor, *, auditors_only: bool = False) -> None:
        """Refuse a role that may never read person-level data (or, for the auditors' reports,
        anyone but an auditor)."""
        if auditors_only and actor.role != "auditor":
            raise NotPermittedError("for auditors only")
        if not role_may_read(actor):
            raise NotPermittedError(f"the {actor.role} role may not read person-level data")

    def _log(self, reader: Reader, journeys: Sequence[UUID]) -> None:
        clock = self._components.clock
        self._components.access_log.record(
            journeys, reader.actor, reader.endpoint, reader.purpose, clock()
        )
