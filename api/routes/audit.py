"""Auditor endpoints (JSON, or a printable page with ``format=html``), the client's log report and
the FHIR export.

The work is done by :class:`runtime.audit.AuditReports` (shared with ``polku audit``), which reads
every journey through the access-logged reader. Auditor endpoints answer only the ``auditor``
role (403 otherwise); the log report and the FHIR export follow the ordinary read rules.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import TypeAdapter

from api.deps import ComponentsDep, CurrentReader
from api.responses import json_response
from api.routes.reads import ClientRef, KnownAt, When
from domain.commands import Moment
from projections.audit import JourneyAudit, RecordDiff
from readmodels.ledger import MAX_PAGE
from reports.audit import (
    AuditReport,
    ClientLogReport,
    LedgerReport,
    WhoKnewReport,
    as_html,
    as_json,
)
from runtime.audit import DEFAULT_PAGE, FHIR_PAGE, LOG_PAGE, AuditReports, JourneySearch
from runtime.paging import MAX_CURSOR

__all__ = ["PageCursor", "PageLimit", "ReportLanguage", "ReportZone", "next_href", "router"]

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "for auditors only"},
    404: {"description": "no such journey (or not one you are on)"},
    422: {"description": "invalid parameters"},
}
_HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "the report"}
}
router = APIRouter(prefix="/v1", tags=["audit"], responses=_PROBLEMS)
Format = Annotated[
    Literal["json", "html"], Query(description="json (default) or a printable html page")
]
ReportLanguage = Annotated[
    Literal["fi", "sv", "en"] | None,
    Query(
        description="the language of the client's words (what was done, why) and of the"
        " printable page: fi, sv or en (default: the client's registered language if it is"
        " Finnish or Swedish, else English)"
    ),
]
ReportZone = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description="the IANA time zone the printable page's times and the reads' days are in"
        " (default Europe/Helsinki)",
        examples=["Europe/Helsinki"],
    ),
]
Start = Annotated[Moment | None, Query(alias="from")]
End = Annotated[Moment | None, Query(alias="to")]
PageCursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR,
        description="the next_cursor of the previous page (it carries what the first page was"
        " asked for: its moments and period)",
    ),
]
PageLimit = Annotated[
    int, Query(ge=1, le=MAX_PAGE, description="entries of each list per page (at most 1000)")
]


def next_href(request: Request, cursor: str | None, limit: int, pinned: list[str]) -> str | None:
    """The address of the next page (path and query, no host): this one's, with ``cursor``
    and ``limit`` set and the ``pinned`` parameters (which the cursor carries) left out."""
    if cursor is None:
        return None
    following = request.url.remove_query_params(["cursor", "limit", *pinned])
    following = following.include_query_params(cursor=cursor, limit=limit)
    return f"{following.path}?{following.query}"


def _reports(components: ComponentsDep) -> AuditReports:
    return AuditReports(components)


Reports = Annotated[AuditReports, Depends(_reports)]


def _out(report: AuditReport, format: str, following: str | None = None) -> Response:
    if format == "html":
        return Response(as_html(report, following), media_type="text/html; charset=utf-8")
    return Response(as_json(report), media_type="application/json")


@router.get(
    "/audit/journeys/{client_ref}",
    response_model=JourneyAudit,
    responses=_HTML,
    summary="A journey replayed at (at, known_at), with its findings; a page at a time",
)
def get_journey_audit(
    request: Request,
    client_ref: ClientRef,
    reports: Reports,
    reader: CurrentReader,
    at: When = None,
    known_at: KnownAt = None,
    cursor: PageCursor = None,
    limit: PageLimit = DEFAULT_PAGE,
    format: Format = "json",
) -> Response:
    audit = reports.journey(reader, client_ref, at, known_at, cursor=cursor, limit=limit)
    following = next_href(request, audit.next_cursor, limit, ["at", "known_at"])
    return _out(audit, format, following)


@router.get(
    "/audit/journeys/{client_ref}/diff",
    response_model=RecordDiff,
    responses=_HTML,
    summary="What the record showed differently at record time t2 than at t1",
)
def get_record_diff(
    client_ref: ClientRef,
    reports: Reports,
    reader: CurrentReader,
    t1: Annotated[Moment, Query()],
    t2: Annotated[Moment, Query()],
    format: Format = "json",
) -> Response:
    return _out(reports.diff(reader, client_ref, t1, t2), format)


@router.get(
    "/audit/journeys/{client_ref}/who-knew",
    response_model=WhoKnewReport,
    responses=_HTML,
    summary="Who had received a category by `at`, as recorded at `known_at`, and how",
)
def get_who_knew(
    client_ref: ClientRef,
    reports: Reports,
    reader: CurrentReader,
    category: Annotated[str, Query(min_length=1, max_length=128)],
    at: When = None,
    known_at: KnownAt = None,
    format: Format = "json",
) -> Response:
    return _out(reports.who_knew(reader, client_ref, category, at, known_at), format)


@router.get(
    "/audit/journeys",
    response_model=JourneySearch,
    summary="Find journeys by client ref, organisation, period and finding",
)
def search_journeys(
    reports: Reports,
    reader: CurrentReader,
    client_ref: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=128,
            description="one client, by ref (refs are kept sealed: no search by part of a ref)",
        ),
    ] = None,
    organisation: Annotated[
        str | None,
        Query(min_length=1, max_length=128, description="sent or received the client's data"),
    ] = None,
    start: Start = None,
    end: End = None,
    findings: Annotated[
        bool, Query(description="only journeys with a disclosure not lawful then or now")
    ] = False,
    after: Annotated[
        str | None, Query(max_length=128, description="the next_after of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="journeys per page")] = DEFAULT_PAGE,
) -> Response:
    found = reports.search(
        reader,
        client_ref=client_ref,
        organisation=organisation,
        start=start,
        end=end,
        findings_only=findings,
        after=after,
        limit=limit,
    )
    return json_response(_SEARCH, found)


_SEARCH = TypeAdapter(JourneySearch)


@router.get(
    "/audit/disclosures",
    response_model=LedgerReport,
    responses=_HTML,
    summary="The disclosure ledger across all journeys, one entry per recipient and category,"
    " with verdicts then and now; a page at a time",
)
def get_ledger(
    reports: Reports,
    reader: CurrentReader,
    start: Start = None,
    end: End = None,
    verdict: Annotated[
        Literal["lawful", "unsupported", "unlawful", "findings"] | None,
        Query(description="entries judged so now; findings: not lawful then or now"),
    ] = None,
    unlawful: Annotated[bool, Query(description="the same as verdict=findings")] = False,
    client: Annotated[
        str | None,
        Query(min_length=1, max_length=128, description="only this client's disclosures"),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="the next_cursor of the previous page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="entries per page")] = DEFAULT_PAGE,
    format: Format = "json",
) -> Response:
    report = reports.ledger(
        reader,
        start,
        end,
        verdict=verdict or ("findings" if unlawful else None),
        client_ref=client,
        cursor=cursor,
        limit=limit,
    )
    return _out(report, format)


@router.get(
    "/journeys/{client_ref}/log-report",
    response_model=ClientLogReport,
    responses=_HTML,
    summary="The client's log report: who read and who received their data, and why; a page at"
    " a time",
)
def get_log_report(
    request: Request,
    client_ref: ClientRef,
    reports: Reports,
    reader: CurrentReader,
    start: Start = None,
    end: End = None,
    format: Format = "json",
    lang: ReportLanguage = None,
    tz: ReportZone = None,
    cursor: PageCursor = None,
    limit: PageLimit = LOG_PAGE,
) -> Response:
    report = reports.log_report(
        reader, client_ref, start, end, lang, tz, cursor=cursor, limit=limit
    )
    return _out(report, format, next_href(request, report.next_cursor, limit, ["from", "to"]))


_FHIR: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/fhir+json": {"schema": {"type": "object"}}},
        "description": "a FHIR R5 Bundle (collection), a page of at most _count entries;"
        " Bundle.link names the next page while there is one",
    }
}


@router.get(
    "/journeys/{client_ref}/fhir",
    responses=_FHIR,
    response_class=Response,
    summary="The journey at (at, known_at) as a FHIR R5 Bundle",
)
def get_fhir_bundle(
    request: Request,
    client_ref: ClientRef,
    reports: Reports,
    reader: CurrentReader,
    at: When = None,
    known_at: KnownAt = None,
    count: Annotated[
        int,
        Query(alias="_count", ge=1, le=FHIR_PAGE, description="entries per page (FHIR's _count)"),
    ] = FHIR_PAGE,
    page: Annotated[
        str | None,
        Query(max_length=512, description="the token in the previous page's next link"),
    ] = None,
) -> Response:
    found = reports.fhir(reader, client_ref, at, known_at, count=count, page=page)
    bundle = found.bundle
    links = [{"relation": "self", "url": str(request.url)}]
    if found.next_page is not None:
        following = request.url.remove_query_params(["page", "at", "known_at"])
        following = following.include_query_params(page=found.next_page, _count=count)
        links.append({"relation": "next", "url": str(following)})
    bundle = {**bundle, "link": links}
    return Response(json.dumps(bundle), media_type="application/fhir+json")
