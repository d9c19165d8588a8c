"""The verification QR code of a final certificate, as an image on the page.

Medium error correction and the standard four-module quiet zone keep it
readable from a phone or a 150 dpi scan at the 24 mm the layouts give it.

zxing-cpp (already here to read QR codes back in ``eur1pdf verify``) makes
the symbol: about 0.5 ms in C++, where the pure-Python ``qrcode`` package
takes 10 ms choosing the mask pattern, which in a batch was the largest
single cost of a final certificate.
"""

from __future__ import annotations

from functools import lru_cache

from eur1pdf.layouts.geometry import mm_to_pt
from eur1pdf.layouts.schema import QrPlacement
from eur1pdf.placement.drawables import Picture


@lru_cache(maxsize=256)
def qr_pixels(text: str) -> tuple[bytes, int]:
    """The symbol with its quiet zone: 8-bit grey pixels (one per module) and the side in modules."""
    import zxingcpp  # a final's QR code only: a draft imports no QR library

    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = zxingcpp.write_barcode_to_image(symbol, scale=1, add_quiet_zones=True)
    view = memoryview(image)  # type: ignore[arg-type]  # zxing-cpp's Image has the buffer protocol; its stub omits it
    rows, columns = (view.shape or (0, 0))[:2]
    if rows != columns:  # pragma: no cover - a QR code is square
        raise ValueError(f"QR code of {columns} x {rows} modules")
    return view.tobytes(), columns


def qr_image(text: str, where: QrPlacement, page_height_mm: float) -> Picture:
    size = mm_to_pt(where.size)
    pixels, side = qr_pixels(text)
    return Picture(
        mm_to_pt(where.x), mm_to_pt(page_height_mm - where.y - where.size), size, size, pixels, side, side
    )
