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
from api.routes.command_docs import COMMAND_DOCS, WHO_MAY_WRITE
from api.routes.reads import CLIENT_REF
from domain import commands as cmd
from domain.application import Recorded
from domain.policy import CLIENT_COMMANDS
from runtime.erasure import erase_client
from runtime.writes import Received, Writes

__all__ = ["COMMAND_ROUTES", "CommandOut", "IdempotencyKey", "answer", "router"]

router = APIRouter(prefix="/v1", tags=["commands"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="a retried command with the same key from the same caller is stored once"
        " (keys are scoped to the caller)",
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
_RECEIVED = TypeAdapter(Received)


@dataclass(frozen=True)
class CommandRoute:
    path: str
    command: type[cmd.Command]
    path_fields: tuple[str, ...] = ()


COMMAND_ROUTES = (
    CommandRoute("/referrals", cmd.MakeReferral),
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
        (429, "too many writes to journeys you may not read; retry after Retry-After seconds"),
    )
}
_RECEIVED_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "received: the answer to anyone who may not read the journey, the same"
        " whether or not the client exists",
        "model": Received,
    }
}


_CLIENT_MAY_TOO = (
    " The client, and a guardian the registration names, may do this too on their own journey"
    " (recorded as `client` or `guardian-<n>`; docs/client-page.md)."
)


def _docs(kind: str, *, team_only: bool = True) -> dict[str, Any]:
    """Summary, description and example body of a command route, for the OpenAPI document."""
    doc = COMMAND_DOCS[kind]
    client_too = _CLIENT_MAY_TOO if kind in CLIENT_COMMANDS else ""
    return {
        "summary": doc.summary,
        "description": doc.description + (WHO_MAY_WRITE + client_too if team_only else ""),
        "openapi_extra": {
            "requestBody": {"content": {"application/json": {"example": doc.example}}}
        },
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


def answer(result: Recorded | Received) -> Response:
    if isinstance(result, Received):
        # The same bytes and headers for every journey the caller may not read.
        return Response(
            _RECEIVED.dump_json(result, exclude_none=True),
            status_code=202,
            media_type="application/json",
        )
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
) -> Response:
    writes = Writes(components)
    return answer(
        writes.execute(actor, client_ref, command, key=key, expected_version=expected_version)
    )


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
    referral = spec.command is cmd.MakeReferral
    router.add_api_route(
        "/journeys/{client_ref}" + spec.path,
        endpoint,
        methods=["POST"],
        status_code=201,
        response_model=CommandOut,
        responses=_PROBLEMS | (_RECEIVED_RESPONSE if referral else {}),
        operation_id=spec.command.EVENT.KIND,
        **_docs(spec.command.EVENT.KIND, team_only=not referral),
    )


for _spec in COMMAND_ROUTES:
    _add_command_route(_spec)


RegisterBody = _body_model(cmd.RegisterClient, ())


@router.post(
    "/journeys",
    status_code=201,
    response_model=CommandOut,
    responses=_PROBLEMS | _RECEIVED_RESPONSE,
    operation_id="client_registered",
    **_docs("client_registered", team_only=False),
)
def register_client(
    body: Annotated[RegisterBody, Body()],  # type: ignore[valid-type]
    components: ComponentsDep,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> Response:
    data = cast(BaseModel, body)
    fields = data.model_dump(exclude={"expected_version"}, exclude_unset=True)
    command = cmd.RegisterClient.model_validate(fields)
    expected = getattr(data, "expected_version", None)
    return answer(Writes(components).register(actor, command, key=key, expected_version=expected))


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
    operation_id="event_retracted",
    **_docs("event_retracted"),
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

    reason: Annotated[str, Field(min_length=1, max_length=64)]
    """Why: a code from the ``erasure_reasons`` vocabulary (kept with the erasure)."""
    note: Annotated[str | None, Field(min_length=1, max_length=500)] = None
    """Optional free text, sealed with the client's key and so erased with their data."""


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
    operation_id="personal_data_erased",
    **_docs("personal_data_erased", team_only=False),
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
        result = erase_client(components, client_ref, body.reason, actor, body.note)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    out = ErasureOut(**vars(result))
    return Response(
        TypeAdapter(ErasureOut).dump_json(out), status_code=201, media_type="application/json"
    )
