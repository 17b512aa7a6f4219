"""The disclosure ledger: every disclosure across all journeys, one entry per recipient and
information category, with its verdicts then and now.

Kept from the notification log (see :mod:`readmodels.tracking`). A journey's entries are recomputed
whenever any of its events arrives, because a late consent, a withdrawal or a retraction can
change how an earlier disclosure is judged "now"; "then" is fixed by what was recorded when the
disclosure occurred. Every ``InformationShared`` gives an entry per category, and every
``MeetingHeld`` an entry per participant and category.

Schema 2 (one entry per category, the verdict words and their explanations) replaced the
per-disclosure table of schema 1: a store with the old table drops it and rebuilds the ledger
from the log the first time it opens.

Schema 3 keeps no identifier of the client or their private network in the clear: the plain
columns hold the client as ``erased-<journey id>`` and every party who is not a professional on
the team as a keyed pseudonym (in the explanations too); the real values of an entry are sealed
with the client's key in ``sealed`` (:mod:`readmodels.identifiers`) and opened when the entry
is read. Once the client is erased they no longer open, and the entry reads as its plain
columns: nothing has to be rewritten, and no copy of an older row (WAL, backup) names anyone.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.application import JourneyService
from domain.errors import InvalidQueryError
from domain.events import PersonalDataErased, TeamMemberAdded
from domain.journey import JourneyRecord
from domain.private_ids import ERASED_PREFIX, is_pseudonym
from projections.journey_view import DisclosureView, view
from projections.lawfulness import WORDS, VerdictWord
from readmodels.identifiers import SealedIdentifiers
from readmodels.tracking import Freshness, TrackedProjection
from storage.sql import ReadStore, SqlStore, Tx, utc_text

__all__ = [
    "FINDINGS",
    "MAX_PAGE",
    "JourneyHit",
    "Ledger",
    "LedgerEntry",
    "LedgerPage",
    "entries_of",
]

Texts = tuple[str, ...]
"""Sentences (stored as a JSON list, since they hold commas)."""

FINDINGS = "findings"
"""The ``verdict`` filter for entries not lawful then or now."""


@dataclass(frozen=True)
class LedgerEntry:
    key: str
    """The entry's place in the ledger's order (occurred, recorded, event, recipient, category);
    a page ends with the key of its last entry, and the next page starts after it."""
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
    category: str
    purpose: str
    basis: str
    consent_id: str | None
    statute: str | None
    verdict_then: VerdictWord
    reasons_then: tuple[str, ...]
    explanations_then: Texts
    verdict_now: VerdictWord
    reasons_now: tuple[str, ...]
    explanations_now: Texts


@dataclass(frozen=True)
class LedgerPage:
    entries: tuple[LedgerEntry, ...]
    next_cursor: str | None
    """Pass as ``cursor`` for the next page; none when this page is the last."""
    freshness: Freshness
    """The notifications the ledger reflected when the page was read (read from a replica,
    ``POLKU_REPLICA_URL``: at least these; the replica had replayed the primary's position)."""


@dataclass(frozen=True)
class _Column:
    """How one field of :class:`LedgerEntry` is stored: its SQL type and the two conversions."""

    sql_type: str
    to_db: Callable[[Any], object]
    from_db: Callable[[Any], Any]


def _codes(value: object) -> tuple[str, ...]:
    return tuple(c for c in str(value).split(",") if c)


def _word(value: object) -> VerdictWord:
    word = str(value)
    for known in WORDS:
        if known == word:
            return known
    raise ValueError(f"not a verdict word: {word}")


_BY_TYPE: dict[str, _Column] = {
    "str": _Column("TEXT NOT NULL", str, str),
    "str | None": _Column("TEXT", lambda v: v, lambda v: None if v is None else str(v)),
    "UUID": _Column("TEXT NOT NULL", str, lambda v: UUID(str(v))),
    "datetime": _Column("TEXT NOT NULL", utc_text, lambda v: datetime.fromisoformat(str(v))),
    "tuple[str, ...]": _Column("TEXT NOT NULL", ",".join, _codes),
    "Texts": _Column(
        "TEXT NOT NULL", lambda v: json.dumps(list(v)), lambda v: tuple(json.loads(v))
    ),
    "VerdictWord": _Column("TEXT NOT NULL", str, _word),
}
_FIELDS = tuple((f.name, _BY_TYPE[str(f.type)]) for f in fields(LedgerEntry))
"""The ledger's columns after ``journey_id``, one per field of :class:`LedgerEntry`, in order:
the one definition the table, the insert, the select and the conversions are derived from."""

_COLUMNS = ", ".join(["journey_id", *(name for name, _ in _FIELDS), "sealed"])
_TABLE = (
    "CREATE TABLE IF NOT EXISTS {polku_ledger} (journey_id TEXT NOT NULL, "
    + ", ".join(f"{name} {column.sql_type}" for name, column in _FIELDS)
    + ", sealed TEXT)"
)
_IDENTIFYING = ("client_ref", "from_party", "to_party", "explanations_then", "explanations_now")
"""The fields whose real values are kept only sealed."""
# Built from constants only (no input reaches them).
_INSERT = (
    f"INSERT INTO {{polku_ledger}} ({_COLUMNS}) VALUES ({', '.join(['%s'] * (len(_FIELDS) + 2))})"  # noqa: S608
)
_SELECT = f"SELECT {_COLUMNS} FROM {{polku_ledger}} WHERE 1 = 1"  # noqa: S608
MAX_PAGE = 1000


class Ledger(TrackedProjection):
    name = "ledger"
    whole_journeys = True
    schema = 3
    """3: identifiers of the client and their private network only sealed."""
    upgrade_drops = ("DROP TABLE IF EXISTS {polku_ledger}",)
    tables = (
        _TABLE,
        "CREATE UNIQUE INDEX IF NOT EXISTS polku_ledger_by_key ON {polku_ledger} (key)",
        "CREATE INDEX IF NOT EXISTS polku_ledger_by_journey ON {polku_ledger} (journey_id, key)",
    )

    def __init__(
        self,
        store: SqlStore,
        service: JourneyService,
        batch: int | None = None,
        *,
        reads: ReadStore | None = None,
    ) -> None:
        self._identifiers = SealedIdentifiers(service)
        super().__init__(store, service, batch, reads=reads)

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        # Each journey touched by the batch is judged afresh on its whole record as it stands:
        # replacing its rows makes a replay harmless, and "now" means now.
        journeys = [str(j) for j in self.due(notifications)]
        rows = []
        records = self.service.get_sealed_records_by_ids(
            [UUID(j) for j in journeys], identified=True
        )
        for journey in journeys:
            record = records.get(UUID(journey))
            if record is None:
                continue  # not a journey (nothing registered under that id)
            real = entries_of(record.client_ref, view(record).disclosures)
            erased = any(isinstance(e, PersonalDataErased) for e in record.events)
            shown = _pseudonymised(real, record, self.service.journey_id.pseudonym)
            for entry, plain in zip(real, shown, strict=True):
                sealed = None
                if not erased:
                    values = {name: getattr(entry, name) for name in _IDENTIFYING}
                    sealed = self._identifiers.seal(record.journey_id, values)
                    if sealed is None:
                        # No key to seal with: a service that keeps none, or a journey of an
                        # older store that never held personal data; its events name it too.
                        plain = entry
                rows.append(_row(journey, plain, sealed))
        tx.executemany("DELETE FROM {polku_ledger} WHERE journey_id = %s", [(j,) for j in journeys])
        tx.executemany(_INSERT, rows)

    def clear(self, tx: Tx) -> None:
        tx.execute("DELETE FROM {polku_ledger}")

    def entries(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        verdict: str | None = None,
        client_ref: str | None = None,
    ) -> list[LedgerEntry]:
        """Every ledger entry whose disclosure occurred in [start, end], oldest first."""
        found: list[LedgerEntry] = []
        cursor: str | None = None
        while True:
            page = self.page(
                start, end, verdict=verdict, client_ref=client_ref, cursor=cursor, limit=MAX_PAGE
            )
            found += page.entries
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    def page(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        verdict: str | None = None,
        client_ref: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> LedgerPage:
        """One page of entries in the ledger's order (occurred, recorded, event, recipient,
        category), after ``cursor``. ``verdict`` keeps entries judged so now (``lawful``,
        ``unsupported``, ``unlawful``) or, with ``findings``, those not lawful then or now."""
        _check_limit(limit)
        freshness = self.refresh()
        params: list[object] = []
        statement = _SELECT + _period(start, end, params)
        if client_ref is not None:
            statement += " AND journey_id = %s"
            params.append(self._journey_of(client_ref))
        if verdict == FINDINGS:
            statement += " AND (verdict_then <> 'lawful' OR verdict_now <> 'lawful')"
        elif verdict is not None:
            if verdict not in WORDS:
                raise InvalidQueryError(f"verdict must be one of {', '.join(WORDS)} or {FINDINGS}")
            statement += " AND verdict_now = %s"
            params.append(verdict)
        if cursor is not None:
            statement += " AND key > %s"
            params.append(_decode(cursor))
        statement += " ORDER BY key LIMIT %s"
        params.append(limit + 1)
        with self.reads.transaction(write=False) as tx:
            rows = tx.rows(statement, params)
        entries = [self._entry(row) for row in rows[:limit]]
        more = len(rows) > limit
        return LedgerPage(tuple(entries), _encode(entries[-1].key) if more else None, freshness)

    def search(
        self,
        *,
        client_ref: str | None = None,
        organisation: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        findings_only: bool = False,
        after: str | None = None,
        limit: int = 100,
    ) -> tuple[list[JourneyHit], str | None]:
        """Journeys whose disclosures in [start, end] match, and the ``after`` of the next page
        (None on the last): one client by ref, an organisation
        that sent or received, and (``findings_only``) a verdict other than lawful then or now;
        in the order of their (pseudonymous) journey ids after ``after``, one of them. There is
        no search by part of a ref: refs are kept only sealed, and a prefix search over
        identity codes would list clients by guess. Erased clients are not found."""
        _check_limit(limit)
        self.refresh()
        statement = (
            # Every column named: PostgreSQL's rows come as dicts by column name.
            "SELECT journey_id, MIN(sealed) AS sealed, MIN(client_ref) AS plain, COUNT(*) AS n,"
            " SUM(CASE WHEN verdict_then <> 'lawful' OR verdict_now <> 'lawful' THEN 1 ELSE 0 END)"
            " AS found, MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at"
            " FROM {polku_ledger} WHERE 1 = 1"
        )
        params: list[object] = []
        if client_ref:
            statement += " AND journey_id = %s"
            params.append(self._journey_of(client_ref))
        if organisation:
            statement += " AND (from_org = %s OR to_org = %s)"
            params += [organisation, organisation]
        statement += _period(start, end, params)
        if after is not None:
            statement += " AND journey_id > %s"
            params.append(after)
        statement += " GROUP BY journey_id"
        if findings_only:
            statement += (
                " HAVING SUM(CASE WHEN verdict_then <> 'lawful' OR verdict_now <> 'lawful'"
                " THEN 1 ELSE 0 END) > 0"
            )
        statement += " ORDER BY journey_id LIMIT %s"
        params.append(limit)
        with self.reads.transaction(write=False) as tx:
            rows = tx.rows(statement, params)
        hits = []
        for journey, sealed, plain, count, found, first, last in rows:
            ref = self._client_ref(UUID(str(journey)), sealed, plain)
            if ref is None:
                continue  # erased
            hits.append(
                JourneyHit(
                    ref,
                    str(journey),
                    int(count),
                    int(found),
                    datetime.fromisoformat(str(first)) if first else None,
                    datetime.fromisoformat(str(last)) if last else None,
                )
            )
        return hits, str(rows[-1][0]) if len(rows) == limit else None

    def _journey_of(self, client_ref: str) -> str:
        if client_ref.startswith(ERASED_PREFIX):
            return client_ref.removeprefix(ERASED_PREFIX)
        return str(self.service.journey_id(client_ref))

    def _client_ref(self, journey: UUID, sealed: object, plain: object) -> str | None:
        """The client's ref, or None once erased."""
        opened = self._identifiers.open(journey, sealed)
        if opened is not None:
            return str(opened["client_ref"])
        return None if sealed is not None or str(plain).startswith(ERASED_PREFIX) else str(plain)

    def _entry(self, row: tuple[object, ...]) -> LedgerEntry:
        entry = _entry(row)
        opened = self._identifiers.open(UUID(str(row[0])), row[-1])
        if opened is None:
            return entry
        return dataclasses.replace(
            entry,
            client_ref=str(opened["client_ref"]),
            from_party=opened["from_party"],
            to_party=opened["to_party"],
            explanations_then=tuple(opened["explanations_then"]),
            explanations_now=tuple(opened["explanations_now"]),
        )


def _encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidQueryError("not a cursor this ledger gave") from None
    if key.count("|") != 4:
        raise InvalidQueryError("not a cursor this ledger gave")
    return key


def _fixed(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidQueryError(f"limit must be 1 to {MAX_PAGE}")


def _period(start: datetime | None, end: datetime | None, params: list[object]) -> str:
    """The conditions for disclosures that occurred in [start, end]; their values go to
    ``params``."""
    conditions = ""
    if start is not None:
        conditions += " AND occurred_at >= %s"
        params.append(utc_text(start))
    if end is not None:
        conditions += " AND occurred_at <= %s"
        params.append(utc_text(end))
    return conditions


@dataclass(frozen=True)
class JourneyHit:
    """A journey an auditor's search found, with what the ledger says of it in the period."""

    client_ref: str
    journey_id: str
    """Its pseudonymous id: the order of the search, and the ``after`` of the next page."""
    disclosures: int
    findings: int
    first_at: datetime | None
    last_at: datetime | None


def _pseudonymised(
    entries: list[LedgerEntry], record: JourneyRecord, pseudonym: Callable[[str, str], str]
) -> list[LedgerEntry]:
    """The entries with nothing that names the client or their private network: the client
    ref becomes ``erased-<journey id>``, and every party who is not a professional on the team
    a keyed pseudonym (in the entry and in its explanations)."""
    professionals = {
        e.party_id
        for e in record.events
        if isinstance(e, TeamMemberAdded) and e.member_type == "professional"
    }
    client = f"{ERASED_PREFIX}{record.journey_id}"

    def hide(party: str | None) -> str | None:
        # Stored after private ids were kept out of events, the record holds pseudonyms already.
        if party is None or party in professionals or is_pseudonym(party):
            return party
        return pseudonym("party", party)

    def scrub(texts: tuple[str, ...], parties: dict[str, str]) -> tuple[str, ...]:
        for party, hidden in parties.items():
            texts = tuple(text.replace(party, hidden) for text in texts)
        return tuple(text.replace(record.client_ref, client) for text in texts)

    out = []
    for entry in entries:
        parties = {
            p: str(hide(p)) for p in (entry.from_party, entry.to_party) if p and hide(p) != p
        }
        out.append(
            dataclasses.replace(
                entry,
                client_ref=client,
                from_party=hide(entry.from_party),
                to_party=hide(entry.to_party),
                explanations_then=scrub(entry.explanations_then, parties),
                explanations_now=scrub(entry.explanations_now, parties),
            )
        )
    return out


def entries_of(client_ref: str, disclosures: Sequence[DisclosureView]) -> list[LedgerEntry]:
    """A journey's disclosures as ledger entries: one per recipient and category."""
    entries = []
    recipient_no: dict[UUID, int] = {}
    for d in disclosures:
        n = recipient_no[d.event_id] = recipient_no.get(d.event_id, -1) + 1
        for v in d.verdicts:
            key = (
                f"{_fixed(d.occurred_at)}|{_fixed(d.recorded_at)}|{d.event_id}|{n:04d}|{v.category}"
            )
            entries.append(
                LedgerEntry(
                    key=key,
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
                    category=v.category,
                    purpose=d.purpose,
                    basis=d.basis,
                    consent_id=d.consent_id,
                    statute=d.statute,
                    verdict_then=v.then.verdict,
                    reasons_then=tuple(r.code for r in v.then.reasons),
                    explanations_then=v.then.explanations,
                    verdict_now=v.now.verdict,
                    reasons_now=tuple(r.code for r in v.now.reasons),
                    explanations_now=v.now.explanations,
                )
            )
    return entries


def _row(journey: str, entry: LedgerEntry, sealed: str | None) -> tuple[object, ...]:
    return (journey, *(column.to_db(getattr(entry, name)) for name, column in _FIELDS), sealed)


def _entry(row: tuple[object, ...]) -> LedgerEntry:
    values = row[1:-1]  # after journey_id, before sealed
    return LedgerEntry(
        **{
            name: column.from_db(value)
            for (name, column), value in zip(_FIELDS, values, strict=True)
        }
    )
