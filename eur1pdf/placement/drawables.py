"""Plain data for what goes on a page: text runs, lines, shapes.

Placement (data) and the blank form (labels, frames) both produce these; the
renderer only draws them. Golden tests compare the same things read back from
the PDF: what is placed is what is drawn. Coordinates are PDF points with the
origin at the bottom-left, as the PDF itself has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from eur1pdf.layouts.geometry import Rect, mm_to_pt
from eur1pdf.placement.text import FontMetrics

Colour = tuple[float, float, float]
BLACK: Colour = (0.0, 0.0, 0.0)


class TextRun(NamedTuple):
    """One line of text at a baseline position, with the box and field it belongs to.

    A named tuple rather than a frozen dataclass: a certificate places about a
    hundred runs, and a dataclass's frozen ``__init__`` cost several times as much.
    """

    text: str
    x: float
    y: float  # baseline
    font: FontMetrics
    size: float
    box: str | None = None
    field: str | None = None
    color: Colour = BLACK

    @property
    def width(self) -> float:
        return self.font.width(self.text, self.size)


@dataclass(frozen=True)
class Line:
    x0: float
    y0: float
    x1: float
    y1: float
    width: float = 0.6
    color: Colour = BLACK
    dash: tuple[float, ...] | None = None
    box: str | None = None
    kind: str = "line"  # frame, dots, end_line, strike …


@dataclass(frozen=True)
class RectShape:
    x: float
    y: float  # bottom
    w: float
    h: float
    width: float = 0.6
    color: Colour = BLACK
    dash: tuple[float, ...] | None = None
    kind: str = "rect"


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    width: float = 0.5
    color: Colour = BLACK
    dash: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    width: float
    color: Colour


@dataclass(frozen=True)
class Picture:
    """A grey-scale raster image placed in a rectangle: the QR code.

    Raw 8-bit pixels, row by row from the top: no image format to encode
    and decode again on the way into the PDF.
    """

    x: float
    y: float  # bottom
    w: float
    h: float
    pixels: bytes
    columns: int
    rows: int
    kind: str = "image"


@dataclass(frozen=True)
class Group:
    """Items drawn under a transformation and an opacity: the diagonal DRAFT mark.

    ``matrix`` (a b c d e f) maps the items' coordinates onto the page;
    ``opacity`` applies to fills (text), so the data underneath stays legible.
    """

    matrix: tuple[float, float, float, float, float, float]
    items: tuple[TextRun | Line, ...]
    opacity: float = 1.0


@dataclass(frozen=True)
class Repeated:
    """The same paths drawn again at each offset: the guilloche's bands.

    Written once as a Form XObject and placed by each offset, so a pattern of
    forty identical bands costs the bytes of one.
    """

    paths: tuple[Polyline, ...]
    offsets: tuple[tuple[float, float], ...]


Drawable = TextRun | Line | RectShape | Circle | Polyline | Picture | Group | Repeated


@dataclass
class Page:
    """One page's drawables in drawing order, with the face it shows."""

    width: float
    height: float
    face: str
    sheet: int
    items: list[Drawable] = field(default_factory=list)

    @property
    def runs(self) -> list[TextRun]:
        return [i for i in self.items if isinstance(i, TextRun)]

    @property
    def lines(self) -> list[Line]:
        return [i for i in self.items if isinstance(i, Line)]


def aligned_x(left: float, width: float, line_width: float, align: str) -> float:
    """Where a line of ``line_width`` starts in a column ``left``..``left + width``."""
    if align == "center":
        return left + (width - line_width) / 2
    if align == "right":
        return left + width - line_width
    return left


def text_block(
    lines: Sequence[str],
    font: FontMetrics,
    size: float,
    leading: float,
    rect: Rect,
    page_height_mm: float,
    align: str = "left",
    box: str | None = None,
    field: str | None = None,
    color: Colour = BLACK,
) -> list[TextRun]:
    """Lines stacked from the top of ``rect`` (mm, top-left origin) as text runs.

    The first baseline sits one ascent below the top, so the glyphs of the
    first line start exactly at the rectangle's top edge.
    """
    left = mm_to_pt(rect.x)
    width = mm_to_pt(rect.w)
    top = mm_to_pt(page_height_mm - rect.y)
    runs = []
    for i, line in enumerate(lines):
        baseline = top - size * font.ascent - i * size * leading
        x = aligned_x(left, width, font.width(line, size), align)
        runs.append(TextRun(line, x, baseline, font, size, box, field, color))
    return runs
