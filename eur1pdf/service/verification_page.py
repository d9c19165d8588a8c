"""``GET /verify/{serial}?d={digest}``: what the destination's customs officer opens from the QR code.

No key is needed; each client (by address) gets a token bucket
(:mod:`eur1pdf.service.ratelimit`; 429 with ``Retry-After`` beyond). The answer
comes from the registry's record, never from the document in the officer's
hand: VALID, CANCELLED (when and why), NOT FOUND, or DOES NOT MATCH (a
certificate has this serial, but its digest is not ``d``: nothing of it is
shown then, since the digest is what proves the caller holds that certificate).
Browsers get a self-contained page (:mod:`eur1pdf.service.verification_html`),
``Accept: application/json`` the same answer as JSON. Nothing secret is named:
no record id, key, path or audit entry.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from eur1pdf.layouts import get_layout
from eur1pdf.service.config import ServerConfig
from eur1pdf.service.previews import page_png
from eur1pdf.service.ratelimit import TokenBuckets
from eur1pdf.service.registry import CANCELLED, Record, Registry
from eur1pdf.service.verification_html import page_html
from eur1pdf.service.workers import RenderingPool

STATIC = Path(__file__).with_name("static")
STATIC_FILES = {"verify.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"}
PREVIEW_DPI = 100
MAX_SERIAL = 500  # the input's limit for one text field
PREVIEWS_KEPT = 32  # PNGs of finals' first pages kept in memory (a final never changes)
QueryDigest = Annotated[str, Query(max_length=128, description="the digest the QR code's link carries")]
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the link carries the digest
    "Cache-Control": "no-store",  # the status may change (a cancellation)
}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def _party(party: dict[str, Any] | None) -> dict[str, Any] | None:
    if not party:
        return None
    return {"name": party.get("name"), "address": party.get("address", []), "country": party.get("country")}


def certificate_view(record: Record) -> dict[str, Any]:
    """What the page shows of an issued certificate: its issuing data, by the form's boxes."""
    data = record.data
    trade = data.get("trade") or {}
    goods = [
        {
            "item": number,
            "marks": item.get("marks"),
            "packages": item.get("packages"),
            "description": item.get("description"),
            "hs_code": item.get("hs_code"),
            "gross_mass": item.get("gross_mass"),
        }
        for number, item in enumerate(data.get("items", []), 1)
    ]
    return {
        "form": get_layout(record.form).title,
        "issue_date": data.get("issue_date"),
        "finalized_at": _iso(record.finalized_at),
        "exporter": _party(data.get("exporter")),
        "trade": {"from": trade.get("from"), "to": trade.get("to")},
        "consignee": _party(data.get("consignee")),
        "origin": data.get("origin"),
        "destination": data.get("destination"),
        "goods": goods,
    }


def preview_path(serial: str, digest: str) -> str:
    return f"/verify/{quote(serial, safe='')}/preview.png?d={quote(digest, safe='')}"


def _askable(serial: str) -> bool:
    """A serial the database can be asked about (PostgreSQL refuses NUL characters in text)."""
    return 0 < len(serial) <= MAX_SERIAL and "\x00" not in serial


def _matches(record: Record, digest: str) -> bool:
    return hmac.compare_digest(record.digest.encode(), digest.strip().lower().encode())


def verification(registry: Registry, serial: str, digest: str, public_url: str) -> dict[str, Any]:
    """The answer for ``serial`` and ``digest`` (blocking: a registry lookup)."""
    record = registry.by_serial(serial) if _askable(serial) else None
    answer: dict[str, Any] = {"serial": serial, "checked_at": _iso(datetime.now(UTC))}
    if record is None:
        return answer | {"status": "not_found"}
    if not _matches(record, digest):
        return answer | {"status": "does_not_match"}
    answer["status"] = "cancelled" if record.status == CANCELLED else "valid"
    answer["digest"] = record.digest
    if record.status == CANCELLED:
        answer["cancelled_at"] = _iso(record.cancelled_at)
        answer["cancel_reason"] = record.cancel_reason
    answer["certificate"] = certificate_view(record)
    answer["preview"] = public_url.rstrip("/") + preview_path(serial, record.digest)
    return answer


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


class _Previews:
    """The finals' first pages as PNG, made in the worker processes and kept (a final never changes)."""

    def __init__(self, workers: RenderingPool):
        self.workers = workers
        self.kept: OrderedDict[str, bytes] = OrderedDict()

    async def png(self, registry: Registry, record: Record) -> bytes:
        png = self.kept.get(record.digest)
        if png is None:
            pdf = await anyio.to_thread.run_sync(registry.final_pdf, record.id)
            png = await self.workers.call(page_png, pdf, 1, PREVIEW_DPI)
            self.kept[record.digest] = png
            while len(self.kept) > PREVIEWS_KEPT:
                self.kept.popitem(last=False)
        self.kept.move_to_end(record.digest)
        return png


def add_verification_routes(
    app: FastAPI, config: ServerConfig, opened: Callable[[], Registry], workers: RenderingPool
) -> None:
    """``/verify/{serial}``, its preview PNG, and the page's style sheet and icon under ``/static``."""
    buckets = TokenBuckets(config.verify_per_minute, config.verify_burst)
    previews = _Previews(workers)

    def limit(request: Request) -> None:
        wait = buckets.take(request.client.host if request.client else "unknown")
        if wait > 0:
            retry = buckets.retry_after(wait)
            raise HTTPException(
                429,
                f"too many verification requests from this address; retry in {retry} s",
                {"Retry-After": retry},
            )

    @app.get("/verify/{serial}", tags=["verification"], response_class=Response)
    async def verify_page(request: Request, serial: str, d: QueryDigest = "") -> Response:
        """VALID / CANCELLED / NOT FOUND / DOES NOT MATCH, with the issuing data: HTML, or JSON
        with ``Accept: application/json``. No key needed; rate-limited per client."""
        try:
            limit(request)
        except HTTPException as exc:
            if _wants_json(request):
                raise
            html = page_html({"status": "limited", "serial": serial, "message": exc.detail}, None)
            return Response(html, 429, {**PAGE_HEADERS, **(exc.headers or {})}, "text/html; charset=utf-8")
        answer = await anyio.to_thread.run_sync(verification, opened(), serial, d, config.public_url)
        status = 404 if answer["status"] == "not_found" else 200
        if _wants_json(request):
            return JSONResponse(answer, status_code=status, headers={"Cache-Control": "no-store"})
        preview = preview_path(serial, d).removeprefix("/verify/") if "certificate" in answer else None
        html = page_html(answer, preview)
        return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    @app.get(
        "/verify/{serial}/preview.png",
        tags=["verification"],
        response_class=Response,
        responses={200: {"content": {"image/png": {}}, "description": "the final's first page"}},
    )
    async def verify_preview(request: Request, serial: str, d: QueryDigest = "") -> Response:
        """The issued certificate's first page as PNG (only with its digest)."""
        limit(request)
        registry = opened()
        record = await anyio.to_thread.run_sync(registry.by_serial, serial) if _askable(serial) else None
        if record is None or not _matches(record, d):
            raise HTTPException(404, "no issued certificate with this serial and digest")
        png = await previews.png(registry, record)
        headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
        return Response(png, media_type="image/png", headers=headers)

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name not in STATIC_FILES:
            raise HTTPException(404, "no such file")
        body = (STATIC / name).read_bytes()
        headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
        return Response(body, media_type=STATIC_FILES[name], headers=headers)
