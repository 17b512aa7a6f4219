"""``household_view(...)``: a household at valid time ``at`` as recorded by ``known_at``.

The household's own stream is folded by the same two-axis rules as a journey
(:func:`domain.timeline.timeline_at`: recorded by ``known_at``, not retracted by then, occurred by
``at``, in valid-time order). Each member shown is their journey's view at the same (at, known_at),
as the reader may see it (:func:`projections.visibility.visible_view` under the reader's
:class:`~domain.policy.Sight` for *that* member), so a member's own consents and denials still
govern their own data. The caller (``runtime/households.py``) decides which members are shown;
members not shown are only counted, and nothing of theirs — their ref, team, plan or
disclosures, or whether a recipient serves them — enters the view.

From the members shown it draws the union of their teams (who serves whom) and the information
flows between their teams: each disclosure of one member's data, as judged for that member
(``projections/lawfulness.py``, then and now), whose recipient serves another member shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.events import JourneyEvent
from domain.household import HouseholdRecord, fold_household
from domain.household_events import (
    HouseholdCoordinatorAssigned,
    HouseholdCoordinatorReleased,
    HouseholdMemberJoined,
    HouseholdMemberLeft,
)
from domain.journey import JourneyRecord
from domain.policy import Sight
from domain.timeline import timeline_at
from projections.journey_view import (
    CoordinatorView,
    DisclosureView,
    JourneyView,
    MemberView,
    PlanView,
    view,
)
from projections.visibility import visible_view

__all__ = [
    "CoordinatorGap",
    "CoordinatorPeriod",
    "HouseholdCoordinatorView",
    "HouseholdFlow",
    "HouseholdMemberView",
    "HouseholdPlanView",
    "HouseholdView",
    "ServingView",
    "household_view",
]


@dataclass(frozen=True)
class HouseholdCoordinatorView:
    party_id: str | None
    organisation: str | None
    since: datetime | None
    """When this party became household coordinator, or since when there has been none."""


@dataclass(frozen=True)
class CoordinatorPeriod:
    party_id: str
    organisation: str
    start: datetime
    end: datetime | None
    """When the period ended (a release, or a hand-over to the next coordinator); None: ongoing
    at ``at``."""
    event_id: UUID


@dataclass(frozen=True)
class CoordinatorGap:
    """A stretch while the household had members and no household coordinator."""

    start: datetime
    end: datetime | None
    """None: the gap is still open at ``at``."""


@dataclass(frozen=True)
class HouseholdPlanView:
    event_id: UUID
    agreed_at: datetime
    domains: tuple[str, ...]
    goals: tuple[str, ...]
    responsible_parties: tuple[str, ...]
    review_on: datetime | None


@dataclass(frozen=True)
class HouseholdMemberView:
    """One member, as the reader may see their journey."""

    client_ref: str
    joined_at: datetime
    join_event_id: UUID
    closed: bool
    team: tuple[MemberView, ...]
    coordinator: CoordinatorView
    plan: PlanView | None


@dataclass(frozen=True)
class ServingView:
    """One party on the team of at least one member shown: whom they serve."""

    party_id: str
    display_name: str | None
    member_type: str
    organisations: tuple[str, ...]
    sectors: tuple[str, ...]
    roles: tuple[str, ...]
    serves: tuple[str, ...]
    """The client refs of the members shown whose team they are on."""
    coordinates: tuple[str, ...]
    """The members shown whose own (client) coordinator they are."""
    household_coordinator: bool


@dataclass(frozen=True)
class HouseholdFlow:
    """A disclosure of one member's data to someone who serves another member shown."""

    about: str
    """Whose data it was (the member's client ref); judged as for that member."""
    recipient_serves: tuple[str, ...]
    """The other members shown whose team the recipient is on at ``at``."""
    disclosure: DisclosureView


@dataclass(frozen=True)
class HouseholdView:
    household_ref: str
    household_id: UUID
    at: datetime
    known_at: datetime
    known_version: int
    """How many events the household's own record held at ``known_at``."""
    formed: bool
    members: tuple[HouseholdMemberView, ...]
    members_not_shown: int
    """Members at (at, known_at) whose journey the reader may not read: counted, nothing more."""
    coordinator: HouseholdCoordinatorView
    coordinator_periods: tuple[CoordinatorPeriod, ...]
    coordinator_gaps: tuple[CoordinatorGap, ...]
    plan: HouseholdPlanView | None
    team: tuple[ServingView, ...]
    flows: tuple[HouseholdFlow, ...]


@dataclass(frozen=True)
class ShownMember:
    """A member's journey the reader may read, and what they may see of it."""

    record: JourneyRecord
    sight: Sight


def household_view(
    household: HouseholdRecord,
    shown: Mapping[str, ShownMember],
    *,
    at: datetime | None = None,
    known_at: datetime | None = None,
) -> HouseholdView:
    """The household at (``at``, ``known_at``) (both default to now). ``shown`` holds, by client
    ref, the members the reader may see; every other member at that moment is only counted."""
    now = datetime.now(UTC)
    at = at or now
    known_at = known_at or now
    events = timeline_at(household.events, at, known_at)
    state = fold_household(events)
    known = [e for e in household.events if e.timestamp <= known_at]

    periods, gaps = _coordinator_history(events)
    members: list[HouseholdMemberView] = []
    views: dict[str, JourneyView] = {}
    for ref, joined in sorted(state.members.items()):
        member = shown.get(ref)
        if member is None:
            continue
        v = visible_view(view(member.record, at=at, known_at=known_at), member.sight)
        views[ref] = v
        members.append(
            HouseholdMemberView(
                client_ref=ref,
                joined_at=joined.occurred_at,
                join_event_id=joined.event_id,
                closed=v.closed,
                team=v.team,
                coordinator=v.coordinator,
                plan=v.plan,
            )
        )
    coordinator = state.coordinator
    changed = state.coordinator_changed
    plan = state.plan
    return HouseholdView(
        household_ref=household.household_ref,
        household_id=household.household_id,
        at=at,
        known_at=known_at,
        known_version=known[-1].originator_version if known else 0,
        formed=state.formed is not None,
        members=tuple(members),
        members_not_shown=len(state.members) - len(members),
        coordinator=HouseholdCoordinatorView(
            party_id=coordinator.party_id if coordinator else None,
            organisation=coordinator.organisation if coordinator else None,
            since=changed.occurred_at if changed is not None else None,
        ),
        coordinator_periods=periods,
        coordinator_gaps=gaps,
        plan=None
        if plan is None
        else HouseholdPlanView(
            event_id=plan.event_id,
            agreed_at=plan.occurred_at,
            domains=tuple(plan.domains),
            goals=tuple(str(g) for g in plan.personal.get("goals", ())),
            responsible_parties=tuple(plan.responsible_parties),
            review_on=plan.review_on,
        ),
        team=_serving(views, coordinator.party_id if coordinator else None),
        flows=_flows(views),
    )


def _coordinator_history(
    events: Sequence[JourneyEvent],
) -> tuple[tuple[CoordinatorPeriod, ...], tuple[CoordinatorGap, ...]]:
    """Each household coordinator's period and each gap (members, no coordinator), from the
    household's events in valid-time order up to ``at``. Assigning while another coordinates is
    a hand-over: the previous period ends at that moment, with no gap between."""
    periods: list[CoordinatorPeriod] = []
    gaps: list[CoordinatorGap] = []
    current: HouseholdCoordinatorAssigned | None = None
    members: set[str] = set()
    gap_start: datetime | None = None
    for e in events:
        if isinstance(e, HouseholdMemberJoined):
            members.add(e.client_ref)
        elif isinstance(e, HouseholdMemberLeft):
            members.discard(e.client_ref)
        elif isinstance(e, HouseholdCoordinatorAssigned):
            if current is not None:
                periods.append(_period(current, e.occurred_at))
            current = e
        elif isinstance(e, HouseholdCoordinatorReleased):
            if current is not None and current.party_id == e.party_id:
                periods.append(_period(current, e.occurred_at))
                current = None
        else:
            continue
        moment = e.occurred_at
        in_gap = bool(members) and current is None
        if in_gap and gap_start is None:
            gap_start = moment
        elif not in_gap and gap_start is not None:
            if moment > gap_start:
                gaps.append(CoordinatorGap(gap_start, moment))
            gap_start = None
    if current is not None:
        periods.append(_period(current, None))
    if gap_start is not None:
        gaps.append(CoordinatorGap(gap_start, None))
    return tuple(periods), tuple(gaps)


def _period(assigned: HouseholdCoordinatorAssigned, end: datetime | None) -> CoordinatorPeriod:
    return CoordinatorPeriod(
        party_id=assigned.party_id,
        organisation=assigned.organisation,
        start=assigned.occurred_at,
        end=end,
        event_id=assigned.event_id,
    )


def _serving(
    views: Mapping[str, JourneyView], household_coordinator: str | None
) -> tuple[ServingView, ...]:
    by_party: dict[str, list[tuple[str, MemberView, bool]]] = {}
    for ref, v in views.items():
        for m in v.team:
            by_party.setdefault(m.party_id, []).append((ref, m, m.is_coordinator))
    out = []
    for party, entries in sorted(by_party.items()):
        names = [m.display_name for _, m, _ in entries if m.display_name]
        out.append(
            ServingView(
                party_id=party,
                display_name=names[0] if names else None,
                member_type=entries[0][1].member_type,
                organisations=tuple(sorted({m.organisation for _, m, _ in entries})),
                sectors=tuple(sorted({m.sector for _, m, _ in entries})),
                roles=tuple(sorted({m.role for _, m, _ in entries})),
                serves=tuple(sorted(ref for ref, _, _ in entries)),
                coordinates=tuple(sorted(ref for ref, _, c in entries if c)),
                household_coordinator=party == household_coordinator,
            )
        )
    return tuple(out)


def _flows(views: Mapping[str, JourneyView]) -> tuple[HouseholdFlow, ...]:
    parties = {ref: {m.party_id for m in v.team} for ref, v in views.items()}
    orgs = {ref: {m.organisation for m in v.team} for ref, v in views.items()}
    flows = []
    for ref, v in sorted(views.items()):
        for d in v.disclosures:
            serves = tuple(
                sorted(
                    other
                    for other in views
                    if other != ref
                    and (
                        (d.to_party is not None and d.to_party in parties[other])
                        or (d.to_party is None and d.to_org is not None and d.to_org in orgs[other])
                    )
                )
            )
            if serves:
                flows.append(HouseholdFlow(about=ref, recipient_serves=serves, disclosure=d))
    flows.sort(key=lambda f: (f.disclosure.occurred_at, f.about, f.disclosure.disclosure_id))
    return tuple(flows)
