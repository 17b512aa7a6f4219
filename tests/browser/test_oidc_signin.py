"""Signing in through a real OpenID provider (oidc-provider under Node, tests/oidc/provider.py)
in Chromium, against a real ``polku serve --demo`` on SQLite and on PostgreSQL: the provider's
own login and consent pages, the session cookie (HttpOnly, SameSite=Lax, no token in the tab),
a write that carries the CSRF token (and one without it refused), and signing out through the
provider, after which the old session cookie is worth nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from runtime.settings import Settings
from tests.browser.support import choose_purpose, seed_population
from tests.conftest import IN_CI, _postgres_settings
from tests.oidc.provider import (
    WEB_CLIENT,
    Provider,
    port_in_range,
    provider_problem,
    running_provider,
)
from tests.support import start_polku_serve

pytestmark = pytest.mark.browser

WORKER = "p-integration-01"  # the demo child's integration counsellor, on the team
ACCOUNTS = {
    WORKER: {
        "polku_party": WORKER,
        "polku_org": "city-integration-services",
        "polku_role": "caseworker",
    }
}
CHILD = "demo-child-001"


@dataclass(frozen=True)
class Site:
    url: str
    provider: Provider


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    del browser  # a missing Chromium skips (or fails in CI) before anything starts
    problem = provider_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI requires the OpenID provider: {problem}")
        pytest.skip(problem)
    workdir = tmp_path_factory.mktemp(f"oidc-{request.param}")
    if request.param == "sqlite":
        yield from _site(
            Settings(database_url=f"sqlite:///{workdir / 'polku.db'}", _env_file=None), workdir
        )
    else:
        for settings in _postgres_settings(workdir):
            yield from _site(settings, workdir)


def _site(settings: Settings, workdir: Path) -> Iterator[Site]:
    port = port_in_range()
    url = f"http://127.0.0.1:{port}"
    with running_provider(
        workdir, ["key-1"], avoid=(port,), redirect_uris=[f"{url}/auth/callback"], accounts=ACCOUNTS
    ) as provider:
        seed_population(settings, clients=10)
        with pytest.MonkeyPatch.context() as env:
            for name, value in {
                "POLKU_OIDC_ISSUER": provider.issuer,
                "POLKU_OIDC_CLIENT_ID": WEB_CLIENT[0],
                "POLKU_OIDC_CLIENT_SECRET": WEB_CLIENT[1],
                "POLKU_OIDC_REDIRECT_URL": f"{url}/auth/callback",
                "POLKU_OIDC_SCOPES": "openid polku",
                "POLKU_OIDC_PARTY_CLAIM": "polku_party",
                "POLKU_OIDC_ORGANISATION_CLAIM": "polku_org",
                "POLKU_OIDC_ROLE_CLAIM": "polku_role",
                "POLKU_SESSION_COOKIE_SECURE": "false",  # http://127.0.0.1 in the test
            }.items():
                env.setenv(name, value)
            with (workdir / "serve.out").open("w") as out:
                process = start_polku_serve(
                    settings, port, "--demo", stdout=out, cwd=workdir, timeout=120
                )
        try:
            yield Site(url, provider)
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_signing_in_through_the_provider_working_and_signing_out(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/signin")
    page.get_by_role("link", name="Sign in with your organisation's account").click()

    # the provider's own pages (oidc-provider's login and consent)
    page.wait_for_url(re.compile(re.escape(site.provider.issuer)))
    page.locator("input[name=login]").fill(WORKER)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(site.provider.issuer) + ".*/interaction/"))
    page.locator("button[type=submit]").click()  # consent: Continue

    # back at Polku: the purpose step, then the caseload
    choose_purpose(page)
    page.wait_for_url(lambda url: "/signin" not in url)
    expect(page.locator(".session")).to_contain_text(WORKER)
    expect(page.locator("#caseload-list")).to_contain_text(CHILD)
    assert page.evaluate("sessionStorage.getItem('polku.token')") in (None, "")
    cookies = {c["name"]: c for c in page.context.cookies(site.url)}
    session = cookies["polku_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert cookies["polku_csrf"]["httpOnly"] is False
    assert session["expires"] > 0  # a lifetime, not a browser-long cookie

    # a write from the page carries the CSRF token; the same write without it is refused
    page.goto(f"{site.url}/journey?ref={CHILD}")
    expect(page.locator("#map-caption")).to_contain_text("on the team")
    page.get_by_text("Add a team member").click()
    form = page.locator("#add-member")
    form.get_by_label("Member type").select_option("informal")
    form.get_by_label("Name").fill("Neighbour Sso")
    form.get_by_label("Role").select_option("family_member")
    form.get_by_label("Sector").select_option("family")
    form.get_by_role("button", name="Add to the team").click()
    expect(page.locator("#banner")).to_contain_text("Recorded: Team member added")
    expect(page.locator("#map g.member").filter(has_text="Neighbour Sso")).to_have_count(1)
    forged = page.evaluate(
        """async () => (await fetch('/v1/journeys/demo-child-001/team-members', {
            method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({occurred_at: '2026-01-01T00:00:00Z', party_id: 'p-forged',
              member_type: 'professional', role: 'nurse', organisation: 'x',
              sector: 'health_care'})})).status"""
    )
    assert forged == 403

    # sign out: the session is deleted, and the provider's session ended
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(re.escape(site.provider.issuer)))
    page.locator("button[autofocus]").click()  # the provider asks: sign out? yes
    page.wait_for_url(re.compile(r"/signin\?reason=signed-out"))
    expect(page.locator("#banner")).to_contain_text("You are signed out")
    stale = httpx.get(f"{site.url}/v1/me", cookies={"polku_session": session["value"]}, timeout=10)
    assert stale.status_code == 401
    page.goto(f"{site.url}/journey?ref={CHILD}")
    page.wait_for_url(re.compile(r"/signin\?next="))
