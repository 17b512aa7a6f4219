"""Read models read the journeys a batch touches together — their events in one query, their
keys in one — and get exactly what reading them one by one gives, erased journeys included."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from domain.application import JourneyService
from storage.vault import KeyVault
from tests.support import CTX, StepClock, day, member, register


def _journeys(service: JourneyService, clock: StepClock, count: int) -> list[str]:
    refs = [f"client-{n}" for n in range(count)]
    for n, ref in enumerate(refs):
        clock.set(day(n) + timedelta(hours=1))
        service.register_client(register(ref, name=f"Name {n}"), CTX)
        clock.set(day(n) + timedelta(hours=2))
        service.execute(ref, member(f"p-{n}", day(n) + timedelta(hours=2)), CTX)
    return refs


def test_many_journeys_read_at_once_equal_each_read_alone(
    service: JourneyService, clock: StepClock
) -> None:
    refs = _journeys(service, clock, 7)
    clock.set(day(9))
    service.erase_personal_data(refs[3], "client_request", CTX)
    ids = [service.journey_id(ref) for ref in refs]
    missing = uuid4()  # no journey: left out, as reading it alone would raise
    for identified in (False, True):
        together = service.get_sealed_records_by_ids([*ids, missing], identified=identified)
        assert set(together) == set(ids)
        for journey in ids:
            alone = service.get_sealed_record_by_id(journey, identified=identified)
            assert together[journey] == alone
    opened = service.get_sealed_records_by_ids(ids, identified=True)
    assert opened[ids[0]].client_ref == refs[0]
    assert opened[ids[3]].client_ref != refs[3]  # erased: the ref is gone for good


def test_prefetched_keys_open_what_each_lookup_opens(
    service: JourneyService, clock: StepClock
) -> None:
    refs = _journeys(service, clock, 5)
    clock.set(day(9))
    service.erase_personal_data(refs[1], "client_request", CTX)
    vault = service.vault
    assert isinstance(vault, KeyVault)
    ids = [service.journey_id(ref) for ref in refs]
    alone = {j: vault._key(j, create=False) for j in ids}
    vault._cache.clear()
    vault.prefetch([*ids, uuid4()])
    cached = {j: vault._cache[j][1] for j in ids}
    assert cached == alone
    assert cached[ids[1]] is None
    assert all(cached[j] for j in ids if j != ids[1])
