"""The caseload index: which journeys a party has ever been added to, kept from the event
store's notification log (see :mod:`readmodels.tracking`).

A party's caseload *now* is read from this index and confirmed against each journey's team as
it stands now (late entries and retractions can change the team in the past, so the index only
narrows the search; the journey decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.application import JourneyService
from domain.events import ClientRegistered, PersonalDataErased, TeamMemberAdded
from domain.policy import PROFESSIONAL
from domain.private_ids import ERASED_PREFIX, is_pseudonym
from readmodels.identifiers import SealedIdentifiers
from readmodels.tracking import TrackedProjection
from storage.sql import SqlStore, Tx

__all__ = ["ERASED_PREFIX", "CaseloadEntry", "CaseloadIndex"]


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
    schema = 3
    """2: an erased client's ref and private network are not kept. 3: the ref kept only sealed
    with the client's key, and a party who is not a professional only as a keyed pseudonym."""
    upgrade_drops = (
        "DROP TABLE IF EXISTS {polku_party_journeys}",
        "DROP TABLE IF EXISTS {polku_journeys}",
    )
    tables = (
        # ref_sealed: the client ref sealed with their key; ref_plain only where the service
        # keeps no keys (or for a journey of an older store that has none).
        "CREATE TABLE IF NOT EXISTS {polku_journeys} ("
        " journey_id TEXT PRIMARY KEY, ref_sealed TEXT, ref_plain TEXT,"
        " erased INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE IF NOT EXISTS {polku_party_journeys} ("
        " party_id TEXT NOT NULL, journey_id TEXT NOT NULL, PRIMARY KEY (party_id, journey_id))",
    )

    def __init__(self, store: SqlStore, service: JourneyService, batch: int | None = None) -> None:
        self._identifiers = SealedIdentifiers(service)
        super().__init__(store, service, batch)

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        journeys: list[tuple[str, str | None, str | None]] = []
        members, erased = [], []
        if self.service.vault is not None:
            touched = dict.fromkeys(UUID(str(n.originator_id)) for n in notifications)
            self.service.vault.prefetch(list(touched))
        for n in notifications:
            event = self.service.decode_sealed(n)
            if isinstance(event, ClientRegistered | TeamMemberAdded):
                event = self.service.decode_identified(n)  # the real ref and party id
            if isinstance(event, ClientRegistered):
                ref = event.client_ref
                if ref.startswith(ERASED_PREFIX):
                    continue  # registered, then erased before this index saw it
                sealed = self._identifiers.seal(event.originator_id, {"client_ref": ref})
                journeys.append((str(event.originator_id), sealed, None if sealed else ref))
            elif isinstance(event, TeamMemberAdded):
                members.append((self._party_key(event), str(event.originator_id)))
            elif isinstance(event, PersonalDataErased):
                erased.append(event.originator_id)
        tx.executemany(
            "INSERT INTO {polku_journeys} (journey_id, ref_sealed, ref_plain) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            journeys,
        )
        tx.executemany(
            "INSERT INTO {polku_party_journeys} VALUES (%s, %s) ON CONFLICT DO NOTHING", members
        )
        for journey in erased:
            # Nothing here names the client or their private network any more: the sealed ref
            # could not be opened anyway, and only the professionals stay findable by party.
            record = self.service.get_sealed_record_by_id(journey)
            professionals = {
                e.party_id
                for e in record.events
                if isinstance(e, TeamMemberAdded) and e.member_type == PROFESSIONAL
            }
            tx.execute(
                "INSERT INTO {polku_journeys} (journey_id, erased) VALUES (%s, 1)"
                " ON CONFLICT (journey_id) DO UPDATE"
                " SET ref_sealed = NULL, ref_plain = NULL, erased = 1",
                (str(journey),),
            )
            keep = sorted(professionals)
            placeholders = ", ".join(["%s"] * len(keep))  # only placeholders: no value inlined
            statement = "DELETE FROM {polku_party_journeys} WHERE journey_id = %s"
            if keep:
                statement += f" AND party_id NOT IN ({placeholders})"
            tx.execute(statement, (str(journey), *keep))

    def _party_key(self, event: TeamMemberAdded) -> str:
        """How a member is indexed: a professional by party id, anyone else by pseudonym."""
        party = event.party_id
        if event.member_type == PROFESSIONAL or is_pseudonym(party):
            return party
        return self.service.journey_id.pseudonym("party", party)

    def clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM {polku_party_journeys}")
        tx.execute("DELETE FROM {polku_journeys}")

    def client_refs(self) -> list[str]:
        """Every registered client not erased (from the index), in ref order."""
        self.refresh()
        with self.store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT journey_id, ref_sealed, ref_plain FROM {polku_journeys} WHERE erased = 0"
            )
        return sorted(ref for row in rows if (ref := self._ref(row)) is not None)

    def _ref(self, row: tuple[object, ...]) -> str | None:
        journey, sealed, plain = row
        if plain is not None:
            return str(plain)
        opened = self._identifiers.open(UUID(str(journey)), sealed)
        return None if opened is None else str(opened["client_ref"])

    def caseload(self, party_id: str) -> list[CaseloadEntry]:
        """The journeys ``party_id`` is on now."""
        self.refresh()
        keys = sorted({party_id, self.service.journey_id.pseudonym("party", party_id)})
        with self.store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT DISTINCT j.journey_id, j.ref_sealed, j.ref_plain"
                " FROM {polku_party_journeys} p"
                " JOIN {polku_journeys} j ON j.journey_id = p.journey_id"
                " WHERE p.party_id IN (%s, %s) AND j.erased = 0",
                keys,
            )
        entries = []
        for client_ref in sorted(ref for row in rows if (ref := self._ref(row)) is not None):
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
