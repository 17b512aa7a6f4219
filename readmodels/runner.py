"""Keeps read models current in the background on PostgreSQL.

The library's PostgreSQL recorder can be subscribed to (``LISTEN``/``NOTIFY``): a
:class:`ReadModelRunner` thread waits on that subscription and, when something new is
recorded, lets each read model catch up — in batches, each batch and the new tracking position
in one transaction (:class:`readmodels.tracking.TrackedProjection`), so every notification is
applied exactly once whoever runs the catch-up. Reads still catch up themselves first, so a runner
that lags or has stopped costs latency, never correctness. If the database goes away the runner logs
it and subscribes again after a pause. SQLite's recorder cannot subscribe; there reads catch up.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import structlog

from domain.application import JourneyService
from readmodels.tracking import TrackedProjection
from storage.sql import sqlstate

__all__ = ["ReadModelRunner"]

log = structlog.get_logger("polku.projections")


class ReadModelRunner:
    def __init__(
        self,
        service: JourneyService,
        models: Sequence[TrackedProjection],
        *,
        retry_seconds: float = 2.0,
    ) -> None:
        self._service = service
        self._models = models
        self._retry = retry_seconds
        self._stopping = threading.Event()
        self._subscription: object | None = None
        self._thread = threading.Thread(target=self._run, name="polku-projections", daemon=True)
        self.caught_up = threading.Event()
        """Set after each round of catching up (for tests and readiness)."""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        subscription = self._subscription
        if subscription is not None:
            subscription.stop()  # type: ignore[attr-defined]
        self._thread.join(timeout=10)

    def _catch_up(self) -> int:
        reached = 0
        for model in self._models:
            model.catch_up()
            reached = max(reached, model.position())
        self.caught_up.set()
        return reached

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                reached = self._catch_up()
                with self._service.recorder.subscribe(gt=reached) as subscription:
                    self._subscription = subscription
                    if self._stopping.is_set():
                        return
                    for notification in subscription:
                        if self._stopping.is_set():
                            return
                        if notification.id > reached:
                            reached = self._catch_up()
            except Exception as error:  # the database went away, say; try again shortly
                log.warning(
                    "projections.runner_error",
                    error=type(error).__name__,
                    sqlstate=sqlstate(error),
                    detail=type(error.__cause__).__name__ if error.__cause__ else None,
                )
                self._stopping.wait(self._retry)
            finally:
                self._subscription = None
