"""Derived geometry of a layout: label blocks, field rectangles, unit conversion.

The layout file gives rectangles; how much of a box its label takes depends on
the label's font metrics. Computing that in one place means the blank form's
labels and the data below them are always laid out by the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from eur1pdf.layouts.schema import Box, FieldElement, Layout, Placement
from eur1pdf.placement.text import FontMetrics, load_font, wrap

PT_PER_MM = 72.0 / 25.4


def mm_to_pt(value: float) -> float:
    return value * PT_PER_MM


def pt_to_mm(value: float) -> float:
    return value / PT_PER_MM


@dataclass(frozen=True)
class Rect:
    """A rectangle in mm, origin top-left of the page."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def contains(self, other: Rect, tol: float = 1e-6) -> bool:
        return (
            other.x >= self.x - tol
            and other.y >= self.y - tol
            and other.right <= self.right + tol
            and other.bottom <= self.bottom + tol
        )

    def overlaps(self, other: Rect, tol: float = 1e-6) -> bool:
        """True when the interiors intersect (shared edges do not count)."""
        return (
            self.x < other.right - tol
            and other.x < self.right - tol
            and self.y < other.bottom - tol
            and other.y < self.bottom - tol
        )


def box_rect(box: Box) -> Rect:
    return Rect(*box.rect)


def font_for(layout: Layout, role: str) -> FontMetrics:
    """The font of a role: the layout's own file beside it when there is one, else eur1pdf's."""
    name = getattr(layout.fonts, role)
    folder = layout.source_dir
    if folder is not None and (folder / f"{name}.ttf").exists():  # not a regular file: refused there
        return load_font(name, folder)
    return load_font(name)


@dataclass(frozen=True)
class LabelBlock:
    """A box's number and label, wrapped: what the blank draws at the box's top."""

    number: str
    number_width_mm: float
    lines: tuple[str, ...]
    size: float
    leading: float  # factor of the size, as everywhere else
    bottom_mm: float  # absolute y (mm) of the label block's bottom


def label_block(layout: Layout, number: str, box: Box) -> LabelBlock:
    style = layout.style
    size = box.label_size or style.label_size
    font = font_for(layout, box.label_font)
    bold = font_for(layout, "bold")
    num = f"{number}." if box.number_label is None else box.number_label
    num_w = pt_to_mm(bold.width(num + " ", size)) if num else 0.0
    width_pt = mm_to_pt(box.w - 2 * style.padding_mm - num_w)
    lines = tuple(wrap(font, box.label, size, width_pt)) if box.label else ()
    n = max(len(lines), 1 if num else 0)
    lead = size * style.label_leading
    height_pt = 0.0 if n == 0 else size * (font.ascent + font.descent) + (n - 1) * lead
    bottom = box.y + style.padding_mm * 0.6 + pt_to_mm(height_pt)
    return LabelBlock(num, num_w, lines, size, style.label_leading, bottom)


def text_rect(layout: Layout, element: Placement, origin: Rect) -> Rect:
    """Where a static text may wrap, in absolute mm (``origin`` is its box or page)."""
    pad = layout.style.padding_mm
    x = origin.x + element.x
    w = element.w if element.w is not None else origin.right - pad - x
    return Rect(x, origin.y + element.y, w, 0.0)


def field_rect(layout: Layout, field: FieldElement, box_number: str | None, box: Box | None) -> Rect:
    """The absolute rectangle (mm) a data field may fill.

    Without coordinates a field fills its box below the label, inside the
    padding: the common case needs no numbers in the layout file.
    """
    pad = layout.style.padding_mm
    origin = Rect(0.0, 0.0, layout.width_mm, layout.height_mm) if box is None else box_rect(box)
    if field.x is None and field.y is None and field.w is None and field.h is None:
        if box is None or box_number is None:
            raise ValueError("a field outside a box needs x, y, w and h")
        top = label_block(layout, box_number, box).bottom_mm + layout.style.label_gap_mm
        return Rect(origin.x + pad, top, origin.w - 2 * pad, origin.bottom - pad - top)
    x, y, w, h = field.x, field.y, field.w, field.h
    if x is None or y is None or w is None or h is None:
        raise ValueError("a field gives all of x, y, w and h, or none of them")
    return Rect(origin.x + x, origin.y + y, w, h)
