"""The planners' read model: each journey's service episodes (sector, start) in valid-time order,
kept from the notification log (see :mod:`api.tracking`). A journey's rows are recomputed when
any of its events arrives, so late entries and retractions are reflected."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import Notification

from api.sqlstore import Tx, utc_text
from api.tracking import TrackedProjection
from domain.events import ServiceStarted
from domain.timeline import effective_events, valid_order
from pathways.analytics import Episode

__all__ = ["PlannerEpisodes"]


class PlannerEpisodes(TrackedProjection):
    name = "planner"
    tables = (
        "CREATE TABLE IF NOT EXISTS {polku_planner_episodes} ("
        " journey_id TEXT NOT NULL, seq INTEGER NOT NULL, sector TEXT NOT NULL,"
        " started_at TEXT NOT NULL, PRIMARY KEY (journey_id, seq))",
    )

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        for journey in dict.fromkeys(n.originator_id for n in notifications):
            record = self.service.get_record_by_id(UUID(str(journey)))
            episodes = [
                e
                for e in valid_order(effective_events(record.events))
                if isinstance(e, ServiceStarted)
            ]
            tx.execute(
                "DELETE FROM {polku_planner_episodes} WHERE journey_id = %s", (str(journey),)
            )
            for seq, episode in enumerate(episodes):
                tx.execute(
                    "INSERT INTO {polku_planner_episodes} VALUES (%s, %s, %s, %s)",
                    (str(journey), seq, episode.sector, utc_text(episode.occurred_at)),
                )

    def clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM {polku_planner_episodes}")

    def routes(self) -> dict[str, list[Episode]]:
        """Each journey's episodes, keyed by an opaque key (never shown to planners)."""
        self.catch_up()
        with self.store.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT journey_id, sector, started_at FROM {polku_planner_episodes}"
                " ORDER BY journey_id, seq"
            )
        routes: dict[str, list[Episode]] = defaultdict(list)
        for journey, sector, started_at in rows:
            routes[str(journey)].append(
                Episode(str(sector), datetime.fromisoformat(str(started_at)))
            )
        return dict(routes)
