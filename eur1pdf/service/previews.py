"""A page of a certificate as PNG: shared by ``POST /v1/preview`` and ``eur1pdf preview``.

It loads no web framework, so the command line's ``preview`` stays quick to start.
"""

from __future__ import annotations

import io

MAX_PREVIEW_DPI = 200


def page_png(pdf: bytes, page: int, dpi: int) -> bytes:
    """Page ``page`` (from 1) of ``pdf`` as PNG at ``dpi`` (pypdfium2)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        if not 1 <= page <= len(document):
            raise IndexError(f"page {page}: the document has {len(document)} page(s)")
        image = document[page - 1].render(scale=dpi / 72).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False)
        return buffer.getvalue()
    finally:
        document.close()
