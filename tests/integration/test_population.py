"""`polku generate`: a synthetic population through the real service, the same for the same seed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli.main import main
from demo.population import generate, plan_client
from domain.events import EventRetracted
from projections import history, view
from runtime.settings import Settings
from runtime.wiring import build_service

START = datetime(2021, 1, 1, tzinfo=UTC)


def test_the_same_seed_plans_the_same_population() -> None:
    for index in range(10):
        first = plan_client(3, index, START)
        again = plan_client(3, index, START)
        assert first == again
    assert plan_client(3, 0, START) != plan_client(4, 0, START)


def test_a_population_is_written_through_the_service(settings: Settings) -> None:
    result = generate(lambda clock: build_service(settings, clock=clock), 40, 3, start=START)
    assert result.clients == 40
    assert set(result.features) == {
        "ping-pong",
        "coordinator-gap",
        "late-entry",
        "retraction",
        "missing-handover",
    }
    service = build_service(settings)
    try:
        stored, late = 0, 0
        for index in range(40):
            ref, planned, _ = plan_client(3, index, START)
            record = service.get_record(ref)
            stored += len(record.events)
            # Valid and record times are the planned ones (a correction stores two events).
            times = [
                (e.occurred_at, e.recorded_at)
                for e in record.events
                if not isinstance(e, EventRetracted)
            ]
            assert times[0] == (planned[0].command.occurred_at, planned[0].recorded_at)
            assert view(record).registered
            late += sum(entry.late for entry in history(record))
        assert stored == result.events
        assert late > 0  # late entries show up as late in the record
    finally:
        service.close()


def test_the_generate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'gen.db'}"]
    assert main([*url, "generate", "--clients", "10", "--seed", "5"]) == 0
    assert "10 clients" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:  # argparse refuses it before anything runs
        main([*url, "generate", "--clients", "0"])
    assert refused.value.code == 2
