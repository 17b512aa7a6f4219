"""The web pages as the server sends them: shells without data or token, a strict policy of
their own, nothing from elsewhere, and the two small API routes they rely on. (What the pages
do is tested in a browser: tests/browser.)"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from html.parser import HTMLParser

import pytest

from api.web import PAGES, STATIC_DIR
from pathways.analytics import MIN_CLIENTS
from runtime.logging import configure_logging
from runtime.settings import Settings
from tests.api.conftest import Api

WEB = STATIC_DIR.parent
ROOT = WEB.parent.parent


class _Shell(HTMLParser):
    """What a shell loads and whether it carries anything inline."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "style" or "style" in found or any(name.startswith("on") for name in found):
            self.inline.append(tag)
        if tag == "script":
            if not found.get("src"):
                self.inline.append("script")
            self.loads.append(found.get("src") or "")
        if tag == "link":
            self.loads.append(found.get("href") or "")


@pytest.mark.parametrize("path", sorted(PAGES))
def test_each_page_is_a_shell_served_without_a_token_under_a_strict_policy(
    api: Api, path: str
) -> None:
    response = api.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "require-trusted-types-for 'script'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    shell = _Shell()
    shell.feed(response.text)
    assert shell.inline == []
    assert shell.loads
    assert all(url.startswith("/static/") for url in shell.loads)  # nothing from a CDN
    for url in shell.loads:
        assert api.client.get(url).status_code == 200


def test_static_files_get_the_pages_policy_and_the_api_keeps_its_own(api: Api) -> None:
    script = api.client.get("/static/js/journey.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "script-src 'self'" in script.headers["content-security-policy"]
    health = api.client.get("/healthz")
    assert health.headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in health.headers["content-security-policy"]
    assert api.client.get("/static/..%2Fpages.py").status_code == 404  # nothing outside static/


def test_the_pages_are_not_in_the_openapi_document(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert not set(PAGES) & set(paths)
    assert not [p for p in paths if p.startswith("/static")]
    assert {"/v1/me", "/v1/vocabulary"} <= set(paths)


def test_a_page_request_logs_its_route_not_its_query(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(Settings(log_format="json", log_level="info", _env_file=None))
    try:
        capsys.readouterr()
        api.client.get("/journey?ref=client-secret-42&event=abc")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    finally:
        configure_logging(Settings(log_level="warning", _env_file=None))
    assert [line["route"] for line in lines if line["event"] == "request"] == ["/journey"]
    assert "client-secret-42" not in json.dumps(lines)


_MODULE_IMPORT = re.compile(r'from "\./([\w.-]+\.js)"')
_HTML_SINKS = re.compile(
    r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function)"
)


def test_the_scripts_build_the_page_with_dom_calls_and_import_only_each_other() -> None:
    scripts = sorted((STATIC_DIR / "js").glob("*.js"))
    assert scripts
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        assert _HTML_SINKS.search(text) is None, script.name
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
        for imported in _MODULE_IMPORT.findall(text):
            assert (STATIC_DIR / "js" / imported).is_file(), f"{script.name} imports {imported}"


def test_the_dashboard_suppresses_below_the_same_threshold_as_the_analytics() -> None:
    text = (STATIC_DIR / "js" / "planner.js").read_text(encoding="utf-8")
    assert f"export const MIN_CLIENTS = {MIN_CLIENTS};" in text


def test_every_file_of_the_pages_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["api.web"]
    files = [
        p.relative_to(WEB).as_posix()
        for p in WEB.rglob("*")
        if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts
    ]
    assert files
    missing = [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in patterns)]
    assert missing == []


def test_me_names_the_caller_and_the_vocabulary_lists_the_terms(api: Api) -> None:
    assert api.client.get("/v1/me").status_code == 401
    me = api.client.get("/v1/me", headers=api.headers("auditor"))
    assert me.json() == {"party_id": "p-auditor", "organisation": "audit-office", "role": "auditor"}
    vocabulary = api.client.get("/v1/vocabulary", headers=api.headers("planner")).json()
    assert "health_care" in vocabulary["sectors"]
    assert vocabulary["member_types"] == ["employer", "informal", "professional", "third_sector"]
    assert {s["ref"] for s in vocabulary["statutes"]} >= {"FI:integration-act:information-right"}
