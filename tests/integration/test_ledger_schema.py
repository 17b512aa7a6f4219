"""A store whose ledger was built with the per-disclosure table of schema 1 opens: the old table
is dropped, the ledger rebuilds itself from the log with one entry per recipient and category."""

from __future__ import annotations

from datetime import timedelta

from domain import commands as cmd
from domain.application import CommandContext
from readmodels.ledger import Ledger
from runtime.settings import Settings
from runtime.wiring import build_components, build_service
from storage.sql import SqlStore
from tests.support import CTX, StepClock, day, member, register

_OLD_TABLE = (
    "CREATE TABLE {polku_ledger} (journey_id TEXT NOT NULL, client_ref TEXT NOT NULL,"
    " event_id TEXT NOT NULL, disclosure_id TEXT NOT NULL, kind TEXT NOT NULL,"
    " occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, from_party TEXT, from_org TEXT,"
    " to_party TEXT, to_org TEXT, categories TEXT NOT NULL, purpose TEXT NOT NULL,"
    " basis TEXT NOT NULL, consent_id TEXT, statute TEXT, lawful_then INTEGER NOT NULL,"
    " reasons_then TEXT NOT NULL, lawful_now INTEGER NOT NULL, reasons_now TEXT NOT NULL)"
)


def test_a_schema_1_ledger_is_dropped_and_rebuilt(settings: Settings, clock: StepClock) -> None:
    service = build_service(settings, clock=clock)
    try:
        clock.set(day(0) + timedelta(hours=1))
        service.register_client(register(), CTX)
        clock.set(day(1) + timedelta(hours=1))
        service.execute("client-1", member("p-school", day(1), org="school"), CTX)
        clock.set(day(3))
        service.execute(
            "client-1",
            cmd.RecordInformationShared(
                occurred_at=day(2),
                disclosure_id="d1",
                from_org="daycare",
                to_party="p-school",
                categories=["education", "health"],
                purpose="transition_planning",
                basis="none",
            ),
            CommandContext(actor=CTX.actor),
        )
        # The store as an earlier Polku left it: the old table, one old row, fully caught up.
        store = SqlStore(service)
        last = service.recorder.max_notification_id()
        store.ensure(
            _OLD_TABLE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"),
            "CREATE TABLE IF NOT EXISTS {polku_tracking}"
            " (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
        )
        with store.transaction() as tx:
            tx.execute(
                "INSERT INTO {polku_ledger} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                " %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    *("j", "client-1", "e", "d1", "information_shared", "t", "t", None, None),
                    *("p-school", "school", "education,health", "p", "none", None, None),
                    *(0, "no-basis", 0, "no-basis"),
                ],
            )
            tx.execute("INSERT INTO {polku_tracking} VALUES ('ledger', %s)", (last,))
    finally:
        service.close()

    components = build_components(settings)
    try:
        entries = components.ledger.entries()
        assert [(e.disclosure_id, e.category, e.verdict_now) for e in entries] == [
            ("d1", "education", "unsupported"),
            ("d1", "health", "unsupported"),
        ]
        with components.store.transaction(write=False) as tx:
            schema = tx.rows("SELECT position FROM {polku_tracking} WHERE name = 'ledger:schema'")
        assert schema == [(Ledger.schema,)]
    finally:
        components.close()
    reopened = build_components(settings)  # the upgrade happens once
    try:
        assert reopened.ledger.catch_up() == 0
        assert reopened.ledger.entries() == entries
    finally:
        reopened.close()
