"""The planners' read model of household membership over valid time (``household_members``).

Fed from the *household* notification log (its own event table, beside the journeys'): one row
per join, departure and retraction, keyed by the household's id and the member's journey id —
keyed pseudonyms, never a household or client ref (a member's ref is stored sealed with their
own key, ``erased-<journey id>`` in the plain field; the journey id is read from that field, or
worked out from the ref where an older event holds it in the open, and the ref is dropped).
The effective membership is worked out when read (:class:`pathways.households.Households`), so
late entries and retractions count as the record shows them now.

It catches up fully when read, not in the background runner (which follows the journeys' log);
households are written rarely, so what is new is little.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, cast
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.application import JourneyService
from domain.events import EventRetracted
from domain.household_application import HouseholdService
from domain.household_events import HouseholdMemberJoined, HouseholdMemberLeft
from domain.private_ids import ERASED_PREFIX
from pathways.households import Households, MembershipFact
from readmodels.tracking import TrackedProjection
from storage.sql import ReadStore, SqlStore, Tx, utc_text

__all__ = ["HouseholdMembership"]

_COLUMNS = ("position", "household_id", "event_id", "kind", "journey_id", "occurred_at", "target")


class HouseholdMembership(TrackedProjection):
    name = "household_members"
    schema = 1
    tables = (
        "CREATE TABLE IF NOT EXISTS {polku_household_members} ("
        " position BIGINT PRIMARY KEY, household_id TEXT NOT NULL, event_id TEXT NOT NULL,"
        " kind TEXT NOT NULL, journey_id TEXT, occurred_at TEXT, target TEXT)",
    )
    upgrade_drops = ("DROP TABLE IF EXISTS {polku_household_members}",)

    def __init__(
        self,
        store: SqlStore,
        service: JourneyService,
        households: HouseholdService,
        batch: int | None = None,
        *,
        reads: ReadStore | None = None,
    ) -> None:
        super().__init__(store, service, batch, source=households, reads=reads)
        self._households = households

    def _journey(self, client_ref: str) -> str:
        if client_ref.startswith(ERASED_PREFIX):
            return str(UUID(client_ref.removeprefix(ERASED_PREFIX)))
        return str(self.service.journey_id(client_ref))

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        rows: list[tuple[Any, ...]] = []
        for notification in notifications:
            event = self._households.mapper.to_domain_event(notification)
            household = str(notification.originator_id)
            if isinstance(event, HouseholdMemberJoined | HouseholdMemberLeft):
                kind = "joined" if isinstance(event, HouseholdMemberJoined) else "left"
                rows.append(
                    (
                        notification.id,
                        household,
                        str(event.event_id),
                        kind,
                        self._journey(event.client_ref),
                        utc_text(event.occurred_at),
                        None,
                    )
                )
            elif isinstance(event, EventRetracted):
                target = str(event.target_event_id)
                row = (notification.id, household, str(event.event_id), "retracted")
                rows.append((*row, None, None, target))
        tx.insert_many("polku_household_members", _COLUMNS, rows)

    def clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM {polku_household_members}")

    def households(self) -> Households:
        """Every household's members over valid time, as the record shows them now (caught up
        to the head first: no runner does it in the background, and a figure must not count
        with part of the households)."""
        self.catch_up()
        with self.reads.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT position, household_id, event_id, kind, journey_id, occurred_at, target"
                " FROM {polku_household_members} ORDER BY position"
            )
        return Households(
            [
                MembershipFact(
                    int(position),
                    str(household),
                    str(event_id),
                    cast(Literal["joined", "left", "retracted"], str(kind)),
                    None if journey is None else str(journey),
                    None if at is None else datetime.fromisoformat(str(at)),
                    None if target is None else str(target),
                )
                for position, household, event_id, kind, journey, at, target in rows
            ]
        )
