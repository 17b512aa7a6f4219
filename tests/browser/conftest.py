"""Browser fixtures: Debian's Chromium driven by Playwright, and one real ``polku serve --demo``
per backend (SQLite, PostgreSQL) for the whole module, its store seeded with a synthetic
population first. Without /usr/bin/chromium the tests are skipped with the reason shown —
except in CI (``CI=true``), where they fail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Response,
    ViewportSize,
    sync_playwright,
)

from runtime.settings import Settings
from tests.browser.support import Server, chromium_problem, launch, running_server, seed_population
from tests.conftest import IN_CI, _postgres_settings

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    problem = chromium_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI requires Chromium: {problem}")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest,
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    """The demo journeys and 60 synthetic clients (seed 7), served by a real process."""
    del browser  # set up first, so that a missing Chromium skips before any server starts
    workdir = tmp_path_factory.mktemp(f"serve-{request.param}")
    if request.param == "sqlite":
        sqlite = Settings(database_url=f"sqlite:///{workdir / 'polku.db'}", _env_file=None)
        yield from _serve(sqlite, workdir)
    else:
        for settings in _postgres_settings(workdir):
            yield from _serve(settings, workdir)


def _serve(settings: Settings, workdir: Path) -> Iterator[Server]:
    seed_population(settings)
    with running_server(settings, workdir) as running:
        yield running


@dataclass
class Watched:
    """What went wrong in the page: script errors, console errors and 5xx answers."""

    problems: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        # Failed loads are judged by their status below (a 404 can be the expected answer).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")


@pytest.fixture
def watched() -> Watched:
    return Watched()


def watched_page(browser: Browser, watched: Watched, locale: str = "en-GB") -> Iterator[Page]:
    """A fresh browser context (a new tab session) at 1280 pixels, in Helsinki, whose language is
    ``locale``; afterwards, nothing may have gone wrong in it (``watched``)."""
    context = browser.new_context(viewport=VIEWPORT, locale=locale, timezone_id="Europe/Helsinki")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", watched.console)
    page.on("pageerror", lambda error: watched.problems.append(f"script error: {error}"))
    page.on("response", watched.response)
    yield page
    context.close()
    assert watched.problems == []


@pytest.fixture
def page(browser: Browser, watched: Watched) -> Iterator[Page]:
    """A fresh tab session in an English browser."""
    yield from watched_page(browser, watched)
