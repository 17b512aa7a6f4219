"""Dependencies shared by the routes: the wired components, the authenticated actor, and the
reader (actor, route and purpose) through which every read of a client's data is logged."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.events import Actor
from runtime.reads import Reader, Reads
from runtime.wiring import Components

__all__ = ["ComponentsDep", "CurrentActor", "CurrentReader", "ReadsDep"]


def _components(request: Request) -> Components:
    components: Components = request.app.state.polku
    return components


ComponentsDep = Annotated[Components, Depends(_components)]
_bearer = HTTPBearer(auto_error=False, description="A token from `polku tokens create`.")


def _actor(
    request: Request,
    components: ComponentsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required")
    actor = components.tokens.authenticate(credentials.credentials)
    if actor is None:
        raise HTTPException(401, "the token is not valid")
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(_actor)]


def _reader(
    request: Request,
    actor: CurrentActor,
    purpose: Annotated[
        str | None,
        Header(
            alias="X-Purpose",
            max_length=200,
            description="why you read this (kept in the access log)",
        ),
    ] = None,
) -> Reader:
    route = request.scope.get("route")
    return Reader(actor, f"{request.method} {getattr(route, 'path', request.url.path)}", purpose)


CurrentReader = Annotated[Reader, Depends(_reader)]


def _reads(components: ComponentsDep) -> Reads:
    return Reads(components)


ReadsDep = Annotated[Reads, Depends(_reads)]
