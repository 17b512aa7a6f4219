"""Loading the demo journeys: each step recorded at its own record time, once.

The loader is idempotent per step: a step whose command id the journey already holds is
skipped without being compared again, so a store in any state loads — the demo stored whole or
in part, or a demo journey since erased (its stored events then hold "erased" where the demo's
commands hold names, and nothing personal is written to an erased journey again).
"""

from __future__ import annotations

from datetime import datetime

from demo.journeys import Step, demo_steps
from domain.application import CommandContext, JourneyService
from domain.events import PersonalDataErased

__all__ = ["ManualClock", "load_demo", "stored_commands"]


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


def load_demo(service: JourneyService, clock: ManualClock, steps: list[Step] | None = None) -> int:
    """Record the demo steps not stored yet (each at its own record time); returns how many
    were new. Journeys whose personal data was erased are left as they are."""
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
    return stored
