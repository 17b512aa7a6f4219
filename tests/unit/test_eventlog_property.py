"""A journey's effective log, as built (with its shortcuts), against the rule written plainly.

``journey_log`` sorts by field position, names activities from a table kept across journeys and
pseudonymises each distinct link list once per journey. The reference below applies the rule
fact by fact, as the module's docs state it: retracted facts and retractions dropped, valid-time
order with ties in record order, a service end named by its episode's sector, every party who is
not a professional on the team and every consent named by type and number of first appearance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.eventlog import _ACTIVITY, Fact, Link, LoggedEvent, journey_log

T0 = datetime(2025, 1, 1, tzinfo=UTC)
KINDS = (
    "ClientRegistered",
    "ReferralMade",
    "ServiceStarted",
    "ServiceEnded",
    "TransitionRecorded",
    "TeamMemberAdded",
    "ConsentGranted",
    "InformationShared",
    "EventRetracted",
)
SECTORS = (None, "health_care", "social_care", "education")
PARTIES = ("p1", "p2", "p3", "p4")
MEMBER_TYPES = ("professional", "informal", "employer", None)


def _reference(facts: list[Fact]) -> list[LoggedEvent]:
    in_order = sorted(facts, key=lambda f: f.position)
    retracted = {f.link for f in in_order if f.kind == "EventRetracted"}
    kept = [f for f in in_order if f.kind != "EventRetracted" and f.event_id not in retracted]
    kept.sort(key=lambda f: f.occurred_at)
    episodes = {f.ref: f.sector for f in kept if f.kind == "ServiceStarted"}
    types = {f.ref: f.detail for f in in_order if f.kind == "TeamMemberAdded" and f.ref}
    given: dict[tuple[str, str], str] = {}

    def name(kind: str, ident: str) -> str:
        if kind == "consent":
            label = "consent"
        elif kind == "party":
            member = types.get(ident, "outside") or "outside"
            if member == "professional":
                return ident
            label = member
        else:
            return ident
        if (label, ident) not in given:
            given[label, ident] = f"{label}-{sum(k[0] == label for k in given) + 1}"
        return given[label, ident]

    out = []
    for f in kept:
        sector = episodes.get(f.ref) if f.kind == "ServiceEnded" else f.sector
        activity = {
            "ReferralMade": f"referral to {f.sector}",
            "ServiceStarted": f"service started: {f.sector}",
            "ServiceEnded": f"service ended: {sector or 'unknown'}",
            "TransitionRecorded": f"transition: {f.detail}",
        }.get(f.kind, _ACTIVITY.get(f.kind, f.kind))
        links = tuple((k, name(k, i), q) for k, i, q in f.links)
        out.append(LoggedEvent(f, activity, sector, links))
    return out


_link = st.one_of(
    st.tuples(st.just("party"), st.sampled_from(PARTIES), st.sampled_from(("by", "to"))),
    st.tuples(st.just("consent"), st.sampled_from(("c1", "c2", "c3")), st.just("under")),
    st.tuples(st.just("organisation"), st.sampled_from(("o1", "o2")), st.just("for")),
)
# A few link lists reused across facts, as organisations and teams recur.
_lists = st.lists(st.lists(_link, max_size=3).map(tuple), min_size=1, max_size=4)


@st.composite
def _facts(draw: st.DrawFn) -> list[Fact]:
    lists: list[tuple[Link, ...]] = draw(_lists)
    count = draw(st.integers(1, 25))
    facts: list[Fact] = []
    for n in range(count):
        kind = draw(st.sampled_from(KINDS))
        ref = draw(st.sampled_from(("e1", "e2", *PARTIES)))
        detail = draw(st.sampled_from(MEMBER_TYPES)) if kind == "TeamMemberAdded" else None
        link = None
        if kind == "EventRetracted" and facts:
            link = draw(st.sampled_from([f.event_id for f in facts]))
        facts.append(
            Fact(
                position=n + 1,
                journey="j",
                event_id=f"ev{n}",
                kind=kind,
                occurred_at=T0 + timedelta(hours=draw(st.integers(0, 8))),  # ties are common
                sector=draw(st.sampled_from(SECTORS)),
                ref=ref,
                link=link,
                detail=detail or draw(st.sampled_from((None, "school_entry"))),
                links=draw(st.sampled_from(lists)),
            )
        )
    return draw(st.permutations(facts))


@settings(max_examples=300, deadline=None)
@given(_facts())
def test_a_journeys_log_is_the_rule_applied_fact_by_fact(facts: list[Fact]) -> None:
    assert journey_log(facts) == _reference(facts)
