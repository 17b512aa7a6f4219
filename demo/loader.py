"""Loading the demo journeys: each step recorded at its own record time, once.

The loader is idempotent per step: a step whose command id the journey already holds is
skipped without being compared again, so a store in any state loads — the demo stored whole or
in part, or a demo journey since erased (its stored events then hold "erased" where the demo's
commands hold names, and nothing personal is written to an erased journey again).
"""

from __future__ import annotations

from datetime import datetime

from demo.journeys import HouseholdStep, Step, demo_steps, household_steps
from domain.application import CommandContext, JourneyService
from domain.errors import HouseholdNotFoundError
from domain.events import PersonalDataErased
from domain.household_application import HouseholdService

__all__ = ["ManualClock", "load_demo", "load_household_demo", "stored_commands"]


class ManualClock:
    """A clock the demo loader sets to each step's record time."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def stored_commands(service: JourneyService, client_ref: str) -> set[str] | None:
    """The command ids the journey holds (empty if it does not exist), or None if its personal
    data has been erased."""
    if not service.get_version(client_ref):
        return set()
    record = service.get_sealed_record_by_id(service.journey_id(client_ref))
    if any(isinstance(e, PersonalDataErased) for e in record.events):
        return None
    return {e.command_id for e in record.events if e.command_id is not None}


def load_demo(
    service: JourneyService,
    clock: ManualClock,
    steps: list[Step] | None = None,
    households: HouseholdService | None = None,
) -> int:
    """Record the demo steps not stored yet (each at its own record time); returns how many
    were new. Journeys whose personal data was erased are left as they are. With
    ``households``, the demo household's steps follow (:func:`load_household_demo`)."""
    stored = 0
    done: dict[str, set[str] | None] = {}
    for step in steps if steps is not None else demo_steps():
        if step.client_ref not in done:
            done[step.client_ref] = stored_commands(service, step.client_ref)
        held = done[step.client_ref]
        if held is None or step.command_id in held:
            continue
        clock.now = step.recorded_at
        result = service.execute(
            step.client_ref,
            step.command,
            CommandContext(actor=step.actor, command_id=step.command_id),
        )
        held.add(step.command_id)
        stored += not result.replayed
    if households is not None:
        stored += load_household_demo(households, clock)
    return stored


def load_household_demo(
    households: HouseholdService, clock: ManualClock, steps: list[HouseholdStep] | None = None
) -> int:
    """Record the demo household's steps not stored yet (each at its own record time, after the
    members' journeys); returns how many were new. ``households`` must run on ``clock``."""
    stored = 0
    held: dict[str, set[str]] = {}
    for step in steps if steps is not None else household_steps():
        if step.household_ref not in held:
            try:
                events = households.get_record(step.household_ref).events
            except HouseholdNotFoundError:
                events = ()
            held[step.household_ref] = {e.command_id for e in events if e.command_id}
        if step.command_id in held[step.household_ref]:
            continue
        clock.now = step.recorded_at
        ctx = CommandContext(actor=step.actor, command_id=step.command_id)
        result = households.execute(step.household_ref, step.command, ctx)
        held[step.household_ref].add(step.command_id)
        stored += not result.replayed
    return stored
