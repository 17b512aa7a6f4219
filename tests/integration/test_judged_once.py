"""Catching up many batches, the ledger judges each journey once — in the batch holding its
last notification of the stretch — and ends exactly where judging it in every batch ends, also
when the catch-up stops part-way and starts again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from eventsourcing.persistence import Notification

from domain import commands as cmd
from domain.application import JourneyService
from readmodels.ledger import Ledger
from storage.sql import SqlStore, Tx
from tests.support import CTX, StepClock, day, member, register

CLIENTS = 4


def _interleaved(service: JourneyService, clock: StepClock) -> None:
    """Four journeys whose events alternate in the log, each with disclosures."""
    for n in range(CLIENTS):
        clock.set(day(0) + timedelta(hours=n + 1))
        service.register_client(register(f"client-{n}"), CTX)
    for step in range(1, 4):
        for n in range(CLIENTS):
            ref = f"client-{n}"
            clock.set(day(step) + timedelta(hours=n + 1))
            if step == 1:
                service.execute(ref, member(f"p-{n}", day(step), org="school"), CTX)
                continue
            service.execute(
                ref,
                cmd.RecordInformationShared(
                    occurred_at=day(step),
                    disclosure_id=f"d{step}",
                    from_org="daycare",
                    to_party=f"p-{n}",
                    categories=["education"],
                    purpose="integration_measures",
                    basis="statutory",
                    statute="FI:integration-act:information-right",
                ),
                CTX,
            )


class _Counting(Ledger):
    """The ledger, counting which journeys each batch judged."""

    judged: list[UUID]

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> None:
        self.judged += self.due(notifications)
        super().apply(tx, notifications)


class _EveryBatch(_Counting):
    whole_journeys = False


def _ledger(kind: type[_Counting], service: JourneyService) -> _Counting:
    """A ledger on the store's one ledger table (the variants are built one after another)."""
    ledger = kind(SqlStore(service), service, batch=3)
    ledger.judged = []
    return ledger


def test_each_journey_is_judged_once_and_the_ledger_is_the_same(
    service: JourneyService, clock: StepClock
) -> None:
    _interleaved(service, clock)
    every = _ledger(_EveryBatch, service)
    every.rebuild()
    expected = every.entries()
    assert len(expected) == CLIENTS * 2
    assert len(every.judged) > CLIENTS * 2  # a journey judged in many batches

    once = _ledger(_Counting, service)
    once.rebuild()
    assert once.entries() == expected
    assert sorted(once.judged) == sorted(service.journey_id(f"client-{n}") for n in range(CLIENTS))

    # Stopped part-way and started again: still each once, and the same ledger.
    again = _ledger(_Counting, service)
    with again.store.transaction() as tx:
        again.clear(tx)
        tx.execute("UPDATE {polku_tracking} SET position = 0 WHERE name = %s", ("ledger",))
    again.catch_up(max_batches=2)
    again.catch_up()
    assert again.entries() == expected
    assert len(again.judged) == CLIENTS
