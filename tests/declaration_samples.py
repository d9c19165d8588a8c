"""Sample invoices of several shapes for the declaration tests, written with pikepdf alone.

Each is a plain PDF like an ERP makes: Helvetica text, ruled lines, a table's
rectangles, a small image; portrait or landscape; one or two pages.
"""

from __future__ import annotations

import io
import zlib

import pdfplumber
import pikepdf

A4 = (595.0, 842.0)
A4_LANDSCAPE = (842.0, 595.0)


def _image(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """An 8x8 grey image (a logo)."""
    data = bytes((x * 32 + y * 8) % 256 for y in range(8) for x in range(8))
    image = pikepdf.Stream(pdf, zlib.compress(data))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = 8, 8, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
    return pdf.make_indirect(image)


def _page_ops(size: tuple[float, float], lines: int, logo: bool, title: str) -> bytes:
    width, height = size
    ops = [b"BT /F1 16 Tf 1 0 0 1 50 %.0f Tm (%s) Tj ET" % (height - 60, title.encode())]
    if logo:
        ops.append(b"q 60 0 0 60 %.0f %.0f cm /Im1 Do Q" % (width - 110, height - 100))
    ops.append(b"0.5 w 40 %.0f %.0f 20 re S" % (height - 140, width - 80))  # the table's header row
    y = height - 155
    ops.append(b"BT /F1 9 Tf")
    for n in range(lines):
        ops.append(
            b"1 0 0 1 50 %.0f Tm (%d  Ball bearings, steel, type 62%02d   4 pcs   CHF 1%02d.00) Tj"
            % (y, n + 1, n % 100, n % 100)
        )
        y -= 12
    ops.append(b"ET")
    ops.append(b"40 %.0f m %.0f %.0f l S" % (y + 4, width - 40, y + 4))  # the total's rule
    ops.append(b"BT /F1 10 Tf 1 0 0 1 %.0f %.0f Tm (Total CHF 4200.00) Tj ET" % (width - 200, y - 10))
    return b"\n".join(ops)


def invoice(
    pages: tuple[int, ...] = (20,),
    size: tuple[float, float] = A4,
    logo: bool = True,
    shared_resources: bool = True,
) -> bytes:
    """An invoice whose page n has ``pages[n]`` item lines (about 55 fill an A4 page)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    image = _image(pdf)
    shared = pdf.make_indirect(
        pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font), XObject=pikepdf.Dictionary(Im1=image))
    )
    for n, lines in enumerate(pages):
        page = pdf.add_blank_page(page_size=size)
        page.obj.Resources = (
            shared
            if shared_resources
            else pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font), XObject=pikepdf.Dictionary(Im1=image))
        )
        title = f"INVOICE RE-2026-00417  page {n + 1}/{len(pages)}"
        page.obj.Contents = pdf.make_stream(_page_ops(size, lines, logo, title))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def full_page_invoice(size: tuple[float, float] = A4) -> bytes:
    """A last page with text from top to bottom and edge to edge: nothing fits on it."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    height = size[1]
    row = b"Terms and conditions apply to every delivery; " * 6
    ops = [b"BT /F1 8 Tf"] + [
        b"1 0 0 1 20 %.0f Tm (%s) Tj" % (y, row) for y in range(int(height) - 20, 15, -10)
    ]
    page = pdf.add_blank_page(page_size=size)
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(b"\n".join([*ops, b"ET"]))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def content_streams(pdf_bytes: bytes) -> list[list[bytes]]:
    """Each page's content streams, raw (as stored: compressed bytes stay compressed)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        out = []
        for page in pdf.pages:
            contents = page.obj.Contents
            streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            out.append([s.read_raw_bytes() for s in streams])
        return out


def page_objects(pdf_bytes: bytes, index: int) -> list[tuple[float, float, float, float]]:
    """What a page shows, as (x0, top, x1, bottom) boxes in pt."""
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        page = pdf.pages[index]
        return [
            (o["x0"], o["top"], o["x1"], o["bottom"])
            for kind in (page.chars, page.lines, page.rects, page.curves, page.images)
            for o in kind
        ]


def stamp_words(pdf_bytes: bytes, index: int) -> tuple[str, list[dict]]:
    """The text eur1pdf stamped on a page (its own font) and those characters."""
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        page = pdf.pages[index]
        ours = [c for c in page.chars if "LiberationSans" in c["fontname"]]
        return "".join(c["text"] for c in ours), ours
