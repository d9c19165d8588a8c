"""Document marks drawn over the filled form: the DRAFT watermark and its margin line.

A provisional certificate must never pass for a valid one: every page of a
draft carries a large diagonal "DRAFT", translucent so the data stays
readable, and a line in the top margin saying it is not valid. The marks are
a separate layer (an optional-content group named "Watermark" in the PDF),
so a golden comparison can tell them from the data. Their text, colour and
opacity come from the layout.
"""

from __future__ import annotations

import io

from reportlab.pdfgen.canvas import Canvas

from .layouts.geometry import font_for, mm_to_pt
from .layouts.schema import Layout
from .render import _font_name
from .text import check_glyphs


def draft_layer(layout: Layout) -> bytes:
    """One page (the layout's size) with the draft watermark and margin line."""
    spec = layout.marks.draft
    width, height = mm_to_pt(layout.width_mm), mm_to_pt(layout.height_mm)
    bold = font_for(layout, "bold")
    check_glyphs(bold, spec.text + spec.margin_text, "layout marks.draft")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    canvas.saveState()
    canvas.setFillColorRGB(*spec.color)
    canvas.setFillAlpha(spec.opacity)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(spec.angle)
    canvas.setFont(_font_name(bold), spec.size)
    canvas.drawCentredString(0, -spec.size * 0.35, spec.text)
    canvas.restoreState()
    canvas.setFillColorRGB(*spec.color)
    canvas.setFont(_font_name(bold), spec.margin_size)
    canvas.drawCentredString(width / 2, height - mm_to_pt(spec.margin_y_mm), spec.margin_text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
