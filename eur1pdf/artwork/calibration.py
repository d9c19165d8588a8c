"""The calibration sheet: find a printer's offsets on pre-printed stock.

One page for the layout's certificate face (sheet 1 front): thin crosshairs
at known box corners, each labelled with its nominal position in mm from the
page's top-left corner, millimetre rulers along the top and left edges, and
how to turn the measurements into a printer profile (:mod:`eur1pdf.printer`).
Printed through a profile, the same marks show whether the correction works.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eur1pdf.files import write_atomic
from eur1pdf.layouts.geometry import Rect, box_rect, font_for, mm_to_pt
from eur1pdf.layouts.schema import Layout
from eur1pdf.pdf.document import DocumentSpec, compose
from eur1pdf.placement.drawables import Circle, Drawable, Line, Page, TextRun, text_block
from eur1pdf.placement.text import wrap
from eur1pdf.printer import Adjustment, PrinterProfile

FACE = "calibration"
MARK_WIDTH_PT = 0.3
ARM_MM = 3.5  # crosshair half-length
RING_MM = 1.2
LABEL_SIZE = 6.5
LABEL_GAP_MM = 1.2  # label distance from the crosshair's lines
TICK_MM = {1: 2.5, 5: 4.0, 10: 6.0}  # ruler tick lengths: every mm, every 5, every 10
RULER_SIZE = 6.0
TICK_WIDTH_PT = 0.25

# Corners the official form has on every EUR.1-like layout: spread over the
# page, so both offsets and a scale (error growing down or across) show.
PREFERRED = (
    ("1", "top-left"),
    ("2", "top-right"),
    ("8", "top-left"),
    ("12", "top-left"),
    ("11", "bottom-left"),
    ("12", "bottom-right"),
)


@dataclass(frozen=True)
class Mark:
    """A crosshair at a box corner, nominal position in mm from the page's top-left."""

    box: str
    corner: str
    x: float
    y: float

    @property
    def label(self) -> str:
        return f"box {self.box} {self.corner} {self.x:.1f}, {self.y:.1f} mm"


def _corner(rect: Rect, corner: str) -> tuple[float, float]:
    vertical, horizontal = corner.split("-")
    return (rect.x if horizontal == "left" else rect.right, rect.y if vertical == "top" else rect.bottom)


def calibration_marks(layout: Layout) -> list[Mark]:
    """The crosshairs for the certificate face: the preferred corners, else the outermost ones."""
    boxes = layout.certificate_face.boxes
    wanted = [(n, c) for n, c in PREFERRED if n in boxes]
    if len(wanted) < 5:  # another form: the boxes nearest the page's four corners
        rects = {n: box_rect(b) for n, b in boxes.items()}
        wanted += [
            (min(rects, key=lambda n: rects[n].x + rects[n].y), "top-left"),
            (max(rects, key=lambda n: rects[n].right - rects[n].y), "top-right"),
            (min(rects, key=lambda n: rects[n].x - rects[n].bottom), "bottom-left"),
            (max(rects, key=lambda n: rects[n].right + rects[n].bottom), "bottom-right"),
        ]
    marks: list[Mark] = []
    seen: set[tuple[float, float]] = set()
    for number, corner in wanted:
        x, y = _corner(box_rect(boxes[number]), corner)
        if (x, y) not in seen:
            seen.add((x, y))
            marks.append(Mark(number, corner, x, y))
    return marks


class _Sheet:
    """Drawables in mm from the top-left, turned into PDF points."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.height = layout.height_mm
        self.page = Page(mm_to_pt(layout.width_mm), mm_to_pt(layout.height_mm), FACE, 1)

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float, kind: str) -> None:
        self.page.items.append(
            Line(
                mm_to_pt(x0),
                mm_to_pt(self.height - y0),
                mm_to_pt(x1),
                mm_to_pt(self.height - y1),
                width=width,
                kind=kind,
            )
        )

    def text(self, text: str, x: float, baseline: float, size: float, role: str = "regular", right=False):
        font = font_for(self.layout, role)
        x_pt = mm_to_pt(x) - (font.width(text, size) if right else 0.0)
        self.page.items.append(TextRun(text, x_pt, mm_to_pt(self.height - baseline), font, size))

    def add(self, items: Sequence[Drawable]) -> None:
        self.page.items.extend(items)


def _rulers(sheet: _Sheet) -> None:
    layout = sheet.layout
    for along, limit in (("top", layout.width_mm), ("left", layout.height_mm)):
        for mm in range(1, math.ceil(limit)):  # not at the edge itself
            length = TICK_MM[10 if mm % 10 == 0 else 5 if mm % 5 == 0 else 1]
            if along == "top":
                sheet.line(mm, 0.0, mm, length, TICK_WIDTH_PT, "ruler")
            else:
                sheet.line(0.0, mm, length, mm, TICK_WIDTH_PT, "ruler")
            if mm % 10:
                continue
            if along == "top":  # beside the tick, inside the page
                sheet.text(str(mm), mm + 0.6, TICK_MM[10] - 0.2, RULER_SIZE)
            else:  # just above the tick, clear of the 1 mm ticks
                sheet.text(str(mm), TICK_MM[1] + 0.6, mm - 0.6, RULER_SIZE)


def _crosshair(sheet: _Sheet, mark: Mark) -> None:
    x, y = mark.x, mark.y
    sheet.line(x - ARM_MM, y, x + ARM_MM, y, MARK_WIDTH_PT, "crosshair")
    sheet.line(x, y - ARM_MM, x, y + ARM_MM, MARK_WIDTH_PT, "crosshair")
    sheet.add([Circle(mm_to_pt(x), mm_to_pt(sheet.height - y), mm_to_pt(RING_MM), width=MARK_WIDTH_PT)])
    vertical, horizontal = mark.corner.split("-")
    right = horizontal == "right"  # the label goes towards the box's inside
    label_x = x - LABEL_GAP_MM if right else x + LABEL_GAP_MM
    baseline = y + LABEL_GAP_MM + 2.6 if vertical == "top" else y - LABEL_GAP_MM
    sheet.text(mark.label, label_x, baseline, LABEL_SIZE, right=right)


def instructions(adjustment: Adjustment | None) -> list[str]:
    """The paragraphs printed on the sheet: what to measure and where to write it."""
    if adjustment is not None:
        through = [
            "Drawn through the printer profile below: on the pre-printed stock every crosshair should now "
            "sit on its printed box corner, and the ruler marks should lie the stated distance from the "
            "paper's edges.",
            adjustment.describe(),
        ]
    else:
        through = ["Drawn without a printer profile: every mark is at its nominal position."]
    return [
        *through,
        "1. Print this page at 100 % (no “fit to page”) on a sheet of the pre-printed stock, "
        "fed the way the certificates will be.",
        "2. At each crosshair, measure how far the form's printed box corner lies from the crosshair's "
        "centre: to the right and down are positive, to the left and up negative.",
        "3. Write the distances into the printer profile as offset_x_mm and offset_y_mm (the average "
        "over the crosshairs).",
        "4. If the distance down grows (or shrinks) towards the bottom of the page, the paper is longer "
        "(or shorter) than the form: with distances d1 and d2 at crosshairs y1 and y2 mm from the top, "
        "set scale_y = 1 + (d2 - d1) / (y2 - y1) and offset_y_mm = d1 - y1 × (scale_y - 1). "
        "The same across the page gives scale_x.",
        "5. Check: print this sheet again with --printer PROFILE.toml. "
        "The rulers are drawn at 100 %: 100 mm on them must measure 100 mm, else the printer is scaling "
        "the page.",
    ]


def calibration_page(layout: Layout, adjustment: Adjustment | None = None) -> Page:
    """The calibration sheet's drawables at nominal positions (the profile is applied on composing)."""
    sheet = _Sheet(layout)
    _rulers(sheet)
    for mark in calibration_marks(layout):
        _crosshair(sheet, mark)
    face = layout.certificate_face
    goods = box_rect(face.boxes[face.goods.box if face.goods else "8"])  # the largest empty box
    area = Rect(goods.x + 6.0, goods.y + 14.0, goods.w - 12.0, 0.0)
    bold, regular = font_for(layout, "bold"), font_for(layout, "regular")
    title = f"Calibration sheet: {layout.title} ({layout.name}), sheet 1 front"
    title_lines = wrap(bold, title, 10.0, mm_to_pt(area.w))
    sheet.add(text_block(title_lines, bold, 10.0, 1.25, area, layout.height_mm))
    top = area.y + len(title_lines) * 10.0 * 1.25 / mm_to_pt(1.0) + 2.0
    size, leading = 8.0, 1.3
    for paragraph in instructions(adjustment):
        lines = wrap(regular, paragraph, size, mm_to_pt(area.w))
        sheet.add(text_block(lines, regular, size, leading, Rect(area.x, top, area.w, 0.0), layout.height_mm))
        top += len(lines) * size * leading / mm_to_pt(1.0) + 1.5
    return sheet.page


def build_calibration(layout: Layout, profile: PrinterProfile | None = None) -> bytes:
    """The calibration sheet as PDF bytes; with a profile, the marks are drawn through it."""
    adjustment = profile.for_layout(layout.name) if profile is not None else None
    page = calibration_page(layout, adjustment)
    title = f"{layout.title}: calibration sheet"
    matrix = adjustment.matrix(page.height) if adjustment is not None else None
    return compose(DocumentSpec([page], title, data_matrix=matrix))


def write_calibration(layout: Layout, output: str | Path, profile: PrinterProfile | None = None) -> Path:
    return write_atomic(output, build_calibration(layout, profile))
