"""Sign-in through the configured OpenID provider (authorization code with PKCE), the web
session it leaves in a cookie, and sign-out (docs/sign-in.md). Left out of the OpenAPI
document: these are steps of a browser's sign-in, not API operations.

- ``GET /auth/providers``: whether the sign-in page offers the provider;
- ``GET /auth/login?next=/page``: remembers state, nonce and PKCE verifier (stored under the
  state's digest, the state also in a short-lived cookie binding the sign-in to this browser)
  and sends the browser to the provider;
- ``GET /auth/callback``: the provider's return: the state checked against the cookie and the
  store (used once), the code exchanged with the verifier, the ID token verified (nonce
  included), claims mapped to party, organisation and role; a session is made: its id in an
  HttpOnly, SameSite=Lax cookie (Secure unless ``POLKU_SESSION_COOKIE_SECURE=false``) and a
  CSRF token in a cookie the pages read and send back as ``X-CSRF-Token`` on every write;
- ``POST /auth/logout``: deletes the session (CSRF token required) and answers where to go:
  the provider's end-session endpoint, if it has one, or the sign-in page.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import structlog
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from api.deps import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, ComponentsDep
from runtime.oidc import OidcError, OidcProvider
from storage.sessions import LOGIN_MINUTES

__all__ = ["router"]

router = APIRouter(prefix="/auth", include_in_schema=False)
_LOGIN_COOKIE = "polku_login"
_log = structlog.get_logger("polku.signin")


def _provider(components: ComponentsDep) -> OidcProvider:
    if components.oidc is None or not components.oidc.pages_enabled:
        raise HTTPException(404, "sign-in through an OpenID provider is not configured")
    return components.oidc


def _safe_next(value: str | None) -> str:
    """A path of this site to go on to after signing in (anything else: the home page)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in value):
        return "/"
    return value if len(value) <= 2000 else "/"


@router.get("/providers")
def providers(components: ComponentsDep) -> dict[str, bool]:
    """What the sign-in page offers: API tokens always; the provider when configured."""
    return {"oidc": components.oidc is not None and components.oidc.pages_enabled}


@router.get("/login")
def login(components: ComponentsDep, next: str | None = None) -> Response:
    provider = _provider(components)
    try:
        start = provider.start_login()
    except OidcError as error:
        raise HTTPException(502, f"the OpenID provider cannot be used: {error}") from None
    components.sessions.begin_login(start.state, start.nonce, start.code_verifier, _safe_next(next))
    response = RedirectResponse(start.url, status_code=302)
    response.set_cookie(
        _LOGIN_COOKIE,
        start.state,
        max_age=LOGIN_MINUTES * 60,
        path="/auth/",
        secure=components.settings.session_cookie_secure,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/callback")
def callback(
    request: Request,
    components: ComponentsDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    provider = _provider(components)
    if error is not None:
        raise HTTPException(400, "the OpenID provider did not sign you in")
    if not code or not state or len(code) > 4096 or len(state) > 512:
        raise HTTPException(400, "the provider's answer lacks a code or state")
    if request.cookies.get(_LOGIN_COOKIE) != state:
        raise HTTPException(400, "this sign-in was not started in this browser")
    started = components.sessions.take_login(state)
    if started is None:
        raise HTTPException(400, "this sign-in is unknown, used or too old: sign in again")
    try:
        actor = provider.finish_login(code, started.code_verifier, started.nonce)
    except OidcError as failure:
        _log.warning("signin_refused", reason=str(failure))
        raise HTTPException(401, f"the sign-in was not accepted: {failure}") from None
    settings = components.settings
    lifetime = timedelta(minutes=settings.session_minutes)
    session = components.sessions.create(actor, lifetime)
    request.state.actor = actor
    _log.info("signed_in", role=actor.role)
    target = "/signin?" + urlencode({"via": "provider", "next": started.next_path})
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(_LOGIN_COOKIE, path="/auth/")
    for name, value, httponly in (
        (SESSION_COOKIE, session.session_id, True),
        (CSRF_COOKIE, session.csrf_token, False),  # the pages read it to send it back
    ):
        response.set_cookie(
            name,
            value,
            max_age=int(lifetime.total_seconds()),
            path="/",
            secure=settings.session_cookie_secure,
            httponly=httponly,
            samesite="lax",
        )
    return response


@router.post("/logout")
def logout(request: Request, components: ComponentsDep) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    session = components.sessions.find(session_id) if session_id else None
    if session is None or session_id is None:
        raise HTTPException(401, "not signed in")
    if not session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, f"signing out needs {CSRF_HEADER}")
    components.sessions.delete(session_id)
    request.state.actor = session.actor
    base = str(request.base_url).rstrip("/")
    after = components.settings.oidc_post_logout_url or f"{base}/signin?reason=signed-out"
    end = components.oidc.end_session_url(after) if components.oidc is not None else None
    response = JSONResponse({"next": end or "/signin?reason=signed-out"})
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(
            name, path="/", secure=components.settings.session_cookie_secure, samesite="lax"
        )
    return response
