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


def test_the_fhir_export_pages_follow_their_next_links_to_the_whole_bundle(
    api: Api, journey: str
) -> None:
    """Pages of a few entries, followed by their next links, hold the entries of the whole
    Bundle as of the first page's moment, in order (reads made meanwhile do not shift them)."""
    h = api.headers("worker")
    first = api.client.get(f"{J}/fhir?_count=2", headers=h)
    assert first.status_code == 200, first.text
    bundle = first.json()
    assert len(bundle["entry"]) == 2
    moment = bundle["timestamp"]
    entries = list(bundle["entry"])
    pages = 1
    while True:
        nexts = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not nexts:
            break
        response = api.client.get(nexts[0], headers=h)
        assert response.status_code == 200, response.text
        bundle = response.json()
        assert bundle["timestamp"] == moment
        assert len(bundle["entry"]) <= 2
        entries += bundle["entry"]
        pages += 1
    whole = api.client.get(f"{J}/fhir", params={"at": moment, "known_at": moment}, headers=h).json()
    assert [link["relation"] for link in whole["link"]] == ["self"]  # one page
    assert entries == whole["entry"]
    assert pages == -(-len(entries) // 2)
    assert pages > 2


def test_a_fhir_page_token_not_given_by_the_export_is_refused(api: Api, journey: str) -> None:
    for token in ("nonsense", "eyJhdCI6IDF9", "e30"):
        response = api.client.get(f"{J}/fhir?page={token}", headers=api.headers("worker"))
        assert response.status_code == 422, (token, response.text)
    too_many = api.client.get(f"{J}/fhir?_count=1001", headers=api.headers("worker"))
    assert too_many.status_code == 422
