"""The planners' event log against pm4py: the exports load in pm4py, and pm4py finds the same
directly-follows graph (frequencies and durations) and the same variants as our engine.

A generated population is written through the service on each backend; the log is read from
the planner read model (so the notification-fed path is what is compared) and also checked
against the journeys' own timelines.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest

from demo.population import generate
from domain.timeline import effective_events, valid_order
from pathways.analytics import Engine
from pathways.eventlog import EventLog
from pathways.exports import write_ocel_json, write_ocel_sqlite, write_xes
from runtime.settings import Settings
from runtime.wiring import Components, build_components, build_service

CLIENTS = 40
# pm4py warns about optional speed-ups and its licence; nothing for us to act on.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def pm4py() -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pm4py announces its licence on import
        import pm4py as module
    loaded: ModuleType = module
    return loaded


@pytest.fixture
def components(settings: Settings) -> Iterator[Components]:
    generate(lambda clock: build_service(settings, clock=clock), CLIENTS, 5)
    built = build_components(settings)
    yield built
    built.close()


def _counts(dfg: dict[tuple[str, str], tuple[int, int, float, float]]) -> dict[Any, int]:
    return {edge: values[0] for edge, values in dfg.items()}


def test_the_read_model_log_is_each_journeys_timeline(components: Components) -> None:
    log = components.planner.log()
    assert len(log.journeys) == CLIENTS
    left_out = 0
    for journey in log.journeys:
        record = components.service.get_record_by_id(UUID(journey[0].fact.journey))
        timeline = valid_order(effective_events(record.events))
        assert [str(e.event_id) for e in timeline] == [x.fact.event_id for x in journey]
        left_out += len(record.events) - len(timeline)
    assert left_out > 0  # the population has retractions; they and their targets are left out


def test_the_log_kept_in_memory_follows_new_events_and_rebuilds(
    components: Components, settings: Settings
) -> None:
    first = components.planner.log()
    generate(lambda clock: build_service(settings, clock=clock), 5, 6)  # 5 more clients
    assert len(components.planner.log().journeys) == CLIENTS + 5
    assert components.planner.log() == EventLog.of(components.planner.facts())
    other = build_components(settings)  # another process rebuilds the table meanwhile
    try:
        other.planner.rebuild()
    finally:
        other.close()
    assert components.planner.log() == EventLog.of(components.planner.facts())
    assert len(first.journeys) == CLIENTS


def test_a_rebuild_elsewhere_that_changed_the_rows_is_noticed(
    components: Components, settings: Settings
) -> None:
    """A process keeps the log it read; another process rebuilds the table with rows that are
    not the same, as many of them (here: every pseudonym changed, as after a change of the
    pseudonym secret). The next read must be the new table's: counting the rows (how a rebuild
    used to be noticed) cannot tell."""
    before = components.planner.log()
    other = build_components(settings)
    try:
        other.planner._pseudonym = lambda kind, ident: f"rebuilt-{kind}-{ident}"
        other.planner.fast = False  # every pseudonym worked out with the one above
        other.planner.rebuild()
    finally:
        other.close()
    after = components.planner.log()
    assert after == EventLog.of(components.planner.facts())
    assert after != before
    refs = {e.fact.ref for j in after.journeys for e in j if e.fact.kind == "ServiceStarted"}
    assert refs
    assert all(ref and ref.startswith("rebuilt-episode-") for ref in refs)


def test_the_log_is_read_in_short_transactions_and_comes_out_whole(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = components.planner.facts()
    assert len(whole) > 100
    monkeypatch.setattr(type(components.planner), "CHUNK", 7)
    transactions = 0
    opened = components.store.transaction

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal transactions
        transactions += 1
        return opened(*args, **kwargs)

    monkeypatch.setattr(components.store, "transaction", counted)
    assert components.planner.facts() == whole
    assert transactions >= len(whole) // 7  # one short transaction per chunk


def _ref(components: Components, journey: tuple[Any, ...]) -> str:
    """The client ref of a logged journey (the test may look; the log itself never shows it)."""
    return components.service.get_record_by_id(UUID(journey[0].fact.journey)).client_ref


def test_pm4py_finds_our_dfg_and_variants_in_the_xes_export(
    components: Components, pm4py: ModuleType, tmp_path: Path
) -> None:
    log = components.planner.log()
    engine = Engine.of(log)
    ours = engine.dfg()
    with (tmp_path / "log.xes").open("w", encoding="utf-8") as out:
        write_xes(log, out)
    frame = pm4py.read_xes(str(tmp_path / "log.xes"))
    dfg, _, _ = pm4py.discover_dfg(frame)
    assert dict(dfg) == _counts(ours)
    assert pm4py.get_variants(frame) == engine.variants()
    performance, _, _ = pm4py.discover_performance_dfg(frame)
    assert performance.keys() == ours.keys()
    for edge, (_, _, mean, median) in ours.items():
        assert performance[edge]["mean"] == pytest.approx(mean, abs=1e-3)
        assert performance[edge]["median"] == pytest.approx(median, abs=1e-3)
    assert len(ours) > 20
    assert max(engine.variants().values()) > 1


def test_pm4py_mines_the_organisation_from_the_xes_export(
    components: Components, pm4py: ModuleType, tmp_path: Path
) -> None:
    with (tmp_path / "log.xes").open("w", encoding="utf-8") as out:
        write_xes(components.planner.log(), out)
    frame = pm4py.read_xes(str(tmp_path / "log.xes"))
    assert set(frame["lifecycle:transition"]) == {"complete"}
    assert frame["org:resource"].notna().all()
    assert frame["org:group"].notna().any()
    handover = pm4py.discover_handover_of_work_network(frame)
    together = pm4py.discover_working_together_network(frame)
    assert handover.connections
    assert together.connections
    refs = {_ref(components, j) for j in components.planner.log().journeys}
    resources = {str(r) for r in frame["org:resource"].dropna()}
    assert not resources & refs


@pytest.mark.parametrize("kind", ["json", "sqlite"])
def test_pm4py_loads_the_ocel_export_with_qualified_links(
    components: Components, pm4py: ModuleType, tmp_path: Path, kind: str
) -> None:
    log = components.planner.log()
    engine = Engine.of(log)
    path = tmp_path / f"log.{kind}"
    if kind == "json":
        with path.open("w", encoding="utf-8") as out:
            write_ocel_json(log, out)
        ocel = pm4py.read_ocel2_json(str(path))
    else:
        write_ocel_sqlite(log, path)
        ocel = pm4py.read_ocel2_sqlite(str(path))
    assert set(ocel.objects["ocel:type"]) == {"client", "party", "organisation", "consent"}
    qualifiers = set(ocel.relations["ocel:qualifier"])
    assert {"client", "member", "coordinator", "provider", "relied on"} <= qualifiers
    assert len(ocel.events) == len(log)
    flat = pm4py.ocel_flattening(ocel, "client").sort_values(
        ["case:concept:name", "time:timestamp"], kind="stable"
    )
    dfg, _, _ = pm4py.discover_dfg(flat)
    assert dict(dfg) == _counts(engine.dfg())
    assert pm4py.get_variants(flat) == engine.variants()


def test_exports_are_pseudonymous(components: Components, tmp_path: Path) -> None:
    log: EventLog = components.planner.log()
    with (tmp_path / "log.xes").open("w", encoding="utf-8") as out:
        write_xes(log, out)
    with (tmp_path / "log.json").open("w", encoding="utf-8") as out:
        write_ocel_json(log, out)
    write_ocel_sqlite(log, tmp_path / "log.sqlite")
    refs = [_ref(components, journey) for journey in log.journeys]
    for name in ("log.xes", "log.json", "log.sqlite"):
        data = (tmp_path / name).read_bytes()
        assert not any(ref.encode() in data for ref in refs), name
        assert not any(j[0].fact.journey.encode() in data for j in log.journeys), name


def test_a_figure_is_worked_out_once_per_log_and_again_when_facts_arrive(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from domain.events import Actor
    from runtime import analytics as runtime_analytics

    worked_out = 0
    original = runtime_analytics.FIGURES["variants"]

    def counted(*args: Any) -> object:
        nonlocal worked_out
        worked_out += 1
        return original(*args)

    monkeypatch.setitem(runtime_analytics.FIGURES, "variants", counted)
    auditor = Actor("p-auditor", "audit-office", "auditor")
    first = runtime_analytics.Analytics(components).answer(auditor, "variants")
    again = runtime_analytics.Analytics(components).answer(auditor, "variants")
    assert worked_out == 1
    assert again.value == first.value
    since = datetime(2000, 1, 1, tzinfo=UTC)
    runtime_analytics.Analytics(components).answer(auditor, "variants", start=since)
    assert worked_out == 2  # another question
    generate(lambda clock: build_service(settings, clock=clock), 3, 8)  # new facts
    runtime_analytics.Analytics(components).answer(auditor, "variants")
    assert worked_out == 3
