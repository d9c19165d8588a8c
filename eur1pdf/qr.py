"""The verification QR code of a final certificate, as an image on the page.

Medium error correction and the standard four-module quiet zone keep it
readable from a phone or a 150 dpi scan at the 24 mm the layouts give it.
"""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from .drawing import Picture
from .layouts.geometry import mm_to_pt
from .layouts.schema import QrPlacement


@lru_cache(maxsize=256)
def qr_png(text: str) -> bytes:
    """A 1-bit PNG, one pixel per module (the PDF scales it without blurring)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image().get_image().convert("1")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def qr_image(text: str, where: QrPlacement, page_height_mm: float) -> Picture:
    size = mm_to_pt(where.size)
    return Picture(
        mm_to_pt(where.x), mm_to_pt(page_height_mm - where.y - where.size), size, size, qr_png(text)
    )
