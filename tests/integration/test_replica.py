"""Reads on a real PostgreSQL streaming replica (``POLKU_REPLICA_URL``).

A module fixture (once per run) makes a streaming replica of the test server with
``pg_basebackup -R`` and starts it on port 5499 as the ``postgres`` OS user
(``tools/replica_server.py``). The tests show: figures and ledger pages from the replica equal
the primary's; a figure, a ledger page or a journey read right after a write reflects the write
(read-your-writes); under a stream of writes every read waits less than the bound and never
reflects less than the primary held when it began; a paused replica
(``pg_wal_replay_pause()``) is left for the primary once the bound passes, and used again once
it has caught up; a stopped replica costs no 5xx and is used again once restarted. Outside CI
the tests skip, with the reason, where the tools or a replication connection are missing; with
``CI=true`` they fail instead (``.ci/run`` allows local replication connections).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import structlog
from fastapi.testclient import TestClient

from api.app import create_app
from domain import commands as cmd
from domain.events import Actor
from readmodels.planner import Reflects
from runtime.analytics import Analytics, Answer
from runtime.reads import Reader, Reads
from runtime.settings import Settings
from runtime.wiring import Components, build_components
from storage.replica import ReplicaReads
from tests.conftest import IN_CI, POSTGRES_URL, postgres_problem
from tests.support import CTX, day, member, register
from tools.replica_server import ReplicaServer, ReplicaUnavailableError, make_replica

pytestmark = pytest.mark.postgres

PORT = 5499
AUDITOR = Actor("p-auditor", "audit-office", "auditor")
TEAM = Actor("p-x", "org-a", "caseworker")
"""On the team of every journey :func:`_one_more` writes."""
SECTORS = ("social_care", "health_care", "education")
BASE = 12
"""Clients written before a test reads (above the figures' smallest cell, so counts show)."""


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI requires the replica tests to run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    """A streaming replica of the test server, made once (only this module uses it) and
    stopped and removed after its last test, whatever happened."""
    problem = postgres_problem()
    if problem is not None:
        _unavailable(problem)
    try:
        server = make_replica(POSTGRES_URL, PORT)
    except ReplicaUnavailableError as error:
        _unavailable(str(error))
    print(f"replica: pg_basebackup took {server.backup_seconds:.1f} s")
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def on_replica(postgres_settings: Settings, replica: ReplicaServer) -> Iterator[Components]:
    """Components on the test's schema, reading the planners' models from the replica."""
    settings = postgres_settings.model_copy(
        update={"replica_url": replica.url, "replica_max_lag_seconds": 1.0}
    )
    components = build_components(settings)
    assert components.replica is not None
    components.replica.retry_after = 0.3
    yield components
    components.close()


def _population(components: Components, clients: int, prefix: str = "client") -> None:
    for n in range(clients):
        ref = f"{prefix}-{n}"
        components.service.register_client(register(ref, day(n % 30)), CTX)
        for step in range(3):
            sector = SECTORS[(n + step) % len(SECTORS)]
            party = f"p-{sector}-{n % 4}"
            components.service.execute(
                ref, member(party, day(n % 30 + step + 1), sector=sector), CTX
            )


def _one_more(components: Components, ref: str) -> None:
    components.service.register_client(register(ref, day(40)), CTX)
    components.service.execute(ref, member("p-x", day(41)), CTX)


def _answer(components: Components, figure: str) -> Answer:
    return Analytics(components).answer(AUDITOR, figure)


def _reflects(answer: Answer) -> Reflects:
    assert answer.reflects is not None
    return answer.reflects


def _replica(components: Components) -> ReplicaReads:
    assert components.replica is not None
    return components.replica


def test_figures_from_the_replica_equal_the_primarys(
    on_replica: Components, postgres_settings: Settings
) -> None:
    _population(on_replica, 40)
    primary = build_components(postgres_settings)
    try:
        for figure in ("variants", "transitions", "coordinator-gaps", "conformance"):
            ours, theirs = _answer(on_replica, figure), _answer(primary, figure)
            assert _reflects(ours).source == "replica", figure
            assert _reflects(theirs).source == "primary", figure
            assert ours.value == theirs.value, figure
            assert _reflects(ours).position == _reflects(theirs).position, figure
        analytics = (Analytics(on_replica), Analytics(primary))
        by_household = [a.answer(AUDITOR, "transitions", unit="household") for a in analytics]
        assert by_household[0].value == by_household[1].value
        assert _reflects(by_household[0]).source == "replica"
    finally:
        primary.close()
    head = on_replica.service.recorder.max_notification_id()
    assert _reflects(_answer(on_replica, "variants")).position == head


def test_a_read_right_after_a_write_reflects_it(on_replica: Components) -> None:
    """Read-your-writes: each read follows its write at once and finds it, on the replica."""
    _population(on_replica, BASE)
    for n in range(10):
        _one_more(on_replica, f"new-{n}")
        head = on_replica.service.recorder.max_notification_id()
        log, reflects = on_replica.planner.read()
        assert reflects == Reflects(head or 0, "replica")
        assert len(log.journeys) == BASE + n + 1
        gaps = _answer(on_replica, "coordinator-gaps").value
        assert getattr(gaps, "clients", None) == BASE + n + 1
    assert _replica(on_replica).stats.primary_behind == 0


def test_under_a_write_stream_reads_wait_less_than_the_bound(on_replica: Components) -> None:
    """Writes keep coming while planners read: every read waits less than the bound, and none
    reflects less than the primary's model held when the read began."""
    _population(on_replica, BASE)
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            on_replica.service.register_client(register(f"stream-{n}", day(50)), CTX)
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(30):
            before = on_replica.planner.position()
            reflects = _reflects(_answer(on_replica, "variants"))
            assert reflects.position >= before
            assert reflects.source == "replica"
    finally:
        stop.set()
        writer.join()
    replica = _replica(on_replica)
    assert replica.stats.replica >= 30
    assert max(replica.stats.waits) < replica.max_lag


def test_a_paused_replica_is_left_for_the_primary_beyond_the_bound(
    on_replica: Components, replica: ReplicaServer
) -> None:
    _population(on_replica, BASE)
    assert _reflects(_answer(on_replica, "variants")).source == "replica"
    reads = _replica(on_replica)
    replica.sql("SELECT pg_wal_replay_pause()")
    try:
        _one_more(on_replica, "while-paused")
        with structlog.testing.capture_logs() as logs:
            began = time.monotonic()
            answer = _answer(on_replica, "coordinator-gaps")
            took = time.monotonic() - began
            assert _reflects(answer).source == "primary"
            assert getattr(answer.value, "clients", None) == BASE + 1  # the write is there
            assert reads.max_lag <= took < reads.max_lag + 2
            began = time.monotonic()  # within retry_after: straight to the primary, no wait
            assert _reflects(_answer(on_replica, "variants")).source == "primary"
            assert time.monotonic() - began < reads.max_lag
            began = time.monotonic()  # a journey read too: the primary, with the write
            read = Reads(on_replica).journey(Reader(TEAM, "test"), "while-paused")
            assert read.journey.version == on_replica.service.get_version("while-paused") == 2
            assert time.monotonic() - began < reads.max_lag
        [line] = [e for e in logs if e["event"] == "replica_reads_on_primary"]
        assert line["reason"] == "behind"
        assert line["behind_bytes"] > 0
        assert "while-paused" not in repr(logs)
    finally:
        replica.sql("SELECT pg_wal_replay_resume()")
    time.sleep(reads.retry_after)
    answer = _answer(on_replica, "coordinator-gaps")
    assert _reflects(answer).source == "replica"
    assert getattr(answer.value, "clients", None) == BASE + 1
    assert reads.stats.primary_behind >= 2  # counted per transaction (an answer has several)


def test_a_stopped_replica_costs_no_5xx(on_replica: Components, replica: ReplicaServer) -> None:
    _population(on_replica, BASE)
    _one_more(on_replica, "client-r")
    token = on_replica.tokens.create(party_id="p-auditor", organisation="audit", role="auditor")
    headers = {"Authorization": f"Bearer {token}"}
    team = on_replica.tokens.create(party_id="p-x", organisation="org-a", role="caseworker")
    as_team = {"Authorization": f"Bearer {team}"}
    settings = on_replica.settings
    with TestClient(create_app(settings, components=on_replica)) as client:
        first = client.get("/v1/analytics/coordinator-gaps", headers=headers)
        assert first.status_code == 200
        assert first.headers["Polku-Read-From"] == "replica"
        assert client.get("/v1/journeys/client-r", headers=as_team).status_code == 200
        replica.stop()
        try:
            _one_more(on_replica, "while-stopped")
            with structlog.testing.capture_logs() as logs:
                answers = [
                    client.get(f"/v1/analytics/{figure}", headers=headers)
                    for figure in ("coordinator-gaps", "variants", "conformance", "dfg")
                ]
            assert [a.status_code for a in answers] == [200] * 4
            assert {a.headers["Polku-Read-From"] for a in answers} == {"primary"}
            assert answers[0].json()["clients"] == BASE + 2
            journey = client.get("/v1/journeys/client-r", headers=as_team)
            assert journey.status_code == 200
            head = on_replica.service.recorder.max_notification_id()
            assert answers[0].headers["Polku-Position"] == str(head)
            [line] = [e for e in logs if e["event"] == "replica_reads_on_primary"]
            assert line["reason"] == "down"
            assert "while-stopped" not in repr(logs)
        finally:
            replica.start()
        replica.wait_until_caught_up()
        time.sleep(_replica(on_replica).retry_after)
        again = client.get("/v1/analytics/coordinator-gaps", headers=headers)
        assert again.status_code == 200
        assert again.headers["Polku-Read-From"] == "replica"
        assert again.json()["clients"] == BASE + 2
        stats = _replica(on_replica).stats
        before = (stats.replica, stats.primary_down)
        assert client.get("/v1/journeys/client-r", headers=as_team).status_code == 200
        assert (stats.replica, stats.primary_down) == (before[0] + 1, before[1])


def test_the_auditors_ledger_reads_the_replica_and_finds_a_disclosure_at_once(
    on_replica: Components, postgres_settings: Settings
) -> None:
    """The ledger page right after a disclosure holds it; the page equals the primary's."""
    _population(on_replica, 2)
    for n in range(5):
        share = cmd.RecordInformationShared(
            occurred_at=day(50 + n),
            disclosure_id=f"d{n}",
            from_org="org-a",
            to_party="p-social_care-0",
            categories=["education"],
            purpose="transition_planning",
            basis="none",
        )
        on_replica.service.execute("client-0", share, CTX)
        before = _replica(on_replica).stats.replica
        page = on_replica.ledger.page()
        assert _replica(on_replica).stats.replica == before + 1
        assert len(page.entries) == n + 1
        assert page.freshness.behind == 0
    primary = build_components(postgres_settings)
    try:
        assert primary.ledger.page() == on_replica.ledger.page()
    finally:
        primary.close()


def test_a_journey_read_right_after_a_command_reflects_it(on_replica: Components) -> None:
    """Read-your-writes for a client's journey: each read follows its command at once, is
    served by the replica and holds the command's event; its access-log row is on the primary."""
    _one_more(on_replica, "client-r")
    reads, replica = Reads(on_replica), _replica(on_replica)
    reader = Reader(TEAM, "test")
    for n in range(8):
        on_replica.service.execute("client-r", member(f"p-more-{n}", day(42 + n)), CTX)
        before = replica.stats.replica
        read = reads.journey(reader, "client-r")
        assert replica.stats.replica == before + 1
        assert read.journey.version == on_replica.service.get_version("client-r")
        assert f"p-more-{n}" in {
            e.party_id for e in read.journey.record().events if hasattr(e, "party_id")
        }
        assert len(on_replica.access_log.entries(read.id)) == n + 1
    assert replica.stats.primary_behind == replica.stats.primary_down == 0


def test_journey_reads_stay_on_the_primary_when_told(
    postgres_settings: Settings, replica: ReplicaServer
) -> None:
    settings = postgres_settings.model_copy(
        update={"replica_url": replica.url, "replica_journey_reads": False}
    )
    components = build_components(settings)
    try:
        assert components.replica_service is None
        _one_more(components, "client-p")
        read = Reads(components).journey(Reader(TEAM, "test"), "client-p")
        assert read.journey.version == 2
        assert _replica(components).stats.replica == 0
        _population(components, BASE)
        assert _reflects(_answer(components, "variants")).source == "replica"
    finally:
        components.close()
