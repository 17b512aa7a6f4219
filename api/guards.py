"""Request guards: body size and JSON depth limits, security headers, and the store being down.

Limits (documented in docs/api.md): a request body may be at most ``MAX_BODY_BYTES``; JSON may
nest at most ``MAX_JSON_DEPTH`` levels (our deepest body, a correction, needs 4); lists are
bounded by the schemas (100 recipients, 50 categories, …). Beyond them: 413 or 422, as
problem+json, before anything is parsed or written.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DOCS_SECURITY_HEADERS",
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "PAGE_SECURITY_HEADERS",
    "SECURITY_HEADERS",
    "GuardMiddleware",
]

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 8

SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self';"
        b" frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
)
PAGE_SECURITY_HEADERS = (
    (
        b"content-security-policy",
        # The web pages: our own scripts and styles only (no inline script or style, no eval),
        # data only from this app, and no string may reach an HTML sink (Trusted Types with no
        # policy: the pages build every element with DOM calls).
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
        b" connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self';"
        b" require-trusted-types-for 'script'; trusted-types 'none'",
    ),
    *SECURITY_HEADERS[1:],
)
DOCS_SECURITY_HEADERS = (
    (
        b"content-security-policy",
        # The API docs (Swagger UI from the installed package, started by our own script): the
        # same as the pages', except that Swagger UI sets style attributes and renders the
        # document's Markdown (sanitised by its DOMPurify) through innerHTML, so inline styles
        # and HTML strings are allowed here. Still nothing from elsewhere and no inline script.
        b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        b" img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none';"
        b" form-action 'self'",
    ),
    *SECURITY_HEADERS[1:],
)


def _depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether JSON nests deeper than ``limit`` (counted on the raw text, before parsing)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # too few brackets to nest that deep: no need to walk the text
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


async def _problem(send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _no_pages(path: str) -> bool:
    return False


class GuardMiddleware:
    """``is_page(path)`` says which paths are web pages (they get :data:`PAGE_SECURITY_HEADERS`),
    ``is_docs(path)`` which are the API docs (:data:`DOCS_SECURITY_HEADERS`); every other answer,
    ``/openapi.json`` and errors included, gets :data:`SECURITY_HEADERS`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        is_page: Callable[[str], bool] = _no_pages,
        is_docs: Callable[[str], bool] = _no_pages,
    ) -> None:
        self.app = app
        self.is_page = is_page
        self.is_docs = is_docs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            await _problem(
                send, 413, "Request too large", f"bodies are limited to {MAX_BODY_BYTES} bytes"
            )
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY_BYTES:
                await _problem(
                    send, 413, "Request too large", f"bodies are limited to {MAX_BODY_BYTES} bytes"
                )
                return
        if body and _depth_exceeds(body, MAX_JSON_DEPTH):
            await _problem(
                send, 422, "Invalid request", f"JSON may nest at most {MAX_JSON_DEPTH} levels"
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        path = scope.get("path", "")
        if self.is_page(path):
            extra = PAGE_SECURITY_HEADERS
        elif self.is_docs(path):
            extra = DOCS_SECURITY_HEADERS
        else:
            extra = SECURITY_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, replay, send_with_headers)
