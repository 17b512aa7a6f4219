"""Routes for the HTML shells (left out of the OpenAPI document) and the static files.

Each shell is the page's own markup (``shells/NAME.html``) inside the frame every page shares
(``shells/_frame.html``: head, header, banner), put together once when the app is built.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["PAGES", "STATIC_DIR", "is_page", "mount_pages"]

_HERE = Path(__file__).parent
STATIC_DIR = _HERE / "static"
_SHELLS = _HERE / "shells"

PAGES = {
    "/": ("home", "My journeys"),
    "/signin": ("signin", "Sign in"),
    "/journey": ("journey", "Journey"),
    "/new-client": ("new_client", "New client"),
    "/audit": ("audit", "Audit"),
    "/planner": ("planner", "Planner dashboard"),
    "/my-team": ("client", "Minun tiimini · Mitt team · My team"),
}
"""Each page's path, its shell and script (by name), and its title."""

_STATIC_PREFIX = "/static/"


def is_page(path: str) -> bool:
    """Whether ``path`` is a page or one of its static files (they get the pages' headers)."""
    return path in PAGES or path.startswith(_STATIC_PREFIX)


def shell_html(name: str, title: str) -> str:
    """The whole page ``name``: its markup in the shared frame, with its title and script."""
    frame = (_SHELLS / "_frame.html").read_text(encoding="utf-8")
    content = (_SHELLS / f"{name}.html").read_text(encoding="utf-8").rstrip("\n")
    return (
        frame.replace("{{title}}", title)
        .replace("{{script}}", name)
        .replace("{{content}}", content)
    )


def _shell_route(router: APIRouter, path: str, name: str, title: str) -> None:
    html = shell_html(name, title)

    def page() -> HTMLResponse:
        return HTMLResponse(html)

    page.__name__ = f"page_{name}"
    router.add_api_route(path, page, methods=["GET"], include_in_schema=False)


def mount_pages(app: FastAPI) -> None:
    """Add the pages and ``/static`` to ``app``."""
    router = APIRouter()
    for path, (name, title) in PAGES.items():
        _shell_route(router, path, name, title)
    app.include_router(router)
    app.mount(_STATIC_PREFIX.rstrip("/"), StaticFiles(directory=STATIC_DIR), name="static")
