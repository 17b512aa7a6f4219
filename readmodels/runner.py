"""Keeps read models current in the background.

The library's PostgreSQL recorder can be subscribed to (``LISTEN``/``NOTIFY``): a
:class:`ReadModelRunner` thread waits on that subscription and, when something new is
recorded, lets the read models catch up — in batches, each batch and the new tracking position
in one transaction (:class:`readmodels.tracking.TrackedProjection`), so every notification is
applied exactly once whoever runs the catch-up. SQLite's recorder cannot subscribe; there the
runner looks at the log's head every :attr:`ReadModelRunner.poll_seconds` instead.

The runner serves the models in turns, one batch each per round, until all are at the head: a
model with slow batches (the ledger judging long journeys) cannot keep the others waiting
behind it while writes keep coming. Reads also do a bounded slice of catching up themselves, so
a runner that lags or has stopped costs freshness (which every answer reports), never
correctness. If the database goes away the runner logs it and starts again after a pause.
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
        subscribe: bool = True,
        poll_seconds: float = 0.2,
    ) -> None:
        self._service = service
        self._models = models
        self._retry = retry_seconds
        self._subscribes = subscribe
        self.poll_seconds = poll_seconds
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
        """Rounds of one batch per model that is behind, until every model is at the head."""
        behind = list(self._models)
        while behind and not self._stopping.is_set():
            behind = [model for model in behind if self._step(model)]
        self.caught_up.set()
        return min((model.position() for model in self._models), default=0)

    def _step(self, model: TrackedProjection) -> bool:
        """One batch of ``model``'s catching up; whether it is still behind the head."""
        model.catch_up(max_batches=1)
        return model.position() < (self._service.recorder.max_notification_id() or 0)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                reached = self._catch_up()
                if not self._subscribes:
                    self._stopping.wait(self.poll_seconds)
                    continue
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
