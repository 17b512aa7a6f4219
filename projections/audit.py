"""Auditor replays: who knew what and when (with onward sharing), the record as it differed
between two record times, and the findings of one journey.

Every finding names its event ids and both times (occurred and recorded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.events import EventRetracted
from domain.journey import JourneyRecord
from projections.history import HistoryEntry, history
from projections.journey_view import CategoryVerdict, DisclosureView, JourneyView, view
from projections.lawfulness import VerdictWord

__all__ = [
    "DiffEntry",
    "Finding",
    "JourneyAudit",
    "Knower",
    "Link",
    "RecordDiff",
    "VerdictChange",
    "audit_journey",
    "record_diff",
    "who_knew",
]


@dataclass(frozen=True)
class Link:
    """One disclosure in a chain: who passed the information to whom, and when."""

    disclosure_id: str
    event_id: UUID
    occurred_at: datetime
    recorded_at: datetime
    from_party: str | None
    from_org: str | None
    to_party: str | None
    to_org: str | None
    basis: str
    verdict_then: VerdictWord
    verdict_now: VerdictWord
    """How sharing this category with this recipient is judged (lawful, unsupported, unlawful)."""


@dataclass(frozen=True)
class Knower:
    """A party or organisation that had received a category, first when, and the chains behind it.

    Each chain runs from the original disclosure to the one that reached this recipient: A to B
    to C is two links, the first being how B came to know what B passed on.
    """

    recipient_kind: str
    recipient_id: str
    first_at: datetime
    chains: tuple[tuple[Link, ...], ...]


def who_knew(
    record: JourneyRecord,
    category: str,
    at: datetime | None = None,
    known_at: datetime | None = None,
) -> list[Knower]:
    """Who had received ``category`` by ``at``, as recorded at ``known_at``, with the chains."""
    v = view(record, at=at, known_at=known_at)
    chains: dict[tuple[str, str], list[tuple[Link, ...]]] = {}
    first: dict[tuple[str, str], datetime] = {}
    for d in v.disclosures:  # in valid-time order
        if category not in d.categories:
            continue
        link = _link(d, d.verdict(category))
        before = _chains_of_sender(d, chains)
        for key in _keys(d.to_party, d.to_org):
            new = [(*chain, link) for chain in before] or [(link,)]
            chains.setdefault(key, []).extend(c for c in new if c not in chains[key])
            first.setdefault(key, d.occurred_at)
    return [
        Knower(kind, ident, first[(kind, ident)], tuple(chains[(kind, ident)]))
        for kind, ident in sorted(chains)
    ]


def _keys(party: str | None, org: str | None) -> list[tuple[str, str]]:
    keys = []
    if party is not None:
        keys.append(("party", party))
    if org is not None:
        keys.append(("organisation", org))
    return keys


def _chains_of_sender(
    d: DisclosureView, chains: dict[tuple[str, str], list[tuple[Link, ...]]]
) -> list[tuple[Link, ...]]:
    """How the sender had come to know: their chains from disclosures strictly before ``d``."""
    found: list[tuple[Link, ...]] = []
    for key in _keys(d.from_party, d.from_org):
        for chain in chains.get(key, []):
            if chain[-1].occurred_at <= d.occurred_at and chain[-1].event_id != d.event_id:
                found.append(chain)
    return found


def _link(d: DisclosureView, v: CategoryVerdict) -> Link:
    return Link(
        disclosure_id=d.disclosure_id,
        event_id=d.event_id,
        occurred_at=d.occurred_at,
        recorded_at=d.recorded_at,
        from_party=d.from_party,
        from_org=d.from_org,
        to_party=d.to_party,
        to_org=d.to_org,
        basis=d.basis,
        verdict_then=v.then.verdict,
        verdict_now=v.now.verdict,
    )


@dataclass(frozen=True)
class DiffEntry:
    """An event that entered the record between the two record times."""

    change: str
    """``added``, ``added-late`` (occurred at or before t1), ``retraction`` or ``correction``."""
    event_id: UUID
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    target_event_id: UUID | None = None
    """For retractions and corrections: the event taken out of the record."""


@dataclass(frozen=True)
class VerdictChange:
    """A category of a disclosure judged differently "now" at t2 than at t1 (to the same
    recipient)."""

    event_id: UUID
    disclosure_id: str
    recipient: str
    category: str
    occurred_at: datetime
    recorded_at: datetime
    verdict_at_t1: VerdictWord
    verdict_at_t2: VerdictWord
    reasons_at_t1: tuple[str, ...]
    reasons_at_t2: tuple[str, ...]


@dataclass(frozen=True)
class RecordDiff:
    client_ref: str
    t1: datetime
    t2: datetime
    entries: tuple[DiffEntry, ...]
    verdict_changes: tuple[VerdictChange, ...]


def record_diff(record: JourneyRecord, t1: datetime, t2: datetime) -> RecordDiff:
    """What the record showed differently at record time ``t2`` than at ``t1`` (t1 < t2)."""
    if t2 <= t1:
        raise ValueError("t2 must be after t1")
    new = [e for e in record.events if t1 < e.timestamp <= t2]
    corrected_at = {e.timestamp for e in new if isinstance(e, EventRetracted)}
    entries = []
    for event in new:
        if isinstance(event, EventRetracted):
            paired = any(
                o.timestamp == event.timestamp and not isinstance(o, EventRetracted) for o in new
            )
            entries.append(
                DiffEntry(
                    "correction" if paired else "retraction",
                    event.event_id,
                    event.KIND,
                    event.occurred_at,
                    event.timestamp,
                    event.target_event_id,
                )
            )
        elif event.timestamp not in corrected_at:
            change = "added-late" if event.occurred_at <= t1 else "added"
            entries.append(
                DiffEntry(change, event.event_id, event.KIND, event.occurred_at, event.timestamp)
            )
    before = {_verdict_key(d): d for d in view(record, at=t2, known_at=t1).disclosures}
    after = view(record, at=t2, known_at=t2).disclosures
    changes = []
    for d in after:
        old = before.get(_verdict_key(d))
        if old is None:
            continue
        for v in d.verdicts:
            was = old.verdict(v.category).now
            if was.verdict != v.now.verdict:
                changes.append(
                    VerdictChange(
                        event_id=d.event_id,
                        disclosure_id=d.disclosure_id,
                        recipient=d.to_party or d.to_org or "",
                        category=v.category,
                        occurred_at=d.occurred_at,
                        recorded_at=d.recorded_at,
                        verdict_at_t1=was.verdict,
                        verdict_at_t2=v.now.verdict,
                        reasons_at_t1=tuple(r.code for r in was.reasons),
                        reasons_at_t2=tuple(r.code for r in v.now.reasons),
                    )
                )
    return RecordDiff(record.client_ref, t1, t2, tuple(entries), tuple(changes))


def _verdict_key(d: DisclosureView) -> tuple[UUID, str | None, str | None]:
    return (d.event_id, d.to_party, d.to_org)


@dataclass(frozen=True)
class Finding:
    """Something an auditor should look at, with its event and both times."""

    kind: str
    """``unlawful-now`` or ``unsupported-now`` (as the record stands at the report's record
    time), ``unlawful-then`` or ``unsupported-then`` (lawful now, not as recorded when the
    disclosure occurred), ``late-entry`` or ``retracted``. A disclosure finding is about one
    category to one recipient."""
    event_id: UUID
    event_kind: str
    occurred_at: datetime
    recorded_at: datetime
    detail: str


@dataclass(frozen=True)
class JourneyAudit:
    view: JourneyView
    history: tuple[HistoryEntry, ...]
    findings: tuple[Finding, ...]
    next_cursor: str | None = None
    """A page of the audit (``runtime.audit``): the lists that grow with the journey — the
    findings, the history and each list of the view (team, consents, disclosures, knowledge…) —
    hold one page each, and more of one or another follow; ask again with ``cursor`` set to
    this (None: the last page, or the whole)."""


def audit_journey(
    record: JourneyRecord, at: datetime | None = None, known_at: datetime | None = None
) -> JourneyAudit:
    """The journey at (at, known_at), its history as recorded then, and the findings."""
    known_at = known_at or datetime.now(UTC)
    v = view(record, at=at, known_at=known_at)
    entries = history(record, known_at=known_at)
    findings: list[Finding] = []
    for d in v.disclosures:
        who = d.to_party or d.to_org or "?"
        kind = "information_shared" if d.kind == "information_shared" else "meeting_held"
        for c in d.verdicts:
            if not c.now.lawful:
                finding, verdict = f"{c.now.verdict}-now", c.now
                summary = f"{c.now.verdict} now"
            elif not c.then.lawful:
                finding, verdict = f"{c.then.verdict}-then", c.then
                summary = f"lawful now, {c.then.verdict} then"
            else:
                continue
            codes = ", ".join(r.code for r in verdict.reasons)
            findings.append(
                Finding(
                    finding,
                    d.event_id,
                    kind,
                    d.occurred_at,
                    d.recorded_at,
                    f"{d.disclosure_id} to {who}, {c.category}: {summary} ({codes}) — "
                    + "; ".join(verdict.explanations),
                )
            )
    for entry in entries:
        if entry.late:
            findings.append(
                Finding(
                    "late-entry",
                    entry.event_id,
                    entry.kind,
                    entry.occurred_at,
                    entry.recorded_at,
                    "recorded after later events",
                )
            )
        if entry.retracted_by is not None:
            findings.append(
                Finding(
                    "retracted",
                    entry.event_id,
                    entry.kind,
                    entry.occurred_at,
                    entry.recorded_at,
                    f"retracted by {entry.retracted_by} at {entry.retracted_at}",
                )
            )
    return JourneyAudit(v, tuple(entries), tuple(findings))
