"""``may_share``: may this recipient receive this category for this purpose at this time?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.journey import JourneyRecord
from domain.timeline import TimelineState, fold, timeline_at
from domain.vocabulary import vocabulary

__all__ = ["SharingAnswer", "may_share"]


@dataclass(frozen=True)
class SharingAnswer:
    allowed: bool
    reason: str
    consent_id: str | None = None
    statute: str | None = None


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
    """Answer from the consents, denials and statutory rights in force at ``at``.

    A consent in force that names the recipient, the category and the purpose allows sharing,
    unless a denial covering the category and recipient is in force: a denial beats a consent.
    Failing that, a statutory right from the vocabulary whose recipient sectors include the
    recipient's sector (known from the team, services or referrals) allows it; denials do not
    override statutory rights.
    """
    if party is None and organisation is None:
        raise ValueError("name the recipient: a party, an organisation, or both")
    now = datetime.now(UTC)
    at = at if at is not None else now
    known_at = known_at if known_at is not None else now
    state = fold(timeline_at(record.events, at, known_at))
    if party is not None and organisation is None and party in state.members:
        organisation = state.members[party].added.organisation

    denial = next(
        (
            d.registered.denial_id
            for d in state.denials.values()
            if d.covers(category, party, organisation)
        ),
        None,
    )
    consent = next(
        (
            c.granted.consent_id
            for c in state.consents.values()
            if c.in_force(at)
            and category in c.granted.categories
            and purpose in c.granted.purposes
            and (
                (party is not None and party in c.granted.recipient_parties)
                or (organisation is not None and organisation in c.granted.recipient_orgs)
            )
        ),
        None,
    )
    if consent is not None and denial is None:
        return SharingAnswer(
            True, f"consent {consent} covers recipient, category and purpose", consent
        )
    sectors = _sectors(state, party, organisation)
    for statute in vocabulary().statutes.values():
        if (
            category in statute.categories
            and purpose in statute.purposes
            and (sectors & statute.recipient_sectors)
        ):
            return SharingAnswer(True, f"statutory right: {statute.title}", statute=statute.ref)
    if consent is not None and denial is not None:
        return SharingAnswer(
            False, f"denial {denial} is in force and beats consent {consent}", consent
        )
    if denial is not None:
        return SharingAnswer(False, f"denial {denial} is in force and no statutory right applies")
    return SharingAnswer(
        False,
        "no consent in force names this recipient, category and purpose,"
        " and no statutory right applies",
    )


def _sectors(state: TimelineState, party: str | None, organisation: str | None) -> set[str]:
    sectors = set()
    if party is not None and party in state.members:
        sectors.add(state.members[party].added.sector)
    if organisation is not None:
        sectors.update(
            m.added.sector for m in state.members.values() if m.added.organisation == organisation
        )
        sectors.update(
            s.started.sector
            for s in state.services.values()
            if s.started.provider_org == organisation
        )
        sectors.update(
            r.made.to_sector for r in state.referrals.values() if r.made.to_org == organisation
        )
    return sectors
