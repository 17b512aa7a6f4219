"""A real ``polku serve --demo`` process and Debian's Chromium, for the browser tests and the
screenshot script."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, Playwright

from demo.population import generate
from runtime.settings import Settings
from runtime.wiring import build_service
from tests.support import free_port, start_polku_serve

__all__ = [
    "BROWSER_ARGS",
    "CHROMIUM",
    "POPULATION_CLIENTS",
    "POPULATION_SEED",
    "Server",
    "chromium_problem",
    "launch",
    "running_server",
    "sign_in",
]

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
POPULATION_CLIENTS = 60
POPULATION_SEED = 7
_TOKEN_LINE = re.compile(
    r"^\s+(admin|case worker|auditor|planner|client|guardian)\s+(polku_\S+)", re.MULTILINE
)


def chromium_problem() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless; never a browser downloaded by Playwright."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)


@dataclass(frozen=True)
class Server:
    url: str
    tokens: dict[str, str]
    """The demo tokens by role: admin, caseworker, auditor, planner, client (demo-adult-002),
    guardian (of demo-child-001)."""
    settings: Settings

    def api(self, path: str, role: str, **params: str) -> httpx.Response:
        return httpx.get(
            f"{self.url}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
            timeout=30,
        )


def seed_population(settings: Settings, clients: int = POPULATION_CLIENTS) -> None:
    """What ``polku generate --clients 60 --seed 7`` writes, into the store ``settings`` name."""
    generate(lambda clock: build_service(settings, clock=clock), clients, POPULATION_SEED)


@contextmanager
def running_server(settings: Settings, workdir: Path) -> Iterator[Server]:
    """``polku serve --demo`` on a free port, on the store ``settings`` name."""
    port = free_port()
    with (workdir / "serve.out").open("w+") as out:
        try:
            process = start_polku_serve(
                settings, port, "--demo", stdout=out, cwd=workdir, timeout=120
            )
        except RuntimeError:
            out.seek(0)
            raise RuntimeError(f"polku serve did not start:\n{out.read()}") from None
        try:
            url = f"http://127.0.0.1:{port}"
            out.seek(0)
            found = dict(_TOKEN_LINE.findall(out.read()))
            tokens = {
                "admin": found["admin"],
                "caseworker": found["case worker"],
                "auditor": found["auditor"],
                "planner": found["planner"],
                "client": found["client"],
                "guardian": found["guardian"],
            }
            yield Server(url, tokens, settings)
        finally:
            process.terminate()
            process.wait(timeout=30)


def sign_in(page: Page, server: Server, role: str, purpose: str = "Care coordination") -> None:
    """Sign in through the sign-in page, as a person would: the token, then (for the roles that
    read clients' data) the reason for this session's reads."""
    page.goto(f"{server.url}/signin")
    # By the fields' ids, not their labels: the page may be in Finnish or Swedish.
    page.locator("#token").fill(server.tokens[role])
    page.locator("#signin button[type=submit]").click()
    if role in ("caseworker", "coordinator", "auditor"):
        choose_purpose(page, purpose)
    page.wait_for_url(lambda url: "/signin" not in url)


def choose_purpose(page: Page, purpose: str = "Care coordination") -> None:
    """The sign-in page's second step for roles that read clients' data: why, once (the
    purpose by its English name, chosen by its term whatever the page's language)."""
    page.locator("#purpose").select_option(value=purpose.lower().replace(" ", "_"))
    page.locator("#purpose-step button[type=submit]").click()
