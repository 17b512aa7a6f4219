"""The directory: the organisations and professionals the pages offer in their pickers and show
by name. For staff (case workers, coordinators, auditors, admins; others get 403); it holds no
client data, so every caller allowed gets the same answer, and nothing is access-logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import TypeAdapter

from api.deps import ComponentsDep, CurrentActor
from api.responses import json_response
from runtime.directory import DirectoryReads
from storage.directory import DEFAULT_PAGE, MAX_PAGE, OrganisationEntry, ProfessionalEntry

__all__ = ["router"]

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "for case workers, coordinators, auditors and admins only"},
    422: {"description": "invalid parameters (an unknown sector, a cursor not given here)"},
}
router = APIRouter(prefix="/v1/directory", tags=["directory"], responses=_PROBLEMS)

_ONE_LINE = r"^[^\x00-\x1f\x7f]+$"
Sector = Annotated[
    str | None,
    Query(min_length=1, max_length=128, pattern=_ONE_LINE, description="a sectors term"),
]
Search = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=128,
        pattern=_ONE_LINE,
        description="part of the name or the id, in any case, with or without accents",
    ),
]
Cursor = Annotated[
    str | None,
    Query(max_length=512, pattern=_ONE_LINE, description="the next_cursor of the previous page"),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="entries per page")]


@dataclass(frozen=True)
class OrganisationsOut:
    organisations: tuple[OrganisationEntry, ...]
    """By name, then id."""
    next_cursor: str | None
    """More follow: ask again with ``cursor`` set to this (None: the last page)."""


@dataclass(frozen=True)
class ProfessionalsOut:
    professionals: tuple[ProfessionalEntry, ...]
    """By name, then id."""
    next_cursor: str | None
    """More follow: ask again with ``cursor`` set to this (None: the last page)."""


_ORGANISATIONS = TypeAdapter(OrganisationsOut)
_PROFESSIONALS = TypeAdapter(ProfessionalsOut)


def _reads(components: ComponentsDep) -> DirectoryReads:
    return DirectoryReads(components.directory)


Reads = Annotated[DirectoryReads, Depends(_reads)]


@router.get(
    "/organisations",
    response_model=OrganisationsOut,
    summary="The organisations in the directory, by name; a page at a time",
)
def list_organisations(
    reads: Reads,
    actor: CurrentActor,
    sector: Sector = None,
    q: Search = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> Response:
    page = reads.organisations(actor, sector=sector, q=q, cursor=cursor, limit=limit)
    return json_response(_ORGANISATIONS, OrganisationsOut(page.entries, page.next_cursor))


@router.get(
    "/professionals",
    response_model=ProfessionalsOut,
    summary="The professionals in the directory, by name; a page at a time",
)
def list_professionals(
    reads: Reads,
    actor: CurrentActor,
    organisation: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=128,
            pattern=_ONE_LINE,
            description="only this organisation's (its org_id)",
        ),
    ] = None,
    sector: Sector = None,
    q: Search = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> Response:
    page = reads.professionals(
        actor, organisation=organisation, sector=sector, q=q, cursor=cursor, limit=limit
    )
    return json_response(_PROFESSIONALS, ProfessionalsOut(page.entries, page.next_cursor))
