"""The interactive API docs at ``/docs``: Swagger UI (5.32.6) served from the files the installed
``fastapi-offline`` package ships (pinned in pyproject.toml; nothing else of it is used), nothing
from elsewhere,
started by a script of ours (``api/docs/polku-docs.js``) rather than inline code, and carrying
the security headers every answer does (:data:`api.guards.DOCS_SECURITY_HEADERS`).

They are served, with ``/openapi.json``, when :attr:`runtime.settings.Settings.serve_api_docs`
(everywhere but production, unless ``POLKU_API_DOCS=on``).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["DOCS_ASSETS", "is_docs", "mount_docs"]

_HERE = Path(__file__).parent
DOCS_ASSETS = "/docs/assets"
_SWAGGER_UI = Path(str(files("fastapi_offline").joinpath("static")))
"""swagger-ui-bundle.js, swagger-ui.css and a favicon."""
_OWN = "/docs/polku-docs.js"

_HTML = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Polku API</title>
<link rel="stylesheet" href="{DOCS_ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="{DOCS_ASSETS}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{DOCS_ASSETS}/swagger-ui-bundle.js"></script>
<script src="{_OWN}"></script>
</body>
</html>
"""


def is_docs(path: str) -> bool:
    """Whether ``path`` is the docs page or one of its files (not ``/openapi.json``)."""
    return path == "/docs" or path.startswith("/docs/")


def mount_docs(app: FastAPI) -> None:
    """Add ``/openapi.json``, ``/docs`` and the docs' files to ``app``."""

    def openapi_json() -> JSONResponse:
        document: dict[str, Any] = app.openapi()
        return JSONResponse(document)

    def docs() -> HTMLResponse:
        return HTMLResponse(_HTML)

    def own_script() -> HTMLResponse:
        script = (_HERE / "polku-docs.js").read_text(encoding="utf-8")
        return HTMLResponse(script, media_type="text/javascript")

    app.add_api_route("/openapi.json", openapi_json, methods=["GET"], include_in_schema=False)
    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
    app.add_api_route(_OWN, own_script, methods=["GET"], include_in_schema=False)
    app.mount(DOCS_ASSETS, StaticFiles(directory=_SWAGGER_UI), name="docs-assets")
