"""Kill -9 a read-model worker mid-rebuild: it resumes with nothing lost or doubled, and the
ledger then equals a fresh rebuild."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from domain import commands as cmd
from domain.application import CommandContext
from domain.events import Actor
from runtime.settings import Settings
from runtime.wiring import build_components
from tests.support import polku_env

CTX = CommandContext(actor=Actor("p-w", "org", "caseworker"))
WORKER = """
import sys, time
from runtime.wiring import build_components
from runtime.logging import configure_logging
from runtime.settings import Settings
configure_logging(Settings(log_level="warning", _env_file=None))
components = build_components(Settings())
def progress(position, last):
    print(position, last, flush=True)
    time.sleep(0.05)  # slow enough to be killed part-way
components.ledger.rebuild(progress)
"""


def populate(settings: Settings, journeys: int) -> None:
    components = build_components(settings)
    start = datetime.now(UTC) - timedelta(days=10)
    try:
        for n in range(journeys):
            ref = f"k-{n:03d}"
            components.service.register_client(
                cmd.RegisterClient(occurred_at=start, client_ref=ref, preferred_language="fi"), CTX
            )
            for d in range(2):
                share = cmd.RecordInformationShared(
                    occurred_at=start + timedelta(hours=d + 1),
                    disclosure_id=f"d{d}",
                    from_org="a",
                    to_org="b",
                    categories=["health"],
                    purpose="care_coordination",
                    basis="none",
                )
                components.service.execute(ref, share, CTX)
    finally:
        components.close()


def test_a_killed_ledger_worker_resumes_without_loss_or_doubles(settings: Settings) -> None:
    populate(settings, 60)  # 180 notifications
    env = polku_env(settings) | {"POLKU_PROJECTION_BATCH_SIZE": "10"}
    worker = subprocess.Popen(  # noqa: S603 - our own code
        [sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout is not None
    seen = [worker.stdout.readline() for _ in range(4)]  # four batches committed
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    worker.stdout.close()
    assert all(line.strip() for line in seen)

    resumed = build_components(settings.model_copy(update={"projection_batch_size": 10}))
    try:
        with resumed.store.transaction(write=False) as tx:
            position = tx.rows("SELECT position FROM {polku_tracking} WHERE name = 'ledger'")
        assert position
        assert 40 <= int(position[0][0]) < 180  # stopped part-way, at a batch boundary or later
        # From the stored position to the head (a read alone does only a bounded slice).
        resumed.ledger.catch_up()
        entries = resumed.ledger.entries()
        assert len(entries) == 120
        assert len({(e.client_ref, e.disclosure_id) for e in entries}) == 120
        resumed.ledger.rebuild()
        assert resumed.ledger.entries() == entries
    finally:
        resumed.close()
