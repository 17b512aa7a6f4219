"""The change feed (docs/feed.md): ``GET /v1/feed`` through :class:`runtime.feed.Feed`, which
applies the reads rule to the caller's organisation at the time of each event and writes the
access-log rows of the clients a page hands out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter

from api.deps import ComponentsDep, CurrentReader
from api.responses import json_response
from runtime.feed import MAX_LIMIT, MAX_WAIT, Feed, FeedPage

__all__ = ["router"]

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "your role may not read person-level data"},
    422: {"description": "invalid parameters (a cursor this feed did not give you)"},
}
router = APIRouter(prefix="/v1", tags=["feed"], responses=_PROBLEMS)
_PAGE = TypeAdapter(FeedPage)


_DESCRIPTION = (
    "In record order, the events of the journeys your organisation may read at the time of"
    " each event, as its members on the team would see them (docs/rules.md): late entries and"
    " retractions as what they are, with valid and record time; when your organisation starts"
    " reading a journey, its earlier events you may see come first, marked `catch_up`; the event"
    " after which it no longer reads a journey is marked `access: ended`, and nothing of that"
    " journey follows. Resume with `after` set to the last item's `cursor` or the page's `next`"
    " (opaque, for your organisation only). `wait` makes the request wait for an item (long"
    " poll). Case workers, coordinators (their organisation's feed) and auditors (every"
    " journey); other roles get 403. Every client a page hands out gets an access-log row."
    " docs/feed.md."
)


@router.get(
    "/feed",
    response_model=FeedPage,
    summary="Your organisation's change feed",
    description=_DESCRIPTION,
)
def get_feed(
    components: ComponentsDep,
    reader: CurrentReader,
    after: Annotated[
        str | None,
        Query(
            max_length=128,
            pattern=r"^[A-Za-z0-9_-]+$",
            description="resume after this cursor (an item's `cursor` or a page's `next`);"
            " none: from the start",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 100,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT,
            description="seconds to wait for an item when there is none yet (long poll)",
        ),
    ] = 0,
) -> Response:
    return json_response(_PAGE, Feed(components).page(reader, after, limit=limit, wait=wait))
