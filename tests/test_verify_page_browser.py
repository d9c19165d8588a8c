"""The verification page in a real browser: Debian's chromium driven by Playwright for Python
(no browser download), against a real ``eur1pdf serve`` with a SQLite registry.

The link opened is the one decoded from the final PDF's QR code. Screenshots (desk and phone,
valid and cancelled) are written to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pypdfium2
import pytest
import zxingcpp

from .registry_server import AUDITOR, CLERK, OFFICER, running_server

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
DESK, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 667}


def qr_link(pdf: bytes) -> str:
    """The link in the QR code of the final's first page, read from the rendered page."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    codes = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(codes) == 1, codes
    return codes[0]


def open_page(browser, url: str, viewport: dict, requests: list[str]):
    context = browser.new_context(viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200
    return context, page


def banner_in_view(page, viewport: dict) -> None:
    box = page.locator("header.banner").bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport["width"], "the page scrolls sideways"


def look(browser, url: str, name: str, requests: list[str]) -> str:
    """Open ``url`` on a desk and on a phone, check the banner is in view, save screenshots;
    the banner's text."""
    ARTIFACTS.mkdir(exist_ok=True)
    text = ""
    for where, viewport in (("desk", DESK), ("phone", PHONE)):
        context, page = open_page(browser, url, viewport, requests)
        try:
            banner_in_view(page, viewport)
            assert page.locator(".preview img").evaluate("img => img.naturalWidth") > 0  # the preview loaded
            page.screenshot(path=str(ARTIFACTS / f"verify-{name}-{where}.png"), full_page=True)
            page.screenshot(path=str(ARTIFACTS / f"verify-{name}-{where}-first-screen.png"))
            text = page.locator("header.banner").inner_text()
        finally:
            context.close()
    return text


def test_the_qr_code_opens_the_verification_page(browser, tmp_path, example):
    with running_server(f"sqlite:///{tmp_path / 'registry.db'}", tmp_path) as server:
        created = httpx.post(f"{server}/v1/registry", json=example, headers={"X-API-Key": CLERK}, timeout=60)
        record_id = created.json()["id"]
        final = httpx.post(
            f"{server}/v1/registry/{record_id}/finalize", headers={"X-API-Key": OFFICER}, timeout=60
        )
        assert final.status_code == 200, final.text
        pdf = httpx.get(f"{server}/v1/registry/{record_id}/pdf", headers={"X-API-Key": AUDITOR}, timeout=60)
        link = qr_link(pdf.content)
        assert link.startswith(f"{server}/verify/A%20123.456?d=")

        requests: list[str] = []
        valid = look(browser, link, "valid", requests)
        assert "VALID" in valid and "A 123.456" in valid and "CANCELLED" not in valid

        cancel = httpx.post(
            f"{server}/v1/registry/{record_id}/cancel",
            json={"reason": "wrong consignee"},
            headers={"X-API-Key": OFFICER},
        )
        assert cancel.status_code == 200
        cancelled = look(browser, link, "cancelled", requests)
        assert "CANCELLED" in cancelled and "wrong consignee" in cancelled and "A 123.456" in cancelled

    service = urlsplit(server).netloc
    assert requests and {urlsplit(url).netloc for url in requests} == {service}, requests
    paths = {urlsplit(url).path for url in requests}
    assert {"/verify/A%20123.456", "/static/verify.css", "/verify/A%20123.456/preview.png"} <= paths


def test_not_found_and_does_not_match_are_plain_to_see(browser, tmp_path, example):
    with running_server(f"sqlite:///{tmp_path / 'registry.db'}", tmp_path) as server:
        ARTIFACTS.mkdir(exist_ok=True)
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        try:
            response = page.goto(f"{server}/verify/Z%20404?d=00")
            assert response is not None and response.status == 404
            assert "NOT FOUND" in page.locator("header.banner").inner_text()
            banner_in_view(page, PHONE)
            created = httpx.post(
                f"{server}/v1/registry", json=example, headers={"X-API-Key": CLERK}, timeout=60
            )
            httpx.post(
                f"{server}/v1/registry/{created.json()['id']}/finalize",
                headers={"X-API-Key": OFFICER},
                timeout=60,
            )
            page.goto(f"{server}/verify/A%20123.456?d={'0' * 64}")
            assert "DOES NOT MATCH" in page.locator("header.banner").inner_text()
            assert page.locator(".preview").count() == 0 and "Präzisionsteile" not in page.content()
            page.screenshot(path=str(ARTIFACTS / "verify-does-not-match-phone.png"))
        finally:
            context.close()
