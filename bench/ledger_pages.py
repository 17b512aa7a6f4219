"""The auditor's ledger a page at a time, at scale: how long the first page and the next take.

``python -m bench.ledger_pages [--clients 100000]`` fills the ledger table of a fresh SQLite
store *directly* with eight entries per client (the ledger's own row format; the notification
log stays empty, so catching up costs nothing) and times ``AuditReports.ledger`` — the use case
``GET /v1/audit/disclosures`` calls, access-log rows for the clients on the page included — for
the first page and the next, unfiltered, by verdict and for one client. It measures the paged
query, not the building of the ledger (``bench.rebuild`` does that).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from domain.events import Actor
from readmodels.ledger import _INSERT, LedgerEntry, _fixed, _row
from runtime.audit import AuditReports
from runtime.reads import Reader
from runtime.settings import Settings
from runtime.wiring import build_components

PER_CLIENT = 8


def _entries(clients: int) -> list[tuple[object, ...]]:
    start = datetime(2021, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(clients):
        journey = str(uuid.uuid4())
        for j in range(PER_CLIENT):
            at = start + timedelta(minutes=i * PER_CLIENT + j)
            event = uuid.uuid4()
            entry = LedgerEntry(
                key=f"{_fixed(at)}|{_fixed(at)}|{event}|0000|education",
                client_ref=f"bench-{i:06d}",
                event_id=event,
                disclosure_id=f"d{j}",
                kind="information_shared",
                occurred_at=at,
                recorded_at=at,
                from_party=None,
                from_org="daycare",
                to_party="p-teacher",
                to_org="school",
                category="education",
                purpose="transition_planning",
                basis="consent",
                consent_id="k",
                statute=None,
                verdict_then="lawful" if j % 5 else "unsupported",
                reasons_then=(),
                explanations_then=(),
                verdict_now="lawful" if j % 7 else "unlawful",
                reasons_now=(),
                explanations_now=(),
            )
            rows.append(_row(journey, entry, None))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        components = build_components(Settings(database_url=f"sqlite:///{folder}/bench.db"))
        try:
            rows = _entries(args.clients)
            with components.store.transaction() as tx:
                tx.executemany(_INSERT, rows)
            print(f"{args.clients} clients, {len(rows)} ledger entries (SQLite)")
            reports = AuditReports(components)
            reader = Reader(Actor("p-audit", "audit", "auditor"), "bench", None)
            asks: list[tuple[str, str | None, str | None]] = [
                ("all", None, None),
                ("findings", "findings", None),
                ("unlawful now", "unlawful", None),
                ("one client", None, f"bench-{args.clients // 2:06d}"),
            ]
            for label, verdict, client in asks:
                started = time.perf_counter()
                first = reports.ledger(reader, None, None, verdict=verdict, client_ref=client)
                took = time.perf_counter() - started
                line = f"  {label}: first page ({len(first.entries)}) {took * 1000:.0f} ms"
                if first.next_cursor is not None:
                    started = time.perf_counter()
                    reports.ledger(
                        reader,
                        None,
                        None,
                        verdict=verdict,
                        client_ref=client,
                        cursor=first.next_cursor,
                    )
                    line += f", next page {(time.perf_counter() - started) * 1000:.0f} ms"
                print(line)
        finally:
            components.close()


if __name__ == "__main__":
    main()
