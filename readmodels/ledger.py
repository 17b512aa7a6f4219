"""The disclosure ledger: every disclosure across all journeys, with its verdicts then and now.

Kept from the notification log (see :mod:`readmodels.tracking`). A journey's entries are recomputed
whenever any of its events arrives, because a late consent, a withdrawal or a retraction can
change how an earlier disclosure is judged "now"; "then" is fixed by what was recorded when the
disclosure occurred. Every ``InformationShared`` is an entry per recipient, and every
``MeetingHeld`` an entry per participant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
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


@dataclass(frozen=True)
class _Column:
    """How one field of :class:`LedgerEntry` is stored: its SQL type and the two conversions."""

    sql_type: str
    to_db: Callable[[Any], object]
    from_db: Callable[[Any], Any]


def _codes(value: object) -> tuple[str, ...]:
    return tuple(c for c in str(value).split(",") if c)


_BY_TYPE: dict[str, _Column] = {
    "str": _Column("TEXT NOT NULL", str, str),
    "str | None": _Column("TEXT", lambda v: v, lambda v: None if v is None else str(v)),
    "UUID": _Column("TEXT NOT NULL", str, lambda v: UUID(str(v))),
    "datetime": _Column("TEXT NOT NULL", utc_text, lambda v: datetime.fromisoformat(str(v))),
    "tuple[str, ...]": _Column("TEXT NOT NULL", ",".join, _codes),
    "bool": _Column("INTEGER NOT NULL", int, bool),
}
_FIELDS = tuple((f.name, _BY_TYPE[str(f.type)]) for f in fields(LedgerEntry))
"""The ledger's columns after ``journey_id``, one per field of :class:`LedgerEntry`, in order:
the one definition the table, the insert, the select and the conversions are derived from."""

_COLUMNS = ", ".join(["journey_id", *(name for name, _ in _FIELDS)])
_TABLE = (
    "CREATE TABLE IF NOT EXISTS {polku_ledger} (journey_id TEXT NOT NULL, "
    + ", ".join(f"{name} {column.sql_type}" for name, column in _FIELDS)
    + ")"
)
# Built from constants only (no input reaches them).
_INSERT = (
    f"INSERT INTO {{polku_ledger}} ({_COLUMNS}) VALUES ({', '.join(['%s'] * (len(_FIELDS) + 1))})"  # noqa: S608
)
_SELECT = f"SELECT {_COLUMNS} FROM {{polku_ledger}} WHERE 1 = 1"  # noqa: S608


class Ledger(TrackedProjection):
    name = "ledger"
    tables = (
        _TABLE,
        "CREATE INDEX IF NOT EXISTS polku_ledger_by_time ON {polku_ledger} (occurred_at)",
        "CREATE INDEX IF NOT EXISTS polku_ledger_by_journey ON {polku_ledger} (journey_id)",
    )

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        # Each journey touched by the batch is judged afresh on its whole record as it stands:
        # replacing its rows makes a replay harmless, and "now" means now.
        journeys = [str(j) for j in dict.fromkeys(n.originator_id for n in notifications)]
        rows = []
        for journey in journeys:
            record = self.service.get_sealed_record_by_id(UUID(journey))
            rows += [
                _row(journey, _entry_of(record.client_ref, d)) for d in view(record).disclosures
            ]
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


def _entry_of(client_ref: str, d: DisclosureView) -> LedgerEntry:
    return LedgerEntry(
        client_ref=client_ref,
        event_id=d.event_id,
        disclosure_id=d.disclosure_id,
        kind=d.kind,
        occurred_at=d.occurred_at,
        recorded_at=d.recorded_at,
        from_party=d.from_party,
        from_org=d.from_org,
        to_party=d.to_party,
        to_org=d.to_org,
        categories=d.categories,
        purpose=d.purpose,
        basis=d.basis,
        consent_id=d.consent_id,
        statute=d.statute,
        lawful_then=d.then.lawful,
        reasons_then=tuple(r.code for r in d.then.reasons),
        lawful_now=d.now.lawful,
        reasons_now=tuple(r.code for r in d.now.reasons),
    )


def _row(journey: str, entry: LedgerEntry) -> tuple[object, ...]:
    return (journey, *(column.to_db(getattr(entry, name)) for name, column in _FIELDS))


def _entry(row: tuple[object, ...]) -> LedgerEntry:
    values = row[1:]  # after journey_id
    return LedgerEntry(
        **{
            name: column.from_db(value)
            for (name, column), value in zip(_FIELDS, values, strict=True)
        }
    )
