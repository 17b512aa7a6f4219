"""Command endpoints: ``POST /v1/journeys`` and ``POST /v1/journeys/{client_ref}/…``.

Each body is the command's fields (less those in the path) plus an optional
``expected_version``; an ``Idempotency-Key`` header makes a retry store nothing new and answer
the same. The recorder of every event is the authenticated caller.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, cast
from uuid import UUID

from fastapi import APIRouter, Body, Header, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from api.deps import ComponentsDep, CurrentActor
from api.routes.reads import CLIENT_REF
from domain import commands as cmd
from domain.application import CommandContext, Recorded
from domain.errors import JourneyNotFoundError
from domain.policy import may_write, role_may_write
from runtime.erasure import erase_client

__all__ = ["COMMAND_ROUTES", "CommandOut", "router"]

router = APIRouter(prefix="/v1", tags=["commands"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="a retried command with the same key is stored once",
    ),
]


@dataclass(frozen=True)
class CommandOut:
    client_ref: str
    event_id: UUID
    event_ids: tuple[UUID, ...]
    version: int
    """The journey's position after the write."""
    recorded_at: datetime
    """The write's record time: read with ``known_at`` set to it to see the record just after."""
    replayed: bool


_OUT = TypeAdapter(CommandOut)


@dataclass(frozen=True)
class CommandRoute:
    path: str
    command: type[cmd.Command]
    path_fields: tuple[str, ...] = ()
    any_case_worker: bool = False
    """Referrals may be made by any case worker, not only team members."""


COMMAND_ROUTES = (
    CommandRoute("/referrals", cmd.MakeReferral, any_case_worker=True),
    CommandRoute("/referrals/{referral_id}/acceptance", cmd.AcceptReferral, ("referral_id",)),
    CommandRoute("/referrals/{referral_id}/decline", cmd.DeclineReferral, ("referral_id",)),
    CommandRoute("/consents", cmd.GrantConsent),
    CommandRoute("/consents/{consent_id}/withdrawal", cmd.WithdrawConsent, ("consent_id",)),
    CommandRoute("/denials", cmd.RegisterDenial),
    CommandRoute("/denials/{denial_id}/lifting", cmd.LiftDenial, ("denial_id",)),
    CommandRoute("/team-members", cmd.AddTeamMember),
    CommandRoute("/team-members/{party_id}/role", cmd.ChangeTeamMemberRole, ("party_id",)),
    CommandRoute("/team-members/{party_id}/removal", cmd.RemoveTeamMember, ("party_id",)),
    CommandRoute("/coordinator", cmd.AssignCoordinator),
    CommandRoute("/coordinator/release", cmd.ReleaseCoordinator),
    CommandRoute("/services", cmd.StartService),
    CommandRoute("/services/{episode_id}/end", cmd.EndService, ("episode_id",)),
    CommandRoute("/transitions", cmd.RecordTransition),
    CommandRoute("/disclosures", cmd.RecordInformationShared),
    CommandRoute("/meetings", cmd.RecordMeeting),
    CommandRoute("/plan", cmd.AgreePlan),
    CommandRoute("/closure", cmd.CloseJourney),
    CommandRoute("/reopening", cmd.ReopenJourney),
)

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"description": text}
    for code, text in (
        (401, "no valid bearer token"),
        (403, "your role may not do this"),
        (404, "no such journey (or not one you are on)"),
        (409, "expected_version is stale, or the client is already registered"),
        (422, "invalid body, or a rule of the timeline would be broken"),
    )
}


def _body_model(command: type[cmd.Command], path_fields: tuple[str, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in command.model_fields.items()
        if name not in path_fields and name != "replacement"
    }
    fields["expected_version"] = (
        int | None,
        Field(default=None, ge=0, description="409 if the journey is at another version"),
    )
    return create_model(
        f"{command.__name__}Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=command.__doc__,
        **fields,
    )


def _answer(result: Recorded) -> Response:
    out = CommandOut(
        client_ref=result.client_ref,
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


def _run(
    components: ComponentsDep,
    actor: CurrentActor,
    client_ref: str,
    command: cmd.Command,
    key: str | None,
    expected_version: int | None,
    *,
    any_case_worker: bool = False,
) -> Response:
    if not role_may_write(actor):
        raise HTTPException(403, f"the {actor.role} role may not record events")
    try:
        journey = components.service.get_journey(client_ref)
    except JourneyNotFoundError:
        raise HTTPException(404, "no such journey") from None
    if not may_write(actor, journey, open_to_any_case_worker=any_case_worker):
        raise HTTPException(404, "no such journey")
    ctx = CommandContext(actor=actor, command_id=key, expected_version=expected_version)
    return _answer(components.service.execute(client_ref, command, ctx))


def _add_command_route(spec: CommandRoute) -> None:
    body_model = _body_model(spec.command, spec.path_fields)

    def endpoint(**kwargs: Any) -> Response:
        body: BaseModel = kwargs.pop("body")
        fields = body.model_dump(exclude={"expected_version"}, exclude_unset=True)
        fields.update({name: kwargs[name] for name in spec.path_fields})
        command = spec.command.model_validate(fields)
        return _run(
            kwargs["components"],
            kwargs["actor"],
            kwargs["client_ref"],
            command,
            kwargs["key"],
            getattr(body, "expected_version", None),
            any_case_worker=spec.any_case_worker,
        )

    params = [
        inspect.Parameter(
            "client_ref",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[str, Path(pattern=CLIENT_REF, max_length=128)],
        ),
        *(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[str, Path(pattern=CLIENT_REF, max_length=128)],
            )
            for name in spec.path_fields
        ),
        inspect.Parameter(
            "body", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[body_model, Body()]
        ),
        inspect.Parameter("components", inspect.Parameter.KEYWORD_ONLY, annotation=ComponentsDep),
        inspect.Parameter("actor", inspect.Parameter.KEYWORD_ONLY, annotation=CurrentActor),
        inspect.Parameter(
            "key", inspect.Parameter.KEYWORD_ONLY, annotation=IdempotencyKey, default=None
        ),
    ]
    endpoint.__signature__ = inspect.Signature(params, return_annotation=Response)  # type: ignore[attr-defined]
    endpoint.__name__ = spec.command.EVENT.KIND
    router.add_api_route(
        "/journeys/{client_ref}" + spec.path,
        endpoint,
        methods=["POST"],
        status_code=201,
        response_model=CommandOut,
        responses=_PROBLEMS,
        summary=(spec.command.__doc__ or spec.command.__name__).strip().splitlines()[0],
        operation_id=spec.command.EVENT.KIND,
    )


for _spec in COMMAND_ROUTES:
    _add_command_route(_spec)


RegisterBody = _body_model(cmd.RegisterClient, ())


@router.post(
    "/journeys",
    status_code=201,
    response_model=CommandOut,
    responses=_PROBLEMS,
    summary="Register a client (opens their journey)",
    operation_id="client_registered",
)
def register_client(
    body: Annotated[RegisterBody, Body()],  # type: ignore[valid-type]
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    if not role_may_write(actor):
        raise HTTPException(403, f"the {actor.role} role may not register clients")
    data = cast(BaseModel, body)
    fields = data.model_dump(exclude={"expected_version"}, exclude_unset=True)
    command = cmd.RegisterClient.model_validate(fields)
    expected = getattr(data, "expected_version", None)
    ctx = CommandContext(actor=actor, command_id=key, expected_version=expected)
    return _answer(components.service.register_client(command, ctx))


class ReplacementBody(BaseModel):
    """The corrected fact: a command kind and its fields (as in that command's own body)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal[tuple(k for k in cmd.COMMAND_TYPES if k != "event_retracted")]  # type: ignore[valid-type]
    command: dict[str, Any]


class RetractionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occurred_at: cmd.Moment
    reason: cmd.RetractionReason
    note: cmd.Text | None = None
    replacement: ReplacementBody | None = None
    expected_version: int | None = Field(default=None, ge=0)


@router.post(
    "/journeys/{client_ref}/events/{event_id}/retraction",
    status_code=201,
    response_model=CommandOut,
    responses=_PROBLEMS,
    summary="Retract an event entered in error, optionally with a replacement (a correction)",
    operation_id="event_retracted",
)
def retract_event(
    client_ref: Annotated[str, Path(pattern=CLIENT_REF, max_length=128)],
    event_id: UUID,
    body: RetractionBody,
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    replacement = None
    if body.replacement is not None:
        replacement = cmd.COMMAND_TYPES[body.replacement.kind].model_validate(
            body.replacement.command
        )
    command = cmd.RetractEvent(
        occurred_at=body.occurred_at,
        target_event_id=event_id,
        reason=body.reason,
        note=body.note,
        replacement=replacement,
    )
    return _run(components, actor, client_ref, command, key, body.expected_version)


class ErasureBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=500)]
    """Why (kept with the erasure: it must not itself hold personal data)."""


@dataclass(frozen=True)
class ErasureOut:
    client_ref: str
    event_id: str
    version: int
    already_erased: bool
    access_log_purposes_cleared: int


@router.post(
    "/journeys/{client_ref}/erasure",
    status_code=201,
    response_model=ErasureOut,
    responses=_PROBLEMS,
    summary="Erase the client's personal data (admin): their key is deleted",
    operation_id="personal_data_erased",
)
def erase_personal_data(
    client_ref: Annotated[str, Path(pattern=CLIENT_REF, max_length=128)],
    body: ErasureBody,
    components: ComponentsDep,
    actor: CurrentActor,
) -> Response:
    if actor.role != "admin":
        raise HTTPException(403, "only an admin may erase personal data")
    try:
        result = erase_client(components, client_ref, body.reason, actor)
    except JourneyNotFoundError:
        raise HTTPException(404, "no such journey") from None
    out = ErasureOut(**vars(result))
    return Response(
        TypeAdapter(ErasureOut).dump_json(out), status_code=201, media_type="application/json"
    )
