"""The planners' log's image in the database (``readmodels/planner_image.py``), on both backends.

A new process starts from the image and reads only the facts recorded after it; what it then
holds is what reading the whole table gives. An image that is not the current table's (cleared
since, other rules), damaged, or not sealed under this store's key is never used: the process
reads the table instead, and the log is right either way. Each attack is tried for real: the
bytes changed in the database, an image sealed under another key, a part of another image.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from demo.population import generate
from domain.journey import JourneyIds
from pathways.eventlog import EventLog
from pathways.logimage import LogImage, image_parts
from readmodels import planner_image
from readmodels.planner import PlannerLog
from runtime.settings import Settings
from runtime.wiring import Components, build_components, build_service

CLIENTS = 30


@pytest.fixture
def components(settings: Settings) -> Iterator[Components]:
    generate(lambda clock: build_service(settings, clock=clock), CLIENTS, 5)
    built = build_components(settings)
    yield built
    built.close()


def _more(settings: Settings, clients: int = 4, seed: int = 9) -> None:
    generate(lambda clock: build_service(settings, clock=clock), clients, seed)


def _fresh(settings: Settings) -> Components:
    """Another process on the store."""
    return build_components(settings)


def _table_rows_read(components: Components, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many facts each read of the log's table brought (the image is not counted)."""
    read: list[int] = []
    real = components.planner._shared.facts

    def counted(rows: Any) -> Any:
        read.append(len(rows))
        return real(rows)

    monkeypatch.setattr(components.planner._shared, "facts", counted)
    return read


def _image_rows(components: Components) -> list[tuple[Any, ...]]:
    with components.store.transaction(write=False) as tx:
        return tx.rows("SELECT generation, part, data FROM {polku_planner_image} ORDER BY part")


def test_a_new_process_starts_from_the_image_and_reads_only_what_came_after(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PlannerLog, "IMAGE_JOURNEYS", 7)  # several parts
    header = components.planner.save_image()
    assert header is not None
    assert header.journeys == CLIENTS
    assert header.parts == -(-CLIENTS // 7)
    _more(settings)
    other = _fresh(settings)
    try:
        read = _table_rows_read(other, monkeypatch)
        log = other.planner.log()
        from_table = sum(read)
        assert log == EventLog.of(other.planner.facts())
        assert len(log.journeys) == CLIENTS + 4
        # Only the four new clients' facts came from the table, not the thirty before them.
        assert 0 < from_table == len(other.planner.facts(header.position)) < header.facts
        assert other.planner._image_at == header.position
    finally:
        other.close()


def _reads_the_table(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """A new process's log, checked against the table; the warnings it logged."""
    other = _fresh(settings)
    try:
        with capture_logs() as logs:
            log = other.planner.log()
        assert log == EventLog.of(other.planner.facts())
        assert other.planner._image_at == 0  # read from the table's first fact
        return [e for e in logs if e["log_level"] == "warning"]
    finally:
        other.close()


def test_an_image_changed_in_the_database_is_not_loaded(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone who can write the database flips one byte of a part: the part no longer
    matches its seal, so it is not decoded, and the log is read from the table."""
    components.planner.save_image()
    generation, part, data = _image_rows(components)[1]
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    with components.store.transaction() as tx:
        tx.execute(
            "UPDATE {polku_planner_image} SET data = %s WHERE generation = %s AND part = %s",
            (bytes(changed), generation, part),
        )
    warnings = _reads_the_table(settings, monkeypatch)
    assert [w["event"] for w in warnings] == ["planner_image_unusable"]
    assert "seal" in warnings[0]["reason"]


def test_an_image_sealed_under_another_key_is_not_loaded(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image made by a process that does not hold this store's pseudonym secret (here: a
    log keeper keyed otherwise, writing a whole, well-formed image of its own) is refused."""
    forger = PlannerLog(components.store, components.service)
    forger._images._key = JourneyIds(b"another secret entirely, 32 byte").derive(
        "planner log image"
    )
    assert forger.save_image() is not None
    warnings = _reads_the_table(settings, monkeypatch)
    assert [w["event"] for w in warnings] == ["planner_image_unusable"]
    assert "seal" in warnings[0]["reason"]


def test_a_part_of_another_image_is_not_loaded(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts are bound to their image: the first image's part put back under the second's
    generation does not match its seal there."""
    monkeypatch.setattr(PlannerLog, "IMAGE_JOURNEYS", 10)
    components.planner.save_image()
    old = _image_rows(components)
    _more(settings)
    components.planner.save_image()
    new = _image_rows(components)
    assert {row[0] for row in new} != {row[0] for row in old}  # the old one is gone
    with components.store.transaction() as tx:
        tx.execute(
            "UPDATE {polku_planner_image} SET data = %s WHERE generation = %s AND part = 1",
            (old[1][2], new[0][0]),
        )
    warnings = _reads_the_table(settings, monkeypatch)
    assert [w["event"] for w in warnings] == ["planner_image_unusable"]
    assert "seal" in warnings[0]["reason"]


def test_an_image_of_the_table_before_a_rebuild_is_not_used(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild clears the table and its image; an image kept from before it (put back from a
    copy, say) shows the table as it was, and is not used."""
    components.planner.save_image()
    kept = _image_rows(components)
    with components.store.transaction(write=False) as tx:
        current = tx.rows("SELECT position FROM {polku_tracking} WHERE name = 'planner:image'")
    components.planner.rebuild()
    assert _image_rows(components) == []
    with components.store.transaction() as tx:
        for row in kept:
            tx.execute("INSERT INTO {polku_planner_image} VALUES (%s, %s, %s)", row)
        tx.execute(
            "UPDATE {polku_tracking} SET position = %s WHERE name = 'planner:image'",
            (current[0][0],),
        )
    assert _reads_the_table(settings, monkeypatch) == []  # not damaged: just not current


def test_an_image_by_other_rules_is_not_used(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The effective log is worked out by code: an image made by other code (another version
    of the rules) is not used, so a changed rule is never hidden behind an old image."""
    monkeypatch.setattr(planner_image, "RULES", "rules of another version")
    components.planner.save_image()
    monkeypatch.undo()
    assert _reads_the_table(settings, monkeypatch) == []


def test_an_image_written_half_way_changes_nothing(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PlannerLog, "IMAGE_JOURNEYS", 5)
    first = components.planner.save_image()
    assert first is not None
    _more(settings)

    def cut_short(image: LogImage, per_part: int) -> Iterator[bytes]:
        parts = image_parts(image, per_part)
        yield next(parts)
        yield next(parts)
        raise OSError("the process was stopped")

    monkeypatch.setattr("readmodels.planner.image_parts", cut_short)
    with pytest.raises(OSError, match="stopped"):
        components.planner.save_image()
    monkeypatch.undo()
    # The first image is still the current one; the half-written parts are never read.
    other = _fresh(settings)
    try:
        log = other.planner.log()
        assert other.planner._image_at == first.position
        assert log == EventLog.of(other.planner.facts())
    finally:
        other.close()
    # The next image made current removes the parts left behind.
    assert components.planner.save_image() is not None
    assert len({row[0] for row in _image_rows(components)}) == 1


def test_a_server_writes_an_image_in_the_background_once_the_log_has_grown(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PlannerLog, "IMAGE_EVERY", 50)
    planner = components.planner
    planner.images_in_background = True
    planner.log()
    assert planner._saving is not None
    planner._saving.join(timeout=60)
    assert planner._image_at == planner._loaded
    saving = planner._saving
    planner.log()  # nothing new: no new image
    assert planner._saving is saving
    other = _fresh(settings)
    try:
        assert other.planner.log() == planner.log()
        assert other.planner._image_at == planner._image_at
    finally:
        other.close()


def test_an_image_replaced_while_it_is_being_read_is_given_up(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts are read one at a time; another process making a newer image current meanwhile
    removes the rest of the old one. The reader gives it up and reads the table."""
    monkeypatch.setattr(PlannerLog, "IMAGE_JOURNEYS", 5)
    components.planner.save_image()
    other = _fresh(settings)
    try:
        real = other.planner._images.read

        def replaced_meanwhile(cleared: int) -> Any:
            found = real(cleared)
            assert components.planner.save_image() is not None
            return found

        monkeypatch.setattr(other.planner._images, "read", replaced_meanwhile)
        with capture_logs() as logs:
            log = other.planner.log()
        assert log == EventLog.of(other.planner.facts())
        assert other.planner._image_at == 0
        assert [e["reason"] for e in logs if e["log_level"] == "warning"] == [
            "part 1 of the image is gone"
        ]
    finally:
        other.close()


def test_a_background_write_that_failed_is_not_tried_again_at_once(
    components: Components, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that keeps failing (a full disk, say) must not cost every planner read a whole
    image's work: after a failure the reads leave it for a while."""
    monkeypatch.setattr(PlannerLog, "IMAGE_EVERY", 50)
    planner = components.planner
    planner.images_in_background = True
    tried: list[int] = []

    def failing(header: Any, parts: Any) -> Any:
        tried.append(header.position)
        raise OSError("no space left on device")

    monkeypatch.setattr(planner._images, "write", failing)
    monkeypatch.setattr("threading.excepthook", lambda args: None)  # the thread's own report
    planner.log()
    assert planner._saving is not None
    planner._saving.join(timeout=60)
    _more(settings)
    planner.log()  # far past the last image, but the last write failed just now
    assert planner._saving is not None
    planner._saving.join(timeout=60)
    assert len(tried) == 1
    monkeypatch.setattr(planner, "_image_retry_after", 0.0)  # the pause is over
    planner.log()
    assert planner._saving is not None
    planner._saving.join(timeout=60)
    assert len(tried) == 2
