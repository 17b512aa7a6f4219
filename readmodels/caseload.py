"""The caseload index: which journeys a party has ever been added to, kept from the event
store's notification log (see :mod:`readmodels.tracking`).

A party's caseload *now* is read from this index and confirmed against each journey's team as
it stands now (late entries and retractions can change the team in the past, so the index only
narrows the search; the journey decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.events import ClientRegistered, PersonalDataErased, TeamMemberAdded
from readmodels.tracking import TrackedProjection
from storage.sql import Tx

__all__ = ["ERASED_PREFIX", "CaseloadEntry", "CaseloadIndex"]

ERASED_PREFIX = "erased-"
"""How an erased client is named in the read models: ``erased-<journey id>``."""


@dataclass(frozen=True)
class CaseloadEntry:
    client_ref: str
    role: str
    is_coordinator: bool
    closed: bool


class CaseloadIndex(TrackedProjection):
    name = "caseload"
    topics = (
        get_topic(ClientRegistered),
        get_topic(TeamMemberAdded),
        get_topic(PersonalDataErased),
    )
    schema = 2
    """2: an erased client's ref and private network are not kept."""
    upgrade_drops = (
        "DROP TABLE IF EXISTS {polku_party_journeys}",
        "DROP TABLE IF EXISTS {polku_journeys}",
    )
    tables = (
        "CREATE TABLE IF NOT EXISTS {polku_journeys} ("
        " journey_id TEXT PRIMARY KEY, client_ref TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {polku_party_journeys} ("
        " party_id TEXT NOT NULL, journey_id TEXT NOT NULL, PRIMARY KEY (party_id, journey_id))",
    )

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        journeys, members, erased = [], [], []
        for n in notifications:
            event = self.service.decode_sealed(n)
            if isinstance(event, ClientRegistered):
                journeys.append((str(event.originator_id), event.client_ref))
            elif isinstance(event, TeamMemberAdded):
                members.append((event.party_id, str(event.originator_id)))
            elif isinstance(event, PersonalDataErased):
                erased.append(event.originator_id)
        tx.executemany(
            "INSERT INTO {polku_journeys} VALUES (%s, %s) ON CONFLICT DO NOTHING", journeys
        )
        tx.executemany(
            "INSERT INTO {polku_party_journeys} VALUES (%s, %s) ON CONFLICT DO NOTHING", members
        )
        for journey in erased:
            # The client ref gives way to the journey's pseudonym, and only the professionals
            # stay findable by party: nothing here names the client or their private network.
            record = self.service.get_sealed_record_by_id(journey)
            private = {
                e.party_id
                for e in record.events
                if isinstance(e, TeamMemberAdded) and e.member_type != "professional"
            }
            tx.execute(
                "UPDATE {polku_journeys} SET client_ref = %s WHERE journey_id = %s",
                (f"{ERASED_PREFIX}{journey}", str(journey)),
            )
            tx.executemany(
                "DELETE FROM {polku_party_journeys} WHERE party_id = %s AND journey_id = %s",
                [(party, str(journey)) for party in sorted(private)],
            )

    def clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM {polku_party_journeys}")
        tx.execute("DELETE FROM {polku_journeys}")

    def client_refs(self) -> list[str]:
        """Every registered client (from the index)."""
        self.refresh()
        with self.store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT client_ref FROM {polku_journeys} WHERE client_ref NOT LIKE %s"
                " ORDER BY client_ref",
                (ERASED_PREFIX + "%",),
            )
        return [str(row[0]) for row in rows]

    def caseload(self, party_id: str) -> list[CaseloadEntry]:
        """The journeys ``party_id`` is on now."""
        self.refresh()
        with self.store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT j.client_ref FROM {polku_party_journeys} p"
                " JOIN {polku_journeys} j ON j.journey_id = p.journey_id"
                " WHERE p.party_id = %s ORDER BY j.client_ref",
                (party_id,),
            )
        entries = []
        for (client_ref,) in rows:
            if str(client_ref).startswith(ERASED_PREFIX):
                continue  # erased: no longer found by its ref
            state = self.service.get_journey(client_ref).end_state()
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
