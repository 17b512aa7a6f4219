"""Who may read and write what.

| role | reads | writes |
| --- | --- | --- |
| caseworker, coordinator | journeys whose team they are on now | those journeys; registering |
|  |  | any client; referrals for any client |
| auditor | every journey | nothing |
| planner | no person-level data | nothing |
| admin | nothing here (manages tokens) | nothing |

A case worker asking about a journey they are not on gets 404, as for a journey that does not
exist: even the existence of a client is sensitive. A role that may never do a thing gets 403.
The registrar of a journey whose team is still empty may add its first members.
"""

from __future__ import annotations

from domain.events import Actor, ClientRegistered
from domain.journey import Journey

__all__ = [
    "CASE_ROLES",
    "has_standing",
    "may_read",
    "may_write",
    "role_may_read",
    "role_may_write",
]

CASE_ROLES = frozenset({"caseworker", "coordinator"})


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
