"""Screenshots of the web pages for the README, taken from what ``make run`` serves (the demo
journeys and the synthetic population, on a throwaway SQLite file).

    python -m tests.browser.screenshots [--out docs/screenshots]   (or: make screenshots)

Each page at 1280 pixels wide, and the journey page at 390 (a phone); then a case worker's day
(tests/browser/walk.py) once per language, each sight at 1280 and at 390 pixels, in
``<out>/<lang>/``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from runtime.settings import Settings
from tests.browser.support import Server, chromium_problem, launch, running_server, sign_in
from tests.browser.walk import walk_the_day

LOCALES = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}

WIDE = 1280
NARROW = 390


def _page(browser: Browser, width: int, locale: str = "en-GB") -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        device_scale_factor=1,
        locale=locale,
        timezone_id="Europe/Helsinki",
    )
    context.set_default_timeout(20_000)
    return context.new_page()


def _journey(page: Page, server: Server) -> None:
    sign_in(page, server, "caseworker")
    page.goto(f"{server.url}/journey?ref=demo-child-001")
    expect(page.locator("#map-caption")).to_contain_text("on the team")
    # April 2026: the portfolio has gone to the school on a consent the record did not hold yet.
    page.locator("#at-date").fill("2026-04-10")
    page.locator("#at-date").blur()
    expect(page.locator('#map g.member[data-party="p-daycare-01"]')).to_have_count(1)
    page.wait_for_load_state("networkidle")


def shoot(browser: Browser, server: Server, out: Path) -> list[Path]:
    written: list[Path] = []

    def save(page: Page, name: str, *, full: bool = True) -> None:
        page.wait_for_load_state("networkidle")
        path = out / f"{name}.png"
        page.screenshot(path=str(path), full_page=full)
        written.append(path)

    page = _page(browser, WIDE)
    page.goto(f"{server.url}/signin")
    page.get_by_label("API token").fill("polku_0123456789abcdef_mistyped")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#token-error")).to_be_visible()
    save(page, "signin", full=False)

    _journey(page, server)
    save(page, "journey")

    sign_in(page, server, "auditor")
    page.get_by_label("Verdict").select_option("findings")
    expect(page.locator("tr.ledger-row").first).to_be_visible()
    page.get_by_label("Client reference", exact=True).fill("demo-child-001")
    page.get_by_role("button", name="Show the report").click()
    expect(page.locator("#log-report h2")).to_be_visible()
    save(page, "audit")
    page.emulate_media(media="print")
    save(page, "log-report-print")
    page.emulate_media(media="screen")

    sign_in(page, server, "planner")
    expect(page.locator("#sankey path.flow")).not_to_have_count(0)
    save(page, "planner")
    page.context.close()

    phone = _page(browser, NARROW)
    _journey(phone, server)
    save(phone, "journey-390")
    phone.context.close()
    for lang, locale in LOCALES.items():
        written += shoot_the_day(browser, server, out / lang, lang, locale)
    return written


def shoot_the_day(
    browser: Browser, server: Server, out: Path, lang: str, locale: str
) -> list[Path]:
    """The case worker's day in ``lang``: each sight at 1280 pixels, and again at 390."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for width, suffix in ((WIDE, ""), (NARROW, "-390")):

        def save(page: Page, name: str, suffix: str = suffix) -> None:
            page.wait_for_load_state("networkidle")
            path = out / f"{name}{suffix}.png"
            page.screenshot(path=str(path), full_page=True)
            written.append(path)

        page = _page(browser, width, locale)
        walk_the_day(page, server, lang, shoot=save)
        page.context.close()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    problem = chromium_problem()
    if problem is not None:
        print(f"screenshots: {problem}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        settings = Settings(database_url=f"sqlite:///{workdir / 'polku.db'}", _env_file=None)
        with running_server(settings, workdir) as server, sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                for path in shoot(browser, server, args.out):
                    print(f"wrote {path}")
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
