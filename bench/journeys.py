"""A long, realistic journey for benchmarks: team changes, consents, disclosures (some
recorded late), meetings, services, coordinator changes and retractions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain import commands as cmd
from domain.application import CommandContext, JourneyService
from domain.events import Actor

__all__ = ["CTX", "RecordClock", "build_long_journey"]

CTX = CommandContext(actor=Actor("p-bench", "org-bench", "caseworker"))
ORGS = ["org-health", "org-social", "org-school", "org-employment"]


class RecordClock:
    """Record time that follows the story: each event is entered shortly after it happened."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) - timedelta(days=365)

    def __call__(self) -> datetime:
        return self.now


def disclosures(count: int, at: datetime) -> list[cmd.RecordInformationShared]:
    """``count`` disclosures to one organisation under one consent, all dated ``at``: the
    commands of the command benchmarks."""
    return [
        cmd.RecordInformationShared(
            occurred_at=at,
            disclosure_id=f"d{n}",
            from_org="org-a",
            to_org="org-b",
            categories=["health"],
            purpose="care_coordination",
            basis="consent",
            consent_id="k1",
        )
        for n in range(count)
    ]


def build_long_journey(
    service: JourneyService,
    clock: RecordClock,
    client_ref: str,
    events: int = 1000,
    *,
    late_hours: int = 20,
) -> int:
    """Record about ``events`` events for ``client_ref`` through the service; returns the count.

    Events are entered 10 minutes after they happen, except the late disclosures (entered about
    ``late_hours`` hours late: 0 records the same journey in valid-time order) and the
    retractions.
    """
    start = clock.now
    tick = iter(range(10**9))

    def at() -> datetime:
        occurred = start + timedelta(hours=next(tick))
        clock.now = max(clock.now, occurred + timedelta(minutes=10))
        return occurred

    ref = client_ref
    service.register_client(
        cmd.RegisterClient(
            occurred_at=start - timedelta(hours=48), client_ref=ref, preferred_language="fi"
        ),
        CTX,
    )
    count, cycle, last_late = 1, 0, None
    while count < events:
        i, org = cycle, ORGS[cycle % len(ORGS)]
        service.execute(
            ref,
            cmd.AddTeamMember(
                occurred_at=at(),
                party_id=f"p{i}",
                member_type="professional",
                role="nurse",
                organisation=org,
                sector="health_care",
                display_name=f"Member {i}",
            ),
            CTX,
        )
        service.execute(
            ref,
            cmd.GrantConsent(
                occurred_at=at(),
                consent_id=f"k{i}",
                recipient_orgs=[org],
                categories=["health"],
                purposes=["care_coordination"],
                form="written",
            ),
            CTX,
        )
        service.execute(
            ref,
            cmd.RecordInformationShared(
                occurred_at=at(),
                disclosure_id=f"d{i}",
                from_org="org-src",
                to_party=f"p{i}",
                to_org=org,
                categories=["health"],
                purpose="care_coordination",
                basis="consent",
                consent_id=f"k{i}",
            ),
            CTX,
        )
        service.execute(
            ref,
            cmd.RecordMeeting(
                occurred_at=at(),
                meeting_id=f"m{i}",
                participants=[f"p{i}"],
                client_present=True,
                categories=["health"],
                purpose="care_coordination",
                basis="client_self",
            ),
            CTX,
        )
        service.execute(
            ref, cmd.ChangeTeamMemberRole(occurred_at=at(), party_id=f"p{i}", role="physician"), CTX
        )
        service.execute(
            ref,
            cmd.StartService(
                occurred_at=at(),
                episode_id=f"e{i}",
                service="home_care",
                sector="health_care",
                provider_org=org,
            ),
            CTX,
        )
        service.execute(ref, cmd.EndService(occurred_at=at(), episode_id=f"e{i}"), CTX)
        late = service.execute(
            ref,
            cmd.RecordInformationShared(
                occurred_at=at() - timedelta(hours=late_hours),
                disclosure_id=f"dl{i}",
                from_org="org-src",
                to_org=org,
                categories=["health"],
                purpose="care_coordination",
                basis="consent",
                consent_id=f"k{max(i - 1, 0)}",
            ),
            CTX,
        )
        count += 8
        if i % 2 == 0:
            service.execute(ref, cmd.AssignCoordinator(occurred_at=at(), party_id=f"p{i}"), CTX)
        else:
            service.execute(
                ref, cmd.ReleaseCoordinator(occurred_at=at(), party_id=f"p{i - 1}"), CTX
            )
        count += 1
        if i >= 2:
            service.execute(ref, cmd.RemoveTeamMember(occurred_at=at(), party_id=f"p{i - 2}"), CTX)
            count += 1
        if i % 10 == 9 and last_late is not None:
            service.retract_event(
                ref,
                cmd.RetractEvent(
                    occurred_at=at(), target_event_id=last_late, reason="entered_in_error"
                ),
                CTX,
            )
            count += 1
        last_late = late.event_ids[0]
        cycle += 1
    return count
