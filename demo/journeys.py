"""The demo journeys, as the commands a case worker would have issued, each with the moment the
system recorded it; and the demo household (a refugee family of three of those journeys), as the
household commands its coordinators issued.

Record times are part of the story: a consent signed in February but entered in April is why
"as known then" and "as known now" differ. Every step carries a command id, so loading the demo
twice stores it once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain import commands as cmd
from domain import household_commands as hcmd
from domain.events import Actor

__all__ = [
    "CHILD",
    "ELDER",
    "FAMILY",
    "HOUSEHOLD",
    "PARENT",
    "PUPIL_1",
    "PUPIL_2",
    "WORKER",
    "HouseholdStep",
    "Step",
    "demo_steps",
    "household_steps",
]

CHILD = "demo-child-001"
WORKER = "demo-adult-002"
ELDER = "demo-elder-003"
PARENT = "demo-family-parent-004"
PUPIL_1 = "demo-family-child-005"
PUPIL_2 = "demo-family-child-006"
FAMILY = (PARENT, PUPIL_1, PUPIL_2)
HOUSEHOLD = "demo-household-001"


@dataclass(frozen=True)
class Step:
    client_ref: str
    command: cmd.Command
    recorded_at: datetime
    actor: Actor
    command_id: str


def day(year: int, month: int, dom: int, hour: int = 10) -> datetime:
    return datetime(year, month, dom, hour, tzinfo=UTC)


_LIVE = timedelta(minutes=30)

COUNSELLOR = Actor("p-integration-01", "city-integration-services", "caseworker")
DAYCARE = Actor("p-daycare-01", "daycare-sunflower", "caseworker")
ADVISOR = Actor("p-employment-01", "employment-pilot", "coordinator")
SOCIAL = Actor("p-social-02", "city-social-services", "caseworker")
NURSE = Actor("p-homecare-01", "home-care-east", "coordinator")
FAMILY_COORD = Actor("p-family-coord-01", "city-family-services", "coordinator")
INTEGRATION = Actor("p-integration-02", "city-integration-services", "caseworker")


def _member(
    when: datetime, party: str, member_type: str, role: str, org: str, sector: str, name: str
) -> cmd.AddTeamMember:
    return cmd.AddTeamMember(
        occurred_at=when,
        party_id=party,
        member_type=member_type,
        role=role,
        organisation=org,
        sector=sector,
        display_name=name,
    )


def _child() -> Iterator[tuple[cmd.Command, Actor, datetime | None]]:
    """A refugee child moving from day care to school, with an interpreter."""
    yield (
        cmd.RegisterClient(
            occurred_at=day(2025, 8, 4),
            client_ref=CHILD,
            preferred_language="ar",
            interpreter_needed=True,
            guardians=["g-child-001-mother"],
            name="Amina (demo)",
            guardian_names={"g-child-001-mother": "Mother of Amina (demo)"},
        ),
        COUNSELLOR,
        None,
    )
    yield (
        _member(
            day(2025, 8, 4),
            "p-integration-01",
            "professional",
            "integration_counsellor",
            "city-integration-services",
            "integration_services",
            "Integration counsellor Laine",
        ),
        COUNSELLOR,
        None,
    )
    yield (
        cmd.AssignCoordinator(occurred_at=day(2025, 8, 5), party_id="p-integration-01"),
        COUNSELLOR,
        None,
    )
    yield (
        _member(
            day(2025, 8, 11),
            "p-daycare-01",
            "professional",
            "early_childhood_teacher",
            "daycare-sunflower",
            "early_childhood_education",
            "Teacher Virtanen",
        ),
        COUNSELLOR,
        None,
    )
    yield (
        _member(
            day(2025, 8, 11),
            "p-interp-01",
            "professional",
            "interpreter",
            "interpreter-centre",
            "integration_services",
            "Interpreter Haddad",
        ),
        COUNSELLOR,
        None,
    )
    yield (
        cmd.StartService(
            occurred_at=day(2025, 8, 11),
            episode_id="ep-daycare",
            service="early_childhood_education",
            sector="early_childhood_education",
            provider_org="daycare-sunflower",
            responsible_party="p-daycare-01",
        ),
        DAYCARE,
        None,
    )
    yield (
        _member(
            day(2026, 3, 2),
            "p-school-01",
            "professional",
            "teacher",
            "school-harbour",
            "education",
            "Class teacher Nieminen",
        ),
        COUNSELLOR,
        None,
    )
    # The written consent was signed on 10 February but entered only on 20 April.
    yield (
        cmd.GrantConsent(
            occurred_at=day(2026, 2, 10),
            consent_id="cons-child-school",
            grantor="g-child-001-mother",
            recipient_orgs=[
                "school-harbour",
                "daycare-sunflower",
                "interpreter-centre",
                "city-integration-services",
            ],
            categories=["education", "language_and_interpretation"],
            purposes=["transition_planning", "education_support"],
            valid_until=day(2027, 8, 1),
            form="written",
            evidence_ref="scan-2026-02-10-001",
        ),
        COUNSELLOR,
        day(2026, 4, 20),
    )
    yield (
        cmd.RecordMeeting(
            occurred_at=day(2026, 3, 16),
            meeting_id="meet-handover",
            participants=["p-daycare-01", "p-school-01", "p-interp-01", "p-integration-01"],
            client_present=False,
            categories=["education", "language_and_interpretation"],
            purpose="transition_planning",
            basis="consent",
            consent_id="cons-child-school",
        ),
        COUNSELLOR,
        None,
    )
    yield (
        cmd.RecordInformationShared(
            occurred_at=day(2026, 4, 1),
            disclosure_id="disc-child-portfolio",
            from_party="p-daycare-01",
            from_org="daycare-sunflower",
            to_party="p-school-01",
            to_org="school-harbour",
            categories=["education"],
            purpose="transition_planning",
            basis="consent",
            consent_id="cons-child-school",
            channel="secure_mail",
        ),
        DAYCARE,
        None,
    )
    yield (
        cmd.RecordTransition(
            occurred_at=day(2026, 8, 10),
            transition_id="tr-school-start",
            kind="daycare_to_school",
            from_service="early_childhood_education",
            from_org="daycare-sunflower",
            to_service="basic_education",
            to_org="school-harbour",
        ),
        COUNSELLOR,
        None,
    )
    yield (
        cmd.EndService(occurred_at=day(2026, 8, 7), episode_id="ep-daycare"),
        DAYCARE,
        day(2026, 8, 10, 12),
    )
    yield (
        cmd.RemoveTeamMember(occurred_at=day(2026, 8, 10), party_id="p-daycare-01"),
        COUNSELLOR,
        None,
    )
    yield (
        cmd.StartService(
            occurred_at=day(2026, 8, 10),
            episode_id="ep-school",
            service="basic_education",
            sector="education",
            provider_org="school-harbour",
            responsible_party="p-school-01",
        ),
        COUNSELLOR,
        None,
    )


def _worker() -> Iterator[tuple[cmd.Command, Actor, datetime | None]]:
    """A working-age client in a municipal employment experiment; the coordinator changes."""
    yield (
        cmd.RegisterClient(
            occurred_at=day(2025, 3, 3),
            client_ref=WORKER,
            preferred_language="fi",
            name="Jari (demo)",
        ),
        ADVISOR,
        None,
    )
    yield (
        _member(
            day(2025, 3, 3),
            "p-employment-01",
            "professional",
            "employment_advisor",
            "employment-pilot",
            "employment_services",
            "Advisor Korhonen",
        ),
        ADVISOR,
        None,
    )
    yield (
        cmd.AssignCoordinator(occurred_at=day(2025, 3, 4), party_id="p-employment-01"),
        ADVISOR,
        None,
    )
    yield (
        cmd.StartService(
            occurred_at=day(2025, 3, 4),
            episode_id="ep-coaching",
            service="job_coaching",
            sector="employment_services",
            provider_org="employment-pilot",
            responsible_party="p-employment-01",
        ),
        ADVISOR,
        None,
    )
    yield (
        cmd.GrantConsent(
            occurred_at=day(2025, 3, 10),
            consent_id="cons-worker-team",
            recipient_orgs=["employment-pilot", "city-social-services", "rehab-centre-north"],
            categories=["employment", "health", "social_care"],
            purposes=["employment_support", "rehabilitation", "care_coordination"],
            form="written",
            evidence_ref="form-2025-03-10-17",
        ),
        ADVISOR,
        None,
    )
    yield (
        _member(
            day(2025, 3, 12),
            "p-social-02",
            "professional",
            "social_worker",
            "city-social-services",
            "social_care",
            "Social worker Mäkinen",
        ),
        ADVISOR,
        None,
    )
    yield (
        cmd.MakeReferral(
            occurred_at=day(2025, 4, 2),
            referral_id="ref-rehab",
            from_org="employment-pilot",
            to_org="rehab-centre-north",
            to_sector="rehabilitation",
            service="vocational_rehabilitation",
            reason="Reduced working ability (demo)",
        ),
        ADVISOR,
        None,
    )
    yield cmd.AcceptReferral(occurred_at=day(2025, 4, 20), referral_id="ref-rehab"), ADVISOR, None
    yield (
        _member(
            day(2025, 4, 22),
            "p-rehab-03",
            "professional",
            "rehabilitation_counsellor",
            "rehab-centre-north",
            "rehabilitation",
            "Counsellor Salo",
        ),
        ADVISOR,
        None,
    )
    yield (
        cmd.StartService(
            occurred_at=day(2025, 5, 2),
            episode_id="ep-rehab",
            service="vocational_rehabilitation",
            sector="rehabilitation",
            provider_org="rehab-centre-north",
            responsible_party="p-rehab-03",
        ),
        ADVISOR,
        None,
    )
    yield (
        cmd.RecordInformationShared(
            occurred_at=day(2025, 5, 5),
            disclosure_id="disc-worker-health",
            from_party="p-social-02",
            from_org="city-social-services",
            to_party="p-rehab-03",
            to_org="rehab-centre-north",
            categories=["health", "social_care"],
            purpose="rehabilitation",
            basis="consent",
            consent_id="cons-worker-team",
            channel="case_conference",
        ),
        SOCIAL,
        None,
    )
    yield (
        cmd.AgreePlan(
            occurred_at=day(2025, 5, 20),
            goals=["Work trial of three months (demo)"],
            responsible_parties=["p-rehab-03", "p-employment-01"],
            review_on=day(2025, 9, 1),
        ),
        ADVISOR,
        None,
    )
    yield (
        cmd.ReleaseCoordinator(occurred_at=day(2025, 9, 1), party_id="p-employment-01"),
        ADVISOR,
        None,
    )
    yield cmd.AssignCoordinator(occurred_at=day(2025, 9, 8), party_id="p-rehab-03"), ADVISOR, None
    yield cmd.EndService(occurred_at=day(2025, 9, 30), episode_id="ep-coaching"), ADVISOR, None


def _elder() -> Iterator[tuple[cmd.Command, Actor, datetime | None]]:
    """An older person with a "my team": a daughter and a volunteer visitor among professionals."""
    yield (
        cmd.RegisterClient(
            occurred_at=day(2025, 10, 1),
            client_ref=ELDER,
            preferred_language="sv",
            name="Elsa (demo)",
        ),
        NURSE,
        None,
    )
    yield (
        _member(
            day(2025, 10, 1),
            "p-homecare-01",
            "professional",
            "nurse",
            "home-care-east",
            "health_care",
            "Nurse Lindqvist",
        ),
        NURSE,
        None,
    )
    yield (
        cmd.AssignCoordinator(occurred_at=day(2025, 10, 1, 11), party_id="p-homecare-01"),
        NURSE,
        None,
    )
    yield (
        _member(
            day(2025, 10, 2),
            "p-family-01",
            "informal",
            "family_member",
            "family",
            "family",
            "Daughter Karin (demo)",
        ),
        NURSE,
        None,
    )
    yield (
        _member(
            day(2025, 10, 6),
            "p-visitor-01",
            "third_sector",
            "volunteer_visitor",
            "seniors-association",
            "third_sector",
            "Visitor Berg (demo)",
        ),
        NURSE,
        None,
    )
    yield (
        cmd.GrantConsent(
            occurred_at=day(2025, 10, 2),
            consent_id="cons-elder-family",
            recipient_parties=["p-family-01", "p-visitor-01"],
            categories=["health", "service_plan"],
            purposes=["care_coordination"],
            form="oral",
        ),
        NURSE,
        None,
    )
    yield (
        cmd.RegisterDenial(
            occurred_at=day(2025, 10, 6),
            denial_id="deny-health-visitor",
            categories=["health"],
            recipient_orgs=["seniors-association"],
        ),
        NURSE,
        None,
    )
    yield (
        cmd.RecordMeeting(
            occurred_at=day(2025, 11, 3),
            meeting_id="meet-my-team",
            participants=["p-homecare-01", "p-family-01", "p-visitor-01"],
            client_present=True,
            categories=["service_plan"],
            purpose="care_coordination",
            basis="client_self",
        ),
        NURSE,
        None,
    )
    yield (
        cmd.RecordInformationShared(
            occurred_at=day(2025, 11, 20),
            disclosure_id="disc-elder-visitor",
            from_party="p-homecare-01",
            from_org="home-care-east",
            to_party="p-visitor-01",
            to_org="seniors-association",
            categories=["health"],
            purpose="care_coordination",
            basis="consent",
            consent_id="cons-elder-family",
            channel="phone",
        ),
        NURSE,
        None,
    )
    yield (
        _member(
            day(2026, 1, 12),
            "p-physio-01",
            "professional",
            "physiotherapist",
            "home-care-east",
            "health_care",
            "Physiotherapist Ek",
        ),
        NURSE,
        None,
    )
    yield (
        cmd.AgreePlan(
            occurred_at=day(2026, 1, 15),
            goals=["Walks twice a week with the visitor (demo)"],
            responsible_parties=["p-homecare-01", "p-visitor-01"],
        ),
        NURSE,
        None,
    )


_FAMILY_COORD_MEMBER = (
    "p-family-coord-01",
    "professional",
    "social_worker",
    "city-family-services",
    "social_care",
    "Family coordinator Nieminen",
)


def _parent() -> Iterator[tuple[cmd.Command, Actor, datetime | None]]:
    """A refugee parent in integration training, part of the demo household."""
    yield (
        cmd.RegisterClient(
            occurred_at=day(2025, 8, 18),
            client_ref=PARENT,
            preferred_language="ar",
            interpreter_needed=True,
            household_ref=HOUSEHOLD,
            name="Rania (demo)",
        ),
        FAMILY_COORD,
        None,
    )
    yield (_member(day(2025, 8, 18), *_FAMILY_COORD_MEMBER), FAMILY_COORD, None)
    yield (
        _member(
            day(2025, 8, 20),
            "p-integration-02",
            "professional",
            "integration_counsellor",
            "city-integration-services",
            "integration_services",
            "Integration counsellor Salo",
        ),
        FAMILY_COORD,
        None,
    )
    yield (
        cmd.AssignCoordinator(occurred_at=day(2025, 8, 20), party_id="p-integration-02"),
        FAMILY_COORD,
        None,
    )
    yield (
        cmd.GrantConsent(
            occurred_at=day(2026, 1, 8),
            consent_id="cons-parent-school",
            recipient_orgs=["school-harbour"],
            categories=["language_and_interpretation"],
            purposes=["education_support"],
            form="written",
        ),
        INTEGRATION,
        None,
    )
    yield (
        cmd.RecordInformationShared(
            occurred_at=day(2026, 1, 13),
            disclosure_id="disc-parent-language",
            from_party="p-integration-02",
            from_org="city-integration-services",
            to_party="p-school-harbour-02",
            to_org="school-harbour",
            categories=["language_and_interpretation"],
            purpose="education_support",
            basis="consent",
            consent_id="cons-parent-school",
            channel="secure_email",
        ),
        INTEGRATION,
        None,
    )


def _pupil(client_ref: str, name: str) -> Iterator[tuple[cmd.Command, Actor, datetime | None]]:
    """A refugee child of the demo household changing schools in January 2026."""
    yield (
        cmd.RegisterClient(
            occurred_at=day(2025, 8, 18),
            client_ref=client_ref,
            preferred_language="ar",
            interpreter_needed=True,
            household_ref=HOUSEHOLD,
            guardians=["g-family-parent-004"],
            name=name,
        ),
        FAMILY_COORD,
        None,
    )
    yield (_member(day(2025, 8, 18), *_FAMILY_COORD_MEMBER), FAMILY_COORD, None)
    yield (
        _member(
            day(2025, 8, 20),
            "p-school-east-01",
            "professional",
            "teacher",
            "school-east",
            "education",
            "Teacher Korhonen",
        ),
        FAMILY_COORD,
        None,
    )
    yield (
        cmd.AssignCoordinator(occurred_at=day(2025, 8, 20), party_id="p-family-coord-01"),
        FAMILY_COORD,
        None,
    )
    yield (
        _member(
            day(2026, 1, 12),
            "p-school-harbour-02",
            "professional",
            "teacher",
            "school-harbour",
            "education",
            "Teacher Lindqvist",
        ),
        FAMILY_COORD,
        None,
    )
    yield (
        cmd.RecordTransition(
            occurred_at=day(2026, 1, 12),
            transition_id=f"move-{client_ref}",
            kind="provider_change",
            from_org="school-east",
            to_org="school-harbour",
        ),
        FAMILY_COORD,
        None,
    )
    yield (
        cmd.RemoveTeamMember(occurred_at=day(2026, 1, 16), party_id="p-school-east-01"),
        FAMILY_COORD,
        None,
    )


def demo_steps() -> list[Step]:
    """Every demo command in the order it was recorded."""
    steps: list[Step] = []
    stories = (
        (CHILD, _child),
        (WORKER, _worker),
        (ELDER, _elder),
        (PARENT, _parent),
        (PUPIL_1, lambda: _pupil(PUPIL_1, "Omar (demo)")),
        (PUPIL_2, lambda: _pupil(PUPIL_2, "Lina (demo)")),
    )
    for client_ref, story in stories:
        for n, (command, actor, recorded_at) in enumerate(story(), start=1):
            steps.append(
                Step(
                    client_ref=client_ref,
                    command=command,
                    recorded_at=recorded_at or command.occurred_at + _LIVE,
                    actor=actor,
                    command_id=f"demo:{client_ref}:{n:03d}",
                )
            )
    return sorted(steps, key=lambda s: s.recorded_at)


@dataclass(frozen=True)
class HouseholdStep:
    household_ref: str
    command: hcmd.HouseholdCommand
    recorded_at: datetime
    actor: Actor
    command_id: str


def _household() -> Iterator[tuple[hcmd.HouseholdCommand, Actor, datetime | None]]:
    """One household, one plan, one coordinator: the refugee family. The integration counsellor
    coordinates the household at first and hands over to the family coordinator on 1 October
    (recorded only on 20 October, so the record shows it late)."""
    yield (
        hcmd.FormHousehold(occurred_at=day(2025, 8, 18), household_ref=HOUSEHOLD),
        FAMILY_COORD,
        None,
    )
    for client_ref in FAMILY:
        yield (
            hcmd.JoinHousehold(occurred_at=day(2025, 8, 18), client_ref=client_ref),
            FAMILY_COORD,
            None,
        )
    yield (
        hcmd.AssignHouseholdCoordinator(
            occurred_at=day(2025, 8, 25),
            party_id="p-integration-02",
            organisation="city-integration-services",
        ),
        FAMILY_COORD,
        None,
    )
    yield (
        hcmd.AgreeHouseholdPlan(
            occurred_at=day(2025, 9, 15),
            domains=["integration_services", "education", "employment_services", "housing"],
            goals=[
                "Both children settled in their new school by the spring (demo)",
                "Rania completes the integration training and a Finnish course (demo)",
            ],
            responsible_parties=["p-family-coord-01", "p-integration-02"],
            review_on=day(2026, 3, 1),
        ),
        FAMILY_COORD,
        None,
    )
    yield (
        hcmd.AssignHouseholdCoordinator(
            occurred_at=day(2025, 10, 1),
            party_id="p-family-coord-01",
            organisation="city-family-services",
        ),
        FAMILY_COORD,
        day(2025, 10, 20),
    )


def household_steps() -> list[HouseholdStep]:
    """Every demo household command in the order it was recorded (after the journeys' steps of
    the same moments, so each member's journey exists when they join)."""
    steps = [
        HouseholdStep(
            household_ref=HOUSEHOLD,
            command=command,
            recorded_at=(recorded_at or command.occurred_at + _LIVE) + timedelta(minutes=1),
            actor=actor,
            command_id=f"demo:{HOUSEHOLD}:{n:03d}",
        )
        for n, (command, actor, recorded_at) in enumerate(_household(), start=1)
    ]
    return sorted(steps, key=lambda s: s.recorded_at)
