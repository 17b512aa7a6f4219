"""The HTTP application: ``create_app(settings)`` wires everything; nothing is built at import."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import (
    routes_analytics,
    routes_audit,
    routes_meta,
    routes_pathways,
    routes_read,
    routes_write,
)
from api.access_log import AccessLog
from api.bootstrap import build_service
from api.caseload import CaseloadIndex
from api.deps import Components
from api.guards import GuardMiddleware
from api.ledger import Ledger
from api.planner_model import PlannerConformance, PlannerLog
from api.problems import PROBLEM, Problem, install_problem_handlers, problem
from api.runner import ProjectionRunner
from api.settings import Settings
from api.sqlstore import SqlStore
from api.tokens import TokenStore
from api.web import is_page, mount_pages
from domain.application import Clock

__all__ = ["build_components", "create_app"]

log = structlog.get_logger("polku.http")


def _system_clock() -> datetime:
    return datetime.now(UTC)


def build_components(settings: Settings, *, clock: Clock | None = None) -> Components:
    """Everything the API and the CLI work with, on the store ``settings`` name."""
    service = build_service(settings, clock=clock)
    store = SqlStore(service)
    return Components(
        settings=settings,
        service=service,
        store=store,
        tokens=TokenStore(store),
        access_log=AccessLog(store),
        caseload=CaseloadIndex(store, service, settings.projection_batch_size),
        ledger=Ledger(store, service, settings.projection_batch_size),
        planner=PlannerLog(store, service, settings.projection_batch_size),
        conformance=PlannerConformance(store, service, settings.projection_batch_size),
        clock=clock or _system_clock,
    )


def create_app(settings: Settings, *, components: Components | None = None) -> FastAPI:
    """The FastAPI app on the store ``settings`` name (or on ready-made ``components``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = components is None
        wired: Components = components or build_components(settings)
        app.state.polku = wired
        runner = None
        if settings.projection_runner and wired.store.backend == "postgres":
            runner = ProjectionRunner(wired.service, list(wired.read_models.values()))
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            if built:
                wired.close()

    app = FastAPI(
        title="Polku",
        version="0.1.0",
        summary="Care pathways as bitemporal event streams",
        lifespan=lifespan,
    )
    if components is not None:
        app.state.polku = components
    install_problem_handlers(app)
    app.include_router(routes_read.router)
    app.include_router(routes_write.router)
    app.include_router(routes_audit.router)
    app.include_router(routes_pathways.router)
    app.include_router(routes_analytics.router)
    app.include_router(routes_meta.router)
    mount_pages(app)

    @app.get("/healthz", tags=["health"], summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="The store answers",
        responses={503: {"description": "the store does not answer"}},
    )
    def readyz(request: Request) -> Response:
        parts: Components = request.app.state.polku
        try:
            parts.service.get_version("readyz")
            with parts.store.transaction(write=False) as tx:
                tx.rows("SELECT 1")
        except Exception:
            return problem(503, "Not ready", "the store does not answer")
        return Response('{"status":"ready"}', media_type="application/json")

    app.add_middleware(GuardMiddleware, is_page=is_page)
    app.add_middleware(RequestLogMiddleware)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            _problems_as_problem_json(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


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


def _problems_as_problem_json(schema: dict[str, Any]) -> None:
    """Every 4xx/5xx response is documented as ``application/problem+json`` with ``Problem``."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            if any(
                p.get("in") in {"path", "query", "header"} for p in operation.get("parameters", [])
            ) or ("requestBody" in operation):
                responses.setdefault("422", {"description": "invalid request"})
            if "requestBody" in operation:
                responses.setdefault("413", {"description": "the body is over the size limit"})
            if operation.get("security") or "security" in operation:
                responses.setdefault("401", {"description": "no valid bearer token"})
            for code, response in responses.items():
                if code[0] in "45":
                    response["content"] = {
                        PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }
