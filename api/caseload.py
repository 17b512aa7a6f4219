"""The caseload index: which journeys a party has ever been added to, kept from the event
store's notification log with a tracking position, exactly once per notification.

A party's caseload *now* is read from this index and confirmed against each journey's team as
it stands now (late entries and retractions can change the team in the past, so the index only
narrows the search; the journey decides). On SQLite the index catches up when read (the
library's SQLite recorder cannot subscribe); the same catch-up serves PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventsourcing.utils import get_topic

from api.sqlstore import SqlStore
from domain.application import JourneyService
from domain.events import ClientRegistered, TeamMemberAdded
from domain.timeline import TimelineState

__all__ = ["CaseloadEntry", "CaseloadIndex"]

NAME = "caseload"
_TABLES = (
    "CREATE TABLE IF NOT EXISTS {polku_tracking} (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {polku_journeys} ("
    " journey_id TEXT PRIMARY KEY, client_ref TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {polku_party_journeys} ("
    " party_id TEXT NOT NULL, journey_id TEXT NOT NULL, PRIMARY KEY (party_id, journey_id))",
)
_TOPICS = (get_topic(ClientRegistered), get_topic(TeamMemberAdded))
BATCH = 1000


@dataclass(frozen=True)
class CaseloadEntry:
    client_ref: str
    role: str
    is_coordinator: bool
    closed: bool


class CaseloadIndex:
    def __init__(self, store: SqlStore, service: JourneyService) -> None:
        self._store = store
        self._service = service
        store.ensure(*_TABLES)

    def catch_up(self) -> int:
        """Apply the notifications recorded since the tracked position; returns how many."""
        applied = 0
        while True:
            with self._store.transaction() as tx:
                rows = tx.rows("SELECT position FROM {polku_tracking} WHERE name = %s", (NAME,))
                position = rows[0][0] if rows else 0
                # Read the high-water mark first: everything up to it is committed.
                last = self._service.recorder.max_notification_id() or 0
                notifications = self._service.recorder.select_notifications(
                    start=position + 1, limit=BATCH, stop=last, topics=_TOPICS
                )
                for n in notifications:
                    event = self._service.mapper.to_domain_event(n)
                    if isinstance(event, ClientRegistered):
                        tx.execute(
                            "INSERT INTO {polku_journeys} VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            (str(event.originator_id), event.client_ref),
                        )
                    elif isinstance(event, TeamMemberAdded):
                        tx.execute(
                            "INSERT INTO {polku_party_journeys} VALUES (%s, %s)"
                            " ON CONFLICT DO NOTHING",
                            (event.party_id, str(event.originator_id)),
                        )
                new_position = notifications[-1].id if len(notifications) == BATCH else last
                new_position = max(new_position, position)
                if rows:
                    tx.execute(
                        "UPDATE {polku_tracking} SET position = %s WHERE name = %s",
                        (new_position, NAME),
                    )
                else:
                    tx.execute("INSERT INTO {polku_tracking} VALUES (%s, %s)", (NAME, new_position))
            applied += len(notifications)
            if len(notifications) < BATCH:
                return applied

    def caseload(self, party_id: str) -> list[CaseloadEntry]:
        """The journeys ``party_id`` is on now."""
        self.catch_up()
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT j.client_ref FROM {polku_party_journeys} p"
                " JOIN {polku_journeys} j ON j.journey_id = p.journey_id"
                " WHERE p.party_id = %s ORDER BY j.client_ref",
                (party_id,),
            )
        entries = []
        for (client_ref,) in rows:
            state: TimelineState = self._service.get_journey(client_ref).end_state()
            member = state.members.get(party_id)
            if member is not None:
                coordinator = state.coordinator
                entries.append(
                    CaseloadEntry(
                        client_ref=client_ref,
                        role=member.role,
                        is_coordinator=coordinator is not None and coordinator.party_id == party_id,
                        closed=state.closed is not None,
                    )
                )
        return entries
