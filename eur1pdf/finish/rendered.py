"""What ``verify`` reads from rendered pages, and how it names where a difference lies.

Once the file's objects equal those of the document made again (so its
pages are eur1pdf's own, bounded by the limits), both are rendered: equal
pixels are independent evidence, and the QR codes are decoded from the
renders and compared page by page. When the objects differ,
:func:`eur1pdf.testing.golden.compare` names the box and the text that
changed, if the file's content is small enough to read back.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence

import pikepdf
import pypdfium2
import zxingcpp

from eur1pdf.finish.compare import Difference
from eur1pdf.finish.limits import (
    CONTENT_SLACK_BYTES,
    MAX_PAGE_CONTENT_FACTOR,
    LimitExceeded,
    inflate,
)

QR_DPI = 150
MAX_REASONS = 12


def _pages(pdf_bytes: bytes) -> Sequence[tuple[bytes, list[str]]]:
    """Per page, the SHA-256 of its pixels and the QR codes decoded from them, at :data:`QR_DPI`
    (one page in memory at a time)."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    found = []
    try:
        for page in document:
            image = page.render(scale=QR_DPI / 72, grayscale=True).to_pil()
            codes = [
                r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
            ]
            found.append((hashlib.sha256(image.tobytes()).digest(), codes))
            page.close()
    finally:
        document.close()
    return found


def compare_renders(
    pdf_bytes: bytes, made: bytes, links: set[str], computed: str, checks: list[str]
) -> list[str]:
    """Pixels and QR codes of the file against the document made again; the reasons found."""
    reasons = []
    seen, expected = _pages(pdf_bytes), _pages(made)
    if len(seen) != len(expected):
        return [f"{len(seen)} pages render, the certificate makes {len(expected)}"]
    for number, ((pixels, codes), (want_pixels, want_codes)) in enumerate(
        zip(seen, expected, strict=True), start=1
    ):
        if pixels != want_pixels:
            reasons.append(f"page {number}: the rendered page differs from the certificate made again")
        if codes != want_codes:
            reasons.append(f"page {number}: the QR code says {codes!r}, the certificate makes {want_codes!r}")
    codes = [code for _, page_codes in seen for code in page_codes]
    made_codes = [code for _, page_codes in expected for code in page_codes]
    if not codes and made_codes:
        reasons.append("no readable QR code on the pages")
    elif not codes:  # printed for pre-printed stock without the marks: nothing to scan, as made
        checks.append("every page renders as the document made again (no QR code: printed without marks)")
    elif not set(codes) <= links:
        reasons.append(f"the QR code says {codes[0]!r}, the metadata {sorted(links)!r}")
    elif len(links) == 1 and computed not in codes[0]:
        reasons.append("the QR code's link does not carry the certificate's digest")
    if not reasons and codes:
        checks.append(f"every page renders as the document made again; QR code decoded at {QR_DPI} dpi: "
                      + ", ".join(sorted(set(codes))))  # fmt: skip
    return reasons


def _inflated_size(pdf: pikepdf.Pdf, budget: int) -> int:
    """What the streams hold inflated (Flate; others as stored), refused beyond ``budget``."""
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        raw = obj.read_raw_bytes()
        if obj.stream_dict.get("/Filter") == pikepdf.Name.FlateDecode:
            total += len(inflate(raw, max(budget - total, 0), "the content"))
        else:
            total += len(raw)
        if total > budget:
            raise LimitExceeded("more content than the certificate made again")
    return total


def _golden_lines(pdf: pikepdf.Pdf, made: bytes, pages: set[int]) -> list[str]:
    """What a reader sees differ on ``pages``, box by box; empty when the file is too large to read back."""
    from eur1pdf.testing.golden import compare

    with pikepdf.open(io.BytesIO(made)) as remade:
        made_size = _inflated_size(remade, 10**9)
    try:
        _inflated_size(pdf, MAX_PAGE_CONTENT_FACTOR * made_size + CONTENT_SLACK_BYTES)
    except LimitExceeded:
        return []
    plain = io.BytesIO()
    pdf.save(plain, encryption=False)
    with pikepdf.open(io.BytesIO(plain.getvalue())) as copy:
        for page in copy.pages:
            page.contents_coalesce()  # one content stream per page, as the reader of the pages expects
        plain = io.BytesIO()
        copy.save(plain)
    return [str(d) for d in compare(plain.getvalue(), made) if d.page in pages or d.page == 0]


def name_boxes(pdf: pikepdf.Pdf, made: bytes, differences: list[Difference]) -> list[str]:
    """The reasons for structural differences: what a reader sees differ, then where in the objects."""
    pages = {d.page for d in differences if d.page is not None}
    lines: list[str] = []
    if pages:
        try:
            lines = _golden_lines(pdf, made, pages)
        except Exception as exc:  # naming the box is a courtesy: the verdict is TAMPERED already, and a
            # hostile file may make any text extractor fail in its own way
            lines = [f"the pages cannot be read back to name the box ({type(exc).__name__}: {exc})"]
    lines += [str(d) for d in differences]
    if len(lines) > MAX_REASONS:
        lines = [*lines[:MAX_REASONS], f"… and {len(lines) - MAX_REASONS} more"]
    return lines
