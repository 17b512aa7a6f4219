"""One structured log line per HTTP request."""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestLogMiddleware"]

log = structlog.get_logger("polku.http")


class RequestLogMiddleware:
    """One log line per request: request id, actor, route template, status, duration.

    A plain ASGI middleware (not ``BaseHTTPMiddleware``), so it costs next to nothing. It logs
    the route *template*, never the path, so no client ref reaches the log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"")[:64].decode("latin-1")
        request_id = given if given.isprintable() and given else uuid.uuid4().hex
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            state = scope.get("state") or {}
            actor = state.get("actor")
            log.info(
                "request",
                method=scope.get("method"),
                route=getattr(route, "path", "(unmatched)"),
                status=status,
                actor=actor.party_id if actor is not None else None,
                role=actor.role if actor is not None else None,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")
