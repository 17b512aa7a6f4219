"""The disclosure ledger: every disclosure across all journeys, with its verdicts then and now.

Kept from the notification log (see :mod:`readmodels.tracking`). A journey's entries are recomputed
whenever any of its events arrives, because a late consent, a withdrawal or a retraction can
change how an earlier disclosure is judged "now"; "then" is fixed by what was recorded when the
disclosure occurred. Every ``InformationShared`` is an entry per recipient, and every
``MeetingHeld`` an entry per participant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import Notification

from projections.journey_view import DisclosureView, view
from readmodels.tracking import TrackedProjection
from storage.sql import Tx, utc_text

__all__ = ["Ledger", "LedgerEntry"]


@dataclass(frozen=True)
class LedgerEntry:
    client_ref: str
    event_id: UUID
    disclosure_id: str
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    from_party: str | None
    from_org: str | None
    to_party: str | None
    to_org: str | None
    categories: tuple[str, ...]
    purpose: str
    basis: str
    consent_id: str | None
    statute: str | None
    lawful_then: bool
    reasons_then: tuple[str, ...]
    lawful_now: bool
    reasons_now: tuple[str, ...]


_COLUMNS = (
    "journey_id, client_ref, event_id, disclosure_id, kind, occurred_at, recorded_at, from_party,"
    " from_org, to_party, to_org, categories, purpose, basis, consent_id, statute, lawful_then,"
    " reasons_then, lawful_now, reasons_now"
)


# Built from constants only (no input reaches them).
_INSERT = f"INSERT INTO {{polku_ledger}} ({_COLUMNS}) VALUES ({', '.join(['%s'] * 20)})"  # noqa: S608
_SELECT = f"SELECT {_COLUMNS} FROM {{polku_ledger}} WHERE 1 = 1"  # noqa: S608


class Ledger(TrackedProjection):
    name = "ledger"
    tables = (
        "CREATE TABLE IF NOT EXISTS {polku_ledger} ("
        " journey_id TEXT NOT NULL, client_ref TEXT NOT NULL, event_id TEXT NOT NULL,"
        " disclosure_id TEXT NOT NULL, kind TEXT NOT NULL, occurred_at TEXT NOT NULL,"
        " recorded_at TEXT NOT NULL, from_party TEXT, from_org TEXT, to_party TEXT, to_org TEXT,"
        " categories TEXT NOT NULL, purpose TEXT NOT NULL, basis TEXT NOT NULL, consent_id TEXT,"
        " statute TEXT, lawful_then INTEGER NOT NULL, reasons_then TEXT NOT NULL,"
        " lawful_now INTEGER NOT NULL, reasons_now TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS polku_ledger_by_time ON {polku_ledger} (occurred_at)",
        "CREATE INDEX IF NOT EXISTS polku_ledger_by_journey ON {polku_ledger} (journey_id)",
    )

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        # Each journey touched by the batch is judged afresh on its whole record as it stands:
        # replacing its rows makes a replay harmless, and "now" means now.
        journeys = [str(j) for j in dict.fromkeys(n.originator_id for n in notifications)]
        rows = []
        for journey in journeys:
            record = self.service.get_record_by_id(UUID(journey))
            rows += [_row(journey, record.client_ref, d) for d in view(record).disclosures]
        tx.executemany("DELETE FROM {polku_ledger} WHERE journey_id = %s", [(j,) for j in journeys])
        tx.executemany(_INSERT, rows)

    def clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM {polku_ledger}")

    def entries(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        unlawful_only: bool = False,
        client_ref: str | None = None,
    ) -> list[LedgerEntry]:
        """Ledger entries whose disclosure occurred in [start, end], oldest first."""
        self.catch_up()
        statement = _SELECT
        params: list[str] = []
        if start is not None:
            statement += " AND occurred_at >= %s"
            params.append(utc_text(start))
        if end is not None:
            statement += " AND occurred_at <= %s"
            params.append(utc_text(end))
        if client_ref is not None:
            statement += " AND client_ref = %s"
            params.append(client_ref)
        if unlawful_only:
            statement += " AND (lawful_then = 0 OR lawful_now = 0)"
        statement += " ORDER BY occurred_at, recorded_at, event_id, to_party, to_org"
        with self.store.transaction(write=False) as tx:
            rows = tx.rows(statement, params)
        return [_entry(row) for row in rows]


def _row(journey: str, client_ref: str, d: DisclosureView) -> tuple[object, ...]:
    return (
        journey,
        client_ref,
        str(d.event_id),
        d.disclosure_id,
        d.kind,
        utc_text(d.occurred_at),
        utc_text(d.recorded_at),
        d.from_party,
        d.from_org,
        d.to_party,
        d.to_org,
        ",".join(d.categories),
        d.purpose,
        d.basis,
        d.consent_id,
        d.statute,
        int(d.then.lawful),
        ",".join(r.code for r in d.then.reasons),
        int(d.now.lawful),
        ",".join(r.code for r in d.now.reasons),
    )


def _entry(row: tuple[object, ...]) -> LedgerEntry:
    (
        _journey,
        client_ref,
        event_id,
        disclosure_id,
        kind,
        occurred_at,
        recorded_at,
        from_party,
        from_org,
        to_party,
        to_org,
        categories,
        purpose,
        basis,
        consent_id,
        statute,
        lawful_then,
        reasons_then,
        lawful_now,
        reasons_now,
    ) = row

    def codes(value: object) -> tuple[str, ...]:
        return tuple(c for c in str(value).split(",") if c)

    def text(value: object) -> str | None:
        return None if value is None else str(value)

    return LedgerEntry(
        client_ref=str(client_ref),
        event_id=UUID(str(event_id)),
        disclosure_id=str(disclosure_id),
        kind=str(kind),
        occurred_at=datetime.fromisoformat(str(occurred_at)),
        recorded_at=datetime.fromisoformat(str(recorded_at)),
        from_party=text(from_party),
        from_org=text(from_org),
        to_party=text(to_party),
        to_org=text(to_org),
        categories=codes(categories),
        purpose=str(purpose),
        basis=str(basis),
        consent_id=text(consent_id),
        statute=text(statute),
        lawful_then=bool(lawful_then),
        reasons_then=codes(reasons_then),
        lawful_now=bool(lawful_now),
        reasons_now=codes(reasons_now),
    )
