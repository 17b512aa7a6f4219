"""The command line behaves: every failure is one line on standard error and a non-zero exit,
never a traceback; read commands do not create a store; times are taken as the help says."""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from cli.common import moment
from cli.main import _actions, _parser, main
from tests.support import POLKU


def _leaves() -> list[list[str]]:
    """The words of every runnable sub-command (``polku audit journey`` → [audit, journey])."""
    found: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, words: list[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            found.append(words)
        for sub in subs:
            for name, child in sub.choices.items():
                walk(child, [*words, name])

    walk(_parser(), [])
    return found


def _one_line_failure(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert code != 0, (argv, err)
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, (argv, err)
    return err


@pytest.mark.parametrize("words", _leaves(), ids=" ".join)
def test_every_command_refuses_a_bad_option_in_one_line(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    err = _one_line_failure([*words, "--no-such-option"], capsys)
    assert "--help" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--port", "99999"],
        ["serve", "--population", "-1"],
        ["generate", "--clients", "0"],
        ["generate", "--clients", "many"],
        ["audit", "journey", "c-1", "--at", "yesterday"],
        ["audit", "journeys", "--limit", "5000"],
        ["retention", "--years", "0"],
        ["analytics", "dfg", "--from", "2026-13-01"],
        ["erase", "c-1", "--reason", "because"],
        ["directory", "load"],  # neither file
        ["directory", "show", "--format", "csv"],  # CSV holds one list
        ["directory", "show", "--list", "everyone"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_bad_values_are_refused_in_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _one_line_failure(argv, capsys)


@pytest.mark.parametrize(
    "words",
    [
        ["audit", "journey", "c-1"],
        ["audit", "disclosures"],
        ["analytics", "transitions"],
        ["pathways", "check", "c-1", "daycare-to-school"],
        ["tokens", "list"],
        ["keys", "status"],
        ["export", "xes"],
        ["directory", "show"],
    ],
    ids=" ".join,
)
def test_read_commands_refuse_a_store_that_does_not_exist(
    words: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing-here.db"
    err = _one_line_failure(["--database-url", f"sqlite:///{missing}", *words], capsys)
    assert "there is no store" in err
    assert not missing.exists()  # and none was made


def test_an_unknown_category_and_a_missing_client_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'p.db'}"]
    assert main([*url, "demo"]) == 0
    capsys.readouterr()
    err = _one_line_failure(
        [*url, "audit", "who-knew", "demo-child-001", "--category", "x"], capsys
    )
    assert "information categories" in err
    _one_line_failure([*url, "audit", "journey", "nobody-here"], capsys)


def test_a_database_that_does_not_answer_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    err = _one_line_failure(["--database-url", url, "tokens", "list"], capsys)
    assert "does not answer" in err


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S602 - a fixed pipeline of our own command
        f"{POLKU} pathways list | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0
    assert "Traceback" not in done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-04-05", datetime(2026, 4, 5, tzinfo=UTC)),
        ("2026-04-05+00:00", datetime(2026, 4, 5, tzinfo=UTC)),
        ("2026-04-05Z", datetime(2026, 4, 5, tzinfo=UTC)),
        ("2026-04-05T14:30", datetime(2026, 4, 5, 14, 30, tzinfo=UTC)),
        (
            "2026-04-05T14:30+03:00",
            datetime(2026, 4, 5, 14, 30, tzinfo=timezone(timedelta(hours=3))),
        ),
    ],
)
def test_times_are_taken_as_the_help_says(text: str, expected: datetime) -> None:
    assert moment(text) == expected


def test_every_option_has_help() -> None:
    for action in _actions(_parser()):
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            continue
        assert action.help, action.option_strings or action.dest


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_tables_come_as_table_json_or_csv(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pathways", "list", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        rows = json.loads(out)
        assert {"pathway", "title", "sectors", "steps"} <= set(rows[0])
    elif fmt == "csv":
        header, *rows = list(csv.reader(io.StringIO(out)))
        assert header == ["pathway", "title", "sectors", "steps"]
        assert any(row[0] == "daycare-to-school" for row in rows)
    else:
        assert out.splitlines()[0].split()[0] == "pathway"
