"""``may_share``: may this recipient receive this category for this purpose at this time?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.journey import JourneyRecord
from domain.timeline import TimelineState, fold, timeline_at
from projections.journey_view import FOLDS
from projections.lawfulness import Recipient, Verdict, decide

__all__ = ["SharingAnswer", "may_share"]


@dataclass(frozen=True)
class SharingAnswer:
    allowed: bool
    reason: str
    consent_id: str | None = None
    statute: str | None = None
    verdict: Verdict | None = None
    """The full judgement: the same :func:`projections.lawfulness.decide` that judges recorded
    disclosures (so a disclosure made now would be judged exactly so)."""


def may_share(
    record: JourneyRecord,
    *,
    category: str,
    purpose: str,
    party: str | None = None,
    organisation: str | None = None,
    at: datetime | None = None,
    known_at: datetime | None = None,
) -> SharingAnswer:
    """Answer from the consents, denials and statutory rights in force at ``at``, as recorded at
    ``known_at`` (both default to now).

    A consent in force that names the recipient, the category and the purpose allows sharing,
    unless a denial covering the category and recipient is in force: a denial beats a consent.
    Failing that, a statutory right from the vocabulary whose recipient sectors include the
    recipient's sector (known from the team, services or referrals) allows it; denials do not
    override statutory rights. The answer is :func:`projections.lawfulness.decide`'s, the same
    function that judges each category of a recorded disclosure.
    """
    if party is None and organisation is None:
        raise ValueError("name the recipient: a party, an organisation, or both")
    now = datetime.now(UTC)
    at = at if at is not None else now
    known_at = known_at if known_at is not None else now

    def answer(state: TimelineState) -> SharingAnswer:
        return _answer(state, category, purpose, party, organisation, at)

    # At (now, now) a long journey's state comes from the fold kept for its views.
    kept = FOLDS.end_state(record, at, known_at, answer)
    return kept if kept is not None else answer(fold(timeline_at(record.events, at, known_at)))


def _answer(
    state: TimelineState,
    category: str,
    purpose: str,
    party: str | None,
    organisation: str | None,
    at: datetime,
) -> SharingAnswer:
    if party is not None and organisation is None and party in state.members:
        organisation = state.members[party].added.organisation
    verdict = decide(
        state,
        at=at,
        recipient=Recipient(party, organisation),
        category=category,
        purpose=purpose,
    )
    relied = verdict.relied_on
    consent = relied if relied is not None and relied in state.consents else None
    statute = relied if verdict.lawful and consent is None else None
    return SharingAnswer(verdict.lawful, "; ".join(verdict.explanations), consent, statute, verdict)
