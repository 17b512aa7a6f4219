"""Who may read and write what.

| role | reads | writes |
| --- | --- | --- |
| caseworker, coordinator | journeys whose team they are on now | those journeys; registering |
|  |  | any client; referrals for any client |
| auditor | every journey | nothing |
| planner | no person-level data | nothing |
| admin | nothing here (manages tokens) | nothing |
| client | their own journey, through the client routes only | wishes, consent withdrawals, |
|  |  | denials on that journey |
| guardian | the journeys whose registration names them | as the client, on those |

A case worker asking about a journey they are not on gets 404, as for a journey that does not
exist: even the existence of a client is sensitive. A role that may never do a thing gets 403.
The registrar of a journey whose team is still empty may add its first members.

What a reader sees of a journey they may read (:func:`sight_of`, :class:`Sight`) follows the
member's type and the client's consents and denials; docs/rules.md has the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.events import (
    Actor,
    ClientRegistered,
    CoordinatorAssigned,
    CoordinatorReleased,
    EventRetracted,
    InformationShared,
    JourneyClosed,
    JourneyEvent,
    JourneyReopened,
    MeetingHeld,
    PersonalDataErased,
    PlanAgreed,
    TeamMemberAdded,
    TeamMemberRemoved,
    TeamMemberRoleChanged,
)
from domain.journey import Journey
from domain.timeline import TimelineState

__all__ = [
    "CASE_ROLES",
    "CLIENT_COMMANDS",
    "CLIENT_ROLES",
    "EVERYTHING",
    "PLAN_CATEGORY",
    "Sight",
    "client_actor",
    "has_standing",
    "may_read",
    "may_write",
    "organisation_sights",
    "role_may_read",
    "role_may_write",
    "sight_in",
    "sight_of",
    "speaks_for",
]

CASE_ROLES = frozenset({"caseworker", "coordinator"})
CLIENT_ROLES = frozenset({"client", "guardian"})
"""The client and a guardian: they reach only the client routes, on the journeys they speak
for (:func:`speaks_for`); every other route treats them as a role that may not read or write."""
CLIENT_COMMANDS = frozenset(
    {"client_wish_recorded", "consent_withdrawn", "denial_registered", "denial_lifted"}
)
"""The kinds of event the client (or a guardian) may record on a journey they speak for."""


def speaks_for(actor: Actor, journey: Journey) -> bool:
    """Whether ``actor`` is the journey's client (a ``client`` token's party id is the client
    ref) or one of the guardians its registration names now."""
    state = journey.end_state()
    registration = state.registration or journey.events[0]
    if not isinstance(registration, ClientRegistered):
        return False
    if actor.role == "client":
        return actor.party_id == journey.client_ref
    if actor.role == "guardian":
        return actor.party_id in registration.guardians
    return False


def client_actor(actor: Actor, journey: Journey) -> Actor:
    """How the client or a guardian is recorded (on events and in the access log): never by
    their own id, which would put the client ref or a guardian's id in plain fields, but as
    ``client`` or ``guardian-<n>`` (the n-th guardian of the registration, from 1)."""
    if actor.role == "guardian":
        state = journey.end_state()
        registration = state.registration or journey.events[0]
        assert isinstance(registration, ClientRegistered)
        n = registration.guardians.index(actor.party_id) + 1
        return Actor(f"guardian-{n}", "private", "guardian")
    return Actor("client", "private", "client")


def role_may_read(actor: Actor) -> bool:
    return actor.role in CASE_ROLES or actor.role == "auditor"


def role_may_write(actor: Actor) -> bool:
    return actor.role in CASE_ROLES


def may_read(actor: Actor, journey: Journey) -> bool:
    if actor.role == "auditor":
        return True
    return actor.role in CASE_ROLES and actor.party_id in journey.end_state().members


def may_write(actor: Actor, journey: Journey, *, open_to_any_case_worker: bool = False) -> bool:
    if actor.role not in CASE_ROLES:
        return False
    state = journey.end_state()
    if open_to_any_case_worker or actor.party_id in state.members:
        return True
    registration = journey.events[0]
    return (
        not state.members
        and isinstance(registration, ClientRegistered)
        and registration.recorded_by.party_id == actor.party_id
    )


def has_standing(actor: Actor, journey: Journey) -> bool:
    """Whether the actor may be told about the journey when they write to it (versions,
    conflicts, rule violations): they may read it, or may write it as a team member or as the
    registrar of a journey whose team is still empty. Anyone else is told the same whether the
    journey exists or not (runtime/writes.py)."""
    return may_read(actor, journey) or may_write(actor, journey)


PROFESSIONAL = "professional"
EVERY_MEMBER_SEES = (
    ClientRegistered,
    TeamMemberAdded,
    TeamMemberRoleChanged,
    TeamMemberRemoved,
    CoordinatorAssigned,
    CoordinatorReleased,
    JourneyClosed,
    JourneyReopened,
    PersonalDataErased,
)
"""Facts about the journey itself and its team: every member sees them."""
PLAN_CATEGORY = "service_plan"
"""The information category the plan belongs to."""


_AUDITORS = frozenset({"auditor"})
"""Roles whose reads are shown only to whoever sees everything."""


@dataclass(frozen=True)
class Sight:
    """Which parts of one journey a reader sees (docs/rules.md, "What a team member sees").

    ``everything``: an auditor (or the local operator). Otherwise a team member: a
    ``professional`` sees every part of the journey; any other member (informal network, third
    sector, employer) sees the team and the facts of the categories in ``allowed``. Nobody but an
    auditor sees facts of a category in ``denied``.
    """

    everything: bool
    professional: bool = False
    allowed: frozenset[str] | None = None
    """The categories a member who is not a professional may see (``None``: all)."""
    denied: frozenset[str] = frozenset()

    def sees(self, categories: Iterable[str]) -> bool:
        """Whether a fact of these information categories is shown."""
        if self.everything:
            return True
        return all(
            c not in self.denied and (self.allowed is None or c in self.allowed) for c in categories
        )

    def shows(self, event: JourneyEvent) -> bool:
        """Whether this event is shown (a retraction: see :meth:`hidden_events`)."""
        if self.everything or isinstance(event, EVERY_MEMBER_SEES):
            return True
        if isinstance(event, InformationShared | MeetingHeld):
            return self.sees(event.categories)
        if isinstance(event, PlanAgreed):
            return self.sees((PLAN_CATEGORY,))
        # Consents, denials, referrals, services, transitions: the professionals' business.
        return self.professional

    def shows_reads_by(self, role: str) -> bool:
        """Whether a read of the journey by this role is shown: auditors' reads are shown only to
        auditors (and so in the client's log report an auditor produces for them), never to the
        team, whom an audit may concern."""
        return role not in self.hidden_read_roles

    @property
    def hidden_read_roles(self) -> frozenset[str]:
        """The roles whose reads of the journey are not shown (:meth:`shows_reads_by`)."""
        return frozenset() if self.everything else _AUDITORS

    def hidden_events(self, events: Sequence[JourneyEvent]) -> frozenset[UUID]:
        """The ids of the events not shown; a retraction is hidden with what it retracts."""
        if self.everything:
            return frozenset()
        hidden = {
            e.event_id for e in events if not isinstance(e, EventRetracted) and not self.shows(e)
        }
        hidden.update(
            e.event_id
            for e in events
            if isinstance(e, EventRetracted) and e.target_event_id in hidden
        )
        return frozenset(hidden)


EVERYTHING = Sight(everything=True)


def sight_of(actor: Actor, journey: Journey, now: datetime) -> Sight:
    """What ``actor`` (who may read the journey) sees of it, by the consents and denials in force
    ``now``.

    - a professional member sees every part, less the categories a denial in force names for
      their party or organisation;
    - any other member sees the categories a consent in force names for their party or
      organisation, less those a denial in force names for them or names for nobody (a denial
      with no recipients holds against everyone).
    """
    return sight_in(actor, journey.end_state(), now)


def sight_in(actor: Actor, state: TimelineState, now: datetime) -> Sight:
    """:func:`sight_of` for a journey's folded ``state`` (the end state of the record as it stood
    at some record time, say)."""
    if actor.role == "auditor":
        return EVERYTHING
    member = state.members.get(actor.party_id)
    if member is None:  # may_read keeps non-members out; see nothing all the same
        return Sight(everything=False, allowed=frozenset(), denied=frozenset())
    party = actor.party_id
    orgs = {member.added.organisation, actor.organisation}
    professional = member.added.member_type == PROFESSIONAL

    def names_reader(orgs_named: Iterable[str], parties_named: Iterable[str]) -> bool:
        return party in parties_named or bool(orgs & set(orgs_named))

    denied: set[str] = set()
    for denial in state.denials.values():
        d = denial.registered
        if denial.lifted is not None:
            continue
        blanket = not d.recipient_orgs and not d.recipient_parties
        if names_reader(d.recipient_orgs, d.recipient_parties) or (blanket and not professional):
            denied.update(d.categories)
    allowed: set[str] | None = None
    if not professional:
        allowed = {
            category
            for consent in state.consents.values()
            if consent.in_force(now)
            and names_reader(consent.granted.recipient_orgs, consent.granted.recipient_parties)
            for category in consent.granted.categories
        }
    return Sight(
        everything=False,
        professional=professional,
        allowed=frozenset(allowed) if allowed is not None else None,
        denied=frozenset(denied),
    )


def organisation_sights(actor: Actor, state: TimelineState, now: datetime) -> tuple[Sight, ...]:
    """What ``actor``'s organisation sees of a journey whose folded state is ``state``: the reads
    rule (:func:`may_read`, :func:`sight_of`) applied to each member of the organisation on the
    team, one :class:`Sight` each; an event is shown to the organisation if any of them shows it.
    Empty: the organisation may not read the journey (none of its members is on the team).
    An auditor reads every journey and sees everything; other roles read nothing.

    This is the change feed's rule (runtime/feed.py): an organisation follows the journeys its
    members are on, as they would read them.
    """
    if actor.role == "auditor":
        return (EVERYTHING,)
    if not role_may_read(actor):
        return ()
    return tuple(
        sight_in(Actor(m.party_id, actor.organisation, actor.role), state, now)
        for m in state.members.values()
        if m.added.organisation == actor.organisation
    )
