"""The client's page: the client (or a guardian) reads their own journey — the team, consents,
denials, plan and their own wishes — and their log report, and records their wishes about the
people around them. Withdrawing a consent and registering or lifting a denial go through the
ordinary command routes (``runtime/writes.py`` lets the client and guardians record those on a
journey they speak for). Every read is logged (``Reads.own_journey``). docs/client-page.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import TypeAdapter

from api.deps import ComponentsDep, CurrentActor, CurrentReader, ReadsDep
from api.routes.audit import PageCursor, PageLimit, ReportLanguage, ReportZone
from api.routes.commands import CommandOut, IdempotencyKey, answer
from api.routes.reads import ClientRef
from domain import commands as cmd
from domain.commands import Moment
from domain.events import ClientRegistered
from domain.policy import client_actor
from projections.client_view import WishView, wishes
from projections.journey_view import (
    ConsentView,
    CoordinatorView,
    DenialView,
    MemberView,
    PlanView,
)
from reports.audit import ClientLogReport
from reports.log_words import zone
from runtime.audit import LOG_PAGE, LogReports
from runtime.writes import Writes

__all__ = ["router"]

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "for the client and their guardians only"},
    404: {"description": "no such journey (or not one you speak for)"},
    422: {"description": "invalid parameters or body"},
}
router = APIRouter(prefix="/v1/client", tags=["client"], responses=_PROBLEMS)


@dataclass(frozen=True)
class ClientPageOut:
    """The client's own journey as their page shows it, now."""

    client_ref: str
    speaking_as: str
    """``client``, or ``guardian-<n>``: how the caller is recorded on this journey."""
    preferred_language: str | None
    closed: bool
    at: datetime
    team: tuple[MemberView, ...]
    coordinator: CoordinatorView
    consents: tuple[ConsentView, ...]
    """The consents in force or to come (a withdrawn or ended one is gone)."""
    denials: tuple[DenialView, ...]
    plan: PlanView | None
    wishes: tuple[WishView, ...]


_PAGE = TypeAdapter(ClientPageOut)
_LOG = TypeAdapter(ClientLogReport)


@router.get(
    "/journeys/{client_ref}",
    response_model=ClientPageOut,
    summary="The client's own journey: team, consents, denials, plan and their wishes",
    description="For the client (a token whose party is the client ref) and the guardians the"
    " registration names: the journey now, whole, with the client's own wishes about the"
    " people around them. Any other role: 403; a journey the caller does not speak for: 404,"
    " as for one that does not exist. The read is written to the client's access log, the"
    " reader named `client` or `guardian-<n>`.",
)
def get_client_page(client_ref: ClientRef, reads: ReadsDep, reader: CurrentReader) -> Response:
    journey = reads.own_journey(reader, client_ref)
    now = journey.components.clock()
    seen = journey.view(at=now, known_at=now)
    registration = journey.journey.events[0]
    assert isinstance(registration, ClientRegistered)
    out = ClientPageOut(
        client_ref=client_ref,
        speaking_as=client_actor(reader.actor, journey.journey).party_id,
        preferred_language=seen.preferred_language,
        closed=seen.closed,
        at=now,
        team=seen.team,
        coordinator=seen.coordinator,
        consents=seen.consents,
        denials=seen.denials,
        plan=seen.plan,
        wishes=wishes(journey.full_record().events, now),
    )
    return Response(_PAGE.dump_json(out), media_type="application/json")


@router.get(
    "/journeys/{client_ref}/log-report",
    response_model=ClientLogReport,
    summary="The client's log report: who read and who received their data, and why",
    description="The log report of the journey the caller speaks for (the client or a"
    " guardian): every read, auditors' included, and every disclosure with its verdict, for"
    " the period `from`-`to` (default: all), its words in `lang` (default: the client's"
    " registered language if Finnish or Swedish, else English), its days in `tz`; a page at a"
    " time (at most `limit` reads and `limit` disclosures; continue with `cursor` set to"
    " `next_cursor`). Any other role: 403; a journey the caller does not speak for: 404. This"
    " read is itself written to the access log.",
)
def get_client_log_report(
    client_ref: ClientRef,
    components: ComponentsDep,
    reads: ReadsDep,
    reader: CurrentReader,
    start: Annotated[Moment | None, Query(alias="from")] = None,
    end: Annotated[Moment | None, Query(alias="to")] = None,
    lang: ReportLanguage = None,
    tz: ReportZone = None,
    cursor: PageCursor = None,
    limit: PageLimit = LOG_PAGE,
) -> Response:
    if tz is not None:
        zone(tz)  # refused before anything is read (and logged)
    logs = LogReports(components)
    place = logs.place(client_ref, start, end, cursor)  # a bad cursor: refused here
    journey = reads.own_journey(reader, client_ref)
    report = logs.page(journey, client_ref, place, lang, tz, limit)
    return Response(_LOG.dump_json(report), media_type="application/json")


@router.post(
    "/journeys/{client_ref}/wishes",
    status_code=201,
    response_model=CommandOut,
    summary="Record the client's own wish about one person (not a team change)",
    description="The client (or a guardian) records what they wish about one person: a team"
    " member (`about_party`) or someone not on the team (`about_name`); `wishes` replaces the"
    " wishes about that person before (empty: none). Everything about a wish is sealed"
    " personal data. Any other role: 403; a journey the caller does not speak for: 404.",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "occurred_at": "2025-03-05T10:00:00+02:00",
                        "about_party": "p-worker",
                        "wishes": ["matters_to_me"],
                    }
                }
            }
        }
    },
)
def record_wish(
    client_ref: ClientRef,
    body: Annotated[cmd.RecordClientWish, Body()],
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    return answer(Writes(components).execute(actor, client_ref, body, key=key))
