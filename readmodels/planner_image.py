"""Where the planners' log's image is kept (``pathways/logimage.py``): in the database beside
the log's table, so that every process on the store (and a replica) finds it.

- **Generations.** An image is written as a new generation, one part per short transaction
  (a writer on SQLite never holds the database's write lock for the whole image), and made
  current in one last transaction that checks all its parts are there and that the log's
  table was not cleared meanwhile. Readers find the current generation's header, then read
  its parts one at a time, each in a short transaction (one part's bytes held at a time); a
  part gone meanwhile (a newer image made current) makes them give the image up. A writer
  that stops half-way leaves parts no reader looks at; the next image made current deletes
  them.
- **Sealed.** Every part is sealed with a keyed hash (BLAKE2b) under a key derived from the
  pseudonym secret, which never enters the database, and bound to its generation and
  number; the header (which says what the image reflects) likewise. Someone who can write the
  database cannot make a process load an image of their own, or mix parts of two images: a
  part that does not match its seal is not decoded at all.
- **Only what is current.** The header says which clearing of the table the image was made
  after (:meth:`readmodels.planner.PlannerLog.clear` counts them), up to which position, and
  by which rules (:data:`pathways.logimage.RULES`); an image of an older table or older rules
  is not used.
"""

from __future__ import annotations

import hashlib
import hmac
import marshal
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import structlog

from pathways.logimage import FORMAT, RULES, ImageError
from storage.sql import ReadStore, SqlStore, Tx

__all__ = ["ImageHeader", "ImageStore"]

_log = structlog.get_logger("polku.planner")

TABLE = (
    # BYTEA: PostgreSQL's binary type; SQLite keeps a blob as it is under any declared type.
    "CREATE TABLE IF NOT EXISTS {polku_planner_image} ("
    " generation BIGINT NOT NULL, part INTEGER NOT NULL, data BYTEA NOT NULL,"
    " PRIMARY KEY (generation, part))"
)
_SEAL = 32
_HEADER = 0
"""The header is part 0; the log's parts are numbered from 1."""


@dataclass(frozen=True)
class ImageHeader:
    cleared: int
    """How many times the log's table had been cleared when the image was made."""
    position: int
    """The last position of the table the image holds (facts after it are read from the table)."""
    parts: int
    facts: int
    journeys: int


class ImageStore:
    """The image of one log (named by ``current_key``, a row of the tracking table holding the
    current generation)."""

    def __init__(
        self, store: SqlStore, reads: ReadStore, key: bytes, *, current_key: str, cleared_key: str
    ) -> None:
        self._store = store
        self._reads = reads
        self._key = key
        self._current = current_key
        self._cleared = cleared_key
        """The tracking row counting the clearings of the log's table."""

    def _seal(self, generation: int, part: int, data: bytes) -> bytes:
        mac = hashlib.blake2b(key=self._key, digest_size=_SEAL, person=b"polku-image")
        mac.update(generation.to_bytes(8, "big", signed=True) + part.to_bytes(4, "big"))
        mac.update(data)
        return mac.digest()

    def _opened(self, generation: int, part: int, sealed: bytes) -> bytes:
        seal, data = sealed[:_SEAL], sealed[_SEAL:]
        if not hmac.compare_digest(seal, self._seal(generation, part, data)):
            raise ImageError(f"part {part} of the image does not match its seal")
        return data

    def write(self, header: ImageHeader, parts: Iterable[bytes]) -> ImageHeader | None:
        """Write an image and make it current: its header as written; ``None`` (and nothing
        current changed) if the table was cleared since the image was taken, or another
        writer removed its parts meanwhile."""
        generation = secrets.randbits(62) + 1
        count = 0
        for data in parts:
            count += 1
            with self._store.transaction() as tx:
                tx.execute(
                    "INSERT INTO {polku_planner_image} VALUES (%s, %s, %s)",
                    (generation, count, self._seal(generation, count, data) + data),
                )
        header = ImageHeader(header.cleared, header.position, count, header.facts, header.journeys)
        head = marshal.dumps(
            (FORMAT, RULES, header.cleared, header.position, count, header.facts, header.journeys)
        )
        with self._store.transaction() as tx:
            cleared = tx.rows(
                "SELECT position FROM {polku_tracking} WHERE name = %s", (self._cleared,)
            )
            found = tx.rows(
                "SELECT COUNT(*) FROM {polku_planner_image} WHERE generation = %s AND part > 0",
                (generation,),
            )
            if (int(cleared[0][0]) if cleared else 0) != header.cleared or found[0][0] != count:
                tx.execute("DELETE FROM {polku_planner_image} WHERE generation = %s", (generation,))
                return None
            tx.execute(
                "INSERT INTO {polku_planner_image} VALUES (%s, %s, %s)",
                (generation, _HEADER, self._seal(generation, _HEADER, head) + head),
            )
            tx.execute(
                "INSERT INTO {polku_tracking} VALUES (%s, 0) ON CONFLICT DO NOTHING",
                (self._current,),
            )
            tx.execute(
                "UPDATE {polku_tracking} SET position = %s WHERE name = %s",
                (generation, self._current),
            )
            tx.execute("DELETE FROM {polku_planner_image} WHERE generation <> %s", (generation,))
        return header

    def read(self, cleared: int) -> tuple[ImageHeader, Iterator[bytes]] | None:
        """The current image made after the table's ``cleared``-th clearing by these rules:
        its header and its parts, opened (each read in a short transaction of its own and
        checked against its seal as it is taken, so one part's bytes are held at a time);
        ``None`` if there is none. Raises :class:`ImageError` for an image that is damaged,
        sealed under another key, or replaced while its parts were being read."""
        with self._reads.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT generation, data FROM {polku_planner_image} WHERE part = %s AND"
                " generation = (SELECT position FROM {polku_tracking} WHERE name = %s)",
                (_HEADER, self._current),
            )
        if not rows:
            return None
        generation = int(rows[0][0])
        try:
            # Opened: its seal checked first (the key never enters the database).
            head = marshal.loads(self._opened(generation, _HEADER, bytes(rows[0][1])))  # noqa: S302
            fmt, rules, made_after, position, parts, facts, journeys = head
        except (EOFError, ValueError, TypeError):
            raise ImageError("the image's header cannot be read") from None
        if fmt != FORMAT or rules != RULES or made_after != cleared:
            _log.info(
                "planner_image_not_current",
                reason="older rules" if (fmt, rules) != (FORMAT, RULES) else "table cleared since",
            )
            return None
        header = ImageHeader(made_after, position, parts, facts, journeys)

        def opened() -> Iterator[bytes]:
            for part in range(1, parts + 1):
                with self._reads.transaction(write=False) as tx:
                    found = tx.rows(
                        "SELECT data FROM {polku_planner_image}"
                        " WHERE generation = %s AND part = %s",
                        (generation, part),
                        binary=True,
                    )
                if not found:  # a newer image made current meanwhile removed this one
                    raise ImageError(f"part {part} of the image is gone")
                yield self._opened(generation, part, bytes(found[0][0]))

        return header, opened()

    @staticmethod
    def clear(tx: Tx) -> None:
        """Delete every image (in the caller's transaction: the log's table is being cleared)."""
        tx.execute("DELETE FROM {polku_planner_image}")
