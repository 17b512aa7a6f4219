"""A case worker's day in the pages, in one language: register a client, build the team from
the directory, record a consent, a disclosure, a transition with its hand-over, correct an entry
from the timeline and close the journey. The browser test runs it per language; the screenshot
script runs it too and saves the pages as it goes.

Every step finds controls by the forms' structure (``data-field``, ids, values), never by their
text, so the same walk runs in Finnish, Swedish and English; what it checks of the text is the
language itself (the page's ``lang``, a heading per language, no vocabulary code on show).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

from tests.browser.support import Server

__all__ = ["HEADINGS", "Walked", "walk_the_day"]

HEADINGS = {
    "en": ("Add a team member", "Timeline"),
    "fi": ("Lisää tiimin jäsen", "Aikajana"),
    "sv": ("Lägg till en teammedlem", "Tidslinje"),
}
"""What the add-member form and the timeline are called in each language."""

_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
"""A vocabulary code as the API writes it (``early_childhood_education``)."""

Shoot = Callable[[Page, str], None]


@dataclass(frozen=True)
class Walked:
    client_ref: str
    professional: str
    organisation: str


def _pick_professional(server: Server) -> tuple[str, str]:
    """A professional of the directory and their organisation, not the case worker."""
    answer = server.api("/v1/directory/professionals", "caseworker", limit="1000").json()
    for row in answer["professionals"]:
        if row["party_id"] != "p-integration-01":
            return row["party_id"], row["organisation"]
    raise AssertionError("the demo directory names no professional to add")


def _field(form: Locator, name: str) -> Locator:
    return form.locator(f'[data-field="{name}"]').locator("input, select, textarea").first


def _open(page: Page, form_id: str) -> Locator:
    box = page.locator(f"#{form_id}-box")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    return page.locator(f"#{form_id}")


_ROWS = "document.querySelectorAll('#events tr[data-event]').length"


def _submit(page: Page, form: Locator) -> None:
    """Send the form and wait until the timeline shows the new entry."""
    before = page.evaluate(_ROWS)
    form.locator('button[type="submit"]').click()
    page.wait_for_function(f"n => {_ROWS} > n", arg=before)
    expect(page.locator("#banner.ok")).to_be_visible()


def _no_codes_on_show(page: Page) -> None:
    text = page.locator("#main").inner_text()
    codes = set(_CODE.findall(text))
    assert not codes, f"vocabulary codes on show: {sorted(codes)}"


def _shifted(page: Page, form: Locator, *, hours: int) -> str:
    """The form's "when it happened" moved by ``hours``, as a datetime-local value."""
    value = form.locator('input[name="occurred_at"]').input_value()
    return str(
        page.evaluate(
            "([v, h]) => { const d = new Date(v); d.setHours(d.getHours() + h);"
            " const p = n => String(n).padStart(2, '0');"
            " return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}"
            "T${p(d.getHours())}:${p(d.getMinutes())}`; }",
            [value, hours],
        )
    )


def sign_in_by_token(page: Page, server: Server, role: str = "caseworker") -> None:
    """The sign-in page in any language: the token, then the first purpose offered."""
    page.goto(f"{server.url}/signin")
    page.locator("#token").fill(server.tokens[role])
    page.locator("#signin button[type=submit]").click()
    page.locator("#purpose").select_option(index=1)
    page.locator("#purpose-step button[type=submit]").click()
    page.wait_for_url(lambda url: "/signin" not in url)


def walk_the_day(page: Page, server: Server, lang: str, shoot: Shoot | None = None) -> Walked:
    """The walk (``page``'s browser speaks ``lang``); ``shoot(page, name)`` at each sight."""
    client_ref = f"walk-{lang}-{uuid.uuid4().hex[:8]}"
    professional, organisation = _pick_professional(server)
    sign_in_by_token(page, server)
    expect(page.locator("html")).to_have_attribute("lang", lang)

    # Register the client: the registrar joins the team and lands on the journey.
    page.goto(f"{server.url}/new-client")
    form = page.locator("#register")
    _field(form, "client_ref").fill(client_ref)
    _field(form, "name").fill("Testi Asiakas")
    _field(form, "preferred_language").select_option(lang)
    _field(form, "my_role").select_option("case_manager")
    _field(form, "my_sector").select_option("integration_services")
    # The client came in yesterday morning; it is recorded today.
    form.locator('input[name="occurred_at"]').fill(_shifted(page, form, hours=-24))
    if shoot:
        shoot(page, "new-client")
    form.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(rf"/journey\?ref={client_ref}"))
    expect(page.locator('#map g.member[data-party="p-integration-01"]')).to_have_count(1)
    add_title, timeline_title = HEADINGS[lang]
    expect(page.locator("#add-member-box summary")).to_have_text(add_title)
    expect(page.locator("#timeline-title")).to_have_text(timeline_title)

    # The team from the directory: organisation, then one of its professionals.
    form = _open(page, "add-member")
    _field(form, "organisation").select_option(organisation)
    _field(form, "party_id").select_option(professional)
    expect(form.locator(".preview")).to_be_visible()
    if shoot:
        shoot(page, "add-member")
    _submit(page, form)
    expect(page.locator(f'#map g.member[data-party="{professional}"]')).to_have_count(1)

    # A consent for that organisation, and a disclosure that relies on it.
    form = _open(page, "grant-consent")
    _field(form, "grantor").select_option("client")
    form.locator(f'[data-field="recipient_orgs"] input[value="{organisation}"]').check()
    form.locator('[data-field="categories"] input[value="education"]').check()
    form.locator('[data-field="purposes"] input[value="transition_planning"]').check()
    _field(form, "form").select_option(index=1)
    _submit(page, form)
    expect(page.locator("#consents [data-consent]")).to_have_count(1)

    form = _open(page, "share")
    _field(form, "to_org").select_option(organisation)
    form.locator('[data-field="categories"] input[value="education"]').check()
    _field(form, "purpose").select_option("transition_planning")
    _field(form, "basis").select_option("consent")
    _field(form, "consent_id").select_option(index=1)
    _submit(page, form)
    expect(page.locator(f'#knowledge [data-recipient="{organisation}"]')).to_have_count(1)

    # A transition, and its hand-over: information shared as part of it, to the new member.
    form = _open(page, "transition")
    _field(form, "kind").select_option("daycare_to_school")
    _field(form, "from_service").select_option("early_childhood_education")
    _field(form, "to_service").select_option("education")
    _field(form, "to_org").select_option(organisation)
    _submit(page, form)
    form = _open(page, "share")
    _field(form, "to_party").select_option(professional)
    form.locator('[data-field="categories"] input[value="education"]').check()
    _field(form, "purpose").select_option("transition_planning")
    _field(form, "consent_id").select_option(index=1)
    _field(form, "transition_id").select_option(index=1)
    _submit(page, form)
    expect(page.locator('#events tr[data-kind="information_shared"]')).to_have_count(2)

    # The transition happened an hour earlier than recorded: correct it from the timeline.
    row = page.locator('#events tr[data-kind="transition_recorded"]')
    expect(row).to_have_count(1)
    row.locator('button[data-action="correct"]').click()
    edit = page.locator("#events tr.edit-row form")
    moment = edit.locator('input[name="occurred_at"]')
    moment.fill(_shifted(page, edit, hours=-1))
    _field(edit, "retract_reason").select_option("wrong_date")
    if shoot:
        shoot(page, "correction")
    _submit(page, edit)
    rows = page.locator('#events tr[data-kind="transition_recorded"]')
    expect(rows).to_have_count(2)
    expect(rows.and_(page.locator(".retracted"))).to_have_count(1)
    expect(page.locator('#events tr[data-kind="event_retracted"]')).to_have_count(1)
    if shoot:
        shoot(page, "journey")

    # Close the journey: afterwards only its reopening is offered.
    form = _open(page, "close")
    _submit(page, form)
    expect(page.locator("#reopen-box")).to_have_count(1)
    expect(page.locator("#add-member-box")).to_have_count(0)
    _no_codes_on_show(page)
    return Walked(client_ref, professional, organisation)
