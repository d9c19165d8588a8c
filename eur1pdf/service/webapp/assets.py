"""The page's own files under ``/app/static``: style, script, vendored htmx, and each form's grid.

Only these names are served (no path from the request reaches the file system);
they are the page's only other requests, so it works without any other host.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import Response

from eur1pdf.layouts import layout_names
from eur1pdf.service.webapp.grid import grid_css

if TYPE_CHECKING:
    from eur1pdf.service.webapp.routes import Clerk

STATIC = Path(__file__).with_name("static")
FILES = {
    "app.css": (STATIC / "app.css", "text/css; charset=utf-8"),
    "app.js": (STATIC / "app.js", "text/javascript; charset=utf-8"),
    "htmx.min.js": (STATIC / "htmx.min.js", "text/javascript; charset=utf-8"),
    "favicon.svg": (STATIC.parent.parent / "static" / "favicon.svg", "image/svg+xml"),
}
CACHE = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


def add_static_routes(web: FastAPI, clerk: Clerk) -> None:
    @web.get("/app/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name not in FILES:
            return Response("no such file", status_code=404, headers=CACHE)
        path, media = FILES[name]
        return Response(path.read_bytes(), media_type=media, headers=CACHE)

    @web.get("/app/static/form/{name}.css", include_in_schema=False)
    async def form_css(name: str) -> Response:
        if name not in layout_names():
            return Response("no such form", status_code=404, headers=CACHE)
        return Response(grid_css(name), media_type="text/css; charset=utf-8", headers=CACHE)
