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
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import PersistenceError

from domain.errors import InvalidQueryError, JourneyNotFoundError, NotPermittedError
from domain.events import Actor
from domain.journey import Journey, JourneyRecord
from domain.policy import (
    CLIENT_ROLES,
    EVERYTHING,
    Sight,
    client_actor,
    may_read,
    role_may_read,
    sight_of,
    speaks_for,
)
from projections.fhir import AccessRead, Window, fhir_page
from projections.history import HistoryEntry, history
from projections.journey_view import DisclosureView, JourneyView, view
from projections.visibility import (
    visible_disclosures,
    visible_reads,
    visible_record,
    visible_view,
)
from runtime.paging import JourneyCursors
from runtime.wiring import Components

__all__ = ["ReadJourney", "Reader", "Reads"]


@dataclass(frozen=True)
class Reader:
    """Who reads, through what (a route template or a CLI command) and why."""

    actor: Actor
    endpoint: str
    purpose: str | None = None


@dataclass(frozen=True)
class ReadJourney:
    """A journey handed to one reader: its parts come out as that reader may see them
    (:class:`~domain.policy.Sight`, docs/rules.md "What a team member sees")."""

    journey: Journey
    sight: Sight
    components: Components

    @property
    def id(self) -> UUID:
        return self.journey.id

    def full_record(self) -> JourneyRecord:
        """Every event: for judging lawfulness, and for the auditors' own reports."""
        return self.journey.record()

    def record(self) -> JourneyRecord:
        """The events the reader may see (for folds that show events)."""
        return visible_record(self.journey.record(), self.sight)

    def view(self, at: datetime | None = None, known_at: datetime | None = None) -> JourneyView:
        return visible_view(view(self.journey.record(), at=at, known_at=known_at), self.sight)

    def history(
        self, known_at: datetime | None = None, *, after: int = 0, limit: int | None = None
    ) -> list[HistoryEntry]:
        return history(self.record(), known_at=known_at, after=after, limit=limit)

    def disclosures(self) -> tuple[DisclosureView, ...]:
        """Every disclosure as judged now, that the reader may see."""
        now = self.components.clock()
        judged = view(self.journey.record(), at=now, known_at=now).disclosures
        return visible_disclosures(judged, self.sight)

    def reads(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[AccessRead, ...]:
        """Who read the journey, that the reader may be told (not the auditors, unless an
        auditor asks)."""
        entries = self.components.access_log.entries(self.journey.id, start, end)
        return visible_reads(entries, self.sight)

    def reads_page(
        self, start: datetime | None, end: datetime | None, *, cursor: str | None, limit: int
    ) -> tuple[tuple[AccessRead, ...], str | None]:
        """One page of :meth:`reads` (at most ``limit`` reads the reader may be told of), and
        the cursor of the next page (None: this is the last).

        Reads the reader may not be told of are left out by the query, not after it, so they
        leave no trace in a page (no page short of ``limit`` with a next one, no cursor
        between them); the cursor is sealed and bound to the journey (``runtime/paging.py``):
        it holds a moment of the log, which may be such a read's."""
        cursors = JourneyCursors(self.components, "access log")
        client_ref = self.journey.client_ref
        after = _place(cursors.open(client_ref, cursor)) if cursor is not None else None
        rows, following = self.components.access_log.page(
            self.journey.id,
            start,
            end,
            after=after,
            limit=limit,
            hide_roles=self.sight.hidden_read_roles,
        )
        sealed = None
        if following is not None:
            sealed = cursors.seal(client_ref, {"at": following[0], "skip": following[1]})
        return visible_reads(rows, self.sight), sealed

    def fhir(
        self, at: datetime | None, known_at: datetime | None, window: Window | None = None
    ) -> tuple[dict[str, Any], bool]:
        """The FHIR Bundle at (at, known_at), or the page ``window`` of it, and whether more
        entries follow."""
        reads = self.reads(None, known_at)
        return fhir_page(
            self.journey.record(), at, known_at, reads=reads, sight=self.sight, window=window
        )


def _place(state: dict[str, Any]) -> tuple[str, int]:
    """The place in the access log a sealed cursor's state holds."""
    at, skip = state.get("at"), state.get("skip")
    if not isinstance(at, str) or type(skip) is not int or skip < 0:
        raise InvalidQueryError("not a cursor this access log gave")
    return at, skip


class Reads:
    def __init__(self, components: Components) -> None:
        self._components = components

    def journey(
        self,
        reader: Reader,
        client_ref: str,
        *,
        auditors_only: bool = False,
        professionals_only: bool = False,
    ) -> ReadJourney:
        """The client's journey, if ``reader`` may read it, as they may see it; the read is logged
        before it returns.

        ``auditors_only``: the auditors' reports, which other roles may not ask for at all.
        ``professionals_only``: questions only the professionals on the team (and auditors) may
        ask — may-share and the client's log; other team members get
        :class:`~domain.errors.NotPermittedError` (they know the journey exists).
        """
        self.authorise(reader.actor, auditors_only=auditors_only)
        try:
            journey = self._get_journey(client_ref)
        except JourneyNotFoundError:
            raise JourneyNotFoundError(client_ref) from None
        if not may_read(reader.actor, journey):
            raise JourneyNotFoundError(client_ref)
        sight = sight_of(reader.actor, journey, self._components.clock())
        if professionals_only and not (sight.everything or sight.professional):
            raise NotPermittedError("only the professionals on the team may ask this")
        self._log(reader, [journey.id])
        return ReadJourney(journey, sight, self._components)

    def own_journey(self, reader: Reader, client_ref: str) -> ReadJourney:
        """The journey the client (or a guardian) ``reader`` speaks for
        (:func:`~domain.policy.speaks_for`), whole: it is their own data. Anyone else gets
        :class:`~domain.errors.NotPermittedError` for their role, and a client or guardian
        asking about a journey they do not speak for gets "no such journey", as for one that
        does not exist. The read is logged with the reader recorded as ``client`` or
        ``guardian-<n>`` (:func:`~domain.policy.client_actor`), never by their own id."""
        if reader.actor.role not in CLIENT_ROLES:
            raise NotPermittedError("for the client and their guardians only")
        try:
            journey = self._get_journey(client_ref)
        except JourneyNotFoundError:
            raise JourneyNotFoundError(client_ref) from None
        if not speaks_for(reader.actor, journey):
            raise JourneyNotFoundError(client_ref)
        as_recorded = Reader(client_actor(reader.actor, journey), reader.endpoint, reader.purpose)
        self._log(as_recorded, [journey.id])
        return ReadJourney(journey, EVERYTHING, self._components)

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

    def _get_journey(self, client_ref: str) -> Journey:
        """The journey from the replica once it has replayed the primary's position as of now
        (every write acknowledged before this read, the reader's own included), else from the
        primary; a replica that fails the read is left for the primary
        (``docs/scaling.md``, "A replica for reads"). The access-log row is written on the
        primary either way."""
        components = self._components
        replica, on_replica = components.replica, components.replica_service
        if replica is not None and on_replica is not None and replica.caught_up():
            try:
                return on_replica.get_journey(client_ref)
            except PersistenceError as error:
                replica.failed(error)
        return components.service.get_journey(client_ref)

    def _log(self, reader: Reader, journeys: Sequence[UUID]) -> None:
        clock = self._components.clock
        self._components.access_log.record(
            journeys, reader.actor, reader.endpoint, reader.purpose, clock()
        )
