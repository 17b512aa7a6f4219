"""Webhook subscriptions for admins (docs/feed.md): subscribe a URL to an organisation's change
feed (the secret is answered once), list them, stop one, and see its dead letters. The same as
``polku webhooks add|list|remove|dead``; deliveries are made by the worker
(runtime/webhooks.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api.deps import ComponentsDep, CurrentActor
from domain.events import Actor
from storage.webhooks import MAX_URL, DeadLetter, Subscription

__all__ = ["router"]

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "for admins only"},
}
router = APIRouter(prefix="/v1", tags=["webhooks"], responses=_PROBLEMS)
SubscriptionId = Annotated[
    str, Path(pattern=r"^wh-[0-9a-f]{16}$", description="the id the subscription was given")
]
_ADMINS = " For admins only (403 otherwise). docs/feed.md."


class SubscriptionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: Annotated[
        str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")
    ]
    """The organisation whose change feed is pushed."""
    url: Annotated[str, Field(min_length=1, max_length=MAX_URL)]
    """Where to POST it: http:// or https://, no credentials in it."""


@dataclass(frozen=True)
class SubscriptionOut:
    subscription_id: str
    organisation: str
    url: str
    created_at: datetime
    removed_at: datetime | None
    delivered: int
    """Items the receiver acknowledged so far."""
    attempts: int
    """Failed attempts at the batch now due (0: none)."""
    last_error: str | None
    dead_letters: int


@dataclass(frozen=True)
class CreatedOut:
    subscription_id: str
    organisation: str
    url: str
    secret: str
    """The signing secret, answered this once: give it to the receiver."""


_LIST = TypeAdapter(list[SubscriptionOut])
_CREATED = TypeAdapter(CreatedOut)
_DEAD = TypeAdapter(list[DeadLetter])
_EXAMPLE = {"organisation": "school-harbour", "url": "https://sis.school-harbour.example/polku"}


def _admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise HTTPException(403, "for admins only")


@router.post(
    "/webhooks",
    status_code=201,
    response_model=CreatedOut,
    summary="Subscribe a URL to an organisation's change feed",
    description="Batches of the organisation's feed items are POSTed to the URL, signed with"
    " the secret this answer holds (answered once, stored sealed): `Polku-Webhook-Timestamp`"
    " and `Polku-Webhook-Signature: v1=<HMAC-SHA256 of '<timestamp>.' + body>`; at least once,"
    " retried with exponential backoff, then kept as dead letters." + _ADMINS,
    responses={422: {"description": "not an http(s) URL, or an invalid organisation"}},
    openapi_extra={"requestBody": {"content": {"application/json": {"example": _EXAMPLE}}}},
)
def create_subscription(
    body: SubscriptionBody, components: ComponentsDep, actor: CurrentActor
) -> Response:
    _admin(actor)
    try:
        subscription, secret = components.webhooks.add(
            body.organisation, body.url, components.clock()
        )
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    out = CreatedOut(
        subscription.subscription_id, subscription.organisation, subscription.url, secret
    )
    return Response(_CREATED.dump_json(out), status_code=201, media_type="application/json")


@router.get(
    "/webhooks",
    response_model=list[SubscriptionOut],
    summary="Webhook subscriptions and how their delivery goes",
    description="Every subscription (those stopped too): items delivered, failed attempts at"
    " the batch now due, the last error (a status code or an error type) and how many dead"
    " letters. Never a secret." + _ADMINS,
)
def list_subscriptions(components: ComponentsDep, actor: CurrentActor) -> Response:
    _admin(actor)
    webhooks = components.webhooks
    out = [_out(s, len(webhooks.dead_letters(s.subscription_id))) for s in webhooks.all()]
    return Response(_LIST.dump_json(out), media_type="application/json")


@router.delete(
    "/webhooks/{subscription_id}",
    status_code=204,
    summary="Stop delivering to a subscription",
    description="Nothing more is sent to its URL; the subscription stays listed, with when it"
    " was stopped." + _ADMINS,
    responses={404: {"description": "no subscription in force with this id"}},
)
def remove_subscription(
    subscription_id: SubscriptionId, components: ComponentsDep, actor: CurrentActor
) -> Response:
    _admin(actor)
    if not components.webhooks.remove(subscription_id, components.clock()):
        raise HTTPException(404, "no subscription in force with this id")
    return Response(status_code=204)


@router.get(
    "/webhooks/{subscription_id}/dead-letters",
    response_model=list[DeadLetter],
    summary="A subscription's dead letters",
    description="Batches given up on after every attempt failed: where each starts in the"
    " feed, how many items, the attempts and the last error, and when it was sent again"
    " (`polku webhooks redeliver`). No item is shown: admins read no person-level data." + _ADMINS,
    responses={404: {"description": "no subscription with this id"}},
)
def dead_letters(
    subscription_id: SubscriptionId, components: ComponentsDep, actor: CurrentActor
) -> Response:
    _admin(actor)
    if components.webhooks.get(subscription_id) is None:
        raise HTTPException(404, "no subscription with this id")
    letters = components.webhooks.dead_letters(subscription_id)
    return Response(_DEAD.dump_json(letters), media_type="application/json")


def _out(s: Subscription, dead: int) -> SubscriptionOut:
    return SubscriptionOut(
        s.subscription_id, s.organisation, s.url, s.created_at, s.removed_at, s.delivered,
        s.attempts, s.last_error, dead,
    )  # fmt: skip
