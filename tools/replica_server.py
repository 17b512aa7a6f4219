"""A throwaway streaming replica of a local PostgreSQL server, for the replica tests and bench.

:func:`make_replica` takes ``pg_basebackup -R`` of the server (over its Unix socket: the server
must allow ``local replication`` connections, as ``.ci/run`` arranges), writes a small
configuration beside it and starts it on ``port`` as the ``postgres`` OS user (this machine runs
as root). :meth:`ReplicaServer.remove` stops it and deletes its directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

__all__ = ["ReplicaServer", "ReplicaUnavailableError", "make_replica"]


class ReplicaUnavailableError(Exception):
    """This machine cannot make a replica (no root, no tools, no replication connection)."""


@dataclass
class ReplicaServer:
    """A running replica: its URL (the primary's database, on ``port``) and its directory."""

    url: str
    primary_url: str
    root: Path
    pg_ctl: Path
    backup_seconds: float = 0.0

    @property
    def data(self) -> Path:
        return self.root / "data"

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        """``pg_ctl -D <data> args…`` as the postgres OS user."""
        command = ["runuser", "-u", "postgres", "--", str(self.pg_ctl), "-D", str(self.data)]
        return subprocess.run(  # noqa: S603 - fixed arguments
            [*command, *args], capture_output=True, timeout=120, check=False
        )

    def ctl(self, *args: str) -> None:
        done = self.run(*args)
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl {args[-1]}: {done.stderr.decode(errors='replace')}")

    def start(self) -> None:
        self.ctl("-l", str(self.root / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        self.ctl("-m", "fast", "-w", "stop")

    def sql(self, statement: str) -> object:
        """The first column of the first row of ``statement`` on the replica."""
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(statement).fetchone()
        return None if row is None else row[0]

    def lag_bytes(self) -> int:
        """How far the replica's replay is behind the primary's flushed WAL, in bytes."""
        with psycopg.connect(self.primary_url, autocommit=True) as primary:
            row = primary.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()
        assert row is not None
        behind = self.sql(f"SELECT pg_wal_lsn_diff('{row[0]}'::pg_lsn, pg_last_wal_replay_lsn())")
        return max(0, int(str(behind)))

    def wait_until_caught_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.lag_bytes() > 0:
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not catch up")
            time.sleep(0.02)

    def remove(self) -> None:
        """Stop the server (if running) and delete its directory."""
        if (self.data / "postmaster.pid").exists():
            self.run("-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def make_replica(primary_url: str, port: int) -> ReplicaServer:
    """A streaming replica of the server behind ``primary_url``, running on ``port``."""
    if os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("pg_basebackup"):
        raise ReplicaUnavailableError(
            "a replica needs root (to run it as postgres), runuser and pg_basebackup"
        )
    with psycopg.connect(primary_url, autocommit=True, connect_timeout=3) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        sockets = conn.execute("SHOW unix_socket_directories").fetchone()
    if version is None or sockets is None:
        raise ReplicaUnavailableError("the server did not say its version and socket")
    pg_ctl = Path(f"/usr/lib/postgresql/{int(version[0]) // 10000}/bin/pg_ctl")
    if not pg_ctl.exists():
        raise ReplicaUnavailableError(f"no {pg_ctl} for the server's version")
    try:
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres connect_timeout=2"):
            raise ReplicaUnavailableError(f"a server already answers on port {port}")
    except psycopg.OperationalError:
        pass  # the port is free
    url = urlsplit(primary_url)
    root = Path(tempfile.mkdtemp(prefix="polku-replica-"))
    server = ReplicaServer(
        urlunsplit(url._replace(netloc=f"postgres@127.0.0.1:{port}")), primary_url, root, pg_ctl
    )
    try:
        sock = root / "sock"
        sock.mkdir()
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
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
                f"--pgdata={server.data}",
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
            ],
            capture_output=True,
            timeout=900,
            check=False,
        )
        if backup.returncode != 0:
            raise ReplicaUnavailableError(
                "pg_basebackup failed (the server must allow local replication connections,"
                f" see .ci/run): {backup.stderr.decode(errors='replace').strip()}"
            )
        server.backup_seconds = time.monotonic() - began
        data = server.data
        for name, text in (
            (
                "postgresql.conf",
                f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{sock}'\nhot_standby = on\n"
                f"hba_file = '{data / 'pg_hba.conf'}'\nident_file = '{data / 'pg_ident.conf'}'\n"
                "shared_buffers = 32MB\n",
            ),
            ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
            ("pg_ident.conf", ""),
        ):
            (data / name).write_text(text)
            shutil.chown(data / name, "postgres", "postgres")
        server.start()
        server.wait_until_caught_up()
    except BaseException:
        server.remove()
        raise
    return server
