"""The client's page (/my-team) in a real browser: a guardian and a client sign in with the demo
tokens, see their team as a network map in their language, withdraw a consent and see it gone
from the map and from the case worker's view; the client cannot reach any other journey."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import Server, sign_in

pytestmark = pytest.mark.browser

CHILD = "demo-child-001"
ADULT = "demo-adult-002"


def fetch_status(page: Page, path: str) -> int:
    """What the API answers the signed-in tab's token for ``path``."""
    status: int = page.evaluate(
        """async (path) => {
            const token = sessionStorage.getItem("polku.token");
            const r = await fetch(path, {headers: {Authorization: `Bearer ${token}`}});
            return r.status;
        }""",
        path,
    )
    return status


def test_a_guardian_withdraws_a_consent_and_the_case_worker_sees_it(
    page: Page, server: Server
) -> None:
    sign_in(page, server, "guardian")
    page.goto(f"{server.url}/my-team?ref={CHILD}")
    # The child's registration prefers Arabic, which the page does not speak: English.
    expect(page.locator("#mine-title")).to_have_text("My child's team")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    consent = page.locator('#my-consents li[data-consent="cons-child-school"]')
    expect(consent).to_be_visible()
    shared = page.locator('#my-map g.person[data-consent="yes"]')
    expect(shared.first).to_be_visible()
    # The header's switch turns the page to Finnish, Swedish, and back to English.
    page.locator("#lang").select_option("fi")
    expect(page.locator("#mine-title")).to_have_text("Lapsen tiimi")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(consent.get_by_role("button")).to_have_text("Peru suostumus")
    page.locator("#lang").select_option("sv")
    expect(page.locator("#mine-title")).to_have_text("Barnets team")
    page.locator("#lang").select_option("en")
    expect(page.locator("#mine-title")).to_have_text("My child's team")

    consent.get_by_role("button", name="Withdraw the consent").click()
    expect(page.locator("#banner")).to_have_text("The consent is withdrawn.")
    expect(consent).to_have_count(0)
    # No one on the map receives the child's data by this consent any more.
    expect(page.locator("#my-map g.person")).not_to_have_count(0)
    expect(shared).to_have_count(0)
    # The guardian's log report lists their own reads.
    expect(page.locator("#my-log")).to_contain_text("guardian-1")

    # The case worker on the team sees the consent gone, recorded by the guardian.
    case_worker = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/Helsinki")  # type: ignore[union-attr]
    try:
        worker_page = case_worker.new_page()
        sign_in(worker_page, server, "caseworker")
        worker_page.goto(f"{server.url}/journey?ref={CHILD}")
        expect(worker_page.locator("#map-caption")).to_contain_text("on the team")
        expect(worker_page.locator("#consents")).not_to_contain_text("cons-child-school")
        answer = server.api(f"/v1/journeys/{CHILD}/history", "caseworker").json()
        withdrawn = [e for e in answer if e["kind"] == "consent_withdrawn"]
        assert withdrawn[-1]["recorded_by"]["party_id"] == "guardian-1"
    finally:
        case_worker.close()


def test_a_client_marks_who_matters_and_reaches_no_other_journey(
    page: Page, server: Server
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    sign_in(page, server, "client")
    expect(page).to_have_url(f"{server.url}/my-team")
    expect(page.locator("#my-map svg")).to_be_visible()
    # demo-adult-002 prefers Finnish.
    expect(page.locator("#mine-title")).to_have_text("Minun tiimini")
    row = page.locator("#my-people li.person-row").first
    party = row.get_attribute("data-party")
    matters = row.get_by_role("button", name="♥", exact=False)
    matters.click()
    expect(page.locator(f'#my-map g.person[data-party="{party}"]')).to_have_attribute(
        "data-wishes", "matters_to_me"
    )
    expect(
        page.locator(f'#my-people li.person-row[data-party="{party}"] button').first
    ).to_have_attribute("aria-pressed", "true")
    # The page fits the phone's width.
    width: int = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    # Another journey: the page ignores ?ref= for a client, and the API answers as for none.
    page.goto(f"{server.url}/my-team?ref={CHILD}")
    expect(page.locator("#my-map svg")).to_be_visible()
    for ref in (CHILD, "no-such-client"):
        assert fetch_status(page, f"/v1/client/journeys/{ref}") == 404
    for path in (f"/v1/journeys/{CHILD}", f"/v1/journeys/{ADULT}", "/v1/audit/journeys"):
        assert fetch_status(page, path) == 403
