"""The two "peer" ways of filling an EUR.1 certificate that the benchmark compares eur1pdf with.

Both peers print the same visible data as eur1pdf on the front of sheet 1 (page 1
of the blank form), so the comparison measures the tools, not different amounts
of work:

* :func:`classic_recipe`: what most projects write by hand: a reportlab overlay
  with the text, merged onto the blank page with pypdf.
* :func:`pypdfform_fill`: a fillable AcroForm version of the blank (built once by
  :func:`acroform_template`), filled with PyPDFForm.
* :func:`fpdf2_recipe`: the classic recipe with fpdf2 drawing the overlay (the
  TTF added and embedded as a subset by fpdf2), merged onto the blank with pypdf.

Where the data goes comes from eur1pdf's own layout (:func:`field_boxes`), computed
once per process: the peers get the same rectangles eur1pdf fills. What goes there
comes from :func:`field_values`, plain string building from the certificate dict,
which runs inside the timed part for both peers. eur1pdf fits each text to its box
(wraps, shrinks); the peers do not, so :func:`field_values` wraps the two long
columns (goods, invoices) at fixed character counts chosen for the benchmark data,
and the goods print at the size eur1pdf picks for 20 items (7.5 pt).

Run ``python bench/peers.py`` for a rough single-core rate and output size of each.
"""

from __future__ import annotations

import io
import os
import sys
import textwrap
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from eur1pdf.layouts import get_layout
from eur1pdf.layouts.geometry import field_rect, mm_to_pt
from eur1pdf.placement.goods import goods_geometry

ROOT = Path(__file__).resolve().parent.parent
BLANK_PDF = ROOT / "blank_forms" / "eur1.pdf"
FONT_TTF = ROOT / "fonts" / "LiberationSans-Regular.ttf"
FONT_NAME = "LiberationSans"

SIZE, LEADING = 9.0, 10.5  # the usual hand-picked data size of the classic recipe
SERIAL_SIZE = 11.0  # the layout's size for the serial next to the pre-printed "No"
GOODS_SIZE, GOODS_LEADING = 7.5, 9.0  # what eur1pdf picks for 20 items (9 pt would not fit)
GOODS_WRAP = 95  # characters per box 8 line: at 7.5 pt the widest benchmark line is 326 of 354 pt
INVOICE_WRAP = 16  # characters per box 10 line (76 pt wide): "INV-2026-0815 of" is 71 pt at 9 pt

# eur1pdf's layout sources on the certificate face -> the peers' field names (no dots:
# a dot in an AcroForm field name means a parent/child hierarchy)
SOURCE_KEYS = {
    "serial": "serial",
    "exporter": "exporter",
    "trade.from": "trade_from",
    "trade.to": "trade_to",
    "consignee": "consignee",
    "origin": "origin",
    "destination": "destination",
    "transport": "transport",
    "remarks": "remarks",
    "invoices": "invoices",
    "declaration.place_date": "place_date",
    "declaration.signatory": "signatory",
}
MULTILINE = frozenset({"exporter", "consignee", "transport", "remarks", "goods", "gross_mass", "invoices"})


@dataclass(frozen=True)
class FieldBox:
    """Where one value is printed: a rectangle in PDF points (origin bottom-left) and its text size."""

    name: str
    x: float
    y: float  # bottom edge
    w: float
    h: float
    size: float = SIZE
    leading: float = LEADING
    multiline: bool = False

    @property
    def top(self) -> float:
        return self.y + self.h


@cache
def field_boxes(layout_name: str = "eur1") -> dict[str, FieldBox]:
    """The rectangles eur1pdf fills on the certificate face, in points, keyed like :func:`field_values`.

    Taken from the layout (field rectangles below the box labels, box 8's goods
    columns) so the peers print where eur1pdf prints, and computed once: it is
    set-up, not per-certificate work.
    """
    layout = get_layout(layout_name)
    face = layout.certificate_face
    page_h = layout.height_mm
    out: dict[str, FieldBox] = {}

    def add(name: str, x: float, y: float, w: float, h: float, size: float, leading: float) -> None:
        """A field from a rectangle in mm, origin top-left (the layout's units)."""
        out[name] = FieldBox(
            name,
            mm_to_pt(x),
            mm_to_pt(page_h - y - h),
            mm_to_pt(w),
            mm_to_pt(h),
            size,
            leading,
            name in MULTILINE,
        )

    placed = [(field, number, box) for number, box in face.boxes.items() for field in box.fields]
    placed += [(field, None, None) for field in face.fields]
    for field, number, box in placed:
        name = SOURCE_KEYS.get(field.source)
        if name is None:  # final certificates only (customs stamp, verification link)
            continue
        r = field_rect(layout, field, number, box)
        size = SERIAL_SIZE if name == "serial" else SIZE
        add(name, r.x, r.y, r.w, r.h, size, size * LEADING / SIZE)

    geom = goods_geometry(layout, face)  # points already
    columns = {cg.column.source: cg for cg in geom.columns}
    left = columns["item_no"].left
    for name, x, right in (
        ("goods", left, columns["text"].left + columns["text"].width),
        ("gross_mass", columns["gross_mass"].left, columns["gross_mass"].left + columns["gross_mass"].width),
    ):
        out[name] = FieldBox(
            name, x, geom.bottom, right - x, geom.top - geom.bottom, GOODS_SIZE, GOODS_LEADING, True
        )
    return out


boxes = field_boxes  # the short name bench/run.py uses


def _party(party: Mapping[str, Any] | None) -> str:
    """Name, address lines, and the country unless the address already ends with it (as eur1pdf)."""
    if not party:
        return ""
    lines = [party["name"], *party.get("address", [])]
    country = party.get("country")
    if country and country.casefold() != lines[-1].casefold():
        lines.append(country)
    return "\n".join(lines)


def _date(iso: str) -> str:
    """2026-11-22 -> 22.11.2026, as eur1pdf prints dates."""
    year, month, day = iso.split("-")
    return f"{day}.{month}.{year}"


def field_values(cert: Mapping[str, Any]) -> dict[str, str]:
    """One text per field (lines joined with "\\n"): what eur1pdf prints on the certificate face.

    Plain string building from the certificate dict, cheap enough to run inside
    the timed part of both peers. Box 8 has one line per item (number; marks;
    packages; description; HS code; origin criterion), wrapped at
    :data:`GOODS_WRAP` characters, and box 9 has each item's gross mass on the
    item's first line, padded so the two columns stay aligned. Remarks are the
    given remarks only (no duplicate/retrospective/cumulation statements: the
    benchmark data has none).
    """
    goods: list[str] = []
    masses: list[str] = []
    for n, item in enumerate(cert["items"], start=1):
        parts = [item.get("marks"), item.get("packages"), item["description"]]
        if item.get("hs_code"):
            parts.append(f"HS {item['hs_code']}")
        if item.get("origin_criterion"):
            parts.append(f"origin criterion {item['origin_criterion']}")
        text = f"{n} " + "; ".join(p for p in parts if p)
        lines = textwrap.wrap(text, GOODS_WRAP, subsequent_indent="    ")
        goods += lines
        masses += [item.get("gross_mass") or ""] + [""] * (len(lines) - 1)
    invoices = [line for invoice in cert.get("invoices", []) for line in textwrap.wrap(invoice, INVOICE_WRAP)]
    declaration = cert.get("declaration") or {}
    return {
        "serial": cert.get("serial") or "",
        "exporter": _party(cert["exporter"]),
        "trade_from": cert["trade"]["from"],
        "trade_to": cert["trade"]["to"],
        "consignee": _party(cert.get("consignee")),
        "origin": cert["origin"],
        "destination": cert["destination"],
        "transport": cert.get("transport") or "",
        "remarks": "\n".join(cert.get("remarks") or []),
        "goods": "\n".join(goods),
        "gross_mass": "\n".join(masses).rstrip("\n"),
        "invoices": "\n".join(invoices),
        "place_date": f"{declaration['place']}, {_date(declaration['date'])}" if declaration else "",
        "signatory": declaration.get("signatory") or "",
    }


# ------------------------------------------------------------------ peer 1: the classic recipe


@cache
def _font(font_path: str) -> str:
    """Register the TTF with reportlab once per process, as every real program does."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, font_path))
    return FONT_NAME


@cache
def _file_bytes(path: str) -> bytes:
    """The blank form's bytes, read from disk once per process (parsing it is per call)."""
    return Path(path).read_bytes()


def classic_recipe(
    values: Mapping[str, str],
    blank_pdf_path: str | Path = BLANK_PDF,
    font_path: str | Path = FONT_TTF,
    boxes: Mapping[str, FieldBox] | None = None,
) -> bytes:
    """Draw the values on a reportlab overlay, merge it onto page 1 of the blank with pypdf.

    The recipe as it is usually written: text lines (9 pt, 10.5 pt leading) at
    the top-left of each field rectangle, no fitting; the blank is parsed with
    ``PdfReader`` on every call (only its bytes are cached), its first page is
    added to a fresh ``PdfWriter`` and the overlay merged onto it. Returns the
    one-page PDF.
    """
    boxes = boxes if boxes is not None else field_boxes()
    font = _font(str(font_path))
    overlay = io.BytesIO()
    canvas = Canvas(overlay, pagesize=A4)
    for name, text in values.items():
        if not text:
            continue
        box = boxes[name]
        lines = canvas.beginText(box.x, box.top - box.size)  # first baseline one size below the top
        lines.setFont(font, box.size, box.leading)
        lines.textLines(text)
        canvas.drawText(lines)
    canvas.showPage()
    canvas.save()

    writer = PdfWriter()
    # pypdf >= 7 merges only into a page that belongs to a writer: add it, then merge
    page = writer.add_page(PdfReader(io.BytesIO(_file_bytes(str(blank_pdf_path)))).pages[0])
    page.merge_page(PdfReader(overlay).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ------------------------------------------------------------------ peer 3: fpdf2


def fpdf2_recipe(
    values: Mapping[str, str],
    blank_pdf_path: str | Path = BLANK_PDF,
    font_path: str | Path = FONT_TTF,
    boxes: Mapping[str, FieldBox] | None = None,
) -> bytes:
    """The classic recipe with fpdf2 (issue 24): an overlay drawn with fpdf2, merged with pypdf.

    fpdf2 cannot place its page on an existing PDF, so its users draw the text
    on an overlay and merge it as with reportlab. The same values in the same
    boxes: text lines at the top-left of each rectangle (first baseline one
    size below its top, the box's leading), no fitting; the TTF is added to
    each document (``add_font``: fpdf2 keeps fonts per document) and embedded
    as a subset when it is written.
    """
    from fpdf import FPDF

    boxes = boxes if boxes is not None else field_boxes()
    page_height = A4[1]
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font(FONT_NAME, fname=str(font_path))
    for name, text in values.items():
        if not text:
            continue
        box = boxes[name]
        pdf.set_font(FONT_NAME, size=box.size)
        baseline = page_height - (box.top - box.size)  # fpdf2 measures y from the top of the page
        for n, line in enumerate(text.split("\n")):
            if line.strip():  # trimmed as reportlab's textLines trims (the classic recipe's lines)
                pdf.text(box.x, baseline + n * box.leading, line.strip())
    writer = PdfWriter()
    page = writer.add_page(PdfReader(io.BytesIO(_file_bytes(str(blank_pdf_path)))).pages[0])
    page.merge_page(PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ------------------------------------------------------------------ peer 2: PyPDFForm


_templates: dict[tuple[str, str, tuple[FieldBox, ...]], bytes] = {}


def acroform_template(
    blank_pdf_path: str | Path = BLANK_PDF,
    boxes: Mapping[str, FieldBox] | None = None,
    font_path: str | Path = FONT_TTF,
) -> bytes:
    """Page 1 of the blank with one text field per value at its rectangle: the fillable form.

    Built with PyPDFForm's own field API (``Fields.TextField`` +
    ``bulk_create_fields``), borderless and with a transparent background
    (``/MK /BG []``; without it PyPDFForm gives every field a light blue one)
    so the blank's guilloche shows through. The data font is embedded with
    ``register_font`` and set, with the exact size, on each widget afterwards:
    sizes passed at creation go through reportlab, which writes 7.5 pt as
    ``/F1 7 Tf``. Made once per process and kept in memory: a fillable
    template is prepared once in real use too, so its cost is not part of
    filling.
    """
    from PyPDFForm import Fields, PdfWrapper

    boxes = boxes if boxes is not None else field_boxes()
    key = (str(blank_pdf_path), str(font_path), tuple(boxes.values()))
    if key in _templates:
        return _templates[key]
    page_one = PdfWriter()
    page_one.add_page(PdfReader(blank_pdf_path).pages[0])
    buf = io.BytesIO()
    page_one.write(buf)
    form = PdfWrapper(buf.getvalue())
    form.bulk_create_fields(
        [
            Fields.TextField(
                name=box.name,
                page_number=1,
                x=box.x,
                y=box.y,
                width=box.w,
                height=box.h,
                border_width=0,
                font_color=(0, 0, 0),  # PyPDFForm's default is a dark grey (.1 .1 .1)
                bg_color=(1, 1, 1, 0),  # alpha 0: an empty /BG, i.e. no background
                multiline=box.multiline or None,
            )
            for box in boxes.values()
        ]
    )
    form.register_font(FONT_NAME, str(font_path))
    for box in boxes.values():
        widget = form.widgets[box.name]
        widget.font = FONT_NAME
        widget.font_size = box.size
    _templates[key] = form.read()
    return _templates[key]


def pypdfform_fill(template: bytes, values: Mapping[str, str]) -> bytes:
    """Fill the AcroForm template with PyPDFForm's default ``fill`` and return the PDF.

    The default keeps the fields editable (``fill(values, readonly=True)`` would
    only lock them; PyPDFForm 6 has no true flattening).
    """
    from PyPDFForm import PdfWrapper

    return PdfWrapper(template).fill(dict(values)).read()


# ------------------------------------------------------------------ rough measurement


def _rate(make: Callable[[dict[str, Any]], bytes], certs: list[dict[str, Any]]) -> tuple[float, int]:
    """Certificates per second over ``certs`` after one warm-up call, and the mean output size."""
    make(certs[0])
    sizes = 0
    start = time.perf_counter()
    for cert in certs:
        sizes += len(make(cert))
    elapsed = time.perf_counter() - start
    return len(certs) / elapsed, sizes // len(certs)


def main(n: int = 50) -> None:
    """Print each peer's rate (one process pinned to one core) and output size, and eur1pdf's.

    eur1pdf is the reference row: ``render`` with sheet 1 only, which is two pages
    (the certificate and its reverse with the notes), and validates the rules.
    """
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from data import certificate

    certs = [certificate(i) for i in range(1, n + 1)]
    template = acroform_template()
    runs: list[tuple[str, Callable[[dict[str, Any]], bytes]]] = [
        ("classic recipe (reportlab + pypdf)", lambda c: classic_recipe(field_values(c))),
        ("PyPDFForm fill", lambda c: pypdfform_fill(template, field_values(c))),
        ("fpdf2 overlay + pypdf", lambda c: fpdf2_recipe(field_values(c))),
    ]
    try:
        from eur1pdf import FillOptions, render

        runs.append(("eur1pdf render, sheet 1 (2 pages)", lambda c: render(c, FillOptions(sheets=(1,)))))
    except ImportError as exc:  # eur1pdf is being changed: the peers still run
        print(f"(eur1pdf reference left out: {exc})")
    print(f"{n} certificates each, {len(certs[0]['items'])} goods items, one warm-up call, one core")
    for name, make in runs:
        rate, size = _rate(make, certs)
        print(f"  {name:<36} {rate:7.1f} certificates/s  {size:>9,} bytes each")


if __name__ == "__main__":
    main()
