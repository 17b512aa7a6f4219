"""The pages in Finnish and Swedish, in a real browser: a Finnish browser gets Finnish pages
(``html[lang=fi]``), the header's switch turns them Swedish and the choice holds on reload and on
the next page; and no vocabulary code (``early_childhood_education``) is shown as such, only
what the term is called. (The other browser tests read the pages in English.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from domain.vocabulary import vocabulary
from tests.browser.conftest import VIEWPORT, Watched, watched_page
from tests.browser.support import Server, sign_in

pytestmark = pytest.mark.browser

CHILD = "demo-child-001"
CODES = sorted({term for terms in vocabulary().terms.values() for term in terms if "_" in term})
"""The vocabulary's terms that can only be codes (the others are ordinary words)."""

_SHOWN_CODES = """(codes) => {
  const shown = [
    document.body.innerText,
    ...[...document.querySelectorAll("svg text")].map((node) => node.textContent),
    ...[...document.querySelectorAll("option")].map((node) => node.textContent),
  ].join("\\n");
  return codes.filter((code) => new RegExp(`(^|[^\\\\w])${code}($|[^\\\\w])`).test(shown));
}"""


@pytest.fixture
def finnish(browser: Browser, watched: Watched) -> Iterator[Page]:
    """A fresh tab session in a Finnish browser, in Helsinki."""
    yield from watched_page(browser, watched, "fi-FI")


def no_codes_shown(page: Page) -> None:
    shown: list[str] = page.evaluate(_SHOWN_CODES, CODES)
    assert shown == [], f"vocabulary codes shown as such on {page.url}: {shown}"


def in_language(page: Page, lang: str, *texts: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#lang")).to_have_value(lang)
    for text in texts:
        expect(page.locator("#main")).to_contain_text(text)


def switch(page: Page, lang: str) -> None:
    """Choose ``lang`` in the header (the page is drawn again)."""
    page.locator("#lang").select_option(lang)
    expect(page.locator("html")).to_have_attribute("lang", lang)


def test_the_sign_in_page(finnish: Page, server: Server) -> None:
    page = finnish
    page.goto(f"{server.url}/signin")
    in_language(page, "fi", "Kirjaudu sisään", "API-avain")
    expect(page).to_have_title("Kirjaudu sisään — Polku")
    expect(page.locator("a.skip")).to_have_text("Siirry sisältöön")
    page.locator("#signin button[type=submit]").click()
    expect(page.locator("#token-error")).to_have_text("Liitä ensin avain.")
    switch(page, "sv")
    in_language(page, "sv", "Logga in", "API-nyckel")
    page.reload()
    in_language(page, "sv", "Logga in")
    # Signed in, the next page is Swedish too, with the reason chosen by its Swedish name.
    page.locator("#token").fill(server.tokens["caseworker"])
    page.locator("#signin button[type=submit]").click()
    expect(page.locator("#purpose option[value=care_coordination]")).to_have_text(
        "Samordning av tjänster"
    )
    no_codes_shown(page)
    page.locator("#purpose").select_option("care_coordination")
    page.locator("#purpose-step button[type=submit]").click()
    page.wait_for_url(f"{server.url}/")
    in_language(page, "sv", "Mina klienter")


def test_the_start_page(finnish: Page, server: Server) -> None:
    page = finnish
    sign_in(page, server, "caseworker")
    in_language(page, "fi", "Asiakkaani", "Asiakkaat, joiden tiimissä olet", "Avaa asiakkuus")
    expect(page.locator("nav.pages")).to_contain_text("Uusi asiakas")
    expect(page.get_by_role("button", name="Kirjaudu ulos")).to_be_visible()
    expect(page.locator("#caseload-list li").first).to_be_visible()
    expect(page).to_have_title("Asiakkaani — Polku")
    no_codes_shown(page)
    switch(page, "sv")
    in_language(page, "sv", "Mina klienter", "Öppna ett klientskap")
    expect(page.locator("#caseload-list li").first).to_be_visible()
    no_codes_shown(page)
    page.reload()
    in_language(page, "sv", "Mina klienter")
    page.goto(f"{server.url}/journey?ref={CHILD}")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("#lang")).to_have_value("sv")


def test_the_auditors_page(finnish: Page, server: Server) -> None:
    page = finnish
    sign_in(page, server, "auditor")
    in_language(page, "fi", "Tarkastus", "Luovutusrekisteri", "Asiakkaan lokiraportti")
    expect(page.locator("tr.ledger-row").first).to_be_visible()
    expect(page.locator("#ledger-summary")).to_contain_text("Rivit 1")
    expect(page.locator("#ledger th").first).to_have_text("Havainto")
    no_codes_shown(page)
    page.locator("#r-client").fill(CHILD)
    page.locator("#report-form button[type=submit]").click()
    report = page.locator("#log-report")
    heading = report.get_by_role("heading", name="Kuka on käsitellyt ja saanut tietojasi")
    expect(heading).to_be_focused()
    expect(report).to_contain_text("Kuka on saanut tietojasi")
    no_codes_shown(page)
    # The report to hand to the client, in the language chosen beside it (the page's).
    expect(page.locator("#r-lang")).to_have_value("fi")
    with page.expect_download() as download:
        page.get_by_role("button", name="Lataa raportti (HTML)").click()
    saved = download.value.path().read_text(encoding="utf-8")
    assert '<html lang="fi">' in saved
    assert "Kuka on saanut tietojasi" in saved
    assert "Europe/Helsinki" in saved
    page.locator("#r-lang").select_option("sv")
    with page.expect_download() as download:
        page.get_by_role("button", name="Lataa raportti (HTML)").click()
    assert '<html lang="sv">' in download.value.path().read_text(encoding="utf-8")

    switch(page, "sv")
    in_language(page, "sv", "Granskning", "Utlämningsregistret", "Klientens loggrapport")
    expect(page.locator("tr.ledger-row").first).to_be_visible()
    expect(page.locator("#ledger th").first).to_have_text("Fynd")
    no_codes_shown(page)
    page.reload()
    in_language(page, "sv", "Granskning")
    page.goto(f"{server.url}/")
    in_language(page, "sv", "Mina klienter", "Öppna ett klientskap")


def test_the_planner_dashboard(finnish: Page, server: Server) -> None:
    page = finnish
    sign_in(page, server, "planner")
    in_language(page, "fi", "Suunnittelijan näkymä", "Prosessikartta", "Odotusajat")
    expect(page.locator("#process-map g.pm-node").first).to_be_visible()
    expect(page.locator("#sankey path.flow").first).to_be_attached()
    expect(page.locator("#variants tbody tr").first).to_be_visible()
    expect(page.locator("#variants th").first).to_have_text("Polku")
    expect(page.locator("#release")).to_contain_text("Luvut ajalta")
    for panel in ("waiting", "pingpong", "gaps", "silent", "conformance"):
        expect(page.locator(f"#{panel}")).to_have_attribute("data-state", "ready")
    expect(page.locator("#map-sector option[value=health_care]")).to_have_text("Terveydenhuolto")
    no_codes_shown(page)
    switch(page, "sv")
    in_language(page, "sv", "Planerarens översikt", "Processkarta", "Väntetider")
    expect(page.locator("#process-map g.pm-node").first).to_be_visible()
    expect(page.locator("#waiting")).to_have_attribute("data-state", "ready")
    health = page.locator("#map-sector option[value=health_care]")
    expect(health).to_have_text("Hälso- och sjukvård")
    no_codes_shown(page)
    page.reload()
    in_language(page, "sv", "Planerarens översikt")
    page.goto(f"{server.url}/")  # a planner's start page is the dashboard
    page.wait_for_url(f"{server.url}/planner")
    in_language(page, "sv", "Planerarens översikt")


def test_the_clients_page(finnish: Page, server: Server) -> None:
    page = finnish
    sign_in(page, server, "client")
    in_language(page, "fi", "Tiimini verkostokarttana", "Suostumukseni ja kieltoni")
    expect(page.locator("#mine-title")).to_have_text("Minun tiimini")
    expect(page.locator("nav.pages")).to_contain_text("Minun tiimini")
    expect(page.locator("#my-log")).to_contain_text("katsoi omaa sivuasi")
    no_codes_shown(page)
    switch(page, "sv")
    expect(page.locator("#mine-title")).to_have_text("Mitt team")
    in_language(page, "sv", "Mitt team som nätverkskarta", "Mina samtycken och förbud")
    expect(page.locator("#my-log")).to_contain_text("tittade på din egen sida")
    no_codes_shown(page)
    page.reload()
    expect(page.locator("#mine-title")).to_have_text("Mitt team")
    in_language(page, "sv", "Mitt team som nätverkskarta")


def test_the_clients_page_follows_the_clients_language_unless_the_reader_chose(
    browser: Browser, server: Server
) -> None:
    """demo-adult-002 registered Finnish: an English browser gets the page in Finnish, until
    the reader chooses English."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/Helsinki")
    try:
        page = context.new_page()
        sign_in(page, server, "client")
        expect(page.locator("#mine-title")).to_have_text("Minun tiimini")
        expect(page.locator("html")).to_have_attribute("lang", "fi")
        expect(page.locator("#lang")).to_have_value("fi")
        expect(page.get_by_role("button", name="Kirjaudu ulos")).to_be_visible()
        switch(page, "en")
        expect(page.locator("#mine-title")).to_have_text("My team")
        page.reload()
        expect(page.locator("#mine-title")).to_have_text("My team")
    finally:
        context.close()
