"""Read endpoints: the journey view, its history, may-share, the caller's caseload and the
client's access log. Every successful read of a client's data is written to the access log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response
from pydantic import TypeAdapter

from api.access_log import AccessEntry
from api.caseload import CaseloadEntry
from api.deps import Components, ComponentsDep, CurrentActor
from api.policy import may_read, role_may_read
from domain.commands import Moment
from domain.errors import JourneyNotFoundError
from domain.events import Actor
from domain.journey import Journey
from domain.vocabulary import check_term
from projections import history, may_share, view
from projections.history import HistoryEntry
from projections.journey_view import DisclosureView, JourneyView
from projections.sharing import SharingAnswer

__all__ = [
    "CLIENT_REF",
    "ClientRef",
    "KnownAt",
    "Purpose",
    "When",
    "log_read",
    "readable",
    "router",
]

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
Purpose = Annotated[
    str | None,
    Header(
        alias="X-Purpose", max_length=200, description="why you read this (kept in the access log)"
    ),
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
    reads: tuple[AccessEntry, ...]
    """Who read the client's data, when, through which endpoint and for what purpose."""
    disclosures: tuple[DisclosureView, ...]
    """Who received the client's data, when, why and on which basis (judged then and now)."""


def _json(adapter: TypeAdapter[Any], value: object) -> Response:
    return Response(adapter.dump_json(value), media_type="application/json")


_VIEW = TypeAdapter(JourneyView)
_HISTORY = TypeAdapter(list[HistoryEntry])
_SHARING = TypeAdapter(SharingAnswer)
_CASELOAD = TypeAdapter(CaseloadOut)
_ACCESS = TypeAdapter(AccessLogOut)


def readable(components: Components, actor: Actor, client_ref: str) -> Journey:
    """The journey, if ``actor`` may read it (403 for the role, 404 off the team)."""
    if not role_may_read(actor):
        raise HTTPException(403, f"the {actor.role} role may not read person-level data")
    try:
        journey = components.service.get_journey(client_ref)
    except JourneyNotFoundError:
        raise HTTPException(404, "no such journey") from None
    if not may_read(actor, journey):
        raise HTTPException(404, "no such journey")
    return journey


def log_read(
    components: Components, request: Request, actor: Actor, journey: UUID, purpose: str | None
) -> None:
    """Write a read of the journey's data to its access log, naming the route template."""
    route = request.scope.get("route")
    endpoint = f"{request.method} {getattr(route, 'path', request.url.path)}"
    components.access_log.record(journey, actor, endpoint, purpose, components.clock())


@router.get(
    "/journeys/{client_ref}", response_model=JourneyView, summary="The journey at (at, known_at)"
)
def get_journey_view(
    client_ref: ClientRef,
    request: Request,
    components: ComponentsDep,
    actor: CurrentActor,
    purpose: Purpose = None,
    at: When = None,
    known_at: KnownAt = None,
) -> Response:
    journey = readable(components, actor, client_ref)
    result = view(journey.record(), at=at, known_at=known_at)
    log_read(components, request, actor, journey.id, purpose)
    return _json(_VIEW, result)


@router.get(
    "/journeys/{client_ref}/history",
    response_model=list[HistoryEntry],
    summary="Every event with both times, as recorded at known_at",
)
def get_history(
    client_ref: ClientRef,
    request: Request,
    components: ComponentsDep,
    actor: CurrentActor,
    purpose: Purpose = None,
    known_at: KnownAt = None,
) -> Response:
    journey = readable(components, actor, client_ref)
    result = history(journey.record(), known_at=known_at)
    log_read(components, request, actor, journey.id, purpose)
    return _json(_HISTORY, result)


@router.get(
    "/journeys/{client_ref}/may-share",
    response_model=SharingAnswer,
    summary="May the recipient receive this category for this purpose?",
)
def get_may_share(
    client_ref: ClientRef,
    request: Request,
    components: ComponentsDep,
    actor: CurrentActor,
    recipient: Annotated[str, Query(min_length=1, max_length=128)],
    category: Annotated[str, Query(min_length=1, max_length=128)],
    purpose_of_sharing: Annotated[str, Query(alias="purpose", min_length=1, max_length=128)],
    recipient_kind: Literal["party", "organisation"] | None = None,
    purpose: Purpose = None,
    at: When = None,
) -> Response:
    journey = readable(components, actor, client_ref)
    try:
        check_term("information_categories", category)
        check_term("purposes", purpose_of_sharing)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    kind = recipient_kind or (
        "party" if recipient in journey.end_state().members else "organisation"
    )
    answer = may_share(
        journey.record(),
        party=recipient if kind == "party" else None,
        organisation=recipient if kind == "organisation" else None,
        category=category,
        purpose=purpose_of_sharing,
        at=at,
    )
    log_read(components, request, actor, journey.id, purpose)
    return _json(_SHARING, answer)


@router.get("/me/caseload", response_model=CaseloadOut, summary="The journeys you are on now")
def get_caseload(components: ComponentsDep, actor: CurrentActor) -> Response:
    entries = components.caseload.caseload(actor.party_id) if actor.role != "planner" else []
    return _json(_CASELOAD, CaseloadOut(actor.party_id, tuple(entries)))


@router.get(
    "/journeys/{client_ref}/access-log",
    response_model=AccessLogOut,
    summary="The client's log: who read their data and who received it",
)
def get_access_log(
    client_ref: ClientRef,
    request: Request,
    components: ComponentsDep,
    actor: CurrentActor,
    start: Annotated[Moment | None, Query(alias="from")] = None,
    end: Annotated[Moment | None, Query(alias="to")] = None,
    purpose: Purpose = None,
) -> Response:
    journey = readable(components, actor, client_ref)
    if start is not None and end is not None and end < start:
        raise HTTPException(422, "'to' is before 'from'")
    log_read(components, request, actor, journey.id, purpose)
    reads = components.access_log.entries(journey.id, start, end)
    now = datetime.now(UTC)
    disclosures = tuple(
        d
        for d in view(journey.record(), at=now, known_at=now).disclosures
        if (start is None or d.occurred_at >= start) and (end is None or d.occurred_at <= end)
    )
    return _json(_ACCESS, AccessLogOut(client_ref, start, end, tuple(reads), disclosures))
