"""The form's own arrangement as a CSS grid, derived from the layout's box rectangles.

Every form works the same way, including a plug-in's: the distinct left and
right edges of the boxes (in mm) become the grid's column lines, their top
and bottom edges its row lines; each box spans the lines of its rectangle
(column widths in proportion to the paper, row heights following the
content). Box 9 (gross mass) is entered per item, so it joins box 8's
region when it sits beside it, as on every built-in form. The space above
box 2 holds the certificate's number, where the form prints "No". On a
narrow screen the regions simply follow one another in reading order.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from eur1pdf.layouts import get_layout

DATA = Path(__file__).with_name("data") / "page.toml"
REGION_ORDER = ("header", "1", "2", "3", "4", "5", "6", "7", "8", "10", "11", "12")
_SAFE = re.compile(r"[^a-z0-9-]")


@cache
def page_texts() -> dict[str, Any]:
    with DATA.open("rb") as file:
        return tomllib.load(file)


@dataclass(frozen=True)
class Region:
    """One box of the form on the page: its key, heading, and grid lines."""

    key: str  # a box number, or "header"
    label: str
    column: tuple[int, int]
    row: tuple[int, int]


Rect = tuple[float, float, float, float]


def _rects(name: str) -> dict[str, Rect]:
    face = get_layout(name).certificate_face
    rects: dict[str, Rect] = {key: tuple(box.rect) for key, box in face.boxes.items()}  # type: ignore[misc]
    if "8" in rects and "9" in rects:
        x8, y8, w8, h8 = rects["8"]
        x9, y9, w9, h9 = rects.pop("9")
        if abs(y9 - y8) < 0.5 and abs(x9 - (x8 + w8)) < 0.5:
            rects["8"] = (x8, y8, x9 + w9 - x8, max(h8, h9))
    if "1" in rects and "2" in rects and rects["2"][1] > rects["1"][1]:
        x2, y2, w2, _ = rects["2"]
        rects["header"] = (x2, rects["1"][1], w2, y2 - rects["1"][1])
    return rects


def _label(name: str, key: str) -> str:
    if key == "header":
        return "No"
    box = get_layout(name).certificate_face.boxes.get(key)
    label = box.label.strip() if box is not None else ""
    if key == "8" and "9" in get_layout(name).certificate_face.boxes:
        nine = get_layout(name).certificate_face.boxes["9"].label.strip()
        return " / ".join(part for part in (label or page_texts()["box_labels"]["8"], nine) if part)
    return label or page_texts()["box_labels"].get(key, "")


@cache
def regions(name: str) -> tuple[Region, ...]:
    """The form's boxes in reading order, with their grid lines."""
    rects = _rects(name)
    xs = sorted({round(v, 1) for x, _, w, _ in rects.values() for v in (x, x + w)})
    ys = sorted({round(v, 1) for _, y, _, h in rects.values() for v in (y, y + h)})
    out = []
    for key in [k for k in REGION_ORDER if k in rects] + sorted(set(rects) - set(REGION_ORDER)):
        x, y, w, h = rects[key]
        column = (xs.index(round(x, 1)) + 1, xs.index(round(x + w, 1)) + 1)
        row = (ys.index(round(y, 1)) + 1, ys.index(round(y + h, 1)) + 1)
        out.append(Region(key, _label(name, key), column, row))
    return tuple(out)


def css_class(name: str) -> str:
    return "form-" + _SAFE.sub("-", name.lower())


@cache
def grid_css(name: str) -> str:
    """The style sheet placing the form's regions (served as /app/static/form/{name}.css)."""
    rects = _rects(name)
    xs = sorted({round(v, 1) for x, _, w, _ in rects.values() for v in (x, x + w)})
    tracks = " ".join(f"minmax(0, {b - a:g}fr)" for a, b in pairwise(xs))
    cls = css_class(name)
    lines = [
        "@media (min-width: 900px) {",
        f"  .{cls} {{ display: grid; grid-template-columns: {tracks}; }}",
    ]
    for region in regions(name):
        (c0, c1), (r0, r1) = region.column, region.row
        lines.append(f"  .{cls} .region-{region.key} {{ grid-column: {c0} / {c1}; grid-row: {r0} / {r1}; }}")
    lines.append("}")
    return "\n".join(lines) + "\n"
