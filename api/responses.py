"""JSON responses serialised straight from dataclasses by pydantic (no intermediate dicts)."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import TypeAdapter

__all__ = ["json_response"]


def json_response(
    adapter: TypeAdapter[Any], value: object, media_type: str = "application/json"
) -> Response:
    return Response(adapter.dump_json(value), media_type=media_type)
