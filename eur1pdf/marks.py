"""Document marks drawn over the filled form: DRAFT, or a final's ORIGINAL / COPY.

A provisional certificate must never pass for a valid one: every page of a
draft carries a large diagonal "DRAFT", translucent so the data stays
readable, and a line in the top margin saying it is not valid. The marks are
a separate layer (an optional-content group named "Watermark" in the PDF),
so a golden comparison can tell them from the data. Their text, colour and
opacity come from the layout.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from .layouts.geometry import font_for, mm_to_pt
from .layouts.schema import DraftMarks, FinalMarks, Layout
from .render import _font_name
from .text import check_glyphs


def _diagonal(canvas: Canvas, layout: Layout, spec: DraftMarks | FinalMarks, text: str) -> None:
    width, height = mm_to_pt(layout.width_mm), mm_to_pt(layout.height_mm)
    bold = font_for(layout, "bold")
    check_glyphs(bold, text, "layout marks")
    canvas.saveState()
    canvas.setFillColorRGB(*spec.color)
    canvas.setFillAlpha(spec.opacity)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(spec.angle)
    canvas.setFont(_font_name(bold), spec.size)
    canvas.drawCentredString(0, -spec.size * 0.35, text)
    canvas.restoreState()


class _PerLayout:
    """Marks depend on the layout alone: made once per process and layout object.

    Keyed by identity (layouts are unhashable), holding the layout so the
    identity cannot be reused by another object.
    """

    def __init__(self) -> None:
        self._made: dict[tuple[int, Any], tuple[Layout, Any]] = {}

    def get(self, layout: Layout, key: Any, make: Callable[[], Any]) -> Any:
        found = self._made.get((id(layout), key))
        if found is None or found[0] is not layout:
            if len(self._made) > 64:
                self._made.clear()
            found = (layout, make())
            self._made[(id(layout), key)] = found
        return found[1]


_CACHE = _PerLayout()


def draft_layer(layout: Layout) -> bytes:
    """One page (the layout's size) with the draft watermark and margin line."""
    return _CACHE.get(layout, "draft", lambda: _draft_layer(layout))


def final_layer(layout: Layout, sheets: list[int]) -> tuple[bytes, list[int | None]]:
    """The final marks: a page per sheet that has one (ORIGINAL, COPY …) and, for
    each sheet given, the page of its mark (None: that sheet has no mark)."""
    pdf, pages = _CACHE.get(layout, "final", lambda: _final_layer(layout))
    spec = layout.marks.final
    return pdf, [pages.get(spec.sheets.get(str(n), "")) for n in sheets]


def _draft_layer(layout: Layout) -> bytes:
    spec = layout.marks.draft
    width, height = mm_to_pt(layout.width_mm), mm_to_pt(layout.height_mm)
    bold = font_for(layout, "bold")
    check_glyphs(bold, spec.margin_text, "layout marks.draft")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    _diagonal(canvas, layout, spec, spec.text)
    canvas.setFillColorRGB(*spec.color)
    canvas.setFont(_font_name(bold), spec.margin_size)
    canvas.drawCentredString(width / 2, height - mm_to_pt(spec.margin_y_mm), spec.margin_text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _final_layer(layout: Layout) -> tuple[bytes, dict[str, int]]:
    spec = layout.marks.final
    width, height = mm_to_pt(layout.width_mm), mm_to_pt(layout.height_mm)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    pages: dict[str, int] = {}
    for text in dict.fromkeys(spec.sheets.values()):
        _diagonal(canvas, layout, spec, text)
        canvas.showPage()
        pages[text] = len(pages)
    if not pages:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue(), pages
