"""Where on a page nothing is printed: the page's objects read, the largest empty rectangle.

Everything the page shows counts as taken: text, lines, rectangles, curves,
images and form XObjects, each with a small margin around it, and a margin
along the paper's edges (printers do not print there). The page is seen as a
grid of 1 mm cells; the maximal empty rectangles of that grid are the
candidates, largest first.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from eur1pdf.errors import Eur1pdfError

MM = 72 / 25.4
CELL = 1.0 * MM  # the grid's resolution
CLEARANCE = 1.5 * MM  # kept free around what the page shows
EDGE = 10 * MM  # kept free along the paper's edges
MIN_SIDE = 15 * MM  # smaller rectangles are no candidates
# pages, page sizes and objects an invoice may have: checked before its pages are read
LIMITS = tomllib.loads((Path(__file__).with_name("data") / "invoice_limits.toml").read_text("utf-8"))


class TooManyObjects(Eur1pdfError):
    """A page too busy to be read for its free space (data/invoice_limits.toml)."""


@dataclass(frozen=True)
class Rect:
    """A rectangle in pt, measured from the page's top-left corner (pdfplumber's ``top``)."""

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def overlaps(self, other: Rect) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.top < other.bottom and other.top < self.bottom
        )


@dataclass(frozen=True)
class PageContent:
    """One page's size (pt) and the boxes of what it shows."""

    width: float
    height: float
    taken: tuple[Rect, ...]


def read_page(pdf: bytes, index: int) -> PageContent:
    """What page ``index`` (0-based) shows, as the bounds of its objects (text, paths, images, forms).

    Read with pdfium (pypdfium2, a base dependency): its page objects are the
    page's text runs, paths (lines, rectangles, curves), images and form
    XObjects (a form counts as a whole). It reads an invoice page in
    milliseconds where pdfplumber's characters take seconds on a dense page;
    the tests check the result against pdfplumber's reading.
    """
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        left, bottom, right, top = page.get_cropbox()
        taken: list[Rect] = []
        for obj in page.get_objects(max_depth=1):
            if len(taken) >= LIMITS["max_page_objects"]:
                raise TooManyObjects(
                    f"the invoice's page {index + 1} shows more than {LIMITS['max_page_objects']:,} "
                    "objects: too many to find its free space; give the declaration's placement"
                )
            x0, y0, x1, y1 = obj.get_bounds()
            taken.append(Rect(x0 - left, top - y1, x1 - left, top - y0))
        return PageContent(right - left, top - bottom, tuple(taken))
    finally:
        doc.close()


def _grid(content: PageContent) -> list[list[bool]]:
    """``free[row][col]``: the 1 mm cell is empty, away from the edges and from everything shown."""
    cols, rows = int(content.width // CELL), int(content.height // CELL)
    edge = math.ceil(EDGE / CELL)
    free = [[edge <= c < cols - edge and edge <= r < rows - edge for c in range(cols)] for r in range(rows)]
    for box in content.taken:
        c0 = max(0, int((box.x0 - CLEARANCE) // CELL))
        c1 = min(cols, math.ceil((box.x1 + CLEARANCE) / CELL))
        r0 = max(0, int((box.top - CLEARANCE) // CELL))
        r1 = min(rows, math.ceil((box.bottom + CLEARANCE) / CELL))
        for r in range(r0, r1):
            row = free[r]
            row[c0:c1] = [False] * max(0, c1 - c0)
    return free


def free_rectangles(content: PageContent, min_width: float = MIN_SIDE) -> list[Rect]:
    """The maximal empty rectangles of the page at least ``min_width`` wide, largest first
    (then top to bottom, left to right)."""
    free = _grid(content)
    cols = len(free[0]) if free else 0
    heights = [0] * cols
    found: set[tuple[int, int, int, int]] = set()
    min_rows, min_cols = math.ceil(MIN_SIDE / CELL), math.ceil(max(min_width, MIN_SIDE) / CELL)
    for r, row in enumerate(free):
        heights = [h + 1 if cell else 0 for h, cell in zip(heights, row, strict=True)]
        below = free[r + 1] if r + 1 < len(free) else None
        stack: list[tuple[int, int]] = []  # (start column, height)
        for c, h in enumerate([*heights, 0]):
            start = c
            while stack and stack[-1][1] >= h:
                start, top_h = stack.pop()
                wide_enough = top_h >= min_rows and c - start >= min_cols
                if wide_enough and not (below is not None and all(below[start:c])):  # else it goes on down
                    found.add((start, r - top_h + 1, c, r + 1))
            if h and (not stack or stack[-1][1] < h):
                stack.append((start, h))
    ordered = sorted(found, key=lambda b: (-(b[2] - b[0]) * (b[3] - b[1]), b[1], b[0]))
    return [Rect(c0 * CELL, r0 * CELL, c1 * CELL, r1 * CELL) for c0, r0, c1, r1 in ordered]
