"""Auditor endpoints (JSON, or a printable page with ``format=html``) and the client's log report.

Auditor endpoints answer only the ``auditor`` role (403 otherwise). The log report and the FHIR
export follow the ordinary read rules (the client's team and auditors). Every report that shows
a client's data is written to that client's access log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import TypeAdapter

from api.audit_reports import (
    ClientLogReport,
    client_log_html,
    client_log_report,
    diff_html,
    journey_audit_html,
    ledger_html,
    who_knew_html,
)
from api.deps import Components, ComponentsDep, CurrentActor
from api.ledger import LedgerEntry
from api.routes_read import ClientRef, KnownAt, Purpose, When, log_read, readable
from domain.commands import Moment
from domain.events import Actor
from domain.journey import Journey, journey_id
from domain.vocabulary import check_term
from projections.audit import JourneyAudit, Knower, RecordDiff, audit_journey, record_diff, who_knew
from projections.fhir import fhir_bundle
from projections.journey_view import view

__all__ = ["router"]

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


@dataclass(frozen=True)
class LedgerOut:
    start: datetime | None
    end: datetime | None
    unlawful_only: bool
    entries: tuple[LedgerEntry, ...]


@dataclass(frozen=True)
class WhoKnewOut:
    client_ref: str
    category: str
    at: datetime
    known_at: datetime
    knowers: tuple[Knower, ...]


_AUDIT = TypeAdapter(JourneyAudit)
_LEDGER = TypeAdapter(LedgerOut)
_DIFF = TypeAdapter(RecordDiff)
_WHO = TypeAdapter(WhoKnewOut)
_LOG = TypeAdapter(ClientLogReport)


def _auditor(actor: Actor) -> None:
    if actor.role != "auditor":
        raise HTTPException(403, "for auditors only")


def _audited(components: Components, actor: Actor, client_ref: str) -> Journey:
    _auditor(actor)
    return readable(components, actor, client_ref)


def _out(adapter: TypeAdapter[Any], value: Any, html: str | None) -> Response:
    if html is not None:
        return Response(html, media_type="text/html; charset=utf-8")
    return Response(adapter.dump_json(value), media_type="application/json")


@router.get(
    "/audit/journeys/{client_ref}",
    response_model=JourneyAudit,
    responses=_HTML,
    summary="A journey replayed at (at, known_at), with its findings",
)
def get_journey_audit(
    client_ref: ClientRef,
    request: Request,
    components: ComponentsDep,
    actor: CurrentActor,
    at: When = None,
    known_at: KnownAt = None,
    purpose: Purpose = None,
    format: Format = "json",
) -> Response:
    journey = _audited(components, actor, client_ref)
    audit = audit_journey(journey.record(), at=at, known_at=known_at)
    log_read(components, request, actor, journey.id, purpose)
    return _out(_AUDIT, audit, journey_audit_html(audit) if format == "html" else None)


@router.get(
    "/audit/journeys/{client_ref}/diff",
    response_model=RecordDiff,
    responses=_HTML,
    summary="What the record showed differently at record time t2 than at t1",
)
def get_record_diff(
    client_ref: ClientRef,
    request: Request,
    components: ComponentsDep,
    actor: CurrentActor,
    t1: Annotated[Moment, Query()],
    t2: Annotated[Moment, Query()],
    purpose: Purpose = None,
    format: Format = "json",
) -> Response:
    journey = _audited(components, actor, client_ref)
    if t2 <= t1:
        raise HTTPException(422, "t2 must be after t1")
    diff = record_diff(journey.record(), t1, t2)
    log_read(components, request, actor, journey.id, purpose)
    return _out(_DIFF, diff, diff_html(diff) if format == "html" else None)


@router.get(
    "/audit/journeys/{client_ref}/who-knew",
    response_model=WhoKnewOut,
    responses=_HTML,
    summary="Who had received a category by `at`, as recorded at `known_at`, and how",
)
def get_who_knew(
    client_ref: ClientRef,
    request: Request,
    components: ComponentsDep,
    actor: CurrentActor,
    category: Annotated[str, Query(min_length=1, max_length=128)],
    at: When = None,
    known_at: KnownAt = None,
    purpose: Purpose = None,
    format: Format = "json",
) -> Response:
    journey = _audited(components, actor, client_ref)
    try:
        check_term("information_categories", category)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    now = datetime.now(UTC)
    knowers = who_knew(journey.record(), category, at=at or now, known_at=known_at or now)
    log_read(components, request, actor, journey.id, purpose)
    out = WhoKnewOut(client_ref, category, at or now, known_at or now, tuple(knowers))
    html = None
    if format == "html":
        html = who_knew_html(client_ref, category, out.at, out.known_at, knowers)
    return _out(_WHO, out, html)


@router.get(
    "/audit/disclosures",
    response_model=LedgerOut,
    responses=_HTML,
    summary="The disclosure ledger across all journeys, with verdicts then and now",
)
def get_ledger(
    request: Request,
    components: ComponentsDep,
    actor: CurrentActor,
    start: Annotated[Moment | None, Query(alias="from")] = None,
    end: Annotated[Moment | None, Query(alias="to")] = None,
    unlawful: bool = False,
    purpose: Purpose = None,
    format: Format = "json",
) -> Response:
    _auditor(actor)
    entries = components.ledger.entries(start, end, unlawful_only=unlawful)
    for client_ref in dict.fromkeys(e.client_ref for e in entries):
        log_read(components, request, actor, journey_id(client_ref), purpose)
    out = LedgerOut(start, end, unlawful, tuple(entries))
    return _out(_LEDGER, out, ledger_html(entries, start, end) if format == "html" else None)


@router.get(
    "/journeys/{client_ref}/log-report",
    response_model=ClientLogReport,
    responses=_HTML,
    summary="The client's log report: who read and who received their data, and why",
)
def get_log_report(
    client_ref: ClientRef,
    request: Request,
    components: ComponentsDep,
    actor: CurrentActor,
    start: Annotated[Moment | None, Query(alias="from")] = None,
    end: Annotated[Moment | None, Query(alias="to")] = None,
    purpose: Purpose = None,
    format: Format = "json",
) -> Response:
    journey = readable(components, actor, client_ref)
    if start is not None and end is not None and end < start:
        raise HTTPException(422, "'to' is before 'from'")
    log_read(components, request, actor, journey.id, purpose)
    report = client_log_report(
        client_ref,
        start,
        end,
        components.access_log.entries(journey.id, start, end),
        view(journey.record()).disclosures,
    )
    return _out(_LOG, report, client_log_html(report) if format == "html" else None)


_FHIR: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/fhir+json": {"schema": {"type": "object"}}},
        "description": "a FHIR R5 Bundle (collection)",
    }
}


@router.get(
    "/journeys/{client_ref}/fhir",
    responses=_FHIR,
    response_class=Response,
    summary="The journey at (at, known_at) as a FHIR R5 Bundle",
)
def get_fhir_bundle(
    client_ref: ClientRef,
    request: Request,
    components: ComponentsDep,
    actor: CurrentActor,
    at: When = None,
    known_at: KnownAt = None,
    purpose: Purpose = None,
) -> Response:
    journey = readable(components, actor, client_ref)
    reads = components.access_log.fhir_reads(journey.id, known_at)
    try:
        bundle = fhir_bundle(journey.record(), at=at, known_at=known_at, reads=reads)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    log_read(components, request, actor, journey.id, purpose)
    return Response(json.dumps(bundle), media_type="application/fhir+json")
