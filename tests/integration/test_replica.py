"""Planner reads on a real PostgreSQL streaming replica (``POLKU_REPLICA_URL``).

A session fixture makes a streaming replica of the test server with ``pg_basebackup -R`` and
starts it on port 5499 as the ``postgres`` OS user. It shows: figures from the replica equal the
primary's; a read right after a write reflects the write (read-your-writes); under a stream of
writes every read waits less than the bound and never reflects less than the primary held when
it began; a paused replica (``pg_wal_replay_pause()``) is left for the primary once the bound
passes, and used again once it has caught up; a stopped replica costs no 5xx. Outside CI the
tests skip, with the reason, where the tools or a replication connection are missing; with
``CI=true`` they fail instead (``.ci/run`` allows local replication connections).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import structlog
from fastapi.testclient import TestClient

from api.app import create_app
from domain.events import Actor
from readmodels.planner import Reflects
from runtime.analytics import Analytics, Answer
from runtime.settings import Settings
from runtime.wiring import Components, build_components
from storage.replica import ReplicaReads
from tests.conftest import IN_CI, POSTGRES_URL, postgres_problem
from tests.support import CTX, day, member, register

pytestmark = pytest.mark.postgres

PORT = 5499
AUDITOR = Actor("p-auditor", "audit-office", "auditor")
SECTORS = ("social_care", "health_care", "education")
BASE = 12
"""Clients written before a test reads (above the figures' smallest cell, so counts show)."""


@dataclass
class Replica:
    """The running replica: its URL (the test database on port 5499) and how to drive it."""

    url: str
    data: Path
    pg_ctl: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        """``pg_ctl -D <data> args…`` as the postgres OS user."""
        command = ["runuser", "-u", "postgres", "--", str(self.pg_ctl), "-D", str(self.data)]
        return subprocess.run(  # noqa: S603 - fixed arguments
            [*command, *args], capture_output=True, timeout=120, check=False
        )

    def ctl(self, *args: str) -> None:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr.decode(errors="replace")

    def start(self) -> None:
        self.ctl("-l", str(self.data.parent / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        self.ctl("-m", "fast", "-w", "stop")

    def sql(self, statement: str) -> object:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(statement).fetchone()
        return None if row is None else row[0]

    def wait_until_caught_up(self, timeout: float = 30) -> None:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as primary:
            row = primary.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()
        assert row is not None
        deadline = time.monotonic() + timeout
        while self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{row[0]}'::pg_lsn") is not True:
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI requires the replica tests to run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def replica() -> Iterator[Replica]:
    """A streaming replica of the test server, once per session; stopped and removed after."""
    problem = postgres_problem()
    if problem is not None:
        _unavailable(problem)
    if os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("pg_basebackup"):
        _unavailable("a replica needs root (to run it as postgres), runuser and pg_basebackup")
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        sockets = conn.execute("SHOW unix_socket_directories").fetchone()
    assert version is not None
    assert sockets is not None
    pg_ctl = Path(f"/usr/lib/postgresql/{int(version[0]) // 10000}/bin/pg_ctl")
    if not pg_ctl.exists():
        _unavailable(f"no {pg_ctl} for the server's version")
    root = Path(tempfile.mkdtemp(prefix="polku-replica-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    shutil.chown(root, "postgres", "postgres")
    shutil.chown(sock, "postgres", "postgres")
    url = urlsplit(POSTGRES_URL)
    replica_url = urlunsplit(url._replace(netloc=f"postgres@127.0.0.1:{PORT}"))
    made = Replica(replica_url, data, pg_ctl)
    started = False
    try:
        began = time.monotonic()
        backup = subprocess.run(  # noqa: S603 - fixed arguments
            [  # noqa: S607
                "runuser",
                "-u",
                "postgres",
                "--",
                "pg_basebackup",
                f"--host={str(sockets[0]).split(',')[0].strip()}",
                f"--port={url.port or 5432}",
                "--username=postgres",
                f"--pgdata={data}",
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
            ],
            capture_output=True,
            timeout=600,
            check=False,
        )
        if backup.returncode != 0:
            _unavailable(
                "pg_basebackup failed (the server must allow local replication connections,"
                f" see .ci/run): {backup.stderr.decode(errors='replace').strip()}"
            )
        print(f"replica: pg_basebackup took {time.monotonic() - began:.1f} s")
        for name, text in (
            (
                "postgresql.conf",
                f"port = {PORT}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{sock}'\nhot_standby = on\n"
                f"hba_file = '{data / 'pg_hba.conf'}'\nident_file = '{data / 'pg_ident.conf'}'\n"
                "shared_buffers = 32MB\n",
            ),
            ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
            ("pg_ident.conf", ""),
        ):
            (data / name).write_text(text)
            shutil.chown(data / name, "postgres", "postgres")
        made.start()
        started = True
        made.wait_until_caught_up()
        yield made
    finally:
        if started:
            made.run("-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def on_replica(postgres_settings: Settings, replica: Replica) -> Iterator[Components]:
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
    on_replica: Components, replica: Replica
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


def test_a_stopped_replica_costs_no_5xx(on_replica: Components, replica: Replica) -> None:
    _population(on_replica, BASE)
    token = on_replica.tokens.create(party_id="p-auditor", organisation="audit", role="auditor")
    headers = {"Authorization": f"Bearer {token}"}
    settings = on_replica.settings
    with TestClient(create_app(settings, components=on_replica)) as client:
        first = client.get("/v1/analytics/coordinator-gaps", headers=headers)
        assert first.status_code == 200
        assert first.headers["Polku-Read-From"] == "replica"
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
            assert answers[0].json()["clients"] == BASE + 1
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
        assert again.json()["clients"] == BASE + 1
