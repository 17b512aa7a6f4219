"""Household endpoints: ``POST /v1/households`` (form), ``POST /v1/households/{household_ref}/…``
(members join and leave, the plan, the household coordinator, retractions) and
``GET /v1/households/{household_ref}?at=&known_at=`` (the household view). Every route goes
through :class:`runtime.households.Households`, which decides who may do what and writes the
access log (docs/households.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api.deps import ComponentsDep, CurrentActor, CurrentReader
from api.responses import json_response
from api.routes.commands import IdempotencyKey
from api.routes.reads import CLIENT_REF, MAX_PAGE, KnownAt, When
from domain import household_commands as hcmd
from domain.commands import Moment, Ref, Refs, RetractionReason, Sector, Text
from domain.household_application import HouseholdRecorded
from projections.history import HistoryEntry
from projections.household_view import HouseholdView
from runtime.households import HouseholdReceived, Households

__all__ = ["HouseholdCommandOut", "router"]

router = APIRouter(prefix="/v1", tags=["households"])

HouseholdRef = Annotated[
    str, Path(pattern=CLIENT_REF, max_length=128, description="pseudonymous household id")
]
WHEN = "2026-03-02T09:00:00+02:00"
_WHO = (
    "\n\nCase workers and coordinators with standing on the household may do this: its"
    " household coordinator, a member of the team of one of its members, or whoever formed it"
    " while it has no members. Anyone else gets 404 whether or not the household exists (and"
    " such writes count against the per-caller limit, 429 beyond it). Send `expected_version`"
    " to be refused with 409 if the household has moved on, and an `Idempotency-Key` header to"
    " make a retry store nothing new."
)
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"description": text}
    for code, text in (
        (401, "no valid bearer token"),
        (403, "your role may not do this"),
        (404, "no such household (or not one you have standing on), or no such client"),
        (409, "expected_version is stale"),
        (422, "invalid body, or a rule of the household's timeline would be broken"),
        (429, "too many writes to households or journeys you may not read"),
    )
}


@dataclass(frozen=True)
class HouseholdCommandOut:
    household_ref: str
    event_id: UUID
    event_ids: tuple[UUID, ...]
    version: int
    """The household's position after the write."""
    recorded_at: datetime
    """The write's record time: read with ``known_at`` set to it to see the record just after."""
    replayed: bool


_OUT = TypeAdapter(HouseholdCommandOut)
_RECEIVED = TypeAdapter(HouseholdReceived)
_VIEW = TypeAdapter(HouseholdView)
_HISTORY = TypeAdapter(list[HistoryEntry])


def _answer(result: HouseholdRecorded) -> Response:
    out = HouseholdCommandOut(
        household_ref=result.household_ref,
        event_id=result.event_ids[0],
        event_ids=result.event_ids,
        version=result.version,
        recorded_at=result.recorded_at,
        replayed=result.replayed,
    )
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return Response(
        _OUT.dump_json(out), status_code=201, media_type="application/json", headers=headers
    )


def _example(body: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"content": {"application/json": {"example": body}}}}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    occurred_at: Moment
    note: Text | None = None
    expected_version: int | None = Field(
        default=None, ge=0, description="409 if the household is at another version"
    )


class FormBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    occurred_at: Moment
    household_ref: Ref
    note: Text | None = None


class MemberBody(_Body):
    client_ref: Ref
    """The member's journey, by its client ref."""


class PlanBody(_Body):
    domains: Annotated[list[Sector], Field(min_length=1, max_length=20)]
    goals: Annotated[list[Text], Field(min_length=1, max_length=50)]
    responsible_parties: Refs = Field(default_factory=list)
    review_on: Moment | None = None


class CoordinatorBody(_Body):
    party_id: Ref
    organisation: Ref


class ReleaseBody(_Body):
    party_id: Ref


class ReplacementBody(BaseModel):
    """The corrected fact: a household command kind and its fields (as in its own body)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal[
        "household_member_joined",
        "household_member_left",
        "household_plan_agreed",
        "household_coordinator_assigned",
        "household_coordinator_released",
    ]
    command: dict[str, Any]


class RetractionBody(_Body):
    reason: RetractionReason
    replacement: ReplacementBody | None = None


def _run(
    components: ComponentsDep,
    actor: CurrentActor,
    household_ref: str,
    command: hcmd.HouseholdCommand,
    key: str | None,
    expected_version: int | None,
) -> Response:
    households = Households(components)
    return _answer(
        households.execute(
            actor, household_ref, command, key=key, expected_version=expected_version
        )
    )


def _fields(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(exclude={"expected_version"}, exclude_unset=True)


@router.post(
    "/households",
    status_code=202,
    response_model=HouseholdReceived,
    responses=_PROBLEMS,
    operation_id="household_formed",
    summary="Form a household",
    description="Forms a household under a pseudonymous household ref. The answer is 202"
    " `received` whether or not the ref was taken (nothing is stored for a taken ref), so"
    " forming tells nobody which households exist; whoever formed a new household may add its"
    " first members. Case workers and coordinators only.",
    openapi_extra=_example({"occurred_at": WHEN, "household_ref": "household-7"}),
)
def form_household(
    body: Annotated[FormBody, Body()],
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    command = hcmd.FormHousehold.model_validate(_fields(body))
    result = Households(components).form(actor, command, key=key)
    return Response(_RECEIVED.dump_json(result), status_code=202, media_type="application/json")


@router.post(
    "/households/{household_ref}/members",
    status_code=201,
    response_model=HouseholdCommandOut,
    responses=_PROBLEMS,
    operation_id="household_member_joined",
    summary="A client joins the household",
    description="Records that the client (their journey, by client ref) is a member of the"
    " household from `occurred_at`; a join dated in the past is a late entry, seen only at"
    " record times after it. You must also be on the client's team (404 `no such journey`"
    " otherwise, as for a client who does not exist)." + _WHO,
    openapi_extra=_example({"occurred_at": WHEN, "client_ref": "client-42"}),
)
def join_household(
    household_ref: HouseholdRef,
    body: Annotated[MemberBody, Body()],
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    command = hcmd.JoinHousehold.model_validate(_fields(body))
    return _run(components, actor, household_ref, command, key, body.expected_version)


@router.post(
    "/households/{household_ref}/departures",
    status_code=201,
    response_model=HouseholdCommandOut,
    responses=_PROBLEMS,
    operation_id="household_member_left",
    summary="A client leaves the household",
    description="Records that the client is no longer a member from `occurred_at` (the"
    " household coordinator must be released before the last member leaves). You must also be"
    " on the client's team." + _WHO,
    openapi_extra=_example({"occurred_at": WHEN, "client_ref": "client-42"}),
)
def leave_household(
    household_ref: HouseholdRef,
    body: Annotated[MemberBody, Body()],
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    command = hcmd.LeaveHousehold.model_validate(_fields(body))
    return _run(components, actor, household_ref, command, key, body.expected_version)


@router.post(
    "/households/{household_ref}/plan",
    status_code=201,
    response_model=HouseholdCommandOut,
    responses=_PROBLEMS,
    operation_id="household_plan_agreed",
    summary="Agree the household plan",
    description="Records the household's plan from `occurred_at`: the life domains it covers"
    " (terms of the `sectors` vocabulary), its goals (free text, sealed with the household's"
    " own key), who is responsible and when it is reviewed. A new plan replaces the last." + _WHO,
    openapi_extra=_example(
        {
            "occurred_at": WHEN,
            "domains": ["education", "integration_services"],
            "goals": ["Both children settled in their new schools by the spring"],
            "responsible_parties": ["p-hh-coord-01"],
        }
    ),
)
def agree_household_plan(
    household_ref: HouseholdRef,
    body: Annotated[PlanBody, Body()],
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    command = hcmd.AgreeHouseholdPlan.model_validate(_fields(body))
    return _run(components, actor, household_ref, command, key, body.expected_version)


@router.post(
    "/households/{household_ref}/coordinator",
    status_code=201,
    response_model=HouseholdCommandOut,
    responses=_PROBLEMS,
    operation_id="household_coordinator_assigned",
    summary="Assign the household coordinator",
    description="Makes the party the household's one coordinator from `occurred_at` (only"
    " while it has members). Assigning while another coordinates is a hand-over: the previous"
    " coordinator's period ends then, with no gap." + _WHO,
    openapi_extra=_example(
        {"occurred_at": WHEN, "party_id": "p-hh-coord-01", "organisation": "city-family-services"}
    ),
)
def assign_household_coordinator(
    household_ref: HouseholdRef,
    body: Annotated[CoordinatorBody, Body()],
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    command = hcmd.AssignHouseholdCoordinator.model_validate(_fields(body))
    return _run(components, actor, household_ref, command, key, body.expected_version)


@router.post(
    "/households/{household_ref}/coordinator/release",
    status_code=201,
    response_model=HouseholdCommandOut,
    responses=_PROBLEMS,
    operation_id="household_coordinator_released",
    summary="Release the household coordinator",
    description="Ends the current household coordinator's period at `occurred_at`; until"
    " another is assigned the household view shows a gap." + _WHO,
    openapi_extra=_example({"occurred_at": WHEN, "party_id": "p-hh-coord-01"}),
)
def release_household_coordinator(
    household_ref: HouseholdRef,
    body: Annotated[ReleaseBody, Body()],
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    command = hcmd.ReleaseHouseholdCoordinator.model_validate(_fields(body))
    return _run(components, actor, household_ref, command, key, body.expected_version)


_REPLACEMENTS: dict[str, type[hcmd.HouseholdCommand]] = {
    "household_member_joined": hcmd.JoinHousehold,
    "household_member_left": hcmd.LeaveHousehold,
    "household_plan_agreed": hcmd.AgreeHouseholdPlan,
    "household_coordinator_assigned": hcmd.AssignHouseholdCoordinator,
    "household_coordinator_released": hcmd.ReleaseHouseholdCoordinator,
}


@router.post(
    "/households/{household_ref}/events/{event_id}/retraction",
    status_code=201,
    response_model=HouseholdCommandOut,
    responses=_PROBLEMS,
    operation_id="household_event_retracted",
    summary="Retract a household event entered in error",
    description="Takes the event out of the household's record from now on (views at earlier"
    " record times still show it), with an optional `replacement` stored in the same atomic"
    " save. The formation cannot be retracted; a join or a departure only by someone on that"
    " client's team." + _WHO,
    openapi_extra=_example({"occurred_at": WHEN, "reason": "entered_in_error"}),
)
def retract_household_event(
    household_ref: HouseholdRef,
    event_id: UUID,
    body: Annotated[RetractionBody, Body()],
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    replacement = None
    if body.replacement is not None:
        replacement = _REPLACEMENTS[body.replacement.kind].model_validate(body.replacement.command)
    command = hcmd.RetractHouseholdEvent(
        occurred_at=body.occurred_at,
        target_event_id=event_id,
        reason=body.reason,
        note=body.note,
        replacement=replacement,
    )
    return _run(components, actor, household_ref, command, key, body.expected_version)


@router.get(
    "/households/{household_ref}",
    response_model=HouseholdView,
    responses={k: v for k, v in _PROBLEMS.items() if k in (401, 403, 404, 422)},
    summary="The household at (at, known_at)",
    description="The household as it was at valid time `at`, as the record stood at record"
    " time `known_at` (both default to now): its members then, each as you may see their own"
    " journey (their consents and denials govern their data), the union of their teams (who"
    " serves whom), the household plan, the household coordinator with the periods and gaps,"
    " and the information flows between the members' teams judged lawful or not then and now."
    " Members whose journey you may not read are only counted (`members_not_shown`). For case"
    " workers with standing on the household and auditors; anyone else gets 404 whether or not"
    " it exists. A read of each member shown is written to that client's access log.",
)
def get_household_view(
    household_ref: HouseholdRef,
    components: ComponentsDep,
    reader: CurrentReader,
    at: When = None,
    known_at: KnownAt = None,
) -> Response:
    result = Households(components).view(reader, household_ref, at=at, known_at=known_at)
    return json_response(_VIEW, result)


@router.get(
    "/households/{household_ref}/history",
    response_model=list[HistoryEntry],
    responses={k: v for k, v in _PROBLEMS.items() if k in (401, 403, 404, 422)},
    summary="Every household event with both times, as recorded at known_at",
    description="Every event of the household's own record as it stood at `known_at`, in"
    " record order, with when it happened and when it was recorded; late entries and"
    " retractions are marked (the event ids to retract are here). The joins and departures of"
    " clients whose journey you may not read are left out, with their retractions; at most"
    ' `limit` events after version `after`, and a `Link: <…>; rel="next"` header when more'
    " follow. For case workers with standing on the household and auditors; anyone else gets"
    " 404 whether or not it exists. A read of each client whose join or departure is shown is"
    " written to that client's access log.",
)
def get_household_history(
    request: Request,
    household_ref: HouseholdRef,
    components: ComponentsDep,
    reader: CurrentReader,
    known_at: KnownAt = None,
    after: Annotated[
        int, Query(ge=0, description="only events after this version (the previous page's last)")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="entries per page")] = MAX_PAGE,
) -> Response:
    entries = Households(components).history(
        reader, household_ref, known_at=known_at, after=after, limit=limit + 1
    )
    response = json_response(_HISTORY, entries[:limit])
    if len(entries) > limit:
        following = request.url.include_query_params(after=entries[limit - 1].version, limit=limit)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response
