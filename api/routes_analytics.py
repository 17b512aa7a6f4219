"""Planner endpoints: pseudonymous analytics across journeys, small cells suppressed.

Open to planners and auditors (who may see aggregates); case workers and admins get 403.
Nothing here names a client, so these reads are not written to any client's access log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import TypeAdapter

from api.deps import ComponentsDep, CurrentActor
from domain.commands import Moment
from domain.events import Actor
from pathways.analytics import TransitionCell, VariantRow, transition_matrix, variants

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
_CELLS = TypeAdapter(list[TransitionCell])
_VARIANTS = TypeAdapter(list[VariantRow])


def _planner(actor: Actor) -> None:
    if actor.role not in {"planner", "auditor"}:
        raise HTTPException(403, "for planners and auditors")


def _json(adapter: TypeAdapter[Any], value: object) -> Response:
    return Response(adapter.dump_json(value), media_type="application/json")


@router.get(
    "/transitions",
    response_model=list[TransitionCell],
    summary="Sector-to-sector transitions (the input of a Sankey diagram), small cells suppressed",
)
def get_transitions(
    components: ComponentsDep, actor: CurrentActor, start: Start = None, end: End = None
) -> Response:
    _planner(actor)
    return _json(_CELLS, transition_matrix(components.planner.routes(), start, end))


@router.get(
    "/variants",
    response_model=list[VariantRow],
    summary="Route variants with client counts; variants under 5 clients pooled and suppressed",
)
def get_variants(
    components: ComponentsDep, actor: CurrentActor, start: Start = None, end: End = None
) -> Response:
    _planner(actor)
    return _json(_VARIANTS, variants(components.planner.routes(), start, end))
