"""The web pages in a real browser (Debian's Chromium, headless), against a real server on
SQLite and on PostgreSQL: one test body per behaviour."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.browser.support import Server, choose_purpose, sign_in
from tests.browser.walk import sign_in_by_token

pytestmark = pytest.mark.browser

CHILD = "demo-child-001"
ELDER = "demo-elder-003"


def open_journey(page: Page, server: Server, client_ref: str = CHILD) -> None:
    page.goto(f"{server.url}/journey?ref={client_ref}")
    expect(page.locator("#map-caption")).to_contain_text("on the team")


def drawn_team(page: Page) -> set[str]:
    parties: list[str] = page.locator("#map g.member").evaluate_all(
        "nodes => nodes.map(n => n.dataset.party)"
    )
    return set(parties)


def member(page: Page, party: str) -> Locator:
    return page.locator(f'#map g.member[data-party="{party}"]')


def test_signing_in_keeps_the_token_for_the_tab_and_signing_out_forgets_it(
    page: Page, server: Server
) -> None:
    page.goto(f"{server.url}/signin")
    page.get_by_label("API token").fill("polku_0000000000000000_not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#token-error")).to_contain_text("not accepted")
    expect(page.get_by_label("API token")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("sessionStorage.getItem('polku.token')") is None

    sign_in(page, server, "caseworker")
    expect(page.locator("#caseload-list")).to_contain_text(CHILD)
    assert page.evaluate("sessionStorage.getItem('polku.token')") == server.tokens["caseworker"]
    expect(page.locator(".session")).to_contain_text("p-integration-01")

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#banner")).to_contain_text("You are signed out")
    assert page.evaluate("sessionStorage.length") == 0
    page.goto(f"{server.url}/journey?ref={CHILD}")
    page.wait_for_url(re.compile(r"/signin\?next="))


@pytest.mark.parametrize(
    "payload",
    [
        "/%5Cevil.example/x",  # "/\\evil.example/x": a backslash reads as a slash
        "/%09/evil.example/x",  # a tab is dropped, leaving "//evil.example/x"
        "/.//evil.example/x",  # a same-origin URL whose path starts with "//"
        "//evil.example/x",
        "https://evil.example/x",
    ],
)
def test_signing_in_goes_on_only_to_a_page_of_this_site(
    page: Page, server: Server, payload: str
) -> None:
    left: list[str] = []

    def evil(route: Route) -> None:
        left.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>elsewhere</p>")

    page.route(re.compile(r"^https?://evil\.example/"), evil)
    page.goto(f"{server.url}/signin?next={payload}")
    page.get_by_label("API token").fill(server.tokens["caseworker"])
    page.get_by_role("button", name="Sign in").click()
    choose_purpose(page)
    page.wait_for_url(lambda url: "/signin" not in url)
    page.wait_for_load_state("load")
    assert page.url.startswith(f"{server.url}/"), page.url
    assert left == []


def test_signing_in_goes_on_to_the_page_asked_for(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/signin?next=/journey%3Fref%3D{CHILD}")
    page.get_by_label("API token").fill(server.tokens["caseworker"])
    page.get_by_role("button", name="Sign in").click()
    with page.expect_request(
        lambda request: request.url.startswith(f"{server.url}/v1/journeys/{CHILD}")
    ) as asked:
        choose_purpose(page, "Safeguarding")
    page.wait_for_url(f"{server.url}/journey?ref={CHILD}")
    expect(page.locator("#map-caption")).to_contain_text("on the team")
    # The reason chosen once goes with every read, into the client's log report.
    assert asked.value.headers.get("x-purpose") == "safeguarding"


def test_moving_the_date_controls_redraws_the_team(page: Page, server: Server) -> None:
    sign_in(page, server, "caseworker")
    open_journey(page, server)

    page.locator("#at-date").fill("2025-09-01")
    expect(member(page, "p-daycare-01")).to_have_count(1)
    assert drawn_team(page) == {"p-integration-01", "p-daycare-01", "p-interp-01"}
    expect(page.locator("#map g.member.coordinator")).to_have_attribute(
        "data-party", "p-integration-01"
    )

    page.locator("#at-date").fill("2026-09-01")  # day care behind, school begun
    expect(member(page, "p-daycare-01")).to_have_count(0)
    assert drawn_team(page) == {"p-integration-01", "p-interp-01", "p-school-01"}

    # The same day as the record stood on 1 March 2026: the teacher was not entered yet, and
    # the day-care teacher's leaving not at all.
    page.locator("#known-date").fill("2026-03-01")
    expect(member(page, "p-school-01")).to_have_count(0)
    assert drawn_team(page) == {"p-integration-01", "p-daycare-01", "p-interp-01"}

    # The slider works from the keyboard: Home is the journey's first day.
    slider = page.get_by_label("On date, by day")
    slider.focus()
    page.keyboard.press("Home")
    expect(page.locator("#at-date")).to_have_value("2025-08-04")
    expect(member(page, "p-interp-01")).to_have_count(0)
    assert drawn_team(page) == {"p-integration-01"}
    expect(page.locator("#map g.member.coordinator")).to_have_count(0)  # assigned on 5 August


def test_adding_a_team_member_from_the_directory_puts_them_on_the_map(
    page: Page, server: Server
) -> None:
    sign_in(page, server, "caseworker")
    open_journey(page, server)
    expect(member(page, "p-nurse-07")).to_have_count(0)

    page.get_by_text("Add a team member").click()
    form = page.locator("#add-member")
    form.get_by_label("Organisation").select_option(label="Hamnens skola")
    form.get_by_label("Professional").select_option(label="Elin Sjöström — Nurse")
    # The directory fills in what it knows; the preview says what will be recorded.
    expect(form.get_by_label("Role")).to_have_value("nurse")
    expect(form.get_by_label("Sector")).to_have_value("education")
    expect(form.locator(".preview")).to_contain_text("Elin Sjöström")
    form.get_by_label("Sector").select_option("health_care")
    form.get_by_role("button", name="Add to the team").click()

    expect(page.locator("#banner")).to_contain_text("Recorded: Team member added")
    expect(member(page, "p-nurse-07")).to_have_count(1)
    expect(member(page, "p-nurse-07")).to_contain_text("Elin Sjöström")
    expect(member(page, "p-nurse-07")).to_have_attribute("data-sector", "health_care")
    # Someone on the team is not offered again (the form stays open, drawn afresh).
    form.get_by_label("Organisation").select_option(label="Hamnens skola")
    expect(form.get_by_label("Professional").locator('option[value="p-nurse-07"]')).to_have_count(0)


def test_the_form_works_from_the_keyboard_and_client_data_stays_text(
    page: Page, server: Server
) -> None:
    sign_in(page, server, "caseworker")
    open_journey(page, server)
    markup = '<img src="x" onerror="window.owned=1">Bo'
    page.locator("#add-member-box summary").focus()
    page.keyboard.press("Enter")  # opens the form
    form = page.locator("#add-member")
    form.get_by_label("Member type").focus()
    page.keyboard.type("Family and friends")  # the form redraws for a non-professional
    for label, keys in (("Name", markup), ("Role", "Family member"), ("Sector", "Family")):
        form.get_by_label(label).focus()
        page.keyboard.type(keys)
    form.get_by_label("Name").focus()
    page.keyboard.press("Enter")  # submits from the text field
    expect(page.locator("#banner")).to_contain_text("Recorded: Team member added")
    added = page.locator('#map g.member[data-type="informal"]').filter(has_text="Bo")
    expect(added).to_have_count(1)
    expect(added.locator("title")).to_contain_text(markup)
    expect(page.locator("#main img")).to_have_count(0)
    assert page.evaluate("window.owned") is None


def test_a_rejected_command_shows_its_errors_next_to_the_fields(page: Page, server: Server) -> None:
    sign_in(page, server, "caseworker")
    open_journey(page, server)
    version_before = server.api(f"/v1/journeys/{CHILD}", "auditor").json()["known_version"]
    page.get_by_text("Record a consent").click()
    form = page.locator("#grant-consent")
    form.get_by_role("button", name="Record the consent").click()  # nothing filled in
    categories = form.locator('[data-field="categories"]')
    expect(categories.locator(".field-error")).to_have_text("Choose at least one.")
    expect(form.get_by_label("Given how")).to_have_attribute("aria-invalid", "true")

    # A rule of the timeline, in the reader's terms: the coordinator is assigned already.
    page.get_by_text("Assign the coordinator").click()
    form = page.locator("#assign-coordinator")
    form.get_by_label("New coordinator").select_option("p-integration-01")
    form.get_by_role("button", name="Assign").click()
    error = form.locator('[data-field="party_id"] .field-error')
    expect(error).to_contain_text("They are already the coordinator.")
    expect(error).to_contain_text("It conflicts with “Coordinator assigned” of 5 Aug 2025")
    link = error.get_by_role("link", name="Show it on the timeline")
    expect(link).to_have_attribute(
        "href", re.compile(rf"/journey\?ref={CHILD}&event=[0-9a-f-]{{36}}$")
    )
    expect(form.get_by_label("When it happened")).not_to_have_attribute("aria-invalid", "true")

    # Back-dated before the registration: the conflict is named by kind and date, with a link.
    page.get_by_text("Record a meeting").click()
    form = page.locator("#meeting")
    form.get_by_label("When it happened").fill("2020-01-01T10:00")
    form.locator('[data-field="participants"]').get_by_role("checkbox").first.check()
    form.locator('[data-field="categories"]').get_by_role("checkbox").first.check()
    form.get_by_label("Purpose").select_option(index=1)
    form.get_by_label("Basis").select_option("statutory")
    form.get_by_label("Statute relied on").select_option(index=1)
    form.get_by_role("button", name="Record the meeting").click()
    error = form.locator('[data-field="occurred_at"] .field-error')
    expect(error).to_contain_text("before the client was registered")
    expect(error).not_to_contain_text("occurred_at")
    version_after = server.api(f"/v1/journeys/{CHILD}", "auditor").json()["known_version"]
    assert version_after == version_before  # nothing was written


def test_the_auditor_finds_a_journey_by_its_ref_and_findings(page: Page, server: Server) -> None:
    sign_in(page, server, "auditor")
    page.get_by_label("Client reference (whole)").fill(CHILD)
    page.get_by_label("With findings only").check()
    page.get_by_role("button", name="Find").click()
    found = page.locator("#search-results a.journey-link")
    expect(found.first).to_be_visible()
    assert set(found.all_inner_texts()) == {CHILD}  # the backdated consent is a finding
    found.filter(has_text=CHILD).click()
    page.wait_for_url(re.compile(r"/journey\?ref=demo-child-001"))
    # A part of a ref finds nothing: refs are kept sealed, there is no prefix search.
    page.go_back()
    page.get_by_label("Client reference (whole)").fill("demo-")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#search-summary")).to_contain_text("No journey matches")


def test_the_auditor_finds_the_backdated_consent_and_follows_it_to_the_event(
    page: Page, server: Server
) -> None:
    sign_in(page, server, "auditor")
    assert page.url.endswith("/audit")
    expect(page.locator("#ledger-summary")).to_contain_text("Entries 1")
    page.get_by_label("Client", exact=True).fill(CHILD)
    page.get_by_label("Verdict").select_option("findings")  # the server filters and pages

    finding = page.locator('tr.ledger-row[data-disclosure="disc-child-portfolio"]')
    expect(finding).to_have_count(1)
    expect(finding.locator('td[data-label="Finding"]')).to_have_text("lawful now, unsupported then")
    expect(finding.locator('td[data-label="Then"]')).to_contain_text("unsupported")
    expect(finding.locator('td[data-label="Then"]')).to_contain_text("consent-backdated")
    expect(finding.locator('td[data-label="Then"]')).to_contain_text(
        "after the disclosure occurred"
    )
    expect(finding.locator('td[data-label="Now"]')).to_have_text("lawful")
    event_id = finding.get_attribute("data-event")
    rows = page.locator("tr.ledger-row")
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.client)")) == {CHILD}
    assert "lawful" not in set(rows.evaluate_all("rs => rs.map(r => r.dataset.finding)"))

    finding.get_by_role("link", name="open the event").click()
    page.wait_for_url(re.compile(r"/journey\?ref=demo-child-001&event="))
    event_row = page.locator(f"#event-{event_id}")
    expect(event_row).to_have_class(re.compile(r"\bhighlight\b"))
    expect(event_row).to_contain_text("Information shared")
    expect(event_row).to_be_focused()


def test_the_denial_case_reads_unlawful_then_and_now_on_both_pages(
    page: Page, server: Server
) -> None:
    sign_in(page, server, "auditor")
    page.get_by_label("Client", exact=True).fill(ELDER)
    page.get_by_label("Verdict").select_option("unlawful")
    row = page.locator('tr.ledger-row[data-disclosure="disc-elder-visitor"]')
    expect(row).to_have_count(1)
    expect(row.locator('td[data-label="Then"]')).to_contain_text("unlawful")
    expect(row.locator('td[data-label="Then"]')).to_contain_text("denial-in-force")
    expect(row.locator('td[data-label="Now"]')).to_contain_text("unlawful")
    page.goto(f"{server.url}/journey?ref={ELDER}")
    visitor = page.locator('li[data-recipient="p-visitor-01"]')
    expect(visitor.locator('[data-verdict="then:unlawful"]')).to_have_count(1)
    expect(visitor.locator('[data-verdict="now:unlawful"]')).to_have_count(1)
    expect(visitor).not_to_contain_text("unsupported")


def test_the_clients_log_report_is_shown_and_printable(page: Page, server: Server) -> None:
    sign_in(page, server, "auditor")
    page.get_by_label("Client reference", exact=True).fill(CHILD)
    page.get_by_role("button", name="Show the report").click()
    report = page.locator("#log-report")
    expect(
        report.get_by_role("heading", name="Who has processed and received your data")
    ).to_be_visible()
    expect(report).to_contain_text("p-audit-01")  # this very read is in the log
    expect(report).to_contain_text("school-harbour")  # the portfolio went to the school
    expect(report).to_contain_text("consent-backdated")

    page.emulate_media(media="print")
    expect(report).to_be_visible()
    expect(page.locator("#ledger")).to_be_hidden()
    expect(page.get_by_role("button", name="Print the report")).to_be_hidden()
    assert page.pdf(format="A4").startswith(b"%PDF")


def test_the_planner_dashboard_draws_one_flow_per_unsuppressed_cell(
    page: Page, server: Server
) -> None:
    cells = server.api("/v1/analytics/transitions", "planner").json()
    shown = {(c["from_sector"], c["to_sector"]) for c in cells if not c["suppressed"]}
    hidden = [c for c in cells if c["suppressed"]]
    assert len(shown) > 0

    sign_in(page, server, "planner")
    assert page.url.endswith("/planner")
    flows = page.locator("#sankey path.flow")
    expect(flows).to_have_count(len(shown))
    drawn = flows.evaluate_all("ps => ps.map(p => [p.dataset.from, p.dataset.to])")
    assert {(a, b) for a, b in drawn} == shown
    listed = page.locator("#suppressed-cells li")
    expect(listed).to_have_count(len(hidden))
    for n in range(len(hidden)):
        expect(listed.nth(n)).to_contain_text("suppressed (<5 clients)")

    expect(page.locator("#variants tbody tr").first).to_be_visible()
    for panel, path in (
        ("waiting", "waiting-times"),
        ("pingpong", "ping-pong"),
        ("gaps", "coordinator-gaps"),
        ("silent", "silent-transitions"),
        ("conformance", "conformance"),
    ):
        status = server.api(f"/v1/analytics/{path}", "planner").status_code
        expected = {200: "ready", 404: "unavailable"}[status]
        expect(page.locator(f"#{panel}")).to_have_attribute("data-state", expected)


PAGES = (
    ("/signin", None),
    ("/", "caseworker"),
    (f"/journey?ref={CHILD}", "caseworker"),
    # The first day: one professional, the empty wedges' names out at the rim.
    (f"/journey?ref={CHILD}&at=2025-08-04", "caseworker"),
    ("/audit", "auditor"),
    ("/planner", "planner"),
    ("/my-team", "client"),
    (f"/my-team?ref={CHILD}", "guardian"),
)


@pytest.mark.parametrize("width", [1280, 390])
def test_every_control_is_labelled_and_every_page_fits_the_width(
    page: Page, server: Server, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    for path, role in PAGES:
        if role is not None:
            sign_in(page, server, role)
        page.goto(f"{server.url}{path}")
        page.wait_for_load_state("networkidle")
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll("input, select, textarea")]
                .filter(e => e.type !== "hidden" && !(e.labels && e.labels.length)
                        && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby"))
                .map(e => e.id || e.name || e.outerHTML.slice(0, 60))"""
        )
        assert unlabelled == [], path
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow} px wider than {width} px"
        # Every label of the team map and the timeline lies inside its drawing (long names
        # are cut with an ellipsis, the whole name kept in the tooltip and the list).
        outside = page.evaluate(
            """() => [...document.querySelectorAll("#map svg text, #timeline svg text")]
                .filter(t => {
                    const svg = t.ownerSVGElement.getBoundingClientRect();
                    const box = t.getBoundingClientRect();
                    return box.width > 0 && (box.left < svg.left - 0.5
                        || box.right > svg.right + 0.5 || box.top < svg.top - 0.5
                        || box.bottom > svg.bottom + 0.5);
                })
                .map(t => t.textContent)"""
        )
        assert outside == [], f"{path}: labels outside their drawing at {width} px"


def test_dates_are_shown_in_the_readers_locale_with_the_time_zone_stated(
    browser: Browser, server: Server
) -> None:
    context = browser.new_context(locale="fi-FI", timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        sign_in_by_token(page, server)
        page.goto(f"{server.url}/journey?ref={CHILD}")
        # A Finnish browser gets the page in Finnish, in its own time zone.
        expect(page.locator("#zone-note")).to_contain_text("aikavyöhykkeelläsi Asia/Tokyo")
        # Registered on 4 August 2025 at 10:00 UTC, which is 19:00 in Tokyo.
        first = page.locator("#events tbody tr").first
        expect(first.locator('td[data-label="Tapahtui"]')).to_have_text(
            re.compile(r"4\.8\.2025.*19\.00")
        )
    finally:
        context.close()


def test_the_api_docs_work_offline_from_this_server_alone(page: Page, server: Server) -> None:
    """Every request to another origin is refused, as on a machine without internet: the docs
    still draw every operation, and the Content-Security-Policy is never violated (a violation
    is a console error, which fails the test)."""
    elsewhere: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    response = page.goto(f"{server.url}/docs")
    assert response is not None
    assert response.status == 200
    assert "server" not in response.headers  # uvicorn's server header is off
    assert "content-security-policy" in response.headers
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Polku")
    expect(page.get_by_text("Refer the client to a service")).to_be_visible()
    operations = server.api("/openapi.json", "auditor").json()["paths"]
    expect(page.locator(".opblock")).to_have_count(sum(len(ops) for ops in operations.values()))
    assert elsewhere == []


def test_every_planner_panel_obeys_the_period_and_a_backwards_one_is_refused(
    page: Page, server: Server
) -> None:
    sign_in(page, server, "planner")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#release")).to_contain_text("Figures for")
    expect(page.locator("#exports button")).to_have_count(0)  # planners get no microdata
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/v1/analytics/" in r.url else None)
    page.get_by_label("Period from (UTC day)").fill("2022-01-01")
    page.get_by_label("until").fill("2022-12-31")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#release")).to_contain_text("Figures for 2022")
    panels = {u.split("/v1/analytics/")[1].split("?")[0] for u in asked if "from=" in u}
    assert panels >= {
        "transitions",
        "variants",
        "waiting-times",
        "ping-pong",
        "coordinator-gaps",
        "silent-transitions",
        "conformance",
    }
    page.get_by_label("Period from (UTC day)").fill("2022-12-31")
    page.get_by_label("until").fill("2022-01-01")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#release")).to_contain_text("starts after it ends")
    expect(page.locator("#waiting")).to_contain_text("starts after it ends")


def test_auditors_get_a_download_button_per_export(page: Page, server: Server) -> None:
    sign_in(page, server, "auditor")
    page.goto(f"{server.url}/planner")
    buttons = page.locator("#exports button")
    expect(buttons).to_have_count(3)
    with page.expect_download() as download:
        buttons.first.click()
    assert download.value.suggested_filename == "polku.xes"


def test_the_process_map_draws_the_unsuppressed_paths_and_simplifies_them(
    page: Page, server: Server
) -> None:
    edges = server.api("/v1/analytics/dfg", "planner").json()
    shown = {(e["source"], e["target"]) for e in edges if not e["suppressed"]}
    assert len(shown) > 2

    sign_in(page, server, "planner")
    drawn = page.locator("#process-map g.pm-edge")
    expect(drawn).to_have_count(len(shown))
    pairs = drawn.evaluate_all("gs => gs.map(g => [g.dataset.source, g.dataset.target])")
    assert {(a, b) for a, b in pairs} == shown
    expect(page.locator("#map-caption")).to_contain_text(f"{len(shown)} of {len(shown)} paths")
    counts = set(page.locator("#process-map .pm-label").all_text_contents())
    assert all(c.isdigit() for c in counts)  # the frequency view

    page.get_by_label("mean time between").check()
    labels = page.locator("#process-map .pm-label").all_text_contents()
    assert all(text.endswith(" d") or text == "\u2013" for text in labels)

    page.get_by_label("Paths shown").fill("10")
    fewer = max(1, -(-len(shown) // 10))
    expect(drawn).to_have_count(fewer)  # the most frequent tenth

    page.get_by_label("Paths shown").fill("100")
    page.get_by_label("Pathway", exact=True).select_option(index=1)
    chosen = page.get_by_label("Pathway", exact=True).input_value()
    narrowed = server.api("/v1/analytics/dfg", "planner", pathway=chosen).json()
    expected = sum(1 for e in narrowed if not e["suppressed"])
    shown_now = f"{expected} of {expected} paths" if expected else "nothing can be drawn"
    expect(page.locator("#map-caption")).to_contain_text(shown_now)
    expect(drawn).to_have_count(expected)
