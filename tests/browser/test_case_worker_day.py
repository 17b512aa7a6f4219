"""A case worker's whole day in the pages, once per language the pages speak (the browser's
language chooses it): the walk in tests/browser/walk.py, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watched, watched_page
from tests.browser.support import Server
from tests.browser.walk import HEADINGS, walk_the_day

pytestmark = pytest.mark.browser

LOCALES = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}


@pytest.fixture(params=sorted(LOCALES))
def speaking(request: pytest.FixtureRequest, browser: Browser, watched: Watched) -> Iterator[Page]:
    """A fresh tab session in a browser whose language is the parameter's."""
    yield from watched_page(browser, watched, LOCALES[request.param])


def test_a_case_worker_walks_through_the_day_in_their_language(
    speaking: Page, server: Server
) -> None:
    lang = next(
        code
        for code, locale in LOCALES.items()
        if speaking.evaluate("navigator.language") == locale
    )
    walked = walk_the_day(speaking, server, lang)
    # What the pages recorded is what the API holds: the team, the corrected transition, closed.
    view = server.api(f"/v1/journeys/{walked.client_ref}", "auditor").json()
    assert view["closed"] is True
    assert {m["party_id"] for m in view["team"]} == {"p-integration-01", walked.professional}
    assert [t["kind"] for t in view["transitions"]] == ["daycare_to_school"]
    assert view["preferred_language"] == lang


def test_the_language_chosen_in_the_header_is_remembered(page: Page, server: Server) -> None:
    from tests.browser.walk import sign_in_by_token

    sign_in_by_token(page, server)
    page.goto(f"{server.url}/journey?ref=demo-child-001")
    expect(page.locator("#add-member-box summary")).to_have_text(HEADINGS["en"][0])
    page.locator("#lang").select_option("sv")
    expect(page.locator("#add-member-box summary")).to_have_text(HEADINGS["sv"][0])
    page.goto(f"{server.url}/journey?ref=demo-child-001")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("#timeline-title")).to_have_text(HEADINGS["sv"][1])
