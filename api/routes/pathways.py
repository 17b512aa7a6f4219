"""Pathway endpoints: the catalogue, and a journey's conformance to a pathway at (at, known_at)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import TypeAdapter

from api.deps import CurrentActor, CurrentReader, ReadsDep
from api.responses import json_response
from api.routes.reads import ClientRef, KnownAt, When
from pathways.conformance import Conformance, check
from pathways.definitions import Pathway, catalogue

__all__ = ["router"]

router = APIRouter(
    prefix="/v1",
    tags=["pathways"],
    responses={
        401: {"description": "no valid bearer token"},
        403: {"description": "your role may not read person-level data"},
        404: {"description": "no such journey or pathway"},
        422: {"description": "invalid parameters"},
    },
)
_PATHWAYS = TypeAdapter(list[Pathway])
_CONFORMANCE = TypeAdapter(Conformance)


@router.get("/pathways", response_model=list[Pathway], summary="The pathway catalogue")
def list_pathways(actor: CurrentActor) -> Response:
    del actor  # any authenticated caller may read the catalogue: it holds no client data
    return json_response(_PATHWAYS, list(catalogue().values()))


@router.get(
    "/journeys/{client_ref}/conformance",
    response_model=Conformance,
    summary="Which steps of a pathway are done, early, missing, overdue or out of order",
)
def get_conformance(
    client_ref: ClientRef,
    reads: ReadsDep,
    reader: CurrentReader,
    pathway: Annotated[str, Query(min_length=1, max_length=64)],
    at: When = None,
    known_at: KnownAt = None,
) -> Response:
    definition = catalogue().get(pathway)
    if definition is None:
        raise HTTPException(404, f"no pathway '{pathway}' in the catalogue")
    journey = reads.journey(reader, client_ref)
    result = check(journey.record(), definition, at=at, known_at=known_at)
    return json_response(_CONFORMANCE, result)
