"""``polku directory load|show`` on both backends: a load round-trips through show; a file with
any problem writes nothing and says what is wrong in one line per bad row; ``--replace``
replaces the lists given and keeps the others; the demo's files name every professional and
organisation of the demo; no directory content reaches a log line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.main import main
from cli.serve import _prepare_demo
from demo.directory import ORGANISATIONS_CSV, PROFESSIONALS_CSV
from demo.journeys import demo_steps, household_steps
from domain import commands as cmd
from domain.directory import Organisation, Professional
from runtime.settings import Settings
from runtime.wiring import build_components
from storage.directory import DirectoryConflictError

ORGS = (
    "org_id,name,sector,municipality\n"
    "school-harbour,Hamnens skola,education,Satamakaupunki\n"
    'city-social,"Sosiaalipalvelut, Satama",social_care,\n'
    "clinic-north,Hälsocentralen Norr,health_care,Pohjoislahti\n"
)
PROS = (
    "party_id,display_name,organisation,sector,role,title\n"
    "p-1,Sari Mäkinen,city-social,social_care,social_worker,Sosiaalityöntekijä\n"
    "p-2,Åsa Öhman,clinic-north,health_care,physician,\n"
    "p-3,Maarten van der Berg,school-harbour,education,teacher,Klasslärare\n"
)

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def polku(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """``polku …`` on the test's store: (exit code, stdout, stderr)."""
    monkeypatch.setenv("POLKU_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("POLKU_KEYRING", str(settings.keyring_path().resolve()))

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--database-url", settings.database_url, *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _write(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return path


def _rows(settings: Settings) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    components = build_components(settings)
    try:
        with components.store.transaction(write=False) as tx:
            orgs = tx.rows("SELECT * FROM {polku_directory_organisations} ORDER BY org_id")
            pros = tx.rows("SELECT * FROM {polku_directory_professionals} ORDER BY party_id")
    finally:
        components.close()
    return orgs, pros


def test_a_load_round_trips_through_show(polku: Run, tmp_path: Path) -> None:
    orgs = _write(tmp_path / "orgs.csv", ORGS, bom=True)  # as spreadsheets save UTF-8
    pros = _write(tmp_path / "pros.csv", PROS)
    code, out, err = polku(
        "directory", "load", "--organisations", str(orgs), "--professionals", str(pros)
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "organisations: 3 added, 0 updated, 0 unchanged, 0 removed",
        "professionals: 3 added, 0 updated, 0 unchanged, 0 removed",
    ]
    code, out, _ = polku("directory", "show", "--format", "json")
    shown = json.loads(out)
    assert shown["organisations"] == [  # by name, accents folded: Hälsocentralen, Hamnens, Sos…
        {
            "org_id": "clinic-north",
            "name": "Hälsocentralen Norr",
            "sector": "health_care",
            "municipality": "Pohjoislahti",
        },
        {
            "org_id": "school-harbour",
            "name": "Hamnens skola",
            "sector": "education",
            "municipality": "Satamakaupunki",
        },
        {
            "org_id": "city-social",
            "name": "Sosiaalipalvelut, Satama",
            "sector": "social_care",
            "municipality": None,
        },
    ]
    assert [p["display_name"] for p in shown["professionals"]] == [
        "Åsa Öhman",
        "Maarten van der Berg",
        "Sari Mäkinen",
    ]
    assert shown["professionals"][0]["title"] is None
    # The CSV that show writes loads back as it is: nothing changes.
    for name, path in (("organisations", orgs), ("professionals", pros)):
        code, out, _ = polku("directory", "show", "--list", name, "--format", "csv")
        assert code == 0
        again = _write(tmp_path / f"again-{name}.csv", out)
        assert _as_set(again.read_text(encoding="utf-8")) == _as_set(
            path.read_text(encoding="utf-8-sig")
        )
        code, out, _ = polku("directory", "load", f"--{name}", str(again))
        assert (code, out) == (0, f"{name}: 0 added, 0 updated, 3 unchanged, 0 removed\n")
    code, out, _ = polku("directory", "show")
    assert code == 0
    assert "Maarten van der Berg" in out
    assert "Sosiaalipalvelut, Satama" in out


def _as_set(text: str) -> set[tuple[str, ...]]:
    return {tuple(row) for row in csv.reader(io.StringIO(text))}


def test_a_load_updates_by_id_and_keeps_the_rest(polku: Run, tmp_path: Path) -> None:
    orgs = _write(tmp_path / "orgs.csv", ORGS)
    pros = _write(tmp_path / "pros.csv", PROS)
    assert (
        polku("directory", "load", "--organisations", str(orgs), "--professionals", str(pros))[0]
        == 0
    )
    moved = _write(
        tmp_path / "moved.csv",
        "display_name,party_id,role,sector,organisation\n"  # columns in any order, no title
        "Sari Mäkinen,p-1,case_manager,social_care,city-social\n"
        "Jeroen Janssen,p-4,housing_advisor,housing,city-social\n",
    )
    code, out, _ = polku("directory", "load", "--professionals", str(moved))
    assert (code, out) == (0, "professionals: 1 added, 1 updated, 0 unchanged, 0 removed\n")
    shown = json.loads(polku("directory", "show", "--list", "professionals", "--format", "json")[1])
    by_id = {p["party_id"]: p for p in shown}
    assert set(by_id) == {"p-1", "p-2", "p-3", "p-4"}
    assert (by_id["p-1"]["role"], by_id["p-1"]["title"]) == ("case_manager", None)


def test_replace_replaces_the_lists_given(polku: Run, tmp_path: Path, settings: Settings) -> None:
    orgs = _write(tmp_path / "orgs.csv", ORGS)
    pros = _write(tmp_path / "pros.csv", PROS)
    assert (
        polku("directory", "load", "--organisations", str(orgs), "--professionals", str(pros))[0]
        == 0
    )
    fewer = _write(
        tmp_path / "fewer.csv",
        "party_id,display_name,organisation,sector,role\n"
        "p-1,Sari Mäkinen-Berg,city-social,social_care,social_worker\n",
    )
    code, out, _ = polku("directory", "load", "--professionals", str(fewer), "--replace")
    assert (code, out) == (0, "professionals: 0 added, 1 updated, 0 unchanged, 2 removed\n")
    orgs_now, pros_now = _rows(settings)
    assert [p[0] for p in pros_now] == ["p-1"]
    assert len(orgs_now) == 3  # the organisations were not given: kept
    # Replacing the organisations with a list that drops one a professional still names is
    # refused, one line for that professional, and nothing is written.
    one_org = _write(
        tmp_path / "one-org.csv", "org_id,name,sector\nschool-harbour,Hamnens skola,education\n"
    )
    code, _, err = polku("directory", "load", "--organisations", str(one_org), "--replace")
    assert code == 1
    assert err.splitlines() == [
        f"{one_org}: organisation 'city-social' would be removed, but professional 'p-1' of the"
        " directory names it (load --professionals too, or keep it)",
        "polku: 1 problem in the directory files; nothing was written",
    ]
    assert _rows(settings) == (orgs_now, pros_now)
    # Given both, the replacement is whole.
    code, out, _ = polku(
        "directory",
        "load",
        "--organisations",
        str(one_org),
        "--professionals",
        str(pros),
        "--replace",
    )
    assert code == 1  # p-1 and p-2 name organisations the new list does not hold
    teacher = _write(
        tmp_path / "teacher.csv",
        "party_id,display_name,organisation,sector,role\n"
        "p-3,Maarten van der Berg,school-harbour,education,teacher\n",
    )
    code, out, _ = polku(
        "directory",
        "load",
        "--organisations",
        str(one_org),
        "--professionals",
        str(teacher),
        "--replace",
    )
    assert (code, out.splitlines()) == (
        0,
        [
            "organisations: 0 added, 1 updated, 0 unchanged, 2 removed",  # no municipality now
            "professionals: 1 added, 0 updated, 0 unchanged, 1 removed",
        ],
    )
    orgs_now, pros_now = _rows(settings)
    assert ([o[0] for o in orgs_now], [p[0] for p in pros_now]) == (["school-harbour"], ["p-3"])


def test_a_file_with_problems_writes_nothing_and_names_each_bad_row(
    polku: Run, tmp_path: Path, settings: Settings
) -> None:
    assert (
        polku("directory", "load", "--organisations", str(_write(tmp_path / "o.csv", ORGS)))[0] == 0
    )
    before = _rows(settings)
    orgs = _write(
        tmp_path / "orgs.csv",
        "org_id,name,sector,municipality\n"
        "new-org,Uusi järjestö,third_sector,\n"  # fine, but not written either
        "bad-sector,Väärä,helth_care,\n"  # line 3
        ",Nimetön,education,\n"  # line 4
        "new-org,Uusi taas,third_sector,\n"  # line 5: a duplicate
        "too-few,Kaksi\n"  # line 6
        "\n"  # blank lines are skipped
        f"long,{'x' * 201},education,\n",  # line 8
        bom=True,
    )
    pros = _write(
        tmp_path / "pros.csv",
        "party_id,display_name,organisation,sector,role,title\n"
        "p-9,Åke Ström,new-org,third_sector,peer_supporter,\n"  # its org is in the file: fine
        "p-10,Anna,nowhere,education,teacher,\n"  # line 3: unknown organisation
        "p-11,Bert,bad-sector,education,teacher,\n"  # its org has a problem: not named again
        "p-12,Cees,school-harbour,education,teachr,\n"  # line 5: not a role
        "p-13,Daan,school-harbour,,teacher,\n",  # line 6: no sector
    )
    code, out, err = polku(
        "directory", "load", "--organisations", str(orgs), "--professionals", str(pros)
    )
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:-1]] == [
        f"{orgs}:3",
        f"{orgs}:4",
        f"{orgs}:5",
        f"{orgs}:6",
        f"{orgs}:8",
        f"{pros}:3",
        f"{pros}:5",
        f"{pros}:6",
    ]
    assert lines[0].startswith(f"{orgs}:3: sector: 'helth_care' is not one of the sectors:")
    assert lines[1] == f"{orgs}:4: org_id: empty"
    assert lines[2] == f"{orgs}:5: org_id 'new-org' is listed twice (also on line 2)"
    assert lines[3] == f"{orgs}:6: 2 fields where the header has 4"
    assert lines[4] == f"{orgs}:8: name: longer than 200 characters"
    assert (
        lines[5] == f"{pros}:3: organisation 'nowhere' is not listed (in {orgs} or the directory)"
    )
    assert lines[6].startswith(f"{pros}:5: role: 'teachr' is not one of the roles:")
    assert lines[7] == f"{pros}:6: sector: empty"
    assert lines[-1] == "polku: 8 problems in the directory files; nothing was written"
    assert _rows(settings) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"org_id,nam,sector\n", "{f}:1: unknown column 'nam' (the header names org_id, name,"),
        (b"org_id,name\n", "{f}:1: missing column 'sector' (the header names"),
        (b"org_id,name,sector,name\n", "{f}:1: column 'name' named twice"),
        (b"", "{f}:1: empty: a header row is expected (org_id,name,sector,municipality)"),
        (b"org_id,name,sector\nx,\xe4,education\n", "{f}:2: not UTF-8 text"),
    ],
    ids=["unknown column", "missing column", "column twice", "empty", "latin-1"],
)
def test_a_file_that_cannot_be_read_is_one_line(
    polku: Run, tmp_path: Path, settings: Settings, content: bytes, expected: str
) -> None:
    path = tmp_path / "orgs.csv"
    path.write_bytes(content)
    code, _, err = polku("directory", "load", "--organisations", str(path))
    assert code == 1
    first, summary = err.splitlines()
    assert first.startswith(expected.format(f=path)), first
    assert summary == "polku: 1 problem in the directory files; nothing was written"
    assert _rows(settings) == ([], [])


def test_a_missing_file_is_one_line(polku: Run, tmp_path: Path) -> None:
    code, _, err = polku("directory", "load", "--professionals", str(tmp_path / "nope.csv"))
    assert code == 1
    assert (
        err.splitlines()[0]
        == f"{tmp_path / 'nope.csv'}: cannot be read (No such file or directory)"
    )


def test_the_store_refuses_a_load_that_leaves_a_professional_without_organisation(
    settings: Settings,
) -> None:
    components = build_components(settings)
    try:
        directory = components.directory
        org = Organisation(org_id="o-1", name="Yksi", sector="education")
        pro = Professional(
            party_id="p-1",
            display_name="Eka",
            organisation="o-1",
            sector="education",
            role="teacher",
        )
        directory.load([org], [pro])
        other = Organisation(org_id="o-2", name="Kaksi", sector="education")
        with pytest.raises(DirectoryConflictError) as raised:
            directory.load([other], [], replace_organisations=True)
        assert raised.value.orphans == (("p-1", "o-1"),)
        assert directory.organisation_ids() == {"o-1"}  # rolled back whole
        assert directory.counts() == (1, 1)
    finally:
        components.close()


def test_the_demo_directory_names_every_professional_and_organisation_of_the_demo(
    polku: Run,
) -> None:
    code, out, _ = polku(
        "directory",
        "load",
        "--organisations",
        str(ORGANISATIONS_CSV),
        "--professionals",
        str(PROFESSIONALS_CSV),
    )
    assert code == 0, out
    shown = json.loads(polku("directory", "show", "--format", "json")[1])
    org_ids = {o["org_id"] for o in shown["organisations"]}
    listed = {p["party_id"]: p for p in shown["professionals"]}
    named_orgs: set[str] = set()
    for step in demo_steps():
        command = step.command
        if isinstance(command, cmd.AddTeamMember) and command.member_type == "professional":
            assert command.party_id in listed, command.party_id
            assert listed[command.party_id]["organisation"] == command.organisation
        if step.actor.role in ("caseworker", "coordinator"):
            assert step.actor.party_id in listed, step.actor.party_id
        for name in ("organisation", "from_org", "to_org", "provider_org"):
            value = getattr(command, name, None)
            if isinstance(value, str):
                named_orgs.add(value)
        named_orgs.update(getattr(command, "recipient_orgs", ()))
    for household_step in household_steps():
        assert household_step.actor.party_id in listed
        named_orgs.add(household_step.actor.organisation)
    named_orgs.discard("family")  # the informal network's, not an organisation
    assert named_orgs <= org_ids, named_orgs - org_ids
    assert len(org_ids) > len(named_orgs)  # and a few more
    assert len(listed) > 15
    names = " ".join(p["display_name"] for p in listed.values())
    assert all(letter in names for letter in "äöÅ")
    assert "van der" in names


def test_no_directory_content_reaches_a_log_line(
    polku: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLKU_LOG_LEVEL", "debug")
    monkeypatch.setenv("POLKU_LOG_FORMAT", "json")
    orgs = _write(tmp_path / "orgs.csv", ORGS)
    pros = _write(tmp_path / "pros.csv", PROS)
    code, _, logs = polku(
        "directory", "load", "--organisations", str(orgs), "--professionals", str(pros)
    )
    assert code == 0
    code, _, more = polku("directory", "show")
    assert code == 0
    code, _, demo_logs = polku("demo")
    assert code == 0
    text = logs + more + demo_logs
    assert "demo.loaded" in text  # the logs were captured
    words = {
        cell
        for source in (ORGS, PROS, ORGANISATIONS_CSV.read_text(), PROFESSIONALS_CSV.read_text())
        for row in list(csv.reader(io.StringIO(source)))[1:]
        for cell in row[1:2] + row[-1:]  # names, municipalities and titles
        if cell
    }
    assert {w for w in words if w in text} == set()


def test_serve_demo_loads_the_demo_directory_too(settings: Settings) -> None:
    components = build_components(settings)
    try:
        _prepare_demo(settings, components, population=0)
        organisations, professionals = components.directory.counts()
        assert (organisations, professionals) == (
            len(ORGANISATIONS_CSV.read_text(encoding="utf-8").splitlines()) - 1,
            len(PROFESSIONALS_CSV.read_text(encoding="utf-8").splitlines()) - 1,
        )
        _prepare_demo(settings, components, population=0)  # again: nothing changes
        assert components.directory.counts() == (organisations, professionals)
    finally:
        components.close()
