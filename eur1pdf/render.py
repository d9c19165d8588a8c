"""Drawables -> PDF pages with reportlab.

reportlab runs in ``invariant`` mode so the same drawables give the same bytes
(no creation date, no random document ID); fonts are embedded as subsets of
the files in ``fonts/``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .drawing import Circle, Line, Page, Picture, Polyline, RectShape, TextRun
from .text import FontMetrics

_registered: set[str] = set()


def _font_name(font: FontMetrics) -> str:
    if font.name not in _registered:
        pdfmetrics.registerFont(TTFont(font.name, str(font.path)))
        _registered.add(font.name)
    return font.name


def _stroke(canvas: Canvas, color, width: float, dash) -> None:
    canvas.setStrokeColorRGB(*color)
    canvas.setLineWidth(width)
    canvas.setDash(list(dash) if dash else [])


def draw_page(canvas: Canvas, page: Page) -> None:
    """Draw one page's items in order (background first, as the items are listed)."""
    for item in page.items:
        if isinstance(item, TextRun):
            canvas.setFillColorRGB(*item.color)
            text = canvas.beginText(item.x, item.y)
            text.setFont(_font_name(item.font), item.size)
            text.textOut(item.text)
            canvas.drawText(text)
        elif isinstance(item, Line):
            _stroke(canvas, item.color, item.width, item.dash)
            canvas.line(item.x0, item.y0, item.x1, item.y1)
        elif isinstance(item, RectShape):
            _stroke(canvas, item.color, item.width, item.dash)
            canvas.rect(item.x, item.y, item.w, item.h, stroke=1, fill=0)
        elif isinstance(item, Circle):
            _stroke(canvas, item.color, item.width, item.dash)
            canvas.circle(item.cx, item.cy, item.r, stroke=1, fill=0)
        elif isinstance(item, Polyline):
            _stroke(canvas, item.color, item.width, None)
            path = canvas.beginPath()
            (x0, y0), *rest = item.points
            path.moveTo(x0, y0)
            for x, y in rest:
                path.lineTo(x, y)
            canvas.drawPath(path, stroke=1, fill=0)
        elif isinstance(item, Picture):
            image = Image.frombytes("L", (item.columns, item.rows), item.pixels)
            canvas.drawImage(ImageReader(image), item.x, item.y, item.w, item.h)
        else:  # pragma: no cover - the Drawable union is closed
            raise TypeError(f"cannot draw {item!r}")


def render_pages(pages: Sequence[Page], title: str = "") -> bytes:
    """A PDF with one page per :class:`Page`, deterministic bytes."""
    buffer = io.BytesIO()
    first = pages[0]
    canvas = Canvas(buffer, pagesize=(first.width, first.height), invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setProducer("eur1pdf")
    canvas.setCreator("eur1pdf")
    for page in pages:
        canvas.setPageSize((page.width, page.height))
        draw_page(canvas, page)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
