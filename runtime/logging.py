"""structlog, configured once at start-up: console output in development, JSON in production.

Log lines carry ids, kinds, counts and durations; never a client's personal data (names,
notes, contact details) and never a client ref.
"""

from __future__ import annotations

import logging
import sys

import structlog

from runtime.settings import Settings

__all__ = ["configure_logging"]


class _StderrLogger:
    """Writes each line to whatever ``sys.stderr`` is at that moment (tests swap it)."""

    @classmethod
    def factory(cls, *_: object) -> _StderrLogger:
        return cls()

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.json_logs
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_StderrLogger.factory,
        cache_logger_on_first_use=False,
    )
