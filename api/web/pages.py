"""Routes for the HTML shells (left out of the OpenAPI document) and the static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["PAGES", "STATIC_DIR", "is_page", "mount_pages"]

_HERE = Path(__file__).parent
STATIC_DIR = _HERE / "static"
_SHELLS = _HERE / "shells"

PAGES = {
    "/": "home.html",
    "/signin": "signin.html",
    "/journey": "journey.html",
    "/audit": "audit.html",
    "/planner": "planner.html",
}
"""Each page's path and its shell."""

_STATIC_PREFIX = "/static/"


def is_page(path: str) -> bool:
    """Whether ``path`` is a page or one of its static files (they get the pages' headers)."""
    return path in PAGES or path.startswith(_STATIC_PREFIX)


def _shell_route(router: APIRouter, path: str, shell: Path) -> None:
    def page() -> FileResponse:
        return FileResponse(shell, media_type="text/html; charset=utf-8")

    page.__name__ = f"page_{shell.stem}"
    router.add_api_route(path, page, methods=["GET"], include_in_schema=False)


def mount_pages(app: FastAPI) -> None:
    """Add the pages and ``/static`` to ``app``."""
    router = APIRouter()
    for path, shell in PAGES.items():
        _shell_route(router, path, _SHELLS / shell)
    app.include_router(router)
    app.mount(_STATIC_PREFIX.rstrip("/"), StaticFiles(directory=STATIC_DIR), name="static")
