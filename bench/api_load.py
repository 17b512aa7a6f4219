"""Mixed load against the running server: 80% reads, 20% writes, over 50 journeys.

The server is ``polku serve`` in its own process (one uvicorn worker), on a fresh store; the
driver is a small asyncio + httpx client on the same 2-core machine. Reads are journey views
(each also writes its access-log row); writes are disclosures recorded on the journeys. The
anchor is the same driver against ``/healthz`` (no auth, no store), measured in the same run.
Target: at least 200 requests/s with p99 under 100 ms and no errors.

With ``--stored N`` the same load runs on the kept store of ``bench/analytics_memory.py`` with
``N`` generated clients (made first if missing; ``--stored 100000`` is the scale target's 100,000
journeys): every read model is caught up before the load (as ``polku serve`` does at start), and
the 50 load journeys are added to it once (they stay, as does what the load writes).
Run: ``python -m bench.api_load [--backend sqlite|postgres|both] [--stored 100000]``.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.common import Store, backends, parse_args, store
from domain import commands as cmd
from domain.application import CommandContext
from domain.events import Actor
from runtime.wiring import build_components
from tests.support import start_polku_serve

JOURNEYS = 50
CONCURRENCY = 8
DURATION = 15.0
WORKER = Actor("p-load", "org-load", "caseworker")


@dataclass
class Outcome:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _seed(s: Store) -> str:
    components = build_components(s.settings)
    ctx = CommandContext(actor=WORKER)
    start = datetime.now(UTC) - timedelta(days=30)
    for n in range(JOURNEYS):
        ref = f"load-{n:03d}"
        if components.service.get_version(ref):
            continue  # a kept store holds them from an earlier run
        components.service.register_client(
            cmd.RegisterClient(occurred_at=start, client_ref=ref, preferred_language="fi"), ctx
        )
        components.service.execute(
            ref,
            cmd.AddTeamMember(
                occurred_at=start,
                party_id=WORKER.party_id,
                member_type="professional",
                role="social_worker",
                organisation=WORKER.organisation,
                sector="social_care",
            ),
            ctx,
        )
    token = components.tokens.create(
        party_id=WORKER.party_id, organisation=WORKER.organisation, role="caseworker"
    )
    components.close()
    return token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(s: Store, port: int) -> subprocess.Popen[bytes]:
    return start_polku_serve(s.settings, port, log_level="info", timeout=30)


class _Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: far lighter than a full
    client library, so the driver leaves the CPU to the server it measures."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def request(self, method: str, path: str, token: str | None, body: bytes = b"") -> int:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        if body:
            lines.append("Content-Type: application/json")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def _drive(port: int, token: str, mixed: bool) -> Outcome:
    rng = random.Random(11)
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**9))
    run = uuid.uuid4().hex[:8]  # a kept store holds earlier runs' disclosures
    stop_at = time.monotonic() + DURATION

    async def worker() -> None:
        nonlocal errors
        conn = await _Connection.open(port)
        try:
            while time.monotonic() < stop_at:
                ref = f"load-{rng.randrange(JOURNEYS):03d}"
                started = time.perf_counter()
                if not mixed:
                    status = await conn.request("GET", "/healthz", None)
                elif rng.random() < 0.8:
                    status = await conn.request("GET", f"/v1/journeys/{ref}", token)
                else:
                    body = {
                        "occurred_at": datetime.now(UTC).isoformat(),
                        "disclosure_id": f"d-{run}-{next(counter)}",
                        "from_org": "org-load",
                        "to_org": "org-b",
                        "categories": ["social_care"],
                        "purpose": "care_coordination",
                        "basis": "client_self",
                    }
                    path = f"/v1/journeys/{ref}/disclosures"
                    status = await conn.request("POST", path, token, json.dumps(body).encode())
                latencies.append((time.perf_counter() - started) * 1000)
                errors += status >= 400
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return Outcome(len(latencies), errors, time.perf_counter() - started, latencies)


@contextmanager
def _kept(backend: str, clients: int) -> Iterator[Store]:
    """The kept store of ``bench/analytics_memory.py`` for ``clients``, made if missing, with
    every read model caught up."""
    from bench.analytics_memory import _kept_store, _prepare, _settings

    config = _kept_store(backend, clients)
    _prepare(config, clients)
    settings = _settings(config)
    components = build_components(settings)
    started = time.perf_counter()
    try:
        for model in components.read_models.values():
            model.catch_up()
    finally:
        components.close()
    print(f"  every read model caught up in {time.perf_counter() - started:.0f} s")
    yield Store(backend, settings, None, settings.database_schema)


def main() -> None:
    args = parse_args(__doc__ or "", [("--stored", int, 0)])
    for backend in backends(args.backend):
        kept = _kept(backend, args.stored) if args.stored else store(backend)
        with kept as s:
            token = _seed(s)
            port = _free_port()
            server = _serve(s, port)
            try:
                anchor = asyncio.run(_drive(port, token, mixed=False))
                ours = asyncio.run(_drive(port, token, mixed=True))
            finally:
                server.terminate()
                server.wait(timeout=30)
            stored = f", {args.stored:,} clients stored" if args.stored else ""
            print(
                f"{backend:9} mixed 80/20 load{stored}, {CONCURRENCY} clients, {DURATION:.0f} s:"
                f" {ours.rate:,.0f} req/s, p50 {statistics.median(ours.latencies_ms):.1f} ms,"
                f" p99 {ours.percentile(0.99):.1f} ms, errors {ours.errors}"
                f"  (target >= 200 req/s, p99 < 100 ms, no errors)"
            )
            ratio = ours.rate / anchor.rate
            print(
                f"{'':9} anchor /healthz, same driver: {anchor.rate:,.0f} req/s,"
                f" p99 {anchor.percentile(0.99):.1f} ms; ours is {ratio:.2f} of it"
            )


if __name__ == "__main__":
    main()
