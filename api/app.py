"""The HTTP application: ``create_app(settings)`` wires everything; nothing is built at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi

from api.docs import is_docs, mount_docs
from api.guards import GuardMiddleware
from api.problems import PROBLEM, Problem, install_problem_handlers, problem
from api.request_log import RequestLogMiddleware
from api.routes import (
    analytics,
    audit,
    client,
    commands,
    directory,
    feed,
    households,
    oidc,
    pathways,
    reads,
    session,
    webhooks,
)
from api.routes.read_docs import describe
from api.web import is_page, mount_pages
from readmodels.runner import ReadModelRunner
from runtime.settings import Settings
from runtime.webhooks import WebhookWorker
from runtime.wiring import Components, build_components

__all__ = ["create_app"]

_DESCRIPTION = (
    "Each client's journey through health care, social care, employment services, education and"
    " the rest, kept as an append-only stream of facts and read at any pair of moments: valid"
    " time (`at`) and record time (`known_at`). Send a token from `polku tokens create` as"
    " `Authorization: Bearer …`. Whoever may not read a journey gets the same answer whether"
    " or not it exists; every read of a client's data is written to the client's access log."
)


def create_app(settings: Settings, *, components: Components | None = None) -> FastAPI:
    """The FastAPI app on the store ``settings`` name (or on ready-made ``components``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = components is None
        wired: Components = components or build_components(settings)
        app.state.polku = wired
        # A server's planner reads keep the log's image current as the log grows, so that
        # the next process to start loads it instead of reading every fact.
        wired.planner.images_in_background = True
        worker = None
        if settings.webhook_worker:
            worker = WebhookWorker(wired)
            worker.start()
        runner = None
        if settings.projection_runner and wired.store.backend == "postgres":
            # On SQLite a background writer would contend for the file's lock with the polku
            # commands run beside the server; there reads catch up, a bounded slice each.
            runner = ReadModelRunner(wired.service, list(wired.read_models.values()))
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            if worker is not None:
                worker.stop()
            if built:
                wired.close()

    app = FastAPI(
        title="Polku",
        version="0.1.0",
        summary="Care pathways as bitemporal event streams",
        description=_DESCRIPTION,
        lifespan=lifespan,
        # Served by api/docs from the installed Swagger UI, or not at all (settings.api_docs).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    if components is not None:
        app.state.polku = components
    install_problem_handlers(app)
    for routes in (
        reads,
        commands,
        households,
        audit,
        pathways,
        analytics,
        session,
        feed,
        webhooks,
        client,
        directory,
    ):
        describe(routes.router)
        app.include_router(routes.router)
    app.include_router(oidc.router)
    mount_pages(app)
    if settings.serve_api_docs:
        mount_docs(app)

    @app.get("/healthz", tags=["health"], summary="The process is up")
    def healthz() -> dict[str, str]:
        """Answers 200 as long as the process runs; it does not look at the store. No token."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="The store answers",
        responses={503: {"description": "the store does not answer"}},
    )
    def readyz(request: Request) -> Response:
        """Answers 200 when the store answers a trivial query, 503 when it does not: for a load
        balancer deciding whether to send traffic here. No token."""
        parts: Components = request.app.state.polku
        try:
            parts.service.get_version("readyz")
            with parts.store.transaction(write=False) as tx:
                tx.rows("SELECT 1")
        except Exception:
            return problem(503, "Not ready", "the store does not answer")
        return Response('{"status":"ready"}', media_type="application/json")

    app.add_middleware(GuardMiddleware, is_page=is_page, is_docs=is_docs)
    app.add_middleware(RequestLogMiddleware)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            _problems_as_problem_json(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


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
