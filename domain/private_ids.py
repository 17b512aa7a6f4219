"""Identifiers of the client and their private network, kept out of the plain part of events.

An event's plain fields stay readable after an erasure (the journey must still fold, and the
record of who disclosed what to whom must stay answerable), so an identifier that points at the
client or at someone of their private network must not be stored there as it is:

- the client ref, the household ref, the guardians and a consent's evidence reference always
  belong to the client;
- a party id belongs to the private network unless the journey first knew that party as a
  professional (added to the team as one, or the professional recording the event). The first
  mention decides, for the whole journey: a party first named outside the team (an aunt a case
  worker shared information with, say) stays private even if the same id later joins as a
  professional, so that every mention of a party is stored the same way.

Deciding a command marks the private party ids of each new event in ``personal[PRIVATE]``.
On the way to the store, the application's mapper (:func:`hide`) replaces each private value
in the plain fields by a keyed pseudonym (the client ref by ``erased-<journey id>``) and keeps
the real values in the sealed personal part, under :data:`IDS`; on the way back
(:func:`reveal`) it puts them back. Once the client's key is destroyed the sealed part reads
"erased" and the plain fields keep the pseudonyms: every mention of the same party the same
pseudonym, so the journey folds to the same shape as before, without the identifiers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from domain.events import (
    ClientRegistered,
    ConsentGranted,
    CoordinatorAssigned,
    CoordinatorReleased,
    DisclosureDenialRegistered,
    InformationShared,
    JourneyEvent,
    MeetingHeld,
    PlanAgreed,
    ServiceStarted,
    TeamMemberAdded,
    TeamMemberRemoved,
    TeamMemberRoleChanged,
)

__all__ = [
    "CLIENT",
    "ERASED_PREFIX",
    "IDS",
    "PRIVATE",
    "PartyBook",
    "hidden_client_ref",
    "hide",
    "is_pseudonym",
    "names",
    "party_ids",
    "reveal",
]

PRIVATE = "_private"
"""``personal[PRIVATE]``: the party ids of an event that belong to the private network."""

IDS = "_ids"
"""The sealed ``personal[IDS]``: each hidden field's real value, by field name."""

ERASED_PREFIX = "erased-"
"""How an erased client is named: ``erased-<journey id>``."""

CLIENT = "client"
"""The client themself where a field names a party (a consent's grantor): not an identifier."""

PARTY_FIELDS: dict[type[JourneyEvent], tuple[str, ...]] = {
    ClientRegistered: ("guardians",),
    ConsentGranted: ("grantor", "recipient_parties"),
    DisclosureDenialRegistered: ("recipient_parties",),
    TeamMemberAdded: ("party_id",),
    TeamMemberRoleChanged: ("party_id",),
    TeamMemberRemoved: ("party_id",),
    CoordinatorAssigned: ("party_id",),
    CoordinatorReleased: ("party_id",),
    ServiceStarted: ("responsible_party",),
    InformationShared: ("from_party", "to_party"),
    MeetingHeld: ("participants",),
    PlanAgreed: ("responsible_parties",),
}
"""The fields of each event class that hold party ids (a string, ``None`` or a list)."""

CLIENT_FIELDS: dict[type[JourneyEvent], dict[str, str]] = {
    ClientRegistered: {"client_ref": "client", "household_ref": "household"},
    ConsentGranted: {"evidence_ref": "evidence"},
}
"""Fields that always point at the client, with the kind of pseudonym each gets."""

_PSEUDONYM = re.compile(r"[a-z_]+-[0-9a-f]{16}")

Pseudonym = Callable[[str, str], str]
"""``pseudonym(kind, value)``: the keyed pseudonym of an identifier."""


def is_pseudonym(value: str) -> bool:
    """Whether ``value`` has the form of a keyed pseudonym (``party-<16 hex>``)."""
    return _PSEUDONYM.fullmatch(value) is not None


def hidden_client_ref(journey: object) -> str:
    return f"{ERASED_PREFIX}{journey}"


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def party_ids(event_class: type[JourneyEvent], fields: dict[str, Any]) -> list[str]:
    """The party ids a (draft) event names, in field order, without repeats."""
    found: list[str] = []
    for name in PARTY_FIELDS.get(event_class, ()):
        for party in _values(fields.get(name)):
            if party != CLIENT and party not in found:
                found.append(party)
    return found


class PartyBook:
    """Which parties a journey knows as professionals and which as private, by first mention.

    Kept from the journey's events as they come (:meth:`catch_up`); a shorter event list than
    last seen (a command taken back) makes it start again."""

    def __init__(self) -> None:
        self.seen = 0
        self.professional: set[str] = set()
        self.private: set[str] = set()

    def catch_up(self, events: Sequence[JourneyEvent]) -> None:
        if len(events) < self.seen:
            self.seen = 0
            self.professional.clear()
            self.private.clear()
        for event in events[self.seen :]:
            self.observe(event)
        self.seen = len(events)

    def observe(self, event: JourneyEvent) -> None:
        marked = event.personal.get(PRIVATE)
        if isinstance(marked, list):
            self.private.update(str(p) for p in marked)
        if (
            isinstance(event, TeamMemberAdded)
            and event.member_type == "professional"
            and event.party_id not in self.private
        ):
            self.professional.add(event.party_id)
        if isinstance(event, ClientRegistered):
            self.private.update(event.guardians)

    def private_of(
        self, event_class: type[JourneyEvent], fields: dict[str, Any], recorder: str
    ) -> list[str]:
        """The party ids a new event names that are private (see the module's rule)."""
        out = []
        for party in party_ids(event_class, fields):
            if party in self.private:
                out.append(party)
            elif (
                party in self.professional
                or party == recorder
                or (
                    event_class is TeamMemberAdded
                    and fields.get("member_type") == "professional"
                    and fields.get("party_id") == party
                )
            ):
                continue
            else:
                out.append(party)
        return out


def hide(event: JourneyEvent, pseudonym: Pseudonym) -> JourneyEvent:
    """The event as stored: each private identifier in its plain fields replaced by its
    pseudonym, the real values added to ``personal`` (which the caller then seals)."""
    private = event.personal.get(PRIVATE)
    private_set = set(private) if isinstance(private, list) else set()
    real: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    for name, kind in CLIENT_FIELDS.get(type(event), {}).items():
        value = getattr(event, name)
        if value is None:
            continue
        hidden = (
            hidden_client_ref(event.originator_id)
            if name == "client_ref"
            else pseudonym(kind, str(value))
        )
        real[name], changes[name] = value, hidden
    for name in PARTY_FIELDS.get(type(event), ()):
        value = getattr(event, name)
        if isinstance(event, ClientRegistered):  # guardians: always the client's
            hidden_values = [_hide_party(p, pseudonym, None) for p in _values(value)]
        else:
            hidden_values = [_hide_party(p, pseudonym, private_set) for p in _values(value)]
        if hidden_values == _values(value):
            continue
        real[name] = value
        changes[name] = hidden_values if isinstance(value, list) else hidden_values[0]
    if not real:
        return event
    return dataclasses.replace(event, **changes, personal={**event.personal, IDS: real})


def _hide_party(party: str, pseudonym: Pseudonym, private: set[str] | None) -> str:
    if party == CLIENT or is_pseudonym(party):
        return party
    if private is not None and party not in private:
        return party
    return pseudonym("party", party)


def reveal(event: JourneyEvent) -> JourneyEvent:
    """The event as read: the real identifiers back in the plain fields while the sealed part
    opens; after an erasure (``personal[IDS]`` reads "erased") the pseudonyms stay."""
    if IDS not in event.personal:
        return event
    personal = dict(event.personal)
    real = personal.pop(IDS)
    if isinstance(real, dict):
        return dataclasses.replace(event, **real, personal=personal)
    return dataclasses.replace(event, personal=personal)


def names(events: Iterable[JourneyEvent]) -> set[str]:
    """Every party id marked private in ``events`` (for exports that must not name them)."""
    found: set[str] = set()
    for event in events:
        marked = event.personal.get(PRIVATE)
        if isinstance(marked, list):
            found.update(str(p) for p in marked)
        if isinstance(event, ClientRegistered):
            found.update(event.guardians)
    return found
