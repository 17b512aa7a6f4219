"""Households: the use cases the API and the CLI share — forming and changing a household, and
reading it at (at, known_at) — with who may do what, and the access log, decided here once.

Who has *standing* on a household (may read it and write to it): a case worker or coordinator who
is its household coordinator now, or on the team now of one of its members now, or who formed it
while it has no members yet; auditors read every household and write none. Anyone else is told
the same whether or not the household exists: forming answers "received" (and forms it if the
ref is free), any other command and every read answer "no such household"; such writes count
against ``POLKU_OUTSIDE_WRITES_PER_HOUR`` like writes to journeys one may not read.

A member's own consents and denials govern their own data (docs/households.md): the household view
shows each member as the reader may see *that member's* journey (``domain.policy.sight_of``;
auditors everything) and only the members whose journey the reader may read; the others are
counted, nothing more. Joining or leaving names a client, so it takes a writer who may write that
client's journey (404 "no such journey" otherwise, as for a client who does not exist); a
retraction of a join or a departure likewise. Each household read writes one access-log row per
member shown, before the view is handed out; a member not shown is not read.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime

from domain import household_commands as hcmd
from domain.application import CommandContext
from domain.errors import (
    HouseholdNotFoundError,
    InvariantViolationError,
    JourneyNotFoundError,
    NotPermittedError,
    PolkuError,
    RateLimitedError,
)
from domain.events import Actor, EventRetracted
from domain.household import Household, fold_household
from domain.household_application import HouseholdRecorded
from domain.household_events import HouseholdFormed, HouseholdMemberJoined, HouseholdMemberLeft
from domain.policy import CASE_ROLES, EVERYTHING, may_read, may_write, role_may_write, sight_of
from domain.rules import Rule
from domain.timeline import timeline_at
from projections.history import HistoryEntry, history
from projections.household_view import HouseholdView, ShownMember, household_view
from runtime.reads import Reader, Reads
from runtime.wiring import Components
from runtime.writes import scoped_command_id

__all__ = ["HouseholdReceived", "Households"]


@dataclass(frozen=True)
class HouseholdReceived:
    """The answer to forming a household: the same whether or not the ref was taken."""

    household_ref: str
    status: str = "received"


class Households:
    def __init__(self, components: Components) -> None:
        self._components = components

    # -- writes ------------------------------------------------------------------------------

    def form(
        self, actor: Actor, command: hcmd.FormHousehold, *, key: str | None = None
    ) -> HouseholdReceived:
        """Form a household. The answer is "received" whether or not the ref was free; a caller
        with standing on an existing household learns it at their next step, as a registrar of
        an existing client does. Every form but those by a caller with standing on the existing
        household counts against the per-caller limit (as registrations do)."""
        service = self._components.households
        self._may_write(actor)
        service.check_moments(command)
        household = self._find(command.household_ref)
        if household is not None and self._standing(actor, household):
            return HouseholdReceived(household_ref=command.household_ref)  # nothing stored
        # Counted alike whether the ref was free or taken, as registrations are, so the limit
        # tells nothing about which households exist.
        self._count(actor)
        if household is None:
            # Formed by someone else a moment ago: the same answer as if it had been.
            with suppress(PolkuError):
                service.form(command, CommandContext(actor, scoped_command_id(actor, key)))
        return HouseholdReceived(household_ref=command.household_ref)

    def execute(
        self,
        actor: Actor,
        household_ref: str,
        command: hcmd.HouseholdCommand,
        *,
        key: str | None = None,
        expected_version: int | None = None,
    ) -> HouseholdRecorded:
        """Run a household command as ``actor`` (see the module's rules)."""
        service = self._components.households
        self._may_write(actor)
        service.check_moments(command)
        household = self._find(household_ref)
        if household is None or not self._standing(actor, household):
            self._count(actor)
            raise HouseholdNotFoundError(household_ref)
        for client_ref in self._clients_named(household, command):
            if not self._on_journey(actor, client_ref, write=True):
                if isinstance(command, hcmd.RetractHouseholdEvent):
                    raise InvariantViolationError(
                        Rule.RETRACTION_TARGET,
                        f"event {command.target_event_id} cannot be retracted",
                    )
                raise JourneyNotFoundError(client_ref)
        ctx = CommandContext(actor, scoped_command_id(actor, key), expected_version)
        return service.execute(household_ref, command, ctx)

    # -- reads -------------------------------------------------------------------------------

    def view(
        self,
        reader: Reader,
        household_ref: str,
        *,
        at: datetime | None = None,
        known_at: datetime | None = None,
    ) -> HouseholdView:
        """The household at (``at``, ``known_at``) as ``reader`` may see it; one access-log row per
        member shown is written before it returns."""
        actor = reader.actor
        Reads.authorise(actor)
        household = self._find(household_ref)
        auditor = actor.role == "auditor"
        if household is None or not (auditor or self._standing(actor, household)):
            raise HouseholdNotFoundError(household_ref)
        now = self._components.clock()
        at = at or now
        known_at = known_at or now
        record = household.record()
        members = fold_household(timeline_at(record.events, at, known_at)).members
        service = self._components.service
        shown: dict[str, ShownMember] = {}
        for client_ref in members:
            try:
                journey = service.get_journey(client_ref)
            except JourneyNotFoundError:
                continue
            if auditor:
                shown[client_ref] = ShownMember(journey.record(), EVERYTHING)
            elif may_read(actor, journey):
                shown[client_ref] = ShownMember(journey.record(), sight_of(actor, journey, now))
        Reads(self._components).many(
            reader, [m.record.journey_id for m in shown.values()], auditors_only=False
        )
        return household_view(record, shown, at=at, known_at=known_at)

    def history(
        self,
        reader: Reader,
        household_ref: str,
        *,
        known_at: datetime | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> list[HistoryEntry]:
        """Every household event recorded by ``known_at``, with both times, late entries and
        retractions marked — less the joins and departures of clients whose journey the reader
        may not read (and their retractions). One access-log row per client whose join or
        departure is shown, written before it returns."""
        actor = reader.actor
        Reads.authorise(actor)
        household = self._find(household_ref)
        auditor = actor.role == "auditor"
        if household is None or not (auditor or self._standing(actor, household)):
            raise HouseholdNotFoundError(household_ref)
        record = household.record()
        named = {
            e.client_ref
            for e in record.events
            if isinstance(e, HouseholdMemberJoined | HouseholdMemberLeft)
        }
        shown = named if auditor else {r for r in named if self._on_journey(actor, r, write=False)}
        hidden = {
            e.event_id
            for e in record.events
            if isinstance(e, HouseholdMemberJoined | HouseholdMemberLeft)
            and e.client_ref not in shown
        }
        hidden |= {
            e.event_id
            for e in record.events
            if isinstance(e, EventRetracted) and e.target_event_id in hidden
        }
        kept = tuple(e for e in record.events if e.event_id not in hidden)
        visible = replace(record, events=kept)
        entries = history(visible, known_at=known_at, after=after, limit=limit)
        refs = dict.fromkeys(str(e.facts["client_ref"]) for e in entries if "client_ref" in e.facts)
        service = self._components.service
        Reads(self._components).many(
            reader, [service.journey_id(r) for r in refs], auditors_only=False
        )
        return entries

    # -- internals ---------------------------------------------------------------------------

    def _find(self, household_ref: str) -> Household | None:
        try:
            return self._components.households.get_household(household_ref)
        except HouseholdNotFoundError:
            return None

    def _standing(self, actor: Actor, household: Household) -> bool:
        if actor.role not in CASE_ROLES:
            return False
        state = household.end_state()
        if state.coordinator is not None and state.coordinator.party_id == actor.party_id:
            return True
        formed = household.events[0]
        if not state.members and isinstance(formed, HouseholdFormed):
            return formed.recorded_by.party_id == actor.party_id
        return any(self._on_journey(actor, ref, write=False) for ref in state.members)

    def _on_journey(self, actor: Actor, client_ref: str, *, write: bool) -> bool:
        check = may_write if write else may_read
        try:
            return self._components.service.peek(client_ref, lambda j: check(actor, j))
        except JourneyNotFoundError:
            return False

    @staticmethod
    def _clients_named(household: Household, command: hcmd.HouseholdCommand) -> list[str]:
        """The clients whose membership the command records or takes back."""
        named: list[str] = []
        commands: list[hcmd.HouseholdCommand] = [command]
        if isinstance(command, hcmd.RetractHouseholdEvent):
            target = next(
                (e for e in household.events if e.event_id == command.target_event_id), None
            )
            if isinstance(target, HouseholdMemberJoined | HouseholdMemberLeft):
                named.append(target.client_ref)
            if command.replacement is not None:
                commands.append(command.replacement)
        named += [
            c.client_ref
            for c in commands
            if isinstance(c, hcmd.JoinHousehold | hcmd.LeaveHousehold)
        ]
        return list(dict.fromkeys(named))

    @staticmethod
    def _may_write(actor: Actor) -> None:
        if not role_may_write(actor):
            raise NotPermittedError(f"the {actor.role} role may not record events")

    def _count(self, actor: Actor) -> None:
        wait = self._components.outside_writes.hit(actor.party_id)
        if wait is not None:
            raise RateLimitedError(max(1, int(wait.total_seconds()) + 1))
