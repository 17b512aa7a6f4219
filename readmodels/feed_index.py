"""Which organisations were ever on which journeys' teams, kept from the notification log (see
:mod:`readmodels.tracking`): the change feed (runtime/feed.py) looks only at the journeys an
organisation's members were ever added to.

The index only narrows the search: a member's addition may since have been retracted, or the
member removed; the feed replays each journey it finds and the reads rule decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.events import TeamMemberAdded
from readmodels.tracking import TrackedProjection
from storage.sql import Tx

__all__ = ["FeedIndex"]

_CHUNK = 500
_SELECT_AMONG = (
    "SELECT journey_id FROM {polku_feed_orgs} WHERE organisation = %s AND journey_id IN ("
)


class FeedIndex(TrackedProjection):
    name = "feed_index"
    topics = (get_topic(TeamMemberAdded),)
    tables = (
        "CREATE TABLE IF NOT EXISTS {polku_feed_orgs} ("
        " organisation TEXT NOT NULL, journey_id TEXT NOT NULL,"
        " PRIMARY KEY (organisation, journey_id))",
    )

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        rows = set()
        for n in notifications:
            event = self.service.decode_sealed(n)
            if isinstance(event, TeamMemberAdded):
                rows.add((event.organisation, str(event.originator_id)))
        tx.executemany(
            "INSERT INTO {polku_feed_orgs} VALUES (%s, %s) ON CONFLICT DO NOTHING", sorted(rows)
        )

    def clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM {polku_feed_orgs}")

    def journeys_of(self, organisation: str, among: Iterable[UUID]) -> set[UUID]:
        """Those of ``among`` that a member of ``organisation`` was ever added to (as far as
        the index has caught up)."""
        wanted = sorted({str(j) for j in among})
        found: set[UUID] = set()
        with self.store.transaction(write=False) as tx:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ", ".join(["%s"] * len(chunk))
                rows = tx.rows(_SELECT_AMONG + marks + ")", (organisation, *chunk))
                found.update(UUID(str(row[0])) for row in rows)
        return found
