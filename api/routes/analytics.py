"""Planner endpoints: pseudonymous analytics across journeys, small cells suppressed.

Open to planners and auditors (who may see aggregates); case workers and admins get 403.
Nothing here names a client, so these reads are not written to any client's access log.
Every endpoint takes an optional period (``from``, ``to``: valid time).
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import TypeAdapter

from api.deps import ComponentsDep, CurrentActor
from api.responses import json_response
from domain.commands import Moment
from domain.events import Actor
from pathways import analytics
from pathways.eventlog import EventLog
from pathways.exports import ocel_json, write_ocel_sqlite, write_xes

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/analytics",
    tags=["analytics"],
    responses={
        401: {"description": "no valid bearer token"},
        403: {"description": "for planners and auditors"},
        422: {"description": "invalid parameters"},
    },
)
Start = Annotated[Moment | None, Query(alias="from")]
End = Annotated[Moment | None, Query(alias="to")]


def planner_only(actor: Actor) -> None:
    if actor.role not in {"planner", "auditor"}:
        raise HTTPException(403, "for planners and auditors")


def _on_log(
    path: str,
    model: Any,
    summary: str,
    compute: Callable[[EventLog, datetime | None, datetime | None], object],
) -> None:
    """Register ``GET path`` answering ``compute(log, from, to)`` as ``model``."""
    adapter: TypeAdapter[Any] = TypeAdapter(model)

    def endpoint(
        components: ComponentsDep, actor: CurrentActor, start: Start = None, end: End = None
    ) -> Response:
        planner_only(actor)
        return json_response(adapter, compute(components.planner.log(), start, end))

    endpoint.__name__ = "get_" + path.strip("/").replace("-", "_")
    router.add_api_route(path, endpoint, methods=["GET"], response_model=model, summary=summary)


_on_log(
    "/transitions",
    list[analytics.TransitionCell],
    "Sector-to-sector transitions (the input of a Sankey diagram)",
    lambda log, s, e: analytics.transition_matrix(analytics.routes_of(log), s, e),
)
_on_log(
    "/variants",
    list[analytics.VariantRow],
    "Route variants (sectors in order) with client counts; rare ones pooled and suppressed",
    lambda log, s, e: analytics.variants(analytics.routes_of(log), s, e),
)
_on_log(
    "/dfg",
    list[analytics.DfgEdge],
    "Directly-follows graph of activities: frequencies, clients, mean and median durations",
    analytics.directly_follows,
)
_on_log(
    "/waiting-times",
    list[analytics.WaitingRow],
    "Days from referral to the first service in the sector referred to (median, p90)",
    analytics.waiting_times,
)
_on_log(
    "/ping-pong",
    list[analytics.PingPongRow],
    "Clients sent from sector A to B and straight back to A, per sector pair",
    lambda log, s, e: analytics.ping_pong(analytics.routes_of(log), s, e),
)
_on_log(
    "/coordinator-gaps",
    analytics.CoordinatorGaps,
    "Share of journey-days without a coordinator, and how long the gaps lasted",
    analytics.coordinator_gaps,
)
_on_log(
    "/silent-transitions",
    list[analytics.SilentTransitionRow],
    "Transitions after which nothing was shared with the receiving side, per kind",
    analytics.silent_transitions,
)


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
    summary="The pseudonymous event log as XES (for process-mining tools)",
)
def get_export_xes(
    components: ComponentsDep, actor: CurrentActor, start: Start = None, end: End = None
) -> Response:
    planner_only(actor)
    out = io.StringIO()
    write_xes(analytics.between(components.planner.log(), start, end), out)
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
    summary="The pseudonymous event log as OCEL 2.0, JSON or SQLite",
)
def get_export_ocel(
    components: ComponentsDep,
    actor: CurrentActor,
    start: Start = None,
    end: End = None,
    format: Literal["json", "sqlite"] = "json",
) -> Response:
    planner_only(actor)
    log = analytics.between(components.planner.log(), start, end)
    if format == "json":
        return _file(json.dumps(ocel_json(log)), "application/json", "polku-ocel.json")
    with tempfile.TemporaryDirectory(prefix="polku-ocel-") as folder:
        path = Path(folder) / "ocel.sqlite"
        write_ocel_sqlite(log, path)
        data = path.read_bytes()
    return _file(data, "application/vnd.sqlite3", "polku-ocel.sqlite")


@router.get(
    "/conformance",
    response_model=list[analytics.ConformanceRow],
    summary="Per pathway of the catalogue: journeys it applies to and the share conforming",
)
def get_conformance(components: ComponentsDep, actor: CurrentActor) -> Response:
    planner_only(actor)
    rows = analytics.conformance_rates(components.conformance.outcomes())
    return json_response(TypeAdapter(list[analytics.ConformanceRow]), rows)
