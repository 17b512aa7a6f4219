"""Read endpoints: the journey view, its history, may-share, the caller's caseload and the
client's access log. Each reads the journey through :class:`runtime.reads.Reads`, which
authorises the read and writes it to the access log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import TypeAdapter

from api.deps import ComponentsDep, CurrentActor, CurrentReader, ReadsDep
from api.responses import json_response
from domain.commands import Moment
from domain.policy import CLIENT_ROLES
from domain.vocabulary import check_term
from projections import may_share
from projections.fhir import AccessRead
from projections.history import HistoryEntry
from projections.journey_view import DisclosureView, JourneyView
from projections.sharing import SharingAnswer
from readmodels.caseload import CaseloadEntry

__all__ = ["CLIENT_REF", "MAX_PAGE", "ClientRef", "KnownAt", "When", "router"]

MAX_PAGE = 1000
"""The most history entries or access-log reads one answer holds (more: ask for the next page)."""

_READ_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "your role may not read person-level data"},
    404: {"description": "no such journey (or not one you are on)"},
    422: {"description": "invalid parameters"},
}
router = APIRouter(prefix="/v1", tags=["reads"], responses=_READ_PROBLEMS)

CLIENT_REF = r"^[^\x00-\x1f\x7f/]{1,128}$"
ClientRef = Annotated[
    str, Path(pattern=CLIENT_REF, max_length=128, description="pseudonymous client id")
]
When = Annotated[Moment | None, Query(description="valid time (default now)")]
KnownAt = Annotated[Moment | None, Query(description="record time (default now)")]


@dataclass(frozen=True)
class CaseloadOut:
    party_id: str
    journeys: tuple[CaseloadEntry, ...]


@dataclass(frozen=True)
class AccessLogOut:
    client_ref: str
    start: datetime | None
    end: datetime | None
    reads: tuple[AccessRead, ...]
    """Who read the client's data, when, through which endpoint and for what purpose (a page:
    see ``next_cursor``)."""
    disclosures: tuple[DisclosureView, ...]
    """Who received the client's data, when, why and on which basis (judged then and now)."""
    next_cursor: str | None = None
    """More reads follow: ask again with ``cursor`` set to this (None: the last page)."""


_VIEW = TypeAdapter(JourneyView)
_HISTORY = TypeAdapter(list[HistoryEntry])
_SHARING = TypeAdapter(SharingAnswer)
_CASELOAD = TypeAdapter(CaseloadOut)
_ACCESS = TypeAdapter(AccessLogOut)


@router.get(
    "/journeys/{client_ref}", response_model=JourneyView, summary="The journey at (at, known_at)"
)
def get_journey_view(
    client_ref: ClientRef,
    reads: ReadsDep,
    reader: CurrentReader,
    at: When = None,
    known_at: KnownAt = None,
) -> Response:
    journey = reads.journey(reader, client_ref)
    return json_response(_VIEW, journey.view(at=at, known_at=known_at))


@router.get(
    "/journeys/{client_ref}/history",
    response_model=list[HistoryEntry],
    summary="Every event with both times, as recorded at known_at",
)
def get_history(
    request: Request,
    client_ref: ClientRef,
    reads: ReadsDep,
    reader: CurrentReader,
    known_at: KnownAt = None,
    after: Annotated[
        int, Query(ge=0, description="only events after this version (the previous page's last)")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="entries per page")] = MAX_PAGE,
) -> Response:
    journey = reads.journey(reader, client_ref)
    entries = journey.history(known_at=known_at, after=after, limit=limit + 1)
    response = json_response(_HISTORY, entries[:limit])
    if len(entries) > limit:
        following = request.url.include_query_params(after=entries[limit - 1].version, limit=limit)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


@router.get(
    "/journeys/{client_ref}/may-share",
    response_model=SharingAnswer,
    summary="May the recipient receive this category for this purpose?",
)
def get_may_share(
    client_ref: ClientRef,
    reads: ReadsDep,
    reader: CurrentReader,
    recipient: Annotated[str, Query(min_length=1, max_length=128)],
    category: Annotated[str, Query(min_length=1, max_length=128)],
    purpose_of_sharing: Annotated[str, Query(alias="purpose", min_length=1, max_length=128)],
    recipient_kind: Literal["party", "organisation"] | None = None,
    at: When = None,
) -> Response:
    try:
        check_term("information_categories", category)
        check_term("purposes", purpose_of_sharing)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    journey = reads.journey(reader, client_ref, professionals_only=True)
    kind = recipient_kind or (
        "party" if recipient in journey.journey.end_state().members else "organisation"
    )
    answer = may_share(
        journey.full_record(),
        party=recipient if kind == "party" else None,
        organisation=recipient if kind == "organisation" else None,
        category=category,
        purpose=purpose_of_sharing,
        at=at,
    )
    return json_response(_SHARING, answer)


@router.get("/me/caseload", response_model=CaseloadOut, summary="The journeys you are on now")
def get_caseload(components: ComponentsDep, actor: CurrentActor) -> Response:
    # Planners, clients and guardians are on no team: nothing is looked up for them (a
    # guardian's party id may be a member's of the informal network, whose caseload is not theirs).
    on_no_team = actor.role == "planner" or actor.role in CLIENT_ROLES
    entries = [] if on_no_team else components.caseload.caseload(actor.party_id)
    return json_response(_CASELOAD, CaseloadOut(actor.party_id, tuple(entries)))


@router.get(
    "/journeys/{client_ref}/access-log",
    response_model=AccessLogOut,
    summary="The client's log: who read their data and who received it",
)
def get_access_log(
    client_ref: ClientRef,
    components: ComponentsDep,
    reads: ReadsDep,
    reader: CurrentReader,
    start: Annotated[Moment | None, Query(alias="from")] = None,
    end: Annotated[Moment | None, Query(alias="to")] = None,
    cursor: Annotated[
        str | None, Query(max_length=512, description="the next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="reads per page")] = MAX_PAGE,
) -> Response:
    if start is not None and end is not None and end < start:
        raise HTTPException(422, "'to' is before 'from'")
    journey = reads.journey(reader, client_ref, professionals_only=True)
    disclosures = tuple(
        d
        for d in journey.disclosures()
        if (start is None or d.occurred_at >= start) and (end is None or d.occurred_at <= end)
    )
    page, following = journey.reads_page(start, end, cursor=cursor, limit=limit)
    return json_response(
        _ACCESS, AccessLogOut(client_ref, start, end, page, disclosures, following)
    )
