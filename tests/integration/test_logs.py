"""No personal data reaches a log line: run the demo with debug logs and search them."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from demo.journeys import demo_steps, household_steps


def personal_strings() -> set[str]:
    found: set[str] = set()
    for step in demo_steps():
        for draft in step.command.drafts():
            for value in draft.personal.values():
                if isinstance(value, str):
                    found.add(value)
                elif isinstance(value, list):
                    found.update(v for v in value if isinstance(v, str))
                elif isinstance(value, dict):
                    found.update(v for v in value.values() if isinstance(v, str))
        found.add(step.client_ref)
    for household_step in household_steps():
        for draft in household_step.command.drafts():
            for value in draft.personal.values():
                found.update([value] if isinstance(value, str) else value)
        found.add(household_step.household_ref)
    return found


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_full_demo_logs_no_personal_data(
    tmp_path: object,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    log_format: str,
) -> None:
    monkeypatch.setenv("POLKU_LOG_LEVEL", "debug")
    monkeypatch.setenv("POLKU_LOG_FORMAT", log_format)
    assert main(["--database-url", f"sqlite:///{tmp_path}/demo.db", "demo"]) == 0
    logs = capsys.readouterr().err
    lines = [line for line in logs.splitlines() if line.strip()]
    assert len(lines) > 30  # one line per recorded command, and the summary
    if log_format == "json":
        assert all(isinstance(json.loads(line), dict) for line in lines)
    leaked = {s for s in personal_strings() if s in logs}
    assert leaked == set()
