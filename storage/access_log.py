"""The access log: every successful read of a client's data, kept durably in Polku's database.

It backs the client's own log report (who read their data, when, why). Entries hold the journey
id (a hash of the client ref), the reader's party, organisation and role, the route, and the
purpose the reader gave in the ``X-Purpose`` header.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from domain.events import Actor
from projections.fhir import AccessRead
from storage.sql import SqlStore, utc_text

__all__ = ["AccessLog"]

_TABLE = """
CREATE TABLE IF NOT EXISTS {polku_access_log} (
    journey_id TEXT NOT NULL,
    read_at TEXT NOT NULL,
    party_id TEXT NOT NULL,
    organisation TEXT NOT NULL,
    role TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    purpose TEXT
)"""
_INDEX = (
    "CREATE INDEX IF NOT EXISTS polku_access_log_by_journey"
    " ON {polku_access_log} (journey_id, read_at)"
)


class AccessLog:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        store.ensure(_TABLE, _INDEX)

    def record(
        self,
        journeys: Sequence[UUID],
        actor: Actor,
        endpoint: str,
        purpose: str | None,
        at: datetime,
    ) -> None:
        """One row per journey read, in one transaction."""
        if not journeys:
            return
        row = (utc_text(at), actor.party_id, actor.organisation, actor.role, endpoint, purpose)
        with self._store.transaction() as tx:
            tx.executemany(
                "INSERT INTO {polku_access_log} VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [(str(journey), *row) for journey in journeys],
            )

    def clear_purposes(self, journey_id: UUID) -> int:
        """Forget the free-text purposes given for reads of one journey (on erasure)."""
        with self._store.transaction() as tx:
            rows = tx.rows(
                "SELECT COUNT(*) FROM {polku_access_log}"
                " WHERE journey_id = %s AND purpose IS NOT NULL",
                (str(journey_id),),
            )
            tx.execute(
                "UPDATE {polku_access_log} SET purpose = NULL WHERE journey_id = %s",
                (str(journey_id),),
            )
        return int(rows[0][0])

    def entries(
        self, journey_id: UUID, start: datetime | None = None, end: datetime | None = None
    ) -> list[AccessRead]:
        """Reads of one journey, oldest first, with ``start <= read_at <= end``."""
        statement, params = _select(journey_id, start, end)
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(statement + _ORDER, params)
        return [AccessRead(datetime.fromisoformat(row[0]), *row[1:]) for row in rows]

    def page(
        self,
        journey_id: UUID,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        after: tuple[str, int] | None = None,
        limit: int = 100,
        hide_roles: Collection[str] = (),
    ) -> tuple[list[AccessRead], tuple[str, int] | None]:
        """At most ``limit`` of :meth:`entries` (leaving out reads by ``hide_roles``: those are
        never counted, so a page of a reader not told of them looks as if they never were),
        starting where ``after`` says; and where the next page starts (None: this is the last).
        A place is a read time and how many rows of that moment were already given (rows are
        ordered by every column, so ties keep their order); callers seal it before it leaves
        the process, since it names a moment of the log."""
        statement, params = _select(journey_id, start, end)
        for role in sorted(hide_roles):
            statement += " AND role <> %s"
            params.append(role)
        at, skip = after if after is not None else (None, 0)
        if at is not None:
            statement += " AND read_at >= %s"
            params.append(at)
        statement += _ORDER + " LIMIT %s"
        params.append(limit + skip + 1)
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(statement, params)[skip:]
        page, more = rows[:limit], len(rows) > limit
        if not more:
            return [_read(row) for row in page], None
        last = page[-1][0]
        same = sum(1 for row in page if row[0] == last) + (skip if last == at else 0)
        return [_read(row) for row in page], (str(last), same)


_ORDER = " ORDER BY read_at, party_id, organisation, role, endpoint, purpose"


def _select(
    journey_id: UUID, start: datetime | None, end: datetime | None
) -> tuple[str, list[object]]:
    statement = (
        "SELECT read_at, party_id, organisation, role, endpoint, purpose"
        " FROM {polku_access_log} WHERE journey_id = %s"
    )
    params: list[object] = [str(journey_id)]
    if start is not None:
        statement += " AND read_at >= %s"
        params.append(utc_text(start))
    if end is not None:
        statement += " AND read_at <= %s"
        params.append(utc_text(end))
    return statement, params


def _read(row: tuple[object, ...]) -> AccessRead:
    return AccessRead(datetime.fromisoformat(str(row[0])), *row[1:])  # type: ignore[arg-type]
