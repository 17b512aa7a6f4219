"""Writing to a journey: the one place that decides what a writer is told.

The rule (docs/rules.md, "What a caller who may not read a journey is told"): a caller who may
not read a journey gets the same answer — status, body and headers — whether or not the journey
exists. Every command route goes through :class:`Writes`, so the rule is kept here once:

- A caller with *standing* on the journey (one who may read it, or the registrar of a journey
  whose team is still empty) gets the full answer: versions, conflicts, rule violations.
- Anyone else gets, for an existing journey and a missing one alike:

  - a referral: 202 :class:`Received` with the referral's own id. It is recorded if the journey
    exists and it breaks no rule; otherwise nothing is stored (Polku keeps nothing about people
    who are not its clients) and the referrer is not told which;
  - a registration: 202 :class:`Received` with the client ref. It is recorded if no journey
    exists for the ref; otherwise nothing is stored;
  - any other command: "no such journey" (:class:`~domain.errors.JourneyNotFoundError`).

  Whatever such a caller sends counts against a per-caller limit
  (``POLKU_OUTSIDE_WRITES_PER_HOUR``, then :class:`~domain.errors.RateLimitedError`), counted the
  same whether the journey exists or not. A referral from outside the team must be dated within
  :data:`OUTSIDE_REFERRAL_MAX_AGE` (a check on the body alone), and its ``expected_version`` is
  ignored.

Errors that follow from the request alone (a malformed body, a time in the future, a role that
may never write) are the same for every journey and are answered as they are.

Idempotency keys are the caller's own: the stored command id is derived from the caller's party
and the key (:func:`scoped_command_id`), so another caller's key is an independent request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import structlog

from domain import commands as cmd
from domain.application import CommandContext, Recorded
from domain.errors import (
    InvalidQueryError,
    JourneyNotFoundError,
    NotPermittedError,
    PolkuError,
    RateLimitedError,
)
from domain.events import Actor
from domain.journey import Journey
from domain.policy import (
    CLIENT_COMMANDS,
    CLIENT_ROLES,
    client_actor,
    has_standing,
    may_read,
    role_may_write,
    speaks_for,
)
from runtime.wiring import Components

__all__ = ["OUTSIDE_REFERRAL_MAX_AGE", "Received", "Writes", "scoped_command_id"]

log = structlog.get_logger(__name__)
T = TypeVar("T")

OUTSIDE_REFERRAL_MAX_AGE = timedelta(days=7)
"""How far back a referral from outside the team may be dated."""


@dataclass(frozen=True)
class Received:
    """The answer to a caller who may not read the journey: the same for every journey."""

    status: str = "received"
    referral_id: str | None = None
    client_ref: str | None = None


def scoped_command_id(actor: Actor, key: str | None) -> str | None:
    """The stored command id for ``key`` sent by ``actor``: a hash of (party, key), so the same key
    from two callers names two commands, and the stored id does not show the key."""
    if key is None:
        return None
    digest = hashlib.sha256(f"{actor.party_id}\x00{key}".encode()).hexdigest()
    return f"key:{digest[:40]}"


class Writes:
    def __init__(self, components: Components) -> None:
        self._components = components

    def execute(
        self,
        actor: Actor,
        client_ref: str,
        command: cmd.Command,
        *,
        key: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded | Received:
        """Run ``command`` on the client's journey as ``actor`` (see the module's rule)."""
        service = self._components.service
        if actor.role in CLIENT_ROLES:
            return self._as_client(actor, client_ref, command, key, expected_version)
        if not role_may_write(actor):
            raise NotPermittedError(f"the {actor.role} role may not record events")
        if isinstance(command, cmd.RecordClientWish):
            raise NotPermittedError("only the client or a guardian records the client's wishes")
        service.check_moments(command)
        found = self._look(client_ref, lambda j: (j.id, has_standing(actor, j)))
        command_id = scoped_command_id(actor, key)
        if found is not None and found[1]:
            if isinstance(command, cmd.RetractEvent):
                self._check_not_the_clients(client_ref, command)
            ctx = CommandContext(actor, command_id, expected_version)
            return service.execute(client_ref, command, ctx)
        if not isinstance(command, cmd.MakeReferral):
            self._count(actor)
            raise JourneyNotFoundError(client_ref)
        # From here on the answer must not depend on the journey: the freshness check looks at
        # the body alone (a team member may date a referral further back), and the count is
        # the same for an existing journey and a missing one.
        self._check_fresh(command)
        self._count(actor)
        if found is not None:
            try:
                service.execute(client_ref, command, CommandContext(actor, command_id))
            except PolkuError as error:
                # The referrer may not read the journey: they are not told, and neither is the
                # log told anything personal (the journey id is a hash of the ref).
                log.info(
                    "referral.outside.not_recorded",
                    journey_id=str(found[0]),
                    error=type(error).__name__,
                )
        return Received(referral_id=command.referral_id)

    def register(
        self,
        actor: Actor,
        command: cmd.RegisterClient,
        *,
        key: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded | Received:
        """Register a client. Whoever may read an existing journey for the ref is told it exists
        (409); anyone else gets :class:`Received`, and the journey is created if there was none."""
        service = self._components.service
        if not role_may_write(actor):
            raise NotPermittedError(f"the {actor.role} role may not register clients")
        if expected_version not in (None, 0):
            raise InvalidQueryError("a registration can only expect version 0 (no journey yet)")
        service.check_moments(command)
        command_id = scoped_command_id(actor, key)
        ctx = CommandContext(actor, command_id, expected_version)
        readable = self._look(command.client_ref, lambda j: may_read(actor, j))
        if readable:
            return service.register_client(command, ctx)
        self._count(actor)
        if readable is None:
            try:
                service.register_client(command, ctx)
            except PolkuError as error:
                # Registered by someone else a moment ago: the same answer as if it had been.
                log.info("registration.not_recorded", error=type(error).__name__)
        return Received(client_ref=command.client_ref)

    def _check_not_the_clients(self, client_ref: str, command: cmd.RetractEvent) -> None:
        """A team member may not retract what the client or a guardian recorded (a consent
        withdrawn, a denial, a wish): it is the client's own word (docs/client-page.md)."""

        def recorder_role(journey: Journey) -> str | None:
            target = command.target_event_id
            return next((e.recorded_by.role for e in journey.events if e.event_id == target), None)

        if self._look(client_ref, recorder_role) in CLIENT_ROLES:
            raise NotPermittedError(
                "the client or their guardian recorded this: a team member may not retract it"
            )

    def _as_client(
        self,
        actor: Actor,
        client_ref: str,
        command: cmd.Command,
        key: str | None,
        expected_version: int | None,
    ) -> Recorded:
        """The client or a guardian: only :data:`~domain.policy.CLIENT_COMMANDS`, only on a
        journey they speak for, recorded as ``client`` or ``guardian-<n>``; any other journey,
        existing or not, is "no such journey" (and counts against the outside-writes limit)."""
        if command.EVENT.KIND not in CLIENT_COMMANDS:
            raise NotPermittedError(f"the {actor.role} role may not record this")
        service = self._components.service
        service.check_moments(command)
        recorded = self._look(
            client_ref, lambda j: client_actor(actor, j) if speaks_for(actor, j) else None
        )
        if recorded is None:
            self._count(actor)
            raise JourneyNotFoundError(client_ref)
        ctx = CommandContext(recorded, scoped_command_id(actor, key), expected_version)
        return service.execute(client_ref, command, ctx)

    def _look(self, client_ref: str, look: Callable[[Journey], T]) -> T | None:
        """``look`` at the cached journey (no copy of it is made), or None if there is none."""
        try:
            return self._components.service.peek(client_ref, look)
        except JourneyNotFoundError:
            return None

    def _check_fresh(self, command: cmd.MakeReferral) -> None:
        now = self._components.clock()
        if command.occurred_at < now - OUTSIDE_REFERRAL_MAX_AGE:
            days = OUTSIDE_REFERRAL_MAX_AGE.days
            raise InvalidQueryError(
                f"a referral from outside the client's team must be dated within {days} days"
            )

    def _count(self, actor: Actor) -> None:
        wait = self._components.outside_writes.hit(actor.party_id)
        if wait is not None:
            raise RateLimitedError(max(1, int(wait.total_seconds()) + 1))
