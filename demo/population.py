"""A synthetic population of journeys, written through the real application service.

Each client follows one of five archetypes (a child moving from day care to school, a newly
arrived person in integration services, a working-age client with reduced working ability, an
older person at home, a young person through youth work) with randomised timing, and with the
untidiness of real records: clients sent back and forth between sectors (ping-pong), weeks
without a coordinator, entries recorded late, disclosures retracted and corrected, transitions
where no information followed the child. No personal data is generated.

The same seed gives the same population: the same facts, at the same valid and record times
(event ids are random, as always).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain import commands as cmd
from domain import household_commands as hcmd
from domain.application import CommandContext, JourneyService
from domain.events import Actor
from domain.household_application import HouseholdService

__all__ = [
    "ARCHETYPES",
    "Generated",
    "Planned",
    "generate",
    "generate_households",
    "plan_client",
    "plan_households",
]

ARCHETYPES = ("child", "integration", "employment", "elder", "youth")
ACTOR = Actor("p-generator", "polku-synthetic", "caseworker")


@dataclass(frozen=True)
class Planned:
    """One command of a client's story, with when the record learns it."""

    command: cmd.Command
    recorded_at: datetime
    retracts: int | None = None
    """Index of the earlier planned command whose event this retracts (with a replacement)."""


@dataclass
class Generated:
    clients: int = 0
    events: int = 0
    features: dict[str, int] = field(default_factory=dict)


class _Story:
    """Builds one client's commands in valid-time order."""

    def __init__(self, rng: random.Random, ref: str, start: datetime) -> None:
        self.rng = rng
        self.ref = ref
        self.t = start
        self.planned: list[Planned] = []
        self.features: set[str] = set()
        self.n = 0
        self.last_recorded = start

    def later(self, days_min: float, days_max: float) -> datetime:
        self.t += timedelta(days=self.rng.uniform(days_min, days_max))
        return self.t

    def add(self, command: cmd.Command, *, late_days: float = 0.0) -> int:
        """Plan ``command``: entered within hours, in story order — or ``late_days`` late."""
        delay = timedelta(hours=self.rng.uniform(0.5, 8))
        if late_days:
            self.features.add("late-entry")
            recorded_at = command.occurred_at + delay + timedelta(days=late_days)
        else:
            recorded_at = max(self.last_recorded, command.occurred_at + delay)
            self.last_recorded = recorded_at
        self.planned.append(Planned(command, recorded_at))
        return len(self.planned) - 1

    def ident(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    def member(
        self, party: str, role: str, org: str, sector: str, member_type: str = "professional"
    ) -> None:
        self.add(
            cmd.AddTeamMember(
                occurred_at=self.later(0, 3),
                party_id=party,
                member_type=member_type,
                role=role,
                organisation=org,
                sector=sector,
            )
        )

    def service(
        self,
        service: str,
        sector: str,
        org: str,
        days: tuple[float, float],
        during: Callable[[], None] | None = None,
    ) -> None:
        """An episode from start to end, with what ``during`` plans happening in between."""
        episode = self.ident("ep")
        self.add(
            cmd.StartService(
                occurred_at=self.later(1, 10),
                episode_id=episode,
                service=service,
                sector=sector,
                provider_org=org,
            )
        )
        if during is not None:
            during()
        self.add(
            cmd.EndService(occurred_at=self.later(*days), episode_id=episode),
            late_days=self.rng.choice([0, 0, 0, 0, 9]),
        )

    def referral(self, to_org: str, sector: str, service: str) -> None:
        referral = self.ident("ref")
        self.add(
            cmd.MakeReferral(
                occurred_at=self.later(1, 5),
                referral_id=referral,
                from_org="region",
                to_org=to_org,
                to_sector=sector,
                service=service,
            )
        )
        self.add(cmd.AcceptReferral(occurred_at=self.later(3, 40), referral_id=referral))

    def share(self, to_org: str, categories: list[str], purpose: str, consent: str | None) -> None:
        disclosure = cmd.RecordInformationShared(
            occurred_at=self.later(0, 5),
            disclosure_id=self.ident("d"),
            from_org="region",
            to_org=to_org,
            categories=categories,
            purpose=purpose,
            basis="consent" if consent else "none",
            consent_id=consent,
        )
        index = self.add(disclosure)
        if self.rng.random() < 0.15:  # entered with the wrong purpose; corrected a week later
            fixed = disclosure.model_copy(
                update={"disclosure_id": disclosure.disclosure_id + "-fixed"}
            )
            retraction = cmd.RetractEvent(
                occurred_at=disclosure.occurred_at + timedelta(days=7),
                target_event_id="00000000-0000-0000-0000-000000000000",
                reason="entered_in_error",
                replacement=fixed,
            )
            self.planned.append(
                Planned(retraction, retraction.occurred_at + timedelta(hours=1), index)
            )
            self.features.add("retraction")

    def meeting(
        self,
        participants: list[str],
        categories: list[str],
        purpose: str,
        consent: str | None,
        *,
        client_present: bool,
        days: tuple[float, float],
    ) -> None:
        self.add(
            cmd.RecordMeeting(
                occurred_at=self.later(*days),
                meeting_id=self.ident("m"),
                participants=participants,
                client_present=client_present,
                categories=categories,
                purpose=purpose,
                basis="consent" if consent else "none",
                consent_id=consent,
            )
        )

    def plan(self, responsible: str, days: tuple[float, float]) -> None:
        goals = ["agreed goals (synthetic)"]
        self.add(
            cmd.AgreePlan(
                occurred_at=self.later(*days), goals=goals, responsible_parties=[responsible]
            )
        )

    def coordinate(self, party: str) -> None:
        self.add(cmd.AssignCoordinator(occurred_at=self.later(0, 7), party_id=party))

    def coordinator_gap(self, old: str, new: str) -> None:
        self.add(cmd.ReleaseCoordinator(occurred_at=self.later(20, 60), party_id=old))
        self.add(cmd.AssignCoordinator(occurred_at=self.later(7, 45), party_id=new))
        self.features.add("coordinator-gap")


def plan_client(seed: int, index: int, start: datetime) -> tuple[str, list[Planned], set[str]]:
    """The planned commands of client ``index`` (deterministic in ``seed`` and ``index``)."""
    rng = random.Random(f"{seed}:{index}")  # noqa: S311 - reproducible, not secret
    ref = f"gen-{seed}-{index:06d}"
    story = _Story(rng, ref, start + timedelta(days=rng.uniform(0, 700)))
    archetype = ARCHETYPES[index % len(ARCHETYPES)]
    story.add(
        cmd.RegisterClient(
            occurred_at=story.t,
            client_ref=ref,
            preferred_language=rng.choice(["fi", "sv", "ar", "so", "uk", "en"]),
            interpreter_needed=archetype in {"integration", "child"} and rng.random() < 0.6,
        )
    )
    _ARCHETYPE_STEPS[archetype](story)
    ordered = sorted(story.planned, key=lambda p: p.recorded_at)
    # Keep retractions pointing at the right entries after sorting by record time.
    positions = {id(p): n for n, p in enumerate(ordered)}
    original = {n: id(p) for n, p in enumerate(story.planned)}
    ordered = [
        p
        if p.retracts is None
        else Planned(p.command, p.recorded_at, positions[original[p.retracts]])
        for p in ordered
    ]
    return ref, ordered, story.features


def _child(s: _Story) -> None:
    s.member("p-ece", "early_childhood_teacher", "daycare", "early_childhood_education")
    s.coordinate("p-ece")
    s.service("early_childhood_education", "early_childhood_education", "daycare", (200, 400))
    s.member("p-teacher", "teacher", "school", "education")
    handover = s.rng.random() < 0.7
    consent = None
    if handover:
        consent = s.ident("k")
        s.add(
            cmd.GrantConsent(
                occurred_at=s.later(1, 20),
                consent_id=consent,
                recipient_orgs=["school"],
                categories=["education"],
                purposes=["transition_planning"],
                form="written",
            ),
            late_days=s.rng.choice([0, 0, 30]),
        )
        s.share("school", ["education"], "transition_planning", consent)
        if s.rng.random() < 0.8:  # a handover meeting in the weeks before school starts
            s.meeting(
                ["p-ece", "p-teacher"],
                ["education"],
                "transition_planning",
                consent,
                client_present=False,
                days=(0, 5),
            )
    else:
        s.features.add("missing-handover")
    s.add(
        cmd.RecordTransition(
            occurred_at=s.later(5, 30),
            transition_id=s.ident("tr"),
            kind="daycare_to_school",
            from_org="daycare",
            to_org="school",
        )
    )
    s.service("basic_education", "education", "school", (150, 300))


def _integration(s: _Story) -> None:
    s.member("p-koto", "integration_counsellor", "integration-office", "integration_services")
    s.coordinate("p-koto")
    s.service(
        "integration_training",
        "integration_services",
        "integration-office",
        (60, 200),
        during=(lambda: s.plan("p-koto", (5, 70))) if s.rng.random() < 0.75 else None,
    )
    s.referral("health-centre", "health_care", "health_assessment")
    s.service("health_assessment", "health_care", "health-centre", (5, 30))
    s.member("p-sw", "social_worker", "social-office", "social_care")
    if s.rng.random() < 0.4:
        s.coordinator_gap("p-koto", "p-sw")
    s.share("social-office", ["integration"], "integration_measures", None)
    s.service("social_work", "social_care", "social-office", (30, 120))


def _employment(s: _Story) -> None:
    s.member("p-te", "employment_advisor", "employment-office", "employment_services")
    s.coordinate("p-te")
    s.service("job_coaching", "employment_services", "employment-office", (30, 120))
    s.referral("rehab-centre", "rehabilitation", "vocational_rehabilitation")
    s.member("p-rehab", "rehabilitation_counsellor", "rehab-centre", "rehabilitation")
    s.service(
        "vocational_rehabilitation",
        "rehabilitation",
        "rehab-centre",
        (60, 180),
        during=(lambda: s.plan("p-rehab", (5, 40))) if s.rng.random() < 0.7 else None,
    )
    if s.rng.random() < 0.35:  # sent back to employment services, then to rehabilitation again
        s.service("job_coaching", "employment_services", "employment-office", (20, 60))
        s.service("vocational_rehabilitation", "rehabilitation", "rehab-centre", (30, 90))
        s.features.add("ping-pong")
    if s.rng.random() < 0.5:
        s.coordinator_gap("p-te", "p-rehab")


def _elder(s: _Story) -> None:
    s.member("p-nurse", "nurse", "home-care", "health_care")
    s.coordinate("p-nurse")
    s.member("p-family", "family_member", "family", "family", "informal")
    consent = s.ident("k")
    s.add(
        cmd.GrantConsent(
            occurred_at=s.later(0, 10),
            consent_id=consent,
            recipient_parties=["p-family"],
            categories=["health"],
            purposes=["care_coordination"],
            form="oral",
        )
    )
    s.service(
        "home_care",
        "health_care",
        "home-care",
        (90, 400),
        during=(
            lambda: s.meeting(
                ["p-nurse", "p-family"],
                ["health"],
                "care_coordination",
                consent,
                client_present=True,
                days=(5, 110),
            )
        )
        if s.rng.random() < 0.7
        else None,
    )
    if s.rng.random() < 0.3:
        s.service("assisted_living_trial", "social_care", "social-office", (10, 40))
        s.service("home_care", "health_care", "home-care", (30, 120))
        s.features.add("ping-pong")
    s.share("family", ["health"], "care_coordination", consent)


def _youth(s: _Story) -> None:
    s.member("p-youth", "youth_worker", "youth-centre", "youth_work")
    s.service("outreach", "youth_work", "youth-centre", (30, 90))
    s.referral("social-office", "social_care", "social_work")
    s.member("p-sw", "social_worker", "social-office", "social_care")
    s.coordinate("p-sw")
    s.service("social_work", "social_care", "social-office", (30, 90))
    if s.rng.random() < 0.3:
        s.service("outreach", "youth_work", "youth-centre", (20, 60))
        s.service("social_work", "social_care", "social-office", (20, 60))
        s.features.add("ping-pong")


_ARCHETYPE_STEPS: dict[str, Callable[[_Story], None]] = {
    "child": _child,
    "integration": _integration,
    "employment": _employment,
    "elder": _elder,
    "youth": _youth,
}


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2000, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def generate(
    build: Callable[[Callable[[], datetime]], JourneyService],
    clients: int,
    seed: int,
    *,
    start: datetime = datetime(2021, 1, 1, tzinfo=UTC),
    progress: Callable[[int, int], None] | None = None,
) -> Generated:
    """Write ``clients`` synthetic journeys through a service that ``build`` makes with the
    given record clock. Every command goes through the ordinary checks; a rejected one is a
    bug in the generator and raises. A client already in the store (say, from a run that was
    interrupted, or erased since) is left as it is and not counted, so generating again
    completes a partly written population."""
    clock = _Clock()
    service = build(clock)
    result = Generated()
    ctx = CommandContext(actor=ACTOR)
    try:
        for index in range(clients):
            ref, planned, features = plan_client(seed, index, start)
            if service.get_version(ref):
                continue
            for step in _with_targets(service, ref, planned, clock, ctx):
                result.events += step
            result.clients += 1
            for feature in features:
                result.features[feature] = result.features.get(feature, 0) + 1
            if progress is not None:
                progress(index + 1, clients)
    finally:
        service.close()
    return result


def _with_targets(
    service: JourneyService, ref: str, planned: list[Planned], clock: _Clock, ctx: CommandContext
) -> Iterator[int]:
    event_of: dict[int, object] = {}
    for n, step in enumerate(planned):
        clock.now = step.recorded_at
        command = step.command
        if step.retracts is not None:
            command = command.model_copy(update={"target_event_id": event_of[step.retracts]})
        result = service.execute(ref, command, ctx)
        event_of[n] = result.event_ids[0]
        yield len(result.event_ids)


HOUSEHOLD_SIZES = (1, 2, 2, 3, 3, 4, 5)
"""Drawn from for each household in turn (a family of five now and then)."""


@dataclass(frozen=True)
class PlannedMember:
    index: int
    """The client's number in :func:`generate`'s population."""
    joined_at: datetime
    left_at: datetime | None


def plan_households(
    seed: int, clients: int, start: datetime = datetime(2021, 1, 1, tzinfo=UTC)
) -> dict[str, list[PlannedMember]]:
    """Households over the first ``clients`` generated clients (deterministic in ``seed``):
    consecutive clients grouped in households of 1 to 5, each joining some days after their
    registration; now and then a member leaves a year or so later. About a fifth of the clients
    belong to no household."""
    rng = random.Random(f"{seed}:households")  # noqa: S311 - reproducible, not secret
    planned: dict[str, list[PlannedMember]] = {}
    index = 0
    while index < clients:
        size = min(rng.choice(HOUSEHOLD_SIZES), clients - index)
        if rng.random() < 0.2:
            index += size  # these live in no recorded household
            continue
        members = []
        for member in range(index, index + size):
            _, steps, _ = plan_client(seed, member, start)
            registered = min(p.command.occurred_at for p in steps)
            joined = registered + timedelta(days=rng.uniform(0, 30))
            leaves = rng.random() < 0.15
            left = joined + timedelta(days=rng.uniform(200, 500)) if leaves else None
            members.append(PlannedMember(member, joined, left))
        planned[f"gen-{seed}-hh-{len(planned):05d}"] = members
        index += size
    return planned


def generate_households(
    households: HouseholdService,
    clients: int,
    seed: int,
    *,
    start: datetime = datetime(2021, 1, 1, tzinfo=UTC),
) -> int:
    """Record :func:`plan_households` through ``households`` (after :func:`generate` wrote the
    clients, with the same ``seed`` and ``start``); the households' record time is the
    service's clock, which must be past every planned valid time. A household already stored
    is left as it is. Returns how many households were formed."""
    ctx = CommandContext(actor=ACTOR)
    formed = 0
    for ref, members in plan_households(seed, clients, start).items():
        if households.get_version(ref):
            continue
        first = min(m.joined_at for m in members)
        households.form(hcmd.FormHousehold(occurred_at=first, household_ref=ref), ctx)
        for m in members:
            client = f"gen-{seed}-{m.index:06d}"
            households.execute(
                ref, hcmd.JoinHousehold(occurred_at=m.joined_at, client_ref=client), ctx
            )
            if m.left_at is not None:
                households.execute(
                    ref, hcmd.LeaveHousehold(occurred_at=m.left_at, client_ref=client), ctx
                )
        formed += 1
    return formed
