"""Read-model freshness under load: how long after a write is acknowledged the auditors' ledger
shows it, while the server takes 100 writes/s mixed with reads.

The server is ``polku serve`` in its own process (its background runner catching the read
models up), on a fresh store of 50 journeys. Load: four writers pacing disclosures at 100/s in
all, four readers reading journey views. Probes: twice a second one more disclosure is written
and its acknowledgement timed; a prober then asks ``GET /v1/audit/disclosures`` for that
client every 20 ms until the probe's entry is there. The lag is acknowledgement to first sight.
The anchor is the read itself: the same ledger request's own latency in the same run.
Target (issue 20): lag p99 < 1 s at 100 writes/s; no read waits more than 1 s.
Run: ``python -m bench.freshness [--backend sqlite|postgres|both]``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.api_load import JOURNEYS, WORKER, _Connection, _free_port, _seed, _serve
from bench.common import backends, parse_args, store
from runtime.wiring import build_components

WRITES_PER_SECOND = 100
WRITERS = 4
READERS = 4
DURATION = 20.0
PROBE_EVERY = 0.5
POLL_EVERY = 0.02
PROBED = "load-000"
GIVE_UP = 10.0
"""Seconds a probe is waited for before it counts as never seen."""


def _body(disclosure_id: str) -> bytes:
    return json.dumps(
        {
            "occurred_at": datetime.now(UTC).isoformat(),
            "disclosure_id": disclosure_id,
            "from_org": WORKER.organisation,
            "to_org": "org-b",
            "categories": ["social_care"],
            "purpose": "care_coordination",
            "basis": "client_self",
        }
    ).encode()


async def _read_body(conn: _Connection, path: str, token: str) -> tuple[int, bytes]:
    """A GET whose body is kept (the load's connection discards it)."""
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Length: 0"]
    lines.append(f"Authorization: Bearer {token}")
    conn.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = await conn.reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return status, await conn.reader.readexactly(length)


@dataclass
class Outcome:
    lags: list[float]
    ledger_reads: list[float]
    view_reads: list[float]
    errors: int
    rate: int


async def _drive(port: int, token: str, auditor: str) -> Outcome:
    stop_at = time.monotonic() + DURATION
    counter = iter(range(10**9))
    written = 0
    errors = 0
    lags: list[float] = []
    ledger_reads: list[float] = []
    view_reads: list[float] = []

    async def writer(n: int) -> None:
        nonlocal written, errors
        conn = await _Connection.open(port)
        interval = WRITERS / WRITES_PER_SECOND
        next_at = time.monotonic() + n * interval / WRITERS
        try:
            while time.monotonic() < stop_at:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
                ref = f"load-{1 + next(counter) % (JOURNEYS - 1):03d}"
                path = f"/v1/journeys/{ref}/disclosures"
                status = await conn.request("POST", path, token, _body(f"w-{next(counter)}"))
                written += 1
                errors += status >= 400
        finally:
            await conn.close()

    async def reader(n: int) -> None:
        nonlocal errors
        conn = await _Connection.open(port)
        try:
            while time.monotonic() < stop_at:
                ref = f"load-{(n * 7 + len(view_reads)) % JOURNEYS:03d}"
                started = time.perf_counter()
                status = await conn.request("GET", f"/v1/journeys/{ref}", token)
                view_reads.append(time.perf_counter() - started)
                errors += status >= 400
        finally:
            await conn.close()

    async def prober() -> None:
        nonlocal errors
        write = await _Connection.open(port)
        read = await _Connection.open(port)
        try:
            while time.monotonic() < stop_at - 2:
                probe = f"probe-{next(counter)}"
                status = await write.request(
                    "POST", f"/v1/journeys/{PROBED}/disclosures", token, _body(probe)
                )
                errors += status >= 400
                acknowledged = time.perf_counter()
                while time.perf_counter() - acknowledged < GIVE_UP:
                    started = time.perf_counter()
                    status, body = await _read_body(
                        read, f"/v1/audit/disclosures?client={PROBED}&limit=1000", auditor
                    )
                    ledger_reads.append(time.perf_counter() - started)
                    errors += status >= 400
                    if probe.encode() in body:
                        lags.append(time.perf_counter() - acknowledged)
                        break
                    await asyncio.sleep(POLL_EVERY)
                else:
                    lags.append(GIVE_UP)  # never seen: counted as the longest lag there is
                await asyncio.sleep(PROBE_EVERY)
        finally:
            await write.close()
            await read.close()

    started = time.perf_counter()
    await asyncio.gather(
        *(writer(n) for n in range(WRITERS)), *(reader(n) for n in range(READERS)), prober()
    )
    seconds = time.perf_counter() - started
    return Outcome(lags, ledger_reads, view_reads, errors, int(written / seconds))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    args = parse_args(__doc__ or "")
    for backend in backends(args.backend):
        with store(backend) as s:
            token = _seed(s)
            components = build_components(s.settings)
            auditor = components.tokens.create(
                party_id="p-audit", organisation="org-audit", role="auditor"
            )
            components.close()
            port = _free_port()
            server = _serve(s, port)
            try:
                out = asyncio.run(_drive(port, token, auditor))
            finally:
                server.terminate()
                server.wait(timeout=30)
            lags, reads, views = out.lags, out.ledger_reads, out.view_reads
            print(
                f"{backend:9} freshness of the ledger at {out.rate} writes/s"
                f" ({WRITERS} writers, {READERS} readers, {DURATION:.0f} s, {len(lags)} probes):"
                f" lag p50 {statistics.median(lags) * 1000:.0f} ms, p99 {_p(lags, 0.99):.0f} ms,"
                f" max {max(lags) * 1000:.0f} ms  (target p99 < 1000 ms)"
            )
            print(
                f"{'':9} anchor, the ledger read itself: p50 {_p(reads, 0.5):.0f} ms,"
                f" p99 {_p(reads, 0.99):.0f} ms, max {max(reads) * 1000:.0f} ms;"
                f" journey views p99 {_p(views, 0.99):.0f} ms, max {max(views) * 1000:.0f} ms;"
                f" errors {out.errors}  (target: no read over 1000 ms)"
            )


if __name__ == "__main__":
    main()
