"""Planner endpoints: pseudonymous analytics across journeys, under disclosure control.

Open to planners (perturbed figures for whole release windows) and auditors (exact figures for
the period as asked); the event-log exports to auditors only; case workers and admins get 403.
Nothing here names a client, so these reads are not written to any client's access log; they
are written to the planner query log and counted against an hourly limit instead
(:mod:`runtime.analytics`). Every figure takes an optional period (``from``, ``to``: valid
time); the window actually answered is in the ``Polku-Release``, ``Polku-Period-From`` and
``Polku-Period-To`` headers; the read model's position the figure reflects in
``Polku-Position``, and whether the primary or the replica answered in ``Polku-Read-From``.
"""

from __future__ import annotations

import io
import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, TypeAdapter

from api.deps import ComponentsDep, CurrentActor
from api.responses import json_response
from domain.commands import Moment
from pathways import analytics
from pathways.exports import ocel_json, write_ocel_sqlite, write_xes
from runtime.analytics import Analytics, Answer, Filters

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/analytics",
    tags=["analytics"],
    responses={
        401: {"description": "no valid bearer token"},
        403: {"description": "for planners and auditors (exports: auditors)"},
        422: {"description": "invalid parameters (a period that starts after it ends…)"},
        429: {"description": "too many analytics questions this hour; retry after Retry-After"},
    },
)
Start = Annotated[
    Moment | None,
    Query(alias="from", description="valid time; planners get the release window holding it"),
]
End = Annotated[
    Moment | None,
    Query(alias="to", description="valid time; planners get the release window holding it"),
]
PathwayFilter = Annotated[
    str | None, Query(max_length=100, description="journeys this pathway applies to")
]
SectorFilter = Annotated[
    str | None, Query(max_length=100, description="journeys served in this sector in the period")
]

UnitQuery = Annotated[
    Literal["client", "household"],
    Query(
        description="what the figure counts: clients, or households (a household counted once"
        " per cell when any member contributes; transitions, dfg, waiting-times and ping-pong)"
    ),
]


def _headers(answer: Answer) -> dict[str, str]:
    window = answer.window
    headers = {
        "Polku-Release": window.label,
        "Polku-Disclosure-Control": answer.control,
        "Polku-Unit": answer.unit,
    }
    if window.start is not None:
        headers["Polku-Period-From"] = window.start.isoformat()
    if window.end is not None:
        headers["Polku-Period-To"] = window.end.isoformat()
    if answer.reflects is not None:
        headers["Polku-Position"] = str(answer.reflects.position)
        headers["Polku-Read-From"] = answer.reflects.source
    return headers


def _respond(adapter: TypeAdapter[Any], answer: Answer) -> Response:
    response = json_response(adapter, answer.value)
    response.headers.update(_headers(answer))
    return response


def _on_log(path: str, model: Any, summary: str) -> None:
    """Register ``GET path`` answering the figure of that name as ``model``."""
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    figure = path.strip("/")

    def endpoint(
        components: ComponentsDep,
        actor: CurrentActor,
        start: Start = None,
        end: End = None,
        unit: UnitQuery = "client",
    ) -> Response:
        answer = Analytics(components).answer(actor, figure, start, end, unit=unit)
        return _respond(adapter, answer)

    endpoint.__name__ = "get_" + figure.replace("-", "_")
    router.add_api_route(path, endpoint, methods=["GET"], response_model=model, summary=summary)


class Release(BaseModel):
    kind: Literal["quarter", "year", "record", "asked"]
    from_: datetime | None = Field(serialization_alias="from")
    to: datetime | None
    label: str
    control: Literal["cell-key", "exact"]
    min_clients: int
    exports: list[str]
    """The exports this caller may download."""


@router.get(
    "/release",
    response_model=Release,
    response_model_by_alias=True,
    summary="The release window and disclosure control your figures for a period come with",
)
def get_release(
    components: ComponentsDep, actor: CurrentActor, start: Start = None, end: End = None
) -> Release:
    window, control = Analytics(components).release(actor, start, end)
    exports = ["xes", "ocel-json", "ocel-sqlite"] if actor.role == "auditor" else []
    return Release(
        kind=window.kind,
        from_=window.start,
        to=window.end,
        label=window.label,
        control="exact" if control.name == "exact" else "cell-key",
        min_clients=analytics.MIN_CLIENTS,
        exports=exports,
    )


_on_log(
    "/transitions",
    list[analytics.TransitionCell],
    "Sector-to-sector transitions (the input of a Sankey diagram)",
)
_on_log(
    "/variants",
    list[analytics.VariantRow],
    "Route variants (sectors in order) with client counts; rare ones pooled and suppressed",
)
_on_log(
    "/waiting-times",
    list[analytics.WaitingRow],
    "Days from referral to the first service in the sector referred to (median, p90)",
)
_on_log(
    "/ping-pong",
    list[analytics.PingPongRow],
    "Clients sent from sector A to B and straight back to A, per sector pair",
)
_on_log(
    "/coordinator-gaps",
    analytics.CoordinatorGaps,
    "Share of journey-days without a coordinator, and how long the gaps lasted",
)
_on_log(
    "/silent-transitions",
    list[analytics.SilentTransitionRow],
    "Transitions after which nothing was shared with the receiving side, per kind",
)
_on_log(
    "/conformance",
    list[analytics.ConformanceRow],
    "Per pathway: journeys anchored in the period it applies to, and the share conforming",
)
_DFG: TypeAdapter[Any] = TypeAdapter(list[analytics.DfgEdge])


@router.get(
    "/dfg",
    response_model=list[analytics.DfgEdge],
    summary="Directly-follows graph of activities (the process map): frequencies, clients,"
    " mean and median durations; optionally for one pathway or one sector",
)
def get_dfg(
    components: ComponentsDep,
    actor: CurrentActor,
    start: Start = None,
    end: End = None,
    pathway: PathwayFilter = None,
    sector: SectorFilter = None,
    unit: UnitQuery = "client",
) -> Response:
    filters = Filters(pathway, sector)
    answer = Analytics(components).answer(actor, "dfg", start, end, filters, unit)
    return _respond(_DFG, answer)


def _file(content: bytes | str, media_type: str, name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/export/xes",
    response_class=Response,
    responses={
        200: {
            "content": {"application/xml": {"schema": {"type": "string"}}},
            "description": "XES, one trace per (pseudonymous) client",
        }
    },
    summary="The pseudonymous event log as XES (for process-mining tools; auditors only)",
)
def get_export_xes(
    components: ComponentsDep, actor: CurrentActor, start: Start = None, end: End = None
) -> Response:
    out = io.StringIO()
    write_xes(Analytics(components).export_log(actor, "xes", start, end), out)
    return _file(out.getvalue(), "application/xml", "polku.xes")


@router.get(
    "/export/ocel",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/vnd.sqlite3": {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "OCEL 2.0: objects client, party, organisation, consent",
        }
    },
    summary="The pseudonymous event log as OCEL 2.0, JSON or SQLite (auditors only)",
)
def get_export_ocel(
    components: ComponentsDep,
    actor: CurrentActor,
    start: Start = None,
    end: End = None,
    format: Literal["json", "sqlite"] = "json",
) -> Response:
    log = Analytics(components).export_log(actor, f"ocel-{format}", start, end)
    if format == "json":
        return _file(json.dumps(ocel_json(log)), "application/json", "polku-ocel.json")
    with tempfile.TemporaryDirectory(prefix="polku-ocel-") as folder:
        path = Path(folder) / "ocel.sqlite"
        write_ocel_sqlite(log, path)
        data = path.read_bytes()
    return _file(data, "application/vnd.sqlite3", "polku-ocel.sqlite")
