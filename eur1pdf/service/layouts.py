"""``GET /v1/layouts`` and ``/v1/layouts/{name}``: the forms this server fills, and their geometry."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException

from eur1pdf.layouts import geometry_json, get_layout, layout_names


def add_layout_routes(app: FastAPI) -> None:
    @app.get("/v1/layouts")
    async def layouts() -> list[dict[str, str]]:
        """The forms this server fills."""
        return [{"name": name, "title": get_layout(name).title} for name in layout_names()]

    @app.get("/v1/layouts/{name}")
    async def layout(name: str) -> dict[str, Any]:
        """A form's geometry in mm (as `eur1pdf layouts show NAME --json`)."""
        if name not in layout_names():
            raise HTTPException(404, f"no layout {name!r}")
        return geometry_json(get_layout(name))
