"""The planner query log: every analytics question and export, who asked it, what and when.

Aggregate figures name no client, so these reads are not in any client's access log; this log
is what lets an auditor see how the figures were used (a run of queries that probes one cell
from many sides stands out), and it backs the per-caller rate limit's reasoning in
``docs/analytics-privacy.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.events import Actor
from storage.sql import SqlStore, utc_text

__all__ = ["PlannerQuery", "PlannerQueryLog"]

_TABLE = """
CREATE TABLE IF NOT EXISTS {polku_planner_queries} (
    asked_at TEXT NOT NULL,
    party_id TEXT NOT NULL,
    organisation TEXT NOT NULL,
    role TEXT NOT NULL,
    figure TEXT NOT NULL,
    parameters TEXT NOT NULL,
    released TEXT NOT NULL,
    control TEXT NOT NULL
)"""
_INDEX = (
    "CREATE INDEX IF NOT EXISTS polku_planner_queries_by_party"
    " ON {polku_planner_queries} (party_id, asked_at)"
)


@dataclass(frozen=True)
class PlannerQuery:
    asked_at: datetime
    party_id: str
    organisation: str
    role: str
    figure: str
    parameters: dict[str, Any]
    """The parameters as asked (period, filters)."""
    released: str
    """The release window answered (e.g. ``2025-Q3``), or ``as asked`` for exact figures."""
    control: str
    """``cell-key`` (perturbed), ``exact`` or ``microdata`` (an export)."""


class PlannerQueryLog:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        store.ensure(_TABLE, _INDEX)

    def record(self, query: PlannerQuery) -> None:
        with self._store.transaction() as tx:
            tx.execute(
                "INSERT INTO {polku_planner_queries} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    utc_text(query.asked_at),
                    query.party_id,
                    query.organisation,
                    query.role,
                    query.figure,
                    json.dumps(query.parameters, sort_keys=True),
                    query.released,
                    query.control,
                ),
            )

    def entries(self, party_id: str | None = None) -> list[PlannerQuery]:
        """The queries asked (by ``party_id``, or by anyone), oldest first."""
        statement = (
            "SELECT asked_at, party_id, organisation, role, figure, parameters, released, control"
            " FROM {polku_planner_queries}"
        )
        params: list[str] = []
        if party_id is not None:
            statement += " WHERE party_id = %s"
            params.append(party_id)
        with self._store.transaction(write=False) as tx:
            rows = tx.rows(statement + " ORDER BY asked_at", params)
        return [
            PlannerQuery(
                datetime.fromisoformat(str(r[0])),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                str(r[4]),
                json.loads(str(r[5])),
                str(r[6]),
                str(r[7]),
            )
            for r in rows
        ]


def actor_query(actor: Actor, **fields: Any) -> PlannerQuery:
    """A query by ``actor`` (the other fields as :class:`PlannerQuery`'s)."""
    return PlannerQuery(
        party_id=actor.party_id, organisation=actor.organisation, role=actor.role, **fields
    )
