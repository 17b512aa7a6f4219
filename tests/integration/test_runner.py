"""The PostgreSQL projection runner: read models follow the log without anyone reading them."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from domain import commands as cmd
from domain.application import CommandContext
from domain.events import Actor
from readmodels.runner import ReadModelRunner
from readmodels.tracking import TrackedProjection
from runtime.settings import Settings
from runtime.wiring import build_components

CTX = CommandContext(actor=Actor("p-1", "org", "caseworker"))


def _position_reaches(model: TrackedProjection, wanted: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if model.position() >= wanted:
            return True
        time.sleep(0.05)
    return False


def test_the_runner_applies_new_events_as_they_are_recorded(postgres_settings: Settings) -> None:
    components = build_components(postgres_settings)
    writer = build_components(postgres_settings)  # another process, as it were
    runner = ReadModelRunner(components.service, list(components.read_models.values()))
    runner.start()
    try:
        assert runner.caught_up.wait(15)
        for n in range(3):
            command = cmd.RegisterClient(
                occurred_at=datetime(2025, 1, 1, tzinfo=UTC),
                client_ref=f"runner-{n}",
                preferred_language="fi",
            )
            writer.service.register_client(command, CTX)
        last = writer.service.recorder.max_notification_id() or 0
        assert last >= 3
        for model in components.read_models.values():
            assert _position_reaches(model, last), model.name
        with components.store.transaction(write=False) as tx:
            rows = tx.rows("SELECT COUNT(*) FROM {polku_planner_log}")
        assert rows[0][0] == 3
    finally:
        runner.stop()
        writer.close()
        components.close()
