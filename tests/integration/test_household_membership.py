"""The household membership read model (``household_members``), on both backends: members
over valid time by journey id, retractions, a member erased (their ref sealed and gone), a
rebuild; and the figures counting households from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain import household_commands as hcmd
from domain.application import CommandContext
from domain.events import Actor
from pathways import analytics, disclosure
from pathways.disclosure import EXACT, Cell
from pathways.households import Households, MembershipFact
from runtime.settings import Settings
from runtime.wiring import build_components
from tests.support import register

T0 = datetime(2025, 1, 6, 9, tzinfo=UTC)
CTX = CommandContext(actor=Actor("p-sw", "city-social", "caseworker"))


def test_membership_over_valid_time(settings: Settings) -> None:
    components = build_components(settings)
    try:
        service, households = components.service, components.households
        for ref in ("a", "b", "c"):
            service.register_client(register(ref, T0), CTX)
        households.form(hcmd.FormHousehold(occurred_at=T0, household_ref="h-1"), CTX)
        join = households.execute
        join("h-1", hcmd.JoinHousehold(occurred_at=T0, client_ref="a"), CTX)
        join("h-1", hcmd.JoinHousehold(occurred_at=T0 + timedelta(days=10), client_ref="b"), CTX)
        join("h-1", hcmd.LeaveHousehold(occurred_at=T0 + timedelta(days=40), client_ref="b"), CTX)
        wrong = join(
            "h-1", hcmd.JoinHousehold(occurred_at=T0 + timedelta(days=5), client_ref="c"), CTX
        )
        join(
            "h-1",
            hcmd.RetractHouseholdEvent(
                occurred_at=T0 + timedelta(days=6),
                target_event_id=wrong.event_ids[0],
                reason="wrong_client",
            ),
            CTX,
        )
        service.erase_personal_data("a", "client_request", CTX)
        ids = {ref: str(service.journey_id(ref)) for ref in ("a", "b", "c")}
        h1 = str(households.household_id("h-1"))

        found = components.household_members.households()
        assert found.ids == (h1,)
        assert found.at(ids["a"], T0) == (0,)  # erased: still counted, by journey id
        assert found.at(ids["a"], T0 - timedelta(seconds=1)) == ()
        assert found.at(ids["b"], T0 + timedelta(days=9)) == ()
        assert found.at(ids["b"], T0 + timedelta(days=10)) == (0,)
        assert found.at(ids["b"], T0 + timedelta(days=40)) == ()  # left: gone from that moment
        assert found.at(ids["c"], T0 + timedelta(days=20)) == ()  # the join was retracted
        assert found.members() == {0: {ids["a"], ids["b"]}}

        with components.store.transaction(write=False) as tx:
            rows = tx.rows("SELECT * FROM {polku_household_members}")
        stored = {str(value) for row in rows for value in row}
        assert not stored & {"a", "b", "c", "h-1"}
        assert not any(s.startswith("erased-") for s in stored)

        components.household_members.rebuild()
        again = components.household_members.households()
        assert again.ids == found.ids
        assert again.members() == found.members()
    finally:
        components.close()


def test_a_household_counts_once_however_many_members_move() -> None:
    t = datetime(2024, 3, 1, tzinfo=UTC)
    facts = [
        MembershipFact(1, "h-x", "e1", "joined", "j0", t),
        MembershipFact(2, "h-x", "e2", "joined", "j1", t),
        MembershipFact(3, "h-y", "e3", "joined", "j2", t),
        MembershipFact(4, "h-y", "e4", "left", "j2", t + timedelta(days=5)),
    ]
    households = Households(facts)
    journeys = ["j0", "j1", "j2", "j3"]
    routes = {
        n: [
            analytics.Episode("health_care", t + timedelta(days=1)),
            analytics.Episode("social_care", t + timedelta(days=10)),
        ]
        for n in range(4)
    }

    def unit(n: int, at: datetime) -> tuple[int, ...]:
        return households.at(journeys[n], at)

    threshold = disclosure.MIN_CLIENTS
    disclosure.MIN_CLIENTS = 1  # to see the counts of this tiny example
    try:
        by_client = analytics.transition_matrix(routes, control=EXACT)
        by_household = analytics.transition_matrix(routes, control=EXACT, unit=unit)
    finally:
        disclosure.MIN_CLIENTS = threshold
    assert [(c.clients, c.transitions) for c in by_client] == [(4, 4)]
    # j0 and j1 share h-x (once); j2 had left h-y when it moved; j3 is in none.
    assert [(c.clients, c.transitions) for c in by_household] == [(1, 2)]
    assert Cell(1, 0, False).clients is None  # and under the real threshold: suppressed


def test_a_move_outside_any_household_makes_no_household_row() -> None:
    t = datetime(2024, 3, 1, tzinfo=UTC)
    households = Households(
        [MembershipFact(1, "h-x", "e1", "joined", "j0", t + timedelta(days=30))]
    )
    sectors = ("health_care", "social_care", "health_care")
    route = [analytics.Episode(s, t + timedelta(days=n)) for n, s in enumerate(sectors)]

    def unit(n: int, at: datetime) -> tuple[int, ...]:
        return households.at("j0", at)

    # j0 joined only after its moves: nothing to count by household, not even an empty row.
    assert analytics.ping_pong({0: route}, control=EXACT, unit=unit) == []
    assert analytics.transition_matrix({0: route}, control=EXACT, unit=unit) == []
    assert len(analytics.ping_pong({0: route}, control=EXACT)) == 1
