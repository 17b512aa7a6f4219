"""The journey page's view in a real browser: its state in the address (the dates, the
timeline's window, the open panels), the timeline zoomed to the journey's span, and labels that
stay inside their drawing on a phone."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.support import Server, choose_purpose, sign_in

pytestmark = pytest.mark.browser

CHILD = "demo-child-001"
OLD = "old-journey-2021"
PHONE: ViewportSize = {"width": 390, "height": 844}
TEAM_ON_1_SEPT_AS_OF_1_MARCH = {"p-integration-01", "p-daycare-01", "p-interp-01"}
LABELS_OUTSIDE = """() => [...document.querySelectorAll('#map svg text, #timeline svg text')]
    .filter(t => {
        const box = t.ownerSVGElement.getBoundingClientRect();
        const r = t.getBoundingClientRect();
        return r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5
            || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5
            || r.right > window.innerWidth);
    })
    .map(t => t.textContent)"""


@pytest.fixture(scope="module")
def old_journey(server: Server) -> str:
    """A journey of 2021-22, entered through the API today with back-dated ``occurred_at``:
    long names, four events on one day, closed in June 2022."""
    headers = {"Authorization": f"Bearer {server.tokens['caseworker']}"}

    def post(path: str, body: dict[str, Any]) -> None:
        answer = httpx.post(
            f"{server.url}/v1/journeys{path}", json=body, headers=headers, timeout=30
        )
        assert answer.status_code in (201, 202), answer.text

    post(
        "", {"client_ref": OLD, "preferred_language": "fi", "occurred_at": "2021-03-01T09:00+02:00"}
    )
    journey = f"/{OLD}"
    post(
        f"{journey}/team-members",
        {
            "party_id": "p-integration-01",
            "member_type": "professional",
            "role": "social_worker",
            "organisation": "city-integration-services",
            "sector": "integration_services",
            "occurred_at": "2021-03-02T09:00+02:00",
        },
    )
    post(
        f"{journey}/coordinator",
        {"party_id": "p-integration-01", "occurred_at": "2021-03-02T10:00+02:00"},
    )
    for hour, (party, kind, role, org, sector, name) in enumerate(
        [
            ("p-nurse-2021", "professional", "nurse", "health-centre-north", "health_care",
             "Public health nurse Marjatta Kivimäki-Lindqvist"),
            ("p-gran-2021", "informal", "family_member", "family", "family",
             "Grandmother Eleonoora Vähäkangas-Östermalm"),
            ("p-boss-2021", "employer", "employer_contact", "harbour-logistics-international",
             "employer", "Supervisor Aleksanteri Pitkäranta of Harbour Logistics"),
        ]
    ):  # fmt: skip
        post(
            f"{journey}/team-members",
            {
                "party_id": party,
                "member_type": kind,
                "role": role,
                "organisation": org,
                "sector": sector,
                "display_name": name,
                "occurred_at": f"2021-04-10T{9 + hour:02d}:00+03:00",
            },
        )
    post(f"{journey}/team-members/p-nurse-2021/removal", {"occurred_at": "2022-01-15T09:00+02:00"})
    post(f"{journey}/closure", {"occurred_at": "2022-06-30T09:00+03:00"})
    return OLD


def today() -> str:
    """Today in the browser's time zone (the tests' contexts are in Helsinki)."""
    return datetime.now(ZoneInfo("Europe/Helsinki")).date().isoformat()


def window_of(page: Page) -> tuple[date, date]:
    svg = page.locator("#timeline svg")
    return (
        date.fromisoformat(svg.get_attribute("data-from") or ""),
        date.fromisoformat(svg.get_attribute("data-to") or ""),
    )


def drawn_team(page: Page) -> set[str]:
    parties: list[str] = page.locator("#map g.member").evaluate_all(
        "nodes => nodes.map(n => n.dataset.party)"
    )
    return set(parties)


def params(page: Page) -> dict[str, str]:
    found: dict[str, str] = page.evaluate(
        "() => Object.fromEntries(new URLSearchParams(location.search))"
    )
    return found


def test_the_view_is_kept_in_the_address_through_a_reload_and_a_new_tab(
    page: Page, server: Server
) -> None:
    sign_in(page, server, "caseworker")
    page.goto(f"{server.url}/journey?ref={CHILD}")
    expect(page.locator("#map-caption")).to_contain_text("on the team")
    assert set(params(page)) == {"ref"}  # today, as recorded today, the whole journey
    steps = page.evaluate("history.length")

    page.locator("#at-date").fill("2025-09-01")
    page.locator("#known-date").fill("2026-03-01")
    expect(page.locator('#map g.member[data-party="p-school-01"]')).to_have_count(0)
    assert drawn_team(page) == TEAM_ON_1_SEPT_AS_OF_1_MARCH
    page.get_by_text("The team as a list").click()
    whole = window_of(page)
    page.get_by_role("button", name="Zoom the timeline in").click()
    expect(page.locator("#timeline-caption")).to_contain_text("Showing")
    zoomed = window_of(page)
    assert (zoomed[1] - zoomed[0]) < (whole[1] - whole[0])
    expect(page).to_have_url(re.compile(r"panels=team-list"))
    assert params(page) == {
        "ref": CHILD,
        "at": "2025-09-01",
        "known": "2026-03-01",
        "from": zoomed[0].isoformat(),
        "to": zoomed[1].isoformat(),
        "panels": "team-list",
    }
    # Moving the controls replaced the address: no history entry per step.
    assert page.evaluate("history.length") == steps

    page.reload()
    expect(page.locator("#map-caption")).to_contain_text("on the team")
    expect(page.locator("#at-date")).to_have_value("2025-09-01")
    expect(page.locator("#known-date")).to_have_value("2026-03-01")
    expect(page.locator("#team-list-box")).to_have_attribute("open", "")
    expect(page.locator("#zoom-from")).to_have_value(zoomed[0].isoformat())
    assert window_of(page) == zoomed
    assert drawn_team(page) == TEAM_ON_1_SEPT_AS_OF_1_MARCH

    # The same address in a new tab (a new sign-in: the token is kept per tab).
    copied = page.url
    other = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/Helsinki")  # type: ignore[union-attr]
    try:
        tab = other.new_page()
        tab.goto(copied)
        tab.wait_for_url(re.compile(r"/signin\?next="))
        tab.get_by_label("API token").fill(server.tokens["caseworker"])
        tab.get_by_role("button", name="Sign in").click()
        choose_purpose(tab)
        tab.wait_for_url(copied)
        expect(tab.locator("#map-caption")).to_contain_text("on the team")
        expect(tab.locator("#at-date")).to_have_value("2025-09-01")
        expect(tab.locator("#known-date")).to_have_value("2026-03-01")
        assert window_of(tab) == zoomed
        assert drawn_team(tab) == TEAM_ON_1_SEPT_AS_OF_1_MARCH
    finally:
        other.close()

    # "Today, as recorded today" is a step of its own: Back returns to the chosen dates.
    page.get_by_role("button", name="Today, as recorded today").click()
    expect(page.locator("#at-date")).to_have_value(today())
    assert "at" not in params(page)
    assert "known" not in params(page)
    page.go_back()
    expect(page.locator("#at-date")).to_have_value("2025-09-01")
    expect(page.locator("#known-date")).to_have_value("2026-03-01")
    expect(page.locator('#map g.member[data-party="p-daycare-01"]')).to_have_count(1)


def test_an_address_with_dates_opens_the_team_of_that_date(page: Page, server: Server) -> None:
    sign_in(page, server, "caseworker")
    page.goto(f"{server.url}/journey?ref={CHILD}&at=2025-09-01&known=2026-03-01")
    expect(page.locator("#map-caption")).to_contain_text(
        "On 1 Sept 2025, as recorded on 1 Mar 2026"
    )
    expect(page.locator("#at-date")).to_have_value("2025-09-01")
    expect(page.locator("#known-date")).to_have_value("2026-03-01")
    assert drawn_team(page) == TEAM_ON_1_SEPT_AS_OF_1_MARCH
    expect(page.locator("#url-note")).to_be_hidden()


def test_the_event_parameter_still_highlights_its_row(page: Page, server: Server) -> None:
    history = server.api(f"/v1/journeys/{CHILD}/history", "caseworker").json()
    event = history[-1]["event_id"]
    sign_in(page, server, "caseworker")
    page.goto(f"{server.url}/journey?ref={CHILD}&event={event}&at=2025-09-01")
    row = page.locator(f"#event-{event}")
    expect(row).to_have_class(re.compile(r"\bhighlight\b"))
    expect(row).to_be_focused()
    page.get_by_role("button", name="Zoom the timeline in").click()
    assert params(page)["event"] == event
    assert params(page)["at"] == "2025-09-01"


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("at=2025-02-30", "on date in the address (2025-02-30)"),
        ("at=yesterday", "on date in the address (yesterday)"),
        ("known=1999-01-01", "as-recorded-on date in the address (1999-01-01)"),
        ("at=2099-01-01", "on date in the address (2099-01-01)"),
        (
            "from=2026-05-01&to=2026-01-01",
            "timeline window in the address (2026-05-01 \u2013 2026-01-01)",
        ),
        ("from=2026-05-01", "timeline window in the address"),
        ("panels=nonsense", "No such panel on this page: nonsense"),
    ],
)
def test_bad_parameters_are_left_out_with_a_note(
    page: Page, server: Server, query: str, said: str
) -> None:
    sign_in(page, server, "caseworker")
    page.goto(f"{server.url}/journey?ref={CHILD}&{query}")
    expect(page.locator("#map-caption")).to_contain_text("on the team")
    expect(page.locator("#url-note")).to_be_visible()
    expect(page.locator("#url-note")).to_contain_text(said)
    expect(page.locator("#at-date")).to_have_value(today())
    expect(page.locator("#known-date")).to_have_value(today())
    expect(page.locator("#timeline-caption")).to_contain_text("The whole journey")
    assert set(params(page)) == {"ref"}  # the address keeps only what is shown


def test_an_old_journey_fills_the_width_and_zooms_in_out_and_back(
    page: Page, server: Server, old_journey: str
) -> None:
    sign_in(page, server, "caseworker")
    page.goto(f"{server.url}/journey?ref={old_journey}")
    expect(page.locator("#map-caption")).to_contain_text("on the team")
    # The default window is the journey's span (recorded today, but happened in 2021-22).
    start, end = window_of(page)
    assert date(2021, 1, 1) <= start <= date(2021, 3, 1)
    assert date(2022, 6, 30) <= end <= date(2022, 12, 31)
    spread = page.evaluate(
        """() => {
            const svg = document.querySelector('#timeline svg').getBoundingClientRect();
            const xs = [...document.querySelectorAll('#timeline g.ev circle')]
                .map(c => { const r = c.getBoundingClientRect(); return r.left + r.width / 2; });
            return (Math.max(...xs) - Math.min(...xs)) / svg.width;
        }"""
    )
    assert spread > 0.8, spread
    ticks = page.locator("#timeline .tick-label").all_text_contents()
    assert ticks[0].endswith("2021")
    assert ticks[-1].endswith("2022")
    expect(page.locator("#timeline-caption")).to_contain_text("8 of 8 events")
    expect(page.locator("#events-caption")).to_contain_text("All 8 events")

    # Zoom in from the keyboard: half the span each time, the address follows.
    page.get_by_role("button", name="Zoom the timeline in").focus()
    page.keyboard.press("Enter")
    once = window_of(page)
    assert abs((once[1] - once[0]).days - (end - start).days / 2) <= 1
    page.keyboard.press("Enter")
    twice = window_of(page)
    assert abs((twice[1] - twice[0]).days - (once[1] - once[0]).days / 2) <= 1
    assert params(page)["from"] == twice[0].isoformat()
    assert params(page)["to"] == twice[1].isoformat()
    assert page.locator("#timeline .tick-label").all_text_contents() != ticks
    expect(page.locator("#events tbody tr")).to_have_count(8)  # the table still lists all
    outside = page.locator("#events tbody tr.outside").count()
    expect(page.locator("#events-caption")).to_contain_text(f"{8 - outside} of them happened")

    page.get_by_role("button", name="Move the timeline window later").click()
    later = window_of(page)
    assert later[0] > twice[0]
    page.get_by_role("button", name="Zoom the timeline out").click()
    wider = window_of(page)
    assert (wider[1] - wider[0]) > (later[1] - later[0])

    page.get_by_role("button", name="Show the whole journey on the timeline").click()
    assert window_of(page) == (start, end)
    assert "from" not in params(page)
    expect(page.locator("#timeline-caption")).to_contain_text("The whole journey")

    # The window's dates can be typed, too.
    page.get_by_label("From", exact=True).fill("2021-04-01")
    page.get_by_label("To", exact=True).fill("2021-04-30")
    expect(page.locator("#timeline svg")).to_have_attribute("data-from", "2021-04-01")
    expect(page.locator("#timeline svg")).to_have_attribute("data-to", "2021-04-30")
    expect(page.locator("#timeline-caption")).to_contain_text("3 of 8 events")
    assert page.evaluate(LABELS_OUTSIDE) == []
    # Labels never overlap one another at any zoom.
    assert overlapping_labels(page) == []


def overlapping_labels(page: Page) -> list[list[str]]:
    found: list[list[str]] = page.evaluate(
        """() => {
            const labels = '#timeline text.ev-label, #timeline text.tick-label';
            const boxes = [...document.querySelectorAll(labels)]
                .map(t => [t.textContent, t.getBoundingClientRect()]);
            const out = [];
            boxes.forEach(([a, r], i) => boxes.slice(i + 1).forEach(([b, q]) => {
                const apart = r.right <= q.left || q.right <= r.left
                    || r.bottom <= q.top || q.bottom <= r.top;
                if (!apart) out.push([a, b]);
            }));
            return out;
        }"""
    )
    return found


def test_labels_stay_inside_their_drawing_on_a_phone(
    page: Page, server: Server, old_journey: str
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, server, "caseworker")
    for path in (
        f"/journey?ref={old_journey}&at=2021-05-01",
        f"/journey?ref={CHILD}",
        f"/journey?ref={CHILD}&at=2025-08-04",  # empty wedges: their names out at the rim
    ):
        page.goto(f"{server.url}{path}")
        expect(page.locator("#map-caption")).to_contain_text("on the team")
        assert page.evaluate(LABELS_OUTSIDE) == [], path
        assert overlapping_labels(page) == [], path
        for _ in range(3):
            page.get_by_role("button", name="Zoom the timeline in").click()
            assert page.evaluate(LABELS_OUTSIDE) == [], path
            assert overlapping_labels(page) == [], path
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, path
    # A long name is cut with an ellipsis; the whole of it is in the tooltip and the list.
    page.goto(f"{server.url}/journey?ref={old_journey}&at=2021-05-01&panels=team-list")
    granny = page.locator('#map g.member[data-party="p-gran-2021"]')
    expect(granny.locator("tspan.name")).to_have_text(re.compile("…$"))
    expect(granny.locator("title")).to_contain_text("Grandmother Eleonoora Vähäkangas-Östermalm")
    expect(page.locator("#team-list")).to_contain_text("Grandmother Eleonoora Vähäkangas-Östermalm")


def test_a_form_named_in_the_address_opens_and_opening_one_is_remembered(
    page: Page, server: Server
) -> None:
    sign_in(page, server, "caseworker")
    page.goto(f"{server.url}/journey?ref={CHILD}&panels=grant-consent")
    expect(page.locator("#grant-consent-box")).to_have_attribute("open", "")
    expect(page.locator("#url-note")).to_have_text("")  # a form is a panel the page knows
    page.locator("#share-box summary").click()
    expect(page).to_have_url(re.compile(r"panels=[^&]*share"))
    page.reload()
    expect(page.locator("#share-box")).to_have_attribute("open", "")
    expect(page.locator("#grant-consent-box")).to_have_attribute("open", "")
