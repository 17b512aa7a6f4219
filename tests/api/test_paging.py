"""The history and the access log come a page at a time, and the pages add up to the whole."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

J = "/v1/journeys/client-1"


def _all_history(api: Api, limit: int) -> tuple[list[dict[str, Any]], int]:
    url: str | None = f"{J}/history?limit={limit}"
    entries: list[dict[str, Any]] = []
    pages = 0
    while url is not None:
        response = api.client.get(url, headers=api.headers("worker"))
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page) <= limit
        entries += page
        pages += 1
        link = response.headers.get("link")
        url = link[link.index("<") + 1 : link.index(">")] if link else None
    return entries, pages


def test_history_pages_follow_their_next_links_to_the_whole_history(api: Api, journey: str) -> None:
    whole = api.client.get(f"{J}/history", headers=api.headers("worker"))
    assert "link" not in whole.headers  # four events: one page
    for limit in (1, 3):
        entries, pages = _all_history(api, limit)
        assert entries == whole.json()
        assert pages == -(-len(entries) // limit)


def test_access_log_reads_page_with_a_cursor(api: Api, journey: str) -> None:
    for _ in range(5):
        api.client.get(J, headers=api.headers("auditor"))
    url = f"{J}/access-log"
    whole = api.client.get(url, headers=api.headers("auditor")).json()
    assert whole["next_cursor"] is None
    reads: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = api.client.get(url, params=params, headers=api.headers("auditor")).json()
        assert len(page["reads"]) <= 2
        reads += page["reads"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    # Each page's own read is logged before it answers: the pages saw the log grow as they went.
    assert reads[: len(whole["reads"])] == whole["reads"]
    assert len(reads) >= len(whole["reads"]) + 1
    bad = api.client.get(url, params={"cursor": "nonsense"}, headers=api.headers("auditor"))
    assert bad.status_code == 422
