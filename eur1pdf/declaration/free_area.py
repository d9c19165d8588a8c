"""Where on a page nothing is printed: the page read with pdfplumber, the largest empty rectangle.

Everything the page shows counts as taken: characters, lines, rectangles,
curves and images, each with a small margin around it, and a margin along
the paper's edges (printers do not print there). The page is seen as a grid
of 1 mm cells; the maximal empty rectangles of that grid are the candidates,
largest first. pdfplumber is the [golden] extra: imported when a page is read.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

MM = 72 / 25.4
CELL = 1.0 * MM  # the grid's resolution
CLEARANCE = 1.5 * MM  # kept free around what the page shows
EDGE = 10 * MM  # kept free along the paper's edges
MIN_SIDE = 15 * MM  # smaller rectangles are no candidates


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
        return self.x0 < other.x1 and other.x0 < self.x1 and self.top < other.bottom and other.top < self.bottom


@dataclass(frozen=True)
class PageContent:
    """One page's size (pt) and the boxes of what it shows."""

    width: float
    height: float
    taken: tuple[Rect, ...]


def read_page(pdf: bytes, index: int) -> PageContent:
    """What page ``index`` (0-based) shows, as boxes (pdfplumber: chars, lines, rects, curves, images)."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[index]
        x_off, y_off = page.bbox[0], page.bbox[1]
        taken = [
            Rect(obj["x0"] - x_off, obj["top"] - y_off, obj["x1"] - x_off, obj["bottom"] - y_off)
            for kind in (page.chars, page.lines, page.rects, page.curves, page.images)
            for obj in kind
        ]
        return PageContent(float(page.width), float(page.height), tuple(taken))


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


def free_rectangles(content: PageContent) -> list[Rect]:
    """The maximal empty rectangles of the page, largest first (then top to bottom, left to right)."""
    free = _grid(content)
    cols = len(free[0]) if free else 0
    heights = [0] * cols
    found: dict[tuple[int, int, int, int], None] = {}
    min_cells = math.ceil(MIN_SIDE / CELL)
    for r, row in enumerate(free):
        heights = [h + 1 if cell else 0 for h, cell in zip(heights, row, strict=True)]
        stack: list[tuple[int, int]] = []  # (start column, height)
        for c, h in enumerate([*heights, 0]):
            start = c
            while stack and stack[-1][1] >= h:
                start, top_h = stack.pop()
                if top_h >= min_cells and c - start >= min_cells:
                    found[(start, r - top_h + 1, c, r + 1)] = None
            if h and (not stack or stack[-1][1] < h):
                stack.append((start, h))
    rects = [Rect(c0 * CELL, r0 * CELL, c1 * CELL, r1 * CELL) for c0, r0, c1, r1 in found]
    return sorted(rects, key=lambda b: (-round(b.width * b.height), b.top, b.x0))
