"""The household service: records households in a stream of their own and reads them back.

A second application of the eventsourcing library beside the journey service, on the same
database but in its own event table (``polkuhouseholds_events``) and notification log, so the
journeys' read models and feeds never meet a household event. Personal fields (plan goals, notes)
are sealed like a journey's, with a key of the household's own in the same key vault; the mapper
is the journey service's.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import Environment

from domain import household_commands as hcmd
from domain.application import (
    ActorAsDict,
    Clock,
    CommandContext,
    SealingMapper,
    construct_transcoder,
    system_clock,
)
from domain.commands import Draft
from domain.errors import ConcurrencyError, HouseholdNotFoundError, InvariantViolationError
from domain.events import JourneyEvent
from domain.household import Household, HouseholdIds, HouseholdRecord
from domain.household_events import HouseholdFormed, HouseholdMemberJoined, HouseholdMemberLeft
from domain.journey import JourneyIds
from domain.personal import ERASED, SEALED, PersonalVault
from domain.private_ids import ERASED_PREFIX, hidden_client_ref
from domain.rules import Rule

__all__ = ["HouseholdRecorded", "HouseholdService"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class HouseholdRecorded:
    """The result of a household command: the events it stored and the version after it."""

    household_ref: str
    household_id: UUID
    event_ids: tuple[UUID, ...]
    version: int
    recorded_at: datetime
    replayed: bool = False


_MEMBER = "_member"
"""The sealed ``personal[_MEMBER]``: the member's client ref, sealed with the member's own key."""


class _MemberSealingMapper(SealingMapper):
    """A member of a household is named by their client ref; the stored event holds it only
    sealed with *the member's* key (``erased-<journey id>`` in the plain field), so erasing the
    member makes their ref unreadable in every household they were in, as in their own events
    (``domain/private_ids.py``). While the member's key exists the ref reads back as it is."""

    def __init__(
        self, inner: Mapper[UUID], vault: PersonalVault, journey_ids: Callable[[], JourneyIds]
    ) -> None:
        super().__init__(inner, vault, journey_ids)
        self._member_vault = vault
        self._journey_ids = journey_ids

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        event = domain_event
        if (
            isinstance(event, HouseholdMemberJoined | HouseholdMemberLeft)
            and SEALED not in event.personal
            and not event.client_ref.startswith(ERASED_PREFIX)
            and not self._journey_ids().legacy
        ):
            member = self._journey_ids()(event.client_ref)
            token = self._member_vault.seal(
                member, event.event_id, {"client_ref": event.client_ref}, create=False
            )
            if token is not None:  # (a member journey with no key keeps the ref as it is)
                domain_event = dataclasses.replace(
                    event,
                    client_ref=hidden_client_ref(member),
                    personal={**event.personal, _MEMBER: token},
                )
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        if not isinstance(event, HouseholdMemberJoined | HouseholdMemberLeft):
            return event
        token = event.personal.get(_MEMBER)
        if _MEMBER not in event.personal:
            return event
        personal = {k: v for k, v in event.personal.items() if k != _MEMBER}
        if not isinstance(token, dict):  # the household's own key is gone
            return dataclasses.replace(event, personal=personal)
        member = UUID(event.client_ref.removeprefix(ERASED_PREFIX))
        opened = self._member_vault.open(member, event.event_id, token)
        ref = opened.get("client_ref")
        if isinstance(ref, str) and ref != ERASED:
            return dataclasses.replace(event, client_ref=ref, personal=personal)
        return dataclasses.replace(event, personal=personal)


class HouseholdService(Application[UUID]):
    """Records households and reads them back."""

    name = "PolkuHouseholds"
    MAX_ATTEMPTS = 10

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        ids: HouseholdIds,
        clock: Clock = system_clock,
        vault: PersonalVault | None = None,
        journey_ids: Callable[[], JourneyIds] | None = None,
    ) -> None:
        self._clock = clock
        self.household_id = ids
        self._vault = vault
        self._journey_ids = journey_ids
        # Every command reads its household from the store (households are short streams), so
        # no cache can be stale.
        env = {k: v for k, v in env.items() if not k.startswith("AGGREGATE_CACHE")}
        super().__init__(env=env)

    @property
    def clock(self) -> Clock:
        return self._clock

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = super().construct_mapper()
        if self._vault is None:
            return mapper
        if self._journey_ids is None:
            return SealingMapper(mapper, self._vault)
        return _MemberSealingMapper(mapper, self._vault, self._journey_ids)

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        return Environment(name, dict(env or {}))

    def construct_transcoder(self) -> Transcoder:
        return construct_transcoder(self)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsDict())

    # -- commands ----------------------------------------------------------------------------

    def form(self, command: hcmd.FormHousehold, ctx: CommandContext) -> HouseholdRecorded:
        """Form a household; an identical earlier command (same command id) is answered again."""
        drafts = command.drafts()
        now = self.check_moments(command)
        existing = self._find(command.household_ref)
        if existing is not None:
            return self._replay_or_refuse(existing, ctx, drafts)
        if ctx.expected_version not in (None, 0):
            raise ConcurrencyError(ctx.expected_version, 0)
        household = Household.form(
            drafts[0],
            household=self.household_id(command.household_ref),
            recorded_at=now,
            actor=ctx.actor,
            command_id=ctx.command_id,
        )
        try:
            self.save(household)
        except IntegrityError:
            existing = self._find(command.household_ref)
            assert existing is not None
            return self._replay_or_refuse(existing, ctx, drafts)
        return self._recorded(household, household.events)

    def execute(
        self, household_ref: str, command: hcmd.HouseholdCommand, ctx: CommandContext
    ) -> HouseholdRecorded:
        """Run a household command: decide on the household as stored, save; if another writer
        got there first, decide again on the caught-up household."""
        if isinstance(command, hcmd.FormHousehold):
            if command.household_ref != household_ref:
                raise ValueError("the command's household_ref differs from the household's")
            return self.form(command, ctx)
        drafts = command.drafts()
        for _ in range(self.MAX_ATTEMPTS):
            now = self.check_moments(command)
            household = self._load(household_ref)
            if ctx.command_id is not None:
                prior = household.prior_result(ctx.command_id, drafts)
                if prior is not None:
                    return self._recorded(household, prior, replayed=True)
            if ctx.expected_version is not None and household.version != ctx.expected_version:
                raise ConcurrencyError(ctx.expected_version, household.version)
            new = household.decide(
                drafts,
                recorded_at=max(now, household.modified_on),
                actor=ctx.actor,
                command_id=ctx.command_id,
            )
            try:
                self.save(household)
            except IntegrityError:
                time.sleep(0.002)
                continue
            log.debug(
                "household.recorded",
                household_id=str(household.id),
                kinds=[e.KIND for e in new],
                version=household.version,
            )
            return self._recorded(household, new)
        raise ConcurrencyError(ctx.expected_version, self.get_version(household_ref))

    def check_moments(self, command: hcmd.HouseholdCommand) -> datetime:
        """Check the times a command carries (a zone, not in the future); returns "now"."""
        now = self._clock()
        for draft in command.drafts():
            if draft.occurred_at.tzinfo is None or draft.occurred_at.utcoffset() is None:
                raise InvariantViolationError(
                    Rule.OCCURRED_AT_AWARE, "occurred_at has no time zone"
                )
            if draft.occurred_at > now:
                raise InvariantViolationError(
                    Rule.OCCURRED_AT_NOT_FUTURE,
                    f"occurred_at {draft.occurred_at.isoformat()} is after now",
                )
        return now

    # -- queries -----------------------------------------------------------------------------

    def get_household(self, household_ref: str) -> Household:
        """The household as stored; raises :class:`HouseholdNotFoundError`."""
        return self._load(household_ref)

    def get_record(self, household_ref: str) -> HouseholdRecord:
        return self._load(household_ref).record()

    def get_version(self, household_ref: str) -> int:
        rows = self.recorder.select_events(self.household_id(household_ref), desc=True, limit=1)
        return rows[0].originator_version if rows else 0

    # -- internals ---------------------------------------------------------------------------

    def _find(self, household_ref: str) -> Household | None:
        try:
            found: object = self.repository.get(self.household_id(household_ref))
        except AggregateNotFoundError:
            return None
        return cast(Household, found)

    def _load(self, household_ref: str) -> Household:
        household = self._find(household_ref)
        if household is None:
            raise HouseholdNotFoundError(household_ref)
        return household

    def _replay_or_refuse(
        self, household: Household, ctx: CommandContext, drafts: Sequence[Draft]
    ) -> HouseholdRecorded:
        if ctx.command_id is not None:
            prior = household.prior_result(ctx.command_id, drafts)
            if prior is not None:
                return self._recorded(household, prior, replayed=True)
        first = household.events[0]
        assert isinstance(first, HouseholdFormed)
        raise InvariantViolationError(
            Rule.HOUSEHOLD_FORMED_ONCE,
            "a household with this ref is formed",
            conflicting_event_id=first.event_id,
            conflicting_kind=first.KIND,
            conflicting_occurred_at=first.occurred_at,
        )

    @staticmethod
    def _recorded(
        household: Household, events: Sequence[JourneyEvent], *, replayed: bool = False
    ) -> HouseholdRecorded:
        return HouseholdRecorded(
            household_ref=household.household_ref,
            household_id=household.id,
            event_ids=tuple(e.event_id for e in events),
            version=events[-1].originator_version,
            recorded_at=events[-1].timestamp,
            replayed=replayed,
        )
