"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from domain.errors import (
    AlreadyRegisteredError,
    ConcurrencyError,
    HouseholdNotFoundError,
    IdempotencyConflictError,
    InvalidQueryError,
    InvariantViolationError,
    JourneyNotFoundError,
    NotPermittedError,
    PolkuError,
    RateLimitedError,
)
from storage.sql import sqlstate

__all__ = ["PROBLEM", "Problem", "install_problem_handlers", "problem"]

log = structlog.get_logger("polku.http")

PROBLEM = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details, with Polku's extension members where they apply."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    rule: str | None = None
    conflicting_event_id: str | None = None
    conflicting_kind: str | None = None
    conflicting_occurred_at: str | None = None
    expected_version: int | None = None
    actual_version: int | None = None
    errors: list[dict[str, Any]] | None = None


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    body = Problem(status=status, title=title, detail=detail, **extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM, headers=headers
    )


def _errors(error: ValidationError | RequestValidationError) -> list[dict[str, Any]]:
    """Validation errors without the offending input (it may hold personal data)."""
    return [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e["type"]}
        for e in error.errors()
    ]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(
            422, "Invalid request", "the request does not match the schema", errors=_errors(exc)
        )

    @app.exception_handler(ValidationError)
    async def _command_invalid(_: Request, exc: ValidationError) -> JSONResponse:
        return problem(422, "Invalid command", "the command is not valid", errors=_errors(exc))

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, _TITLES.get(exc.status_code, "Error"), str(exc.detail))

    @app.exception_handler(PolkuError)
    async def _domain(_: Request, exc: PolkuError) -> JSONResponse:
        return domain_problem(exc)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _store_down(_: Request, exc: Exception) -> JSONResponse:
        # The database is unreachable or restarting: say so, and let the client retry. The log
        # gets the error's class and SQLSTATE only (messages may quote values).
        log.warning("store.unavailable", error=type(exc).__name__, sqlstate=sqlstate(exc))
        response = problem(503, "Store unavailable", "the store is not answering; retry shortly")
        response.headers["Retry-After"] = "2"
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return problem(500, "Internal error", "the request could not be completed")


def domain_problem(exc: PolkuError) -> JSONResponse:
    if isinstance(exc, InvariantViolationError):
        return problem(
            422,
            "Rule violated",
            str(exc),
            type=f"urn:polku:rule:{exc.rule.code}",
            rule=exc.rule.code,
            conflicting_event_id=str(exc.conflicting_event_id)
            if exc.conflicting_event_id
            else None,
            conflicting_kind=exc.conflicting_kind,
            conflicting_occurred_at=exc.conflicting_occurred_at.isoformat()
            if exc.conflicting_occurred_at
            else None,
        )
    if isinstance(exc, ConcurrencyError):
        return problem(
            409,
            "Version conflict",
            str(exc),
            expected_version=exc.expected_version,
            actual_version=exc.actual_version,
        )
    if isinstance(exc, IdempotencyConflictError):
        return problem(422, "Idempotency key reused", str(exc))
    if isinstance(exc, AlreadyRegisteredError):
        return problem(409, "Already registered", str(exc))
    if isinstance(exc, JourneyNotFoundError):
        return problem(404, "Not found", "no such journey")
    if isinstance(exc, HouseholdNotFoundError):
        return problem(404, "Not found", "no such household")
    if isinstance(exc, InvalidQueryError):
        return problem(422, "Invalid request", str(exc))
    if isinstance(exc, NotPermittedError):
        return problem(403, "Forbidden", str(exc))
    if isinstance(exc, RateLimitedError):
        response = problem(429, "Too many requests", str(exc))
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    return problem(422, "Rejected", str(exc))


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    503: "Store unavailable",
    415: "Unsupported media type",
    429: "Too many requests",
    422: "Invalid request",
}
