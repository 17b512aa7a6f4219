"""Erasure and pseudonyms, attacked as someone holding the database's files would attack them.

Each test runs the attack itself, on both backends:

- copies of an erased client's key in the WAL (SQLite's ``-wal``, PostgreSQL's ``pg_wal``) and in
  a backup taken before the erasure are found and tried against every KEK the keyring holds;
  before the rotation the backup's copy still opens (so the attack is real), after it none does;
- every known client ref is hashed the ways an attacker would (the old UUIDv5, SHA-256, SHA-1,
  MD5) and searched for in the database, the exports and the logs; on a store still using the
  unkeyed ids the same search finds them (so the test can fail);
- canary party ids and names of a client's private network are searched for, byte by byte, in
  every planner export and the planners' read model.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from cryptography.exceptions import InvalidTag

from domain import commands as cmd
from domain import events as cmd_events
from domain.application import CommandContext
from domain.errors import InvalidQueryError
from domain.events import Actor
from domain.journey import legacy_journey_id
from pathways.exports import write_ocel_json, write_ocel_sqlite, write_xes
from projections.journey_view import FOLDS, JourneyView, view
from runtime.erasure import erase_client
from runtime.reads import Reader, Reads
from runtime.settings import Settings
from runtime.wiring import Components, build_components, open_keyring
from storage.vault import KeyVault, unwrap_key
from tests.support import member

WORKER = CommandContext(actor=Actor("p-pro-1", "city-social", "caseworker"))
ADMIN = Actor("p-admin", "ops", "admin")
T0 = datetime(2025, 2, 1, 9, tzinfo=UTC)
NAME = "Canary Aunt-Erasable 9931"
CONTACT = "canary.contact@example.invalid +358 40 993 1993"
GUARDIAN_NAME = "Canary Guardian-Erasable 7741"
NOTE = "Canary note: sleeps at the neighbour's on Thursdays"
CANARIES = (
    "p-canary-aunt",
    "p-canary-neighbour",
    "p-canary-cousin",
    "p-canary-friend",
    "p-canary-employer",
    "p-canary-volunteer",
    "hh-canary-home",
    "ev-canary-form",
    CONTACT,
    GUARDIAN_NAME,
    NOTE,
)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def components(settings: Settings) -> Iterator[Components]:
    built = build_components(settings)
    yield built
    built.close()


def _canary_journey(components: Components, client_ref: str) -> None:
    """A client whose private network is full of canaries: informal, employer and third-sector
    members, a disclosure to a neighbour outside the team, a consent naming a cousin, a meeting
    with a friend, a plan with the aunt responsible."""
    run = components.service.execute
    components.service.register_client(
        cmd.RegisterClient(
            occurred_at=T0,
            client_ref=client_ref,
            preferred_language="fi",
            name=NAME,
            guardians=["p-canary-aunt"],
            household_ref="hh-canary-home",
            contact=CONTACT,
            guardian_names={"p-canary-aunt": GUARDIAN_NAME},
            note=NOTE,
        ),
        WORKER,
    )
    run(client_ref, member("p-pro-1", day(1), org="city-social"), WORKER)
    for party, kind, sector in (
        ("p-canary-aunt", "informal", "family"),
        ("p-canary-employer", "employer", "employer"),
        ("p-canary-volunteer", "third_sector", "third_sector"),
    ):
        added = member(party, day(2), org="org-private", sector=sector, role="family_member")
        run(
            client_ref,
            added.model_copy(update={"member_type": kind, "display_name": f"{NAME} {party}"}),
            WORKER,
        )
    run(
        client_ref,
        cmd.GrantConsent(
            occurred_at=day(3),
            consent_id="k-canary",
            recipient_parties=["p-canary-cousin"],
            categories=["health"],
            purposes=["care_coordination"],
            form="written",
            evidence_ref="ev-canary-form",
        ),
        WORKER,
    )
    run(
        client_ref,
        cmd.RecordInformationShared(
            occurred_at=day(4),
            disclosure_id="d-canary",
            from_party="p-pro-1",
            from_org="city-social",
            to_party="p-canary-neighbour",
            categories=["health"],
            purpose="care_coordination",
            basis="none",
        ),
        WORKER,
    )
    run(
        client_ref,
        cmd.RecordMeeting(
            occurred_at=day(5),
            meeting_id="m-canary",
            participants=["p-pro-1", "p-canary-friend", "p-canary-aunt"],
            client_present=True,
            categories=["family"],
            purpose="care_coordination",
            basis="client_self",
        ),
        WORKER,
    )
    run(
        client_ref,
        cmd.AgreePlan(occurred_at=day(6), goals=["Goal"], responsible_parties=["p-canary-aunt"]),
        WORKER,
    )


def _exports(components: Components, tmp_path: Path) -> bytes:
    """Every planner export the store can produce, and the planners' read model, as bytes."""
    log = components.planner.log()
    texts = io.StringIO()
    write_ocel_json(log, texts)
    write_xes(log, texts)
    sqlite_export = tmp_path / "ocel.sqlite"
    sqlite_export.unlink(missing_ok=True)
    write_ocel_sqlite(log, sqlite_export)
    with components.store.transaction(write=False) as tx:
        planner_rows = tx.rows("SELECT * FROM {polku_planner_log}")
    return texts.getvalue().encode() + sqlite_export.read_bytes() + repr(planner_rows).encode()


def _database_bytes(components: Components, settings: Settings) -> bytes:
    """What a thief of the database's files gets: SQLite's file, -wal and -shm; or a pg_dump of
    the schema plus every WAL segment of the server."""
    if components.store.backend == "sqlite":
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        files = [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))]
        return b"".join(f.read_bytes() for f in files if f.exists())
    return _pg_dump(settings) + _pg_wal(settings)


def _pg_dump(settings: Settings) -> bytes:
    return subprocess.run(  # noqa: S603 - fixed arguments
        ["pg_dump", "--dbname", settings.database_url, "--schema", settings.database_schema],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout


def _pg_wal(settings: Settings) -> bytes:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_switch_wal()")  # close the segment being written
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    segments = sorted((Path(row[0]) / "pg_wal").glob("0*"))
    assert segments, "no WAL segments found"
    return b"".join(segment.read_bytes() for segment in segments)


def _wrapped_candidates(blob: bytes, journey: str) -> set[str]:
    """Near every copy of the journey id (a key row starts with it), every 80-character window
    of base64: the length of a wrapped key (12-byte nonce, 32-byte key, 16-byte tag). Fields of
    a row lie side by side without separators, so every window of a longer run is tried."""
    found: set[str] = set()
    for hit in re.finditer(re.escape(journey.encode()), blob):
        near = blob[hit.end() : hit.end() + 400]
        for run in re.findall(rb"[A-Za-z0-9+/]{80,}", near):
            found.update(run[i : i + 80].decode() for i in range(len(run) - 79))
    return found


def _unwrappable(candidates: set[str], settings: Settings, journey: str, kek_ids: set[str]) -> int:
    """How many candidates any KEK the keyring holds now can unwrap (the attacker's best try,
    with the keyring stolen too)."""
    keyring = open_keyring(settings)
    opened = 0
    for candidate in candidates:
        for kek_id in kek_ids:
            kek = keyring.kek(kek_id)
            if kek is None:
                continue
            try:
                unwrap_key(kek, kek_id, journey, candidate)
            except (InvalidTag, ValueError):
                continue
            opened += 1
    return opened


def test_copies_of_an_erased_key_cannot_be_unwrapped_after_rotation(
    components: Components, settings: Settings, tmp_path: Path
) -> None:
    # A ref and an outside party no other test (or earlier run) on this server ever wrote, so
    # that finding them in the WAL would mean this store wrote them.
    ref = f"client-{uuid4().hex[:12]}"
    stranger = f"p-canary-{uuid4().hex[:12]}"
    _canary_journey(components, ref)
    components.service.execute(
        ref,
        cmd.RecordInformationShared(
            occurred_at=day(7),
            disclosure_id="d-stranger",
            from_party="p-pro-1",
            from_org="city-social",
            to_party=stranger,
            categories=["health"],
            purpose="care_coordination",
            basis="none",
        ),
        WORKER,
    )
    for model in components.read_models.values():
        model.catch_up()
    journey = str(components.service.journey_id(ref))
    with components.store.transaction(write=False) as tx:
        ((wrapped, kek_id),) = tx.rows(
            "SELECT key_b64, kek_id FROM {polku_client_keys} WHERE journey_id = %s", (journey,)
        )
    keyring = open_keyring(settings)
    old_kek = keyring.kek(str(kek_id))
    assert old_kek is not None
    data_key = unwrap_key(old_kek, str(kek_id), journey, str(wrapped))
    backup = _database_bytes(components, settings)  # a backup taken before the erasure
    assert str(wrapped).encode() in backup

    erase_client(components, ref, "client_request", ADMIN)
    # Before the rotation the backup's copy of the key still opens: the attack is real.
    assert _unwrappable(_wrapped_candidates(backup, journey), settings, journey, {str(kek_id)}) == 1

    vault = components.service.vault
    assert isinstance(vault, KeyVault)
    rotation = vault.rotate()
    assert str(kek_id) in rotation.destroyed

    after = _database_bytes(components, settings)
    every_kek = {str(kek_id), rotation.kek_id}
    for blob in (backup, after):
        assert _unwrappable(_wrapped_candidates(blob, journey), settings, journey, every_kek) == 0
    # The data key itself was never written anywhere, in any form, and neither was the name.
    for blob in (backup, after):
        personal = (NAME, CONTACT, GUARDIAN_NAME, NOTE)
        for secret in (data_key, data_key.hex().encode(), *(p.encode() for p in personal)):
            assert secret not in blob
        # Neither the ref nor the private network: events and read-model rows only ever held
        # them sealed (the WAL and the backup keep every row version ever written).
        for identifier in (ref, stranger):
            assert identifier.encode() not in blob, identifier
        assert str(wrapped).encode() not in after or components.store.backend == "postgres"


def test_hashing_known_client_refs_leads_to_no_journey(
    components: Components, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refs = [f"010190-{n:03d}X" for n in range(12)]  # national-identity-code-like refs
    for ref in refs:
        _canary_journey(components, ref)
    erase_client(components, refs[0], "client_request", ADMIN)
    for model in components.read_models.values():
        model.catch_up()
    found = _database_bytes(components, settings) + _exports(components, tmp_path)
    found += capsys.readouterr().err.encode()
    for ref in refs:
        for guess in _hashes(ref):
            assert guess not in found, (ref, guess)


def test_the_same_attack_finds_the_unkeyed_ids_of_an_old_store(
    components: Components, settings: Settings
) -> None:
    """The control: with the ids older versions used, hashing the refs finds every journey."""
    components.service.journey_id.legacy = True
    refs = ["010190-777X", "020290-888Y"]
    for ref in refs:
        _canary_journey(components, ref)
    found = _database_bytes(components, settings)
    assert all(str(legacy_journey_id(ref)).encode() in found for ref in refs)
    # ...and with the ids unkeyed the identifiers stay in the events as they are (the control
    # of the next test).
    events = _stored_events(components, refs[0])
    assert refs[0].encode() in events
    assert all(canary.encode() in events for canary in CANARIES if "-canary-" in canary)


def _stored_events(components: Components, client_ref: str) -> bytes:
    """The journey's events as the event table holds them (what a thief of the files reads;
    with the at-rest cipher on, what they read once they have its key too)."""
    journey = components.service.journey_id(client_ref)
    return b"".join(s.state for s in components.service.recorder.select_events(journey))


def test_events_keep_no_identifier_of_the_client_or_their_private_network(
    components: Components, settings: Settings
) -> None:
    """The client ref, household ref, guardians, evidence reference and every party id of the
    private network are never in an event's plain part; while the key exists the service reads
    them back, after the erasure no copy of the store (SQLite's files, a pg_dump) holds them,
    and the journey folds to the same shape with pseudonyms in their place."""
    ref = "010190-321K"
    _canary_journey(components, ref)
    stored = _stored_events(components, ref)
    assert b"p-pro-1" in stored  # the professional is stored as they are
    for secret in (ref, *CANARIES, NAME):
        assert secret.encode() not in stored, secret
    live = components.service.get_record(ref)
    before = view(live)
    assert live.client_ref == ref
    assert {m.party_id for m in before.team} >= {"p-canary-aunt", "p-canary-employer"}
    assert "p-canary-neighbour" in {d.to_party for d in before.disclosures}
    ledger_before = _ledger_rows(components)

    erase_client(components, ref, "client_request", ADMIN)
    for model in components.read_models.values():
        model.catch_up()
    fresh = build_components(settings)  # another process: nothing cached
    try:
        erased = fresh.service.get_record(ref)
        after = view(erased)
        registration = erased.events[0]
        assert isinstance(registration, cmd_events.ClientRegistered)
        assert registration.client_ref == f"erased-{erased.journey_id}"
        assert registration.household_ref is not None
        assert registration.household_ref.startswith("household-")
        # (The record and view name the ref only because the caller asked by it.)
        text = repr(erased.events).encode() + repr((after.team, after.disclosures)).encode()
        for secret in (ref, *CANARIES, NAME):
            assert secret.encode() not in text, secret
        # The same shape: every mention of a party is the same pseudonym, so the team, the
        # plan and the verdicts are as before.
        assert len(after.team) == len(before.team)
        aunt = next(m.party_id for m in after.team if m.member_type == "informal")
        assert aunt.startswith("party-")
        assert after.plan is not None
        assert after.plan.responsible_parties == (aunt,)

        def verdicts(v: JourneyView) -> list[tuple[object, ...]]:
            return [
                (d.then.verdict, d.then.reasons, d.now.verdict, d.now.reasons)
                for d in v.disclosures
            ]

        assert verdicts(after) == verdicts(before)
        # A ledger rebuilt from the erased record is the ledger the erasure left.
        ledger_after = _ledger_rows(fresh)
        assert len(ledger_after) == len(ledger_before)
        fresh.read_models["ledger"].rebuild()
        assert _ledger_rows(fresh) == ledger_after
        dump = _database_bytes(fresh, settings)
        if fresh.store.backend == "sqlite":
            with fresh.store.transaction() as tx:
                tx.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            dump = _database_bytes(fresh, settings)
        else:
            dump = _pg_dump(settings)
        for secret in (ref, *CANARIES, NAME):
            assert secret.encode() not in dump, secret
    finally:
        fresh.close()


def _ledger_rows(components: Components) -> list[tuple[object, ...]]:
    components.read_models["ledger"].catch_up()
    with components.store.transaction(write=False) as tx:
        rows = tx.rows("SELECT * FROM {polku_ledger}")
    return sorted(rows, key=repr)


def test_no_export_names_anyone_of_the_private_network(
    components: Components, tmp_path: Path
) -> None:
    _canary_journey(components, "client-canary")
    _canary_journey(components, "client-canary-2")
    erase_client(components, "client-canary-2", "client_request", ADMIN)
    exported = _exports(components, tmp_path)
    assert b"client-" in exported  # the exports are not empty
    for canary in (*CANARIES, "canary", NAME):
        assert canary.encode() not in exported
    assert b"informal-1" in exported  # named by their type instead
    assert b"outside-1" in exported


def test_exports_number_clients_afresh_each_release(components: Components) -> None:
    for n in range(6):
        _canary_journey(components, f"client-{n}")
    releases = set()
    # Six clients numbered at random: four releases agreed by chance once in 216 runs (seen in
    # a run); ten agree once in ten million.
    for _ in range(10):
        out = io.StringIO()
        write_ocel_json(components.planner.log(), out)
        document = json.loads(out.getvalue())
        first = document["events"][0]["relationships"][0]["objectId"]
        releases.add(first)
    assert len(releases) > 1  # the same journey is another client number in another release


def _hashes(ref: str) -> list[bytes]:
    data = ref.encode()
    return [
        str(legacy_journey_id(ref)).encode(),
        legacy_journey_id(ref).hex.encode(),
        hashlib.sha256(data).hexdigest().encode(),
        hashlib.sha1(data).hexdigest().encode(),  # noqa: S324 - the attacker's guess
        hashlib.md5(data).hexdigest().encode(),  # noqa: S324 - the attacker's guess
    ]


def test_a_store_with_unkeyed_ids_migrates_to_keyed_ids(
    components: Components, settings: Settings
) -> None:
    """A store written by an older version (unkeyed ids) keeps working, and `polku keys
    migrate-ids` moves every journey, its key and its access log to the keyed id."""
    from storage.pseudonyms import LEGACY, migrate_journey_ids

    components.service.journey_id.legacy = True
    with components.store.transaction() as tx:
        tx.execute("UPDATE {polku_meta} SET value = %s WHERE name = 'journey_ids'", (LEGACY,))
    for ref in ("010190-111A", "010190-222B"):
        _canary_journey(components, ref)
    erase_client(components, "010190-222B", "client_request", ADMIN)
    old = legacy_journey_id("010190-111A")
    components.access_log.record([old], ADMIN, "GET /v1/journeys/{client_ref}", None, day(9))

    reopened = build_components(settings)  # an old store opens as it is
    try:
        assert reopened.service.journey_id.legacy
        assert reopened.service.get_record("010190-111A").events[0].personal["name"] == NAME
        secret = open_keyring(settings).pseudonym_secret()
        assert migrate_journey_ids(reopened.service, reopened.store, secret) == 2
    finally:
        reopened.close()

    migrated = build_components(settings)
    try:
        assert not migrated.service.journey_id.legacy
        live = migrated.service.get_record("010190-111A")
        assert live.journey_id != old
        assert live.events[0].personal["name"] == NAME  # re-sealed for the new id
        erased = migrated.service.get_record("010190-222B")
        assert erased.events[0].personal["name"] == "erased"
        assert len(migrated.access_log.entries(live.journey_id)) == 1
        assert not migrated.service.recorder.select_events(old)
        dump = _database_bytes(migrated, settings)
        assert str(old).encode() not in dump or migrated.store.backend == "postgres"
    finally:
        migrated.close()


def _read_model_rows(components: Components) -> bytes:
    tables = (
        "polku_ledger",
        "polku_journeys",
        "polku_party_journeys",
        "polku_planner_log",
        "polku_planner_image",
        "polku_planner_conformance",
        "polku_access_log",
    )
    for model in components.read_models.values():
        model.catch_up()
    assert components.planner.save_image() is not None  # the log's image: its facts too
    with components.store.transaction(write=False) as tx:
        rows = [tx.rows(f"SELECT * FROM {{{table}}}") for table in tables]  # noqa: S608
    # The control: the image's texts are there to be found by the scan (not hidden in a
    # compressed or encoded form it would miss).
    assert all(f.event_id.encode() in repr(rows[4]).encode() for f in components.planner.facts())
    return repr(rows).encode()


def test_read_models_keep_nothing_of_an_erased_client(components: Components) -> None:
    """The read models' rows never hold the client ref or their private network in the clear
    (so no copy of an old row in a WAL segment or backup does either): the ledger and the
    caseload open them with the client's key while it exists, and not after the erasure."""
    _canary_journey(components, "010190-999Z")
    before = _read_model_rows(components)
    for secret in ("010190-999Z", *CANARIES, NAME):
        assert secret.encode() not in before, secret
    # The control: through the read models, the ref and the network read as they are.
    entries = components.ledger.entries(client_ref="010190-999Z")
    assert {e.client_ref for e in entries} == {"010190-999Z"}
    assert "p-canary-neighbour" in {e.to_party for e in entries}
    assert "010190-999Z" in components.caseload.client_refs()
    assert [e.client_ref for e in components.caseload.caseload("p-canary-aunt")] == ["010190-999Z"]
    erase_client(components, "010190-999Z", "client_request", ADMIN)
    after = _read_model_rows(components)
    for secret in ("010190-999Z", *CANARIES, NAME):
        assert secret.encode() not in after, secret
    erased = components.ledger.entries(client_ref="010190-999Z")
    assert len(erased) == len(entries)
    assert {e.client_ref for e in erased} == {
        f"erased-{components.service.journey_id('010190-999Z')}"
    }
    assert not {e.to_party for e in erased} & set(CANARIES)
    assert "010190-999Z" not in components.caseload.client_refs()
    assert b"p-pro-1" in after  # the professional stays, as the ledger must show who sent it


def test_no_fold_kept_for_views_outlives_an_erasure(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view of the journey leaves its fold in the process's memory, names and all; erasing
    the client drops it, and the next view shows none of them."""
    monkeypatch.setattr(FOLDS, "_min", 0)  # this journey is short; long ones are kept anyway
    monkeypatch.setattr(FOLDS, "_sightings", 1)  # kept at its first view
    _canary_journey(components, "client-folded")
    journey = components.service.journey_id("client-folded")
    worker = WORKER.actor
    reads = Reads(components)
    seen = reads.journey(Reader(worker, "/v1/journeys/{client_ref}"), "client-folded").view()
    assert FOLDS.holds(journey)
    assert NAME in repr(seen) or any(c in repr(seen) for c in CANARIES)  # the control
    erase_client(components, "client-folded", "client_request", ADMIN)
    assert not FOLDS.holds(journey)
    after = reads.journey(Reader(worker, "/v1/journeys/{client_ref}"), "client-folded").view()
    for secret in (NAME, "Canary"):
        assert secret not in repr(after), secret
    FOLDS.forget()


@pytest.mark.postgres
def test_a_base_backup_taken_before_the_erasure_is_useless_after_rotation(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    """``pg_basebackup`` of the whole server before the erasure: its copy of the wrapped key
    opens with the KEK of the time, and with no KEK the keyring holds after the rotation."""
    built = build_components(postgres_settings)
    try:
        _canary_journey(built, "client-backed-up")
        journey = str(built.service.journey_id("client-backed-up"))
        with built.store.transaction(write=False) as tx:
            ((kek_id,),) = tx.rows(
                "SELECT kek_id FROM {polku_client_keys} WHERE journey_id = %s", (journey,)
            )
        backup = _base_backup(tmp_path / "backup")
        erase_client(built, "client-backed-up", "client_request", ADMIN)
        candidates = _wrapped_candidates(backup, journey)
        assert _unwrappable(candidates, postgres_settings, journey, {str(kek_id)}) == 1
        vault = built.service.vault
        assert isinstance(vault, KeyVault)
        rotation = vault.rotate()
        every_kek = {str(kek_id), rotation.kek_id}
        assert _unwrappable(candidates, postgres_settings, journey, every_kek) == 0
        assert NAME.encode() not in backup
    finally:
        built.close()


def _base_backup(target: Path) -> bytes:
    """A base backup of the whole server (tar format, with the WAL it needs), as bytes; skipped
    where the server refuses replication connections (outside CI; ``.ci/run`` allows them)."""
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607
            "pg_basebackup",
            "--host=/var/run/postgresql",
            "--username=postgres",
            f"--pgdata={target}",
            "--format=tar",
            "--wal-method=fetch",
            "--checkpoint=fast",
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"pg_basebackup failed in CI: {done.stderr.decode(errors='replace')}")
        pytest.skip("the server refuses replication connections (see .ci/run)")
    return b"".join(part.read_bytes() for part in sorted(target.glob("*.tar")))


def test_a_household_keeps_its_members_refs_only_sealed_with_their_own_keys(
    components: Components, settings: Settings
) -> None:
    """A member's ref in the household's stream is sealed with the member's key: readable
    while it exists, gone from every copy with the member's erasure (not the household's)."""
    from domain import household_commands as hcmd

    refs = ["010190-441H", "010190-442H"]
    for ref in refs:
        _canary_journey(components, ref)
    households = components.households
    households.form(hcmd.FormHousehold(occurred_at=day(1), household_ref="hh-canary-home"), WORKER)
    for ref in refs:
        households.execute(
            "hh-canary-home", hcmd.JoinHousehold(occurred_at=day(2), client_ref=ref), WORKER
        )
    household_id = households.household_id("hh-canary-home")
    stored = b"".join(s.state for s in households.recorder.select_events(household_id))
    for ref in refs:
        assert ref.encode() not in stored
    members = {
        getattr(e, "client_ref", None) for e in households.get_household("hh-canary-home").events
    }
    assert set(refs) <= members  # read back while the members' keys exist

    erase_client(components, refs[0], "client_request", ADMIN)
    fresh = build_components(settings)
    try:
        events = fresh.households.get_household("hh-canary-home").events
        after = {getattr(e, "client_ref", None) for e in events}
        erased_name = f"erased-{fresh.service.journey_id(refs[0])}"
        assert erased_name in after
        assert refs[0] not in after
        assert refs[1] in after  # the other member is untouched
    finally:
        fresh.close()


def test_a_team_members_log_pages_show_no_trace_of_an_auditors_read(
    components: Components,
) -> None:
    """The team is never told of an auditor's reads. A professional pages the client's log one
    read at a time, on a journey an auditor read and on one nobody but the team read: the pages
    are the same (no empty page where the auditor's read would be, no extra page), and no
    cursor carries the auditor's moment or opens for the other journey."""
    log = components.access_log
    auditor = Actor("p-audit", "supervision", "auditor")
    worker = WORKER.actor
    for ref in ("client-log-audited", "client-log-plain"):
        _canary_journey(components, ref)
        journey = components.service.journey_id(ref)
        for days in (1, 2, 3):
            log.record([journey], worker, "/v1/journeys/{client_ref}", None, T0 + timedelta(days))
    audited_at = T0 + timedelta(days=2, hours=5)
    audited = components.service.journey_id("client-log-audited")
    log.record([audited], auditor, "/v1/audit/journeys/{client_ref}", None, audited_at)
    reads = Reads(components)
    reader = Reader(worker, "/v1/journeys/{client_ref}/access-log")
    until = T0 + timedelta(days=10)  # the walk's own reads (now) fall after it

    def walk(ref: str) -> tuple[list[list[tuple[object, ...]]], list[str]]:
        pages: list[list[tuple[object, ...]]] = []
        cursors: list[str] = []
        cursor: str | None = None
        while True:
            journey = reads.journey(reader, ref, professionals_only=True)
            page, cursor = journey.reads_page(None, until, cursor=cursor, limit=1)
            pages.append([(r.read_at, r.party_id, r.role, r.endpoint) for r in page])
            if cursor is None:
                return pages, cursors
            cursors.append(cursor)

    pages, cursors = walk("client-log-audited")
    assert pages == walk("client-log-plain")[0]
    assert len(pages) == 3
    assert all(len(p) == 1 for p in pages)
    moment = audited_at.isoformat()[:19].encode()
    for cursor in cursors:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        assert moment not in raw
        with pytest.raises(InvalidQueryError):
            reads.journey(reader, "client-log-plain", professionals_only=True).reads_page(
                None, until, cursor=cursor, limit=1
            )
    seen_by_auditor = reads.journey(Reader(auditor, "/v1/audit"), "client-log-audited")
    assert any(  # the control: the auditor's read is in the log, shown to auditors
        r.role == "auditor"
        for r in seen_by_auditor.reads_page(None, until, cursor=None, limit=9)[0]
    )
