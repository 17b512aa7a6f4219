"""A journey's audit and its log report come a page at a time (on both backends): the pages of a
walk add up to exactly the report as of the first page, however the record and the access log
grow meanwhile; a cursor not given for this report and this journey is refused before anything
is read or written to the access log."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from tests.api.conftest import Api, T, team_member

J = "client-1"
OTHER = "client-2"
AUDIT = f"/v1/audit/journeys/{J}"
LOG = f"/v1/journeys/{J}/log-report"
OWN_LOG = f"/v1/client/journeys/{J}/log-report"


def _disclose(api: Api, ident: str, ref: str = J, day: int = 4) -> None:
    """A disclosure on consent with no consent on record: a finding per category."""
    response = api.client.post(
        f"/v1/journeys/{ref}/disclosures",
        json={
            "occurred_at": T.format(day),
            "disclosure_id": ident,
            "from_party": "p-worker",
            "from_org": "city-social",
            "to_org": "rehab",
            "categories": ["health", "education"],
            "purpose": "rehabilitation",
            "basis": "consent",
            "consent_id": "k-none",
            "channel": "secure_email",
        },
        headers=api.headers("worker"),
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def grown(api: Api, journey: str) -> Api:
    """client-1 with four disclosures (eight findings), read a few times by the worker and the
    auditor; client-2, the worker on its team; a token for the client of client-1."""
    for n in range(4):
        _disclose(api, f"d{n}")
    for who in ("worker", "auditor", "worker", "auditor", "worker"):
        assert api.client.get(f"/v1/journeys/{J}", headers=api.headers(who)).status_code == 200
    worker = api.headers("worker")
    registered = api.client.post(
        "/v1/journeys",
        json={"occurred_at": T.format(1), "client_ref": OTHER, "preferred_language": "fi"},
        headers=worker,
    )
    assert registered.status_code == 202
    added = api.client.post(
        f"/v1/journeys/{OTHER}/team-members", json=team_member("p-worker", 1), headers=worker
    )
    assert added.status_code == 201, added.text
    _disclose(api, "d-other", OTHER)
    api.tokens["client"] = api.components.tokens.create(
        party_id=J, organisation="citizen", role="client"
    )
    return api


def _writes_between_pages(api: Api, n: int) -> None:
    _disclose(api, f"d-meanwhile-{n}", day=5)
    api.client.get(f"/v1/journeys/{J}", headers=api.headers("worker"))
    api.client.get(f"/v1/journeys/{J}", headers=api.headers("auditor"))


def _walk(
    api: Api, url: str, who: str, limit: int, first: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every page from the first (or from ``first``, already read), writing between pages."""
    params: dict[str, Any] = {"limit": limit}
    pages = []
    page = first
    while True:
        if page is None:
            response = api.client.get(url, params=params, headers=api.headers(who))
            assert response.status_code == 200, response.text
            page = response.json()
        pages.append(page)
        if page["next_cursor"] is None:
            return pages
        params["cursor"] = page["next_cursor"]
        _writes_between_pages(api, len(pages))
        page = None


def _keys(items: list[dict[str, Any]], *fields: str) -> list[tuple[Any, ...]]:
    return [tuple(item[f] for f in fields) for item in items]


def test_the_pages_of_a_journey_audit_add_up_to_the_audit_as_of_the_first(grown: Api) -> None:
    api = grown
    pages = _walk(api, AUDIT, "auditor", limit=3)
    first = pages[0]
    moment = {"at": first["view"]["at"], "known_at": first["view"]["known_at"]}
    whole = api.client.get(
        AUDIT, params={**moment, "limit": 1000}, headers=api.headers("auditor")
    ).json()
    assert whole["next_cursor"] is None
    assert len(whole["findings"]) == 8
    assert len(whole["view"]["disclosures"]) == 4
    assert len(pages) == -(-max(len(whole["history"]), 8) // 3) > 2
    for name in ("findings", "history"):
        walked = [item for page in pages for item in page[name]]
        assert walked == whole[name], name
        assert all(len(page[name]) <= 3 for page in pages)
    walked = [d for page in pages for d in page["view"]["disclosures"]]
    assert walked == whole["view"]["disclosures"]
    assert "d-meanwhile-1" not in {d["disclosure_id"] for d in walked}
    # Every list of the view is paged alike; every page is of the same moment.
    lists = [name for name, value in whole["view"].items() if isinstance(value, list)]
    assert {"team", "consents", "disclosures", "knowledge"} <= set(lists)
    for name in lists:
        assert [x for page in pages for x in page["view"][name]] == whole["view"][name], name
        assert all(len(page["view"][name]) <= 3 for page in pages)
    for page in pages:
        assert {k: v for k, v in page["view"].items() if k not in lists} == {
            k: v for k, v in whole["view"].items() if k not in lists
        }
    # A page of the default size holds all of so small a journey.
    assert api.client.get(AUDIT, headers=api.headers("auditor")).json()["next_cursor"] is None


@pytest.mark.parametrize(("url", "who"), [(LOG, "worker"), (LOG, "auditor"), (OWN_LOG, "client")])
def test_the_pages_of_a_log_report_add_up_to_the_report_as_of_the_first(
    grown: Api, url: str, who: str
) -> None:
    api = grown
    before = api.client.get(url, headers=api.headers(who)).json()  # one page: all of it
    assert before["next_cursor"] is None
    first = api.client.get(url, params={"limit": 2}, headers=api.headers(who)).json()
    pages = _walk(api, url, who, limit=2, first=first)
    assert len(pages) >= 3  # a team member's pages hold no auditors' reads: fewer of them
    assert {page["produced_at"] for page in pages} == {first["produced_at"]}
    # The reads up to the first page's moment (its own included), none after, in order.
    until = api.client.get(
        url, params={"to": first["produced_at"]}, headers=api.headers(who)
    ).json()
    walked = [read for page in pages for read in page["reads"]]
    assert walked == until["reads"]
    assert len(walked) == len(before["reads"]) + 1
    assert all(len(page["reads"]) <= 2 for page in pages)
    # The disclosures as they stood then: none recorded meanwhile.
    disclosures = [d for page in pages for d in page["disclosures"]]
    assert disclosures == before["disclosures"]
    assert len(disclosures) == 4
    # The visits group each page's reads: together they count every read.
    assert sum(v["times"] for page in pages for v in page["visits"]) == len(walked)


def _log_rows(api: Api) -> int:
    with api.components.store.transaction(write=False) as tx:
        return int(tx.rows("SELECT COUNT(*) FROM {polku_access_log}")[0][0])


def _tampered(cursor: str) -> str:
    middle = len(cursor) // 2
    return cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]


@pytest.mark.parametrize(
    ("url", "other", "who"),
    [
        (AUDIT, f"/v1/audit/journeys/{OTHER}", "auditor"),
        (LOG, f"/v1/journeys/{OTHER}/log-report", "worker"),
    ],
)
def test_a_cursor_not_given_for_this_report_of_this_journey_is_refused_writing_nothing(
    grown: Api, url: str, other: str, who: str
) -> None:
    api = grown
    h = api.headers(who)
    cursor = api.client.get(url, params={"limit": 1}, headers=h).json()["next_cursor"]
    assert cursor
    ledger = api.client.get(
        "/v1/audit/disclosures", params={"limit": 1}, headers=api.headers("auditor")
    ).json()["next_cursor"]
    # The other report's cursor for the same journey, and the ledger's.
    foreign = api.client.get(
        LOG if url == AUDIT else AUDIT,
        params={"limit": 1},
        headers=api.headers("worker" if url == AUDIT else "auditor"),
    ).json()["next_cursor"]
    bad = ["nonsense", "", "e30", _tampered(cursor), cursor[:-4], cursor + "AAAA", foreign, ledger]
    answers = []
    for value in bad:
        rows = _log_rows(api)
        response = api.client.get(url, params={"cursor": value, "limit": 1}, headers=h)
        assert response.status_code == 422, (value, response.text)
        assert _log_rows(api) == rows, value
        answers.append(response.json()["detail"])
    # Client-2's journey is read with client-1's cursor: refused the same way, nothing of
    # either journey is shown and no read of either is logged.
    rows = _log_rows(api)
    response = api.client.get(other, params={"cursor": cursor, "limit": 1}, headers=h)
    assert response.status_code == 422, response.text
    assert _log_rows(api) == rows
    assert response.json()["detail"] == answers[0]
    assert len(set(answers)) == 1
    assert J not in response.text
    assert OTHER not in response.text
    # A journey that does not exist answers alike: the refusal tells nothing of existence.
    missing = other.replace(OTHER, "client-nobody")
    nobody = api.client.get(missing, params={"cursor": cursor, "limit": 1}, headers=h)
    assert nobody.status_code == 422
    assert nobody.json()["detail"] == answers[0]
    assert _log_rows(api) == rows
    # Too long to be a cursor: refused by the route.
    long = api.client.get(url, params={"cursor": "A" * 513}, headers=h)
    assert long.status_code == 422
    assert api.client.get(url, params={"limit": 1001}, headers=h).status_code == 422


def test_the_own_log_report_refuses_a_cursor_of_another_journey(grown: Api) -> None:
    api = grown
    other = api.client.get(
        f"/v1/journeys/{OTHER}/log-report", params={"limit": 1}, headers=api.headers("worker")
    ).json()["next_cursor"]
    rows = _log_rows(api)
    response = api.client.get(
        OWN_LOG, params={"cursor": other, "limit": 1}, headers=api.headers("client")
    )
    assert response.status_code == 422, response.text
    assert _log_rows(api) == rows


def _next_link(page: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)">([^<]+)</a>', page)
    return unescape(found.group(1)) if found else None


@pytest.mark.parametrize(
    ("url", "who", "params", "words"),
    [
        (AUDIT, "auditor", {}, "Next page"),
        (LOG, "worker", {"lang": "fi"}, "Seuraava sivu"),
        (LOG, "worker", {"lang": "sv"}, "Nästa sida"),
        (LOG, "auditor", {"lang": "en", "tz": "UTC"}, "Next page"),
    ],
)
def test_a_printable_page_links_to_the_next(
    grown: Api, url: str, who: str, params: dict[str, str], words: str
) -> None:
    api = grown
    h = api.headers(who)
    link: str | None = f"{url}?format=html&limit=3&" + "&".join(
        f"{k}={v}" for k, v in params.items()
    )
    pages = 0
    while link is not None:
        response = api.client.get(link, headers=h)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        pages += 1
        following = _next_link(response.text)
        if following is not None:
            assert following.startswith(url + "?")
            assert "format=html" in following
            assert "limit=3" in following
            for key, value in params.items():
                assert f"{key}={value}" in following
            assert response.text.count(words) == 2  # under the heading and at the end
        link = following
    assert pages > 1


@pytest.mark.parametrize(("url", "who"), [(LOG, "worker"), (OWN_LOG, "client")])
def test_a_log_report_page_reads_only_its_page_of_the_access_log(
    grown: Api, url: str, who: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reads come from the access log a page at a time: the whole log is never read."""
    api = grown
    asked: list[int] = []
    paged = api.components.access_log.page

    def whole(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole access log was read")

    def page(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs["limit"])
        return paged(*args, **kwargs)

    monkeypatch.setattr(api.components.access_log, "entries", whole)
    monkeypatch.setattr(api.components.access_log, "page", page)
    params: dict[str, Any] = {"limit": 2}
    while True:
        response = api.client.get(url, params=params, headers=api.headers(who))
        assert response.status_code == 200, response.text
        if response.json()["next_cursor"] is None:
            break
        params["cursor"] = response.json()["next_cursor"]
    assert asked
    assert set(asked) == {2}
