"""Document marks drawn over the filled form: DRAFT, or a final's ORIGINAL / COPY.

A provisional certificate must never pass for a valid one: every page of a
draft carries a large diagonal "DRAFT", translucent so the data stays
readable, and a line in the top margin saying it is not valid. The writer
draws a draft's marks as page content that no layer switch hides (a
final's ORIGINAL / COPY lie in the optional-content group "Watermark"),
tagged so a golden comparison can tell them from the data. Their text,
colour and opacity come from the layout; the margin line is kept at least
:data:`PRINTABLE_MARGIN_MM` inside every page edge, where printers print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from eur1pdf.layouts.geometry import font_for, mm_to_pt
from eur1pdf.layouts.schema import DraftMarks, FinalMarks, Layout
from eur1pdf.placement.drawables import Group, Page, TextRun
from eur1pdf.placement.text import check_glyphs

PRINTABLE_MARGIN_MM = 6.0  # many printers print nothing nearer an edge


def _diagonal(layout: Layout, spec: DraftMarks | FinalMarks, text: str) -> Group:
    """``text`` centred on the page, turned by the layout's angle, at the layout's opacity."""
    width, height = mm_to_pt(layout.width_mm), mm_to_pt(layout.height_mm)
    bold = font_for(layout, "bold")
    check_glyphs(bold, text, "layout marks")
    angle = math.radians(spec.angle)
    cos, sin = math.cos(angle), math.sin(angle)
    run = TextRun(
        text, -bold.width(text, spec.size) / 2, -spec.size * 0.35, bold, spec.size, color=spec.color
    )
    return Group((cos, sin, -sin, cos, width / 2, height / 2), (run,), opacity=spec.opacity)


@dataclass(frozen=True)
class DrawnDraftMarks:
    """The draft marks page, drawn once and kept with the prepared layout."""

    pages: list[Page]


@dataclass(frozen=True)
class DrawnFinalMarks:
    """The final marks: a page per mark (ORIGINAL, COPY …) and each mark's page number."""

    pages: list[Page]
    numbers: dict[str, int]

    @property
    def layer(self) -> tuple[list[Page], dict[str, int]]:
        return self.pages, self.numbers


def draft_layer(layout: Layout) -> list[Page]:
    """One page (the layout's size) with the draft watermark and margin line: drawn at first use
    and kept with the prepared layout, the same object on every call."""
    prepared = layout.prepared
    return prepared.derived(DrawnDraftMarks, lambda: DrawnDraftMarks(_draft_layer(layout))).pages


class FinalMarksOnUse(Sequence[Page]):
    """The final marks' pages, drawn when a page is first looked at (kept with the prepared layout):
    a blank whose PDF objects were kept with its marks (:mod:`eur1pdf.pdf.kept_templates`) never
    looks, so a new process's first certificate neither draws them nor reads the bold font."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def _pages(self) -> list[Page]:
        layout = self.layout
        return layout.prepared.derived(DrawnFinalMarks, lambda: DrawnFinalMarks(*_final_layer(layout))).pages

    @overload
    def __getitem__(self, index: int) -> Page: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Page]: ...
    def __getitem__(self, index: int | slice) -> Page | Sequence[Page]:
        return self._pages()[index]

    def __len__(self) -> int:
        return len(self._pages())


def final_layer(layout: Layout, sheets: list[int]) -> tuple[Sequence[Page], list[int | None]]:
    """The final marks: a page per sheet that has one (ORIGINAL, COPY …), drawn on use, and, for
    each sheet given, the page of its mark (None: that sheet has no mark)."""
    pages = layout.prepared.derived(FinalMarksOnUse, lambda: FinalMarksOnUse(layout))
    spec = layout.marks.final
    numbers = _mark_numbers(spec)
    return pages, [numbers.get(spec.sheets.get(str(n), "")) for n in sheets]


def _mark_numbers(spec: FinalMarks) -> dict[str, int]:
    """Each mark's page: one page per distinct mark, in the order the sheets first name them."""
    return {text: number for number, text in enumerate(dict.fromkeys(spec.sheets.values()))}


def _blank_page(layout: Layout, face: str) -> Page:
    return Page(mm_to_pt(layout.width_mm), mm_to_pt(layout.height_mm), face, 0)


def _margin_line(layout: Layout, spec: DraftMarks) -> TextRun:
    """The PROVISIONAL line, centred, its baseline ``margin_y_mm`` below the top edge, but its
    whole text box at least PRINTABLE_MARGIN_MM inside every edge (smaller text if it is too wide)."""
    width, height = mm_to_pt(layout.width_mm), mm_to_pt(layout.height_mm)
    bold = font_for(layout, "bold")
    check_glyphs(bold, spec.margin_text, "layout marks.draft")
    inside = mm_to_pt(PRINTABLE_MARGIN_MM)
    size = spec.margin_size
    text_width = bold.width(spec.margin_text, size)
    if text_width > width - 2 * inside:
        size *= (width - 2 * inside) / text_width
        text_width = bold.width(spec.margin_text, size)
    below_top = max(mm_to_pt(spec.margin_y_mm), inside + bold.ascent * size)
    return TextRun(
        spec.margin_text, (width - text_width) / 2, height - below_top, bold, size, color=spec.color
    )


def _draft_layer(layout: Layout) -> list[Page]:
    page = _blank_page(layout, "draft")
    page.items.append(_diagonal(layout, layout.marks.draft, layout.marks.draft.text))
    page.items.append(_margin_line(layout, layout.marks.draft))
    return [page]


def _final_layer(layout: Layout) -> tuple[list[Page], dict[str, int]]:
    spec = layout.marks.final
    numbers = _mark_numbers(spec)
    pages = [_blank_page(layout, f"final {text}") for text in numbers]
    for page, text in zip(pages, numbers, strict=True):
        page.items.append(_diagonal(layout, spec, text))
    return pages, numbers
