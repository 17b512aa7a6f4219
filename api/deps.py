"""Dependencies shared by the routes: the wired components, the authenticated actor, and the
reader (actor, route and purpose) through which every read of a client's data is logged.

Who the caller is comes from, in this order: a bearer API token (``polku_…``, checked against
its expiry and scopes), a bearer JWT access token from the configured OpenID provider (checked
against its keys, issuer, audience and expiry), or the web session cookie set after sign-in
through the provider — then every request but GET, HEAD and OPTIONS must carry the session's
CSRF token in ``X-CSRF-Token`` (a cookie alone never writes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.events import Actor
from runtime.oidc import OidcError
from runtime.reads import Reader, Reads
from runtime.wiring import Components

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "ComponentsDep",
    "CurrentActor",
    "CurrentReader",
    "ReadsDep",
    "required_scope",
]

SESSION_COOKIE = "polku_session"
CSRF_COOKIE = "polku_csrf"
"""Readable by the pages' scripts (not HttpOnly): they send it back as :data:`CSRF_HEADER`."""
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _components(request: Request) -> Components:
    components: Components = request.app.state.polku
    return components


ComponentsDep = Annotated[Components, Depends(_components)]
_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `polku tokens create`, or an access token (JWT) from the"
    " configured OpenID provider.",
)


def required_scope(method: str, path: str) -> str:
    """The API-token scope a request needs: ``feed`` for the change feed, ``read`` for other
    GETs, ``write`` for everything else."""
    if path == "/v1/feed" or path.startswith("/v1/feed/"):
        return "feed"
    return "read" if method in SAFE_METHODS else "write"


def _bearer_actor(request: Request, components: Components, token: str) -> Actor:
    if token.startswith("polku_"):
        use = components.tokens.use(token)
        if use is None:
            raise HTTPException(401, "the token is not valid")
        needed = required_scope(request.method, request.url.path)
        if needed not in use.scopes:
            request.state.actor = use.actor
            raise HTTPException(403, f"the token's scopes do not include {needed}")
        return use.actor
    if components.oidc is None:
        raise HTTPException(401, "the token is not valid")
    try:
        return components.oidc.verify_access_token(token)
    except OidcError as error:
        raise HTTPException(401, f"the token is not valid: {error}") from None


def _actor(
    request: Request,
    components: ComponentsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        actor = _bearer_actor(request, components, credentials.credentials)
    else:
        session_id = request.cookies.get(SESSION_COOKIE)
        session = components.sessions.find(session_id) if session_id else None
        if session is None:
            raise HTTPException(401, "a bearer token is required")
        if request.method not in SAFE_METHODS and not session.csrf_matches(
            request.headers.get(CSRF_HEADER)
        ):
            raise HTTPException(403, f"a write from a signed-in page needs {CSRF_HEADER}")
        actor = session.actor
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
