"""The blank form drawn from its layout: frames, labels, texts, guilloche.

The committed files in ``blank_forms/`` are made by this module (``eur1pdf
blank``); because the data is placed by the same layout, data and frames can
never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eur1pdf.artwork.guilloche import guilloche_lines
from eur1pdf.layouts.geometry import Rect, box_rect, font_for, label_block, mm_to_pt, text_rect
from eur1pdf.layouts.schema import Face, Layout, Placement, ShapeElement
from eur1pdf.pdf.document import DocumentSpec, compose
from eur1pdf.placement.drawables import Circle, Drawable, Line, Page, RectShape, text_block
from eur1pdf.placement.text import wrap

DOTS_DASH = (0.5, 1.5)
STAMP_DASH = (2.0, 2.0)


def _shape(layout: Layout, shape: ShapeElement, origin: Rect, box: str | None) -> Drawable:
    page_h = layout.height_mm
    width = shape.width_pt if shape.width_pt is not None else layout.style.frame_width_pt * 0.7
    x, y = origin.x + shape.x, origin.y + shape.y
    if shape.kind in ("rect", "checkbox"):
        w = shape.width_pt if shape.width_pt is not None else layout.style.frame_width_pt
        return RectShape(
            mm_to_pt(x),
            mm_to_pt(page_h - y - shape.h),
            mm_to_pt(shape.w),
            mm_to_pt(shape.h),
            width=w,
            dash=STAMP_DASH if shape.dashed else None,
            kind=shape.kind,
        )
    if shape.kind == "circle":
        return Circle(
            mm_to_pt(x),
            mm_to_pt(page_h - y),
            mm_to_pt(shape.r),
            width=width,
            dash=STAMP_DASH if shape.dashed else None,
        )
    if shape.kind == "dots":  # a dotted leader: always horizontal
        y_pt = mm_to_pt(page_h - y)
        return Line(
            mm_to_pt(x), y_pt, mm_to_pt(x + shape.w), y_pt, width=width, dash=DOTS_DASH, box=box, kind="dots"
        )
    # a line from (x, y) to (x + w, y + h): h = 0 horizontal, w = 0 vertical (column rules)
    return Line(
        mm_to_pt(x),
        mm_to_pt(page_h - y),
        mm_to_pt(x + shape.w),
        mm_to_pt(page_h - y - shape.h),
        width=width,
        dash=STAMP_DASH if shape.dashed else None,
        box=box,
        kind="line",
    )


def _static_text(layout: Layout, text: str, where: Placement, origin: Rect, box: str | None) -> list:
    font = font_for(layout, where.font)
    size = where.size or layout.style.label_size
    rect = text_rect(layout, where, origin)
    lines = wrap(font, text, size, mm_to_pt(rect.w))
    leading = where.leading or layout.style.label_leading
    return text_block(lines, font, size, leading, rect, layout.height_mm, where.align, box=box)


def _label(layout: Layout, number: str, box_rect_mm: Rect, block, label_font: str) -> list:
    """Box number in bold, label lines beside it with a hanging indent."""
    pad = layout.style.padding_mm
    top = box_rect_mm.y + pad * 0.6
    items: list = []
    if block.number:
        bold = font_for(layout, "bold")
        items += text_block(
            [block.number],
            bold,
            block.size,
            block.leading,
            Rect(box_rect_mm.x + pad, top, block.number_width_mm, 0),
            layout.height_mm,
            box=number,
        )
    if block.lines:
        font = font_for(layout, label_font)
        x = box_rect_mm.x + pad + block.number_width_mm
        items += text_block(
            block.lines,
            font,
            block.size,
            block.leading,
            Rect(x, top, box_rect_mm.right - pad - x, 0),
            layout.height_mm,
            box=number,
        )
    return items


def blank_face(layout: Layout, face_name: str, face: Face, sheet: int) -> Page:
    """Everything pre-printed on one face, in drawing order."""
    page = Page(mm_to_pt(layout.width_mm), mm_to_pt(layout.height_mm), face_name, sheet)
    items = page.items
    if face.guilloche:
        items.extend(guilloche_lines(layout.guilloche, layout.width_mm, layout.height_mm))
    whole = Rect(0.0, 0.0, layout.width_mm, layout.height_mm)
    frame = layout.style.frame_width_pt
    for number, box in face.boxes.items():
        r = box_rect(box)
        if box.frame:
            items.append(
                RectShape(
                    mm_to_pt(r.x),
                    mm_to_pt(layout.height_mm - r.bottom),
                    mm_to_pt(r.w),
                    mm_to_pt(r.h),
                    width=frame,
                    kind="frame",
                )
            )
        items += _label(layout, number, r, label_block(layout, number, box), box.label_font)
        for element in box.texts:
            items += _static_text(layout, element.text, element, r, number)
        for shape in box.shapes:
            items.append(_shape(layout, shape, r, number))
    for shape in face.shapes:
        items.append(_shape(layout, shape, whole, None))
    for element in face.texts:
        items += _static_text(layout, element.text, element, whole, None)
    if face.title and face.title_at:
        items += _static_text(layout, face.title, face.title_at, whole, None)
    if face.footnotes and face.footnotes_at:
        where = face.footnotes_at
        font = font_for(layout, where.font)
        size = where.size or layout.style.label_size
        lines: list[str] = []
        for note in face.footnotes:
            lines += wrap(font, note, size, mm_to_pt(text_rect(layout, where, whole).w))
        items += text_block(
            lines,
            font,
            size,
            where.leading or layout.style.label_leading,
            text_rect(layout, where, whole),
            layout.height_mm,
            where.align,
        )
    return page


def blank_pages(layout: Layout, sheets: list[int] | None = None) -> list[Page]:
    return [blank_face(layout, name, face, sheet.number) for sheet, name, face in layout.pages(sheets)]


@dataclass(frozen=True)
class DrawnBlank:
    """The layout's blank set, drawn once and kept with the prepared layout."""

    pages: list[Page]


def drawn_blank(layout: Layout) -> list[Page]:
    """Every face of the set (the background of each certificate): drawn at first use and kept with
    the prepared layout, the same object on every call (overlay-only output never draws it)."""
    prepared = layout.prepared
    return prepared.derived(DrawnBlank, lambda: DrawnBlank(blank_pages(layout))).pages


def build_blank(layout: Layout) -> bytes:
    """The complete blank set as PDF bytes (same layout, same bytes): each face as the background
    of an empty data layer, as a certificate's pages are built."""
    faces = drawn_blank(layout)
    empty = [Page(face.width, face.height, face.face, face.sheet) for face in faces]
    index = {face.face: n for n, face in reversed(list(enumerate(faces)))}
    return compose(DocumentSpec(empty, f"{layout.title} (blank form)", faces, index))


def blank_path(layout: Layout) -> Path:
    from eur1pdf.resources import blank_forms_dir

    return layout.blank_file(blank_forms_dir())
