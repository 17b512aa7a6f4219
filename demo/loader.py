"""Loading the demo journeys: each step recorded at its own record time, once."""

from __future__ import annotations

from datetime import datetime

from demo.journeys import Step, demo_steps
from domain.application import CommandContext, JourneyService

__all__ = ["ManualClock", "load_demo"]


class ManualClock:
    """A clock the demo loader sets to each step's record time."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def load_demo(service: JourneyService, clock: ManualClock, steps: list[Step] | None = None) -> int:
    """Record the demo steps (each at its own record time). Returns how many were new."""
    stored = 0
    for step in steps if steps is not None else demo_steps():
        clock.now = step.recorded_at
        result = service.execute(
            step.client_ref,
            step.command,
            CommandContext(actor=step.actor, command_id=step.command_id),
        )
        stored += not result.replayed
    return stored
