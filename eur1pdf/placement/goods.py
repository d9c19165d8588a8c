"""Box 8 (with 9 beside it): the goods list.

Items are numbered 1…n by eur1pdf, each item's columns are wrapped to their
widths, rows follow one another without blank lines, and the list is closed
the way the notes require: a mark directly below the last item (a drawn line,
or a line of ``*`` or ``\\``) and the unused space struck through so nothing
can be added. The capacity is computed from the box height and the line
height; when the items do not fit, the error says how many do, or the items
are split over several certificates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from eur1pdf.certificate.model import ITEM_FIELD_BOXES, Item
from eur1pdf.errors import GoodsOverflowError
from eur1pdf.layouts.geometry import font_for
from eur1pdf.layouts.prepared import CellSources, GoodsGeometry, PreparedGoods, cell_sources
from eur1pdf.layouts.schema import Face, Goods, Layout
from eur1pdf.placement.drawables import Drawable, Line, TextRun, aligned_x
from eur1pdf.placement.text import (
    FontMetrics,
    Measured,
    check_glyphs,
    largest_that_fits,
    lines_that_fit,
    measure,
    size_steps,
    wrap_paragraphs,
)

MARK_GAP_PT = 1.0  # between the last item's descenders and the end line
MARK_CHARS = {"stars": "*", "backslashes": "\\"}


def prepared_goods(layout: Layout, face: Face) -> PreparedGoods:
    """The goods list of ``face``, prepared with its layout (geometry, cell sources, filler span)."""
    prepared = layout.prepared.face_of(face).goods
    assert prepared is not None, "the face has no goods list"
    return prepared


def goods_geometry(layout: Layout, face: Face) -> GoodsGeometry:
    """The goods area of ``face``, prepared once with its layout."""
    return prepared_goods(layout, face).geometry


def item_cells(item: Item, number: int, goods: Goods, sources: CellSources) -> dict[str, str]:
    """What each column shows for one item; parts without a column go into ``text``."""
    cells: dict[str, str] = {"item_no": goods.item_number_format.format(n=number)}
    parts = [
        fmt.format(value) if fmt else value for part, fmt in sources.in_text if (value := getattr(item, part))
    ]
    cells["text"] = goods.separator.join(parts)
    for source in sources.own_columns:  # a column has its own heading: the value alone
        cells[source] = getattr(item, source) or ""
    return cells


_ITEM_TEXTS = ("marks", "packages", "description", "hs_code", "origin_criterion", "gross_mass")


def check_item_glyphs(
    items: Sequence[Item], font: FontMetrics, prepared: PreparedGoods, offset: int = 0
) -> None:
    texts = [getattr(item, part) or "" for item in items for part in _ITEM_TEXTS]
    if not font.characters.issuperset("".join(texts)):  # the common case is one pass: all drawable
        for i, item in enumerate(items):
            for part in _ITEM_TEXTS:
                value = getattr(item, part)
                if value:
                    check_glyphs(font, value, f"items[{i + offset}].{part}", ITEM_FIELD_BOXES.get(part, "8"))
    check_format_glyphs(prepared, font)


def check_format_glyphs(prepared: PreparedGoods, font: FontMetrics) -> None:
    """The layout's own goods texts (separator, part formats, item numbers), checked once per
    prepared layout (``font``: the layout's data font, the same every time)."""
    if prepared.formats_checked:
        return
    goods = prepared.goods
    for fmt in (goods.separator, *goods.part_formats.values(), goods.item_number_format):
        check_glyphs(font, fmt.replace("{}", "").replace("{n}", "0"), "layout goods format")
    prepared.formats_checked = True  # remembered only when nothing was missing


def wrap_rows(
    items: Sequence[Item],
    goods: Goods,
    geom: GoodsGeometry,
    font: FontMetrics,
    size: float,
    cells: Sequence[dict[str, str]] | None = None,
) -> list[dict[str, list[str]]]:
    """Each item's lines per column at ``size`` (``cells``: the items' cells, when known)."""
    if cells is None:
        sources = cell_sources(goods)
        cells = [item_cells(item, i + 1, goods, sources) for i, item in enumerate(items)]
    return [
        {
            cg.column.source: wrap_paragraphs(font, [row[cg.column.source]], size, cg.width)
            for cg in geom.columns
        }
        for row in cells
    ]


def row_height(row: dict[str, list[str]]) -> int:
    return max(1, *(len(lines) for lines in row.values()))


def capacity(goods: Goods, geom: GoodsGeometry, font: FontMetrics, size: float) -> int:
    """Item lines the goods area holds at ``size``, keeping room for the end mark."""
    lead = size * goods.leading
    height = geom.top - geom.bottom - MARK_GAP_PT
    if goods.end_mark in MARK_CHARS:
        height -= lead
    return lines_that_fit(font, size, goods.leading, height)


@dataclass(frozen=True)
class GoodsFit:
    size: float
    rows: list[dict[str, list[str]]]
    lines: int
    capacity: int


_REMEMBERED: ContextVar[dict[tuple[int, int, int], tuple[object, ...]] | None] = ContextVar(
    "eur1pdf_goods_fits", default=None
)


@contextmanager
def fits_remembered() -> Iterator[None]:
    """Within this block, :func:`fit_goods` answers a second time from memory, for the same items
    object on the same face: a render asked to split first fits the goods to see whether they
    need splitting, and placing them then uses that fit (asking for split costs nothing when
    nothing splits). Kept for the block only: no answer outlives the render that made it."""
    token = _REMEMBERED.set({})
    try:
        yield
    finally:
        _REMEMBERED.reset(token)


def fit_goods(items: Sequence[Item], layout: Layout, face: Face) -> GoodsFit:
    """The largest size at which all items fit, or an overflow error saying how many fit."""
    memory = _REMEMBERED.get()
    if memory is None:
        return _fit_goods(items, layout, face)
    key = (id(items), id(layout), id(face))
    found = memory.get(key)
    if found is not None and found[0] is items and found[1] is layout and found[2] is face:
        return found[3]  # type: ignore[return-value]
    fitted = _fit_goods(items, layout, face)
    memory[key] = (items, layout, face, fitted)  # the objects kept alive: their ids stay theirs
    return fitted


def _fit_goods(items: Sequence[Item], layout: Layout, face: Face) -> GoodsFit:
    goods = face.goods
    assert goods is not None
    font = font_for(layout, "data")
    prepared = prepared_goods(layout, face)
    geom = prepared.geometry
    # the items' own texts were checked with the whole certificate (placement.check_certificate_glyphs)
    check_format_glyphs(prepared, font)
    _check_max_items(goods, len(items))
    cells = [item_cells(item, i + 1, goods, prepared.cells) for i, item in enumerate(items)]
    widths = [cg.width for cg in geom.columns]
    # each cell measured once; each size tried then only counts lines (no lines are built)
    measured = [[measure(font, cell[cg.column.source]) for cg in geom.columns] for cell in cells]
    tried: dict[float, tuple[int, int]] = {}  # size -> lines needed, lines that fit

    cells_and_widths = [list(zip(row, widths, strict=True)) for row in measured]
    upm = font.units_per_em

    def fits(size: float) -> bool:
        needed = 0
        for row in cells_and_widths:
            height = 1
            for m, w in row:
                if m.one_line * size / upm > w:  # more than one line: count them (else 0 or 1)
                    height = max(height, m.lines_at(font, size, w))
            needed += height
        tried[size] = (needed, capacity(goods, geom, font, size))
        return needed <= tried[size][1]

    def surely_fits() -> int:
        """The largest size whose box holds the lines the largest size needed: no item needs more
        lines at a smaller size, so it fits without counting (the search starts there)."""
        needed_at_largest = tried[whole[0]][0]
        return next(
            (n for n, size in enumerate(whole) if capacity(goods, geom, font, size) >= needed_at_largest),
            len(whole),
        )

    def result(size: float) -> GoodsFit:
        if size not in tried:  # known to fit, never counted
            fits(size)
        rows: list[dict[str, list[str]]] = [
            {
                cg.column.source: list(m.wrap(font, size, cg.width))
                for cg, m in zip(geom.columns, row, strict=True)
            }
            for row in measured
        ]
        return GoodsFit(size, rows, *tried[size])

    whole, cut = _sizes_whole_words_first(measured, goods, geom, font)
    found = largest_that_fits(whole, fits, surely_fits)
    if found is None:
        found = next((s for s in cut if fits(s)), None)
    if found is not None:
        return result(found)
    last = (cut or whole)[-1]  # the smallest size of the last kind tried: what the error reports
    if last not in tried:
        fits(last)
    raise _overflow(len(items), last, result(last).rows, *tried[last])


def _check_max_items(goods: Goods, count: int) -> None:
    """A form that takes at most so many items per certificate (EUR.1 CN: 50)."""
    if goods.max_items is not None and count > goods.max_items:
        raise GoodsOverflowError(
            f"box 8 (goods): {count} items, but this form takes at most {goods.max_items} "
            f"items per certificate; use --on-overflow split to spread them over several "
            f"certificates",
            items_that_fit=goods.max_items,
        )


def _overflow(
    count: int, size: float, rows: list[dict[str, list[str]]], needed: int, cap: int
) -> GoodsOverflowError:
    """What the error says at the smallest size tried: the item too long alone, or how many fit."""
    for i, row in enumerate(rows):
        if row_height(row) > cap:
            return GoodsOverflowError(
                f"items[{i}] (box 8): item {i + 1} alone needs {row_height(row)} lines at {size:g} pt, "
                f"more than the {cap} lines box 8 holds; shorten its description",
                items_that_fit=0,
            )
    fitting = _prefix_that_fits(rows, cap)
    return GoodsOverflowError(
        f"box 8 (goods): the {count} items need {needed} lines at {size:g} pt, but only {cap} "
        f"fit; the first {fitting} items fit. Shorten the descriptions or use --on-overflow split "
        f"to spread the items over several certificates",
        items_that_fit=fitting,
    )


def _sizes_whole_words_first(
    measured: Sequence[Sequence[Measured]], goods: Goods, geom: GoodsGeometry, font: FontMetrics
) -> tuple[list[float], list[float]]:
    """Sizes to try: those at which no word of any column has to be cut, then the others."""
    sizes = size_steps(goods.size, goods.min_size)

    # the widest word of each column: whether it fits is then one comparison per size
    widest = [
        (max((row[n].widest for row in measured), default=0), cg.width) for n, cg in enumerate(geom.columns)
    ]

    def whole(size: float) -> bool:
        return all(units * size / font.units_per_em <= width for units, width in widest)

    first = [s for s in sizes if whole(s)]
    return first, [s for s in sizes if s not in first]


def _prefix_that_fits(rows: Sequence[dict[str, list[str]]], cap: int) -> int:
    used = 0
    for i, row in enumerate(rows):
        used += row_height(row)
        if used > cap:
            return i
    return len(rows)


def fits_unsplit(items: Sequence[Item], layout: Layout, face: Face, glyphs_checked: bool = False) -> bool:
    """Whether the items fit one certificate as they are: a split asked for then changes nothing.

    Their glyphs are checked first, as :func:`split_items` does (``glyphs_checked``: the caller
    found every character of the whole certificate drawable, so there is nothing to name: asking
    for split then does the work not asking does); within :func:`fits_remembered` the fit made
    here is the one the placement uses.
    """
    if not glyphs_checked:
        check_item_glyphs(items, font_for(layout, "data"), prepared_goods(layout, face))
    try:
        fit_goods(items, layout, face)
    except GoodsOverflowError:
        return False
    return True


def split_items(
    items: Sequence[Item], layout: Layout, face: Face, glyphs_checked: bool = False
) -> list[list[Item]]:
    """Items packed into as few certificates as possible (at the minimum size).

    ``glyphs_checked``: as for :func:`fits_unsplit` (the layout's own goods texts are checked still).
    """
    goods = face.goods
    assert goods is not None
    font = font_for(layout, "data")
    prepared = prepared_goods(layout, face)
    geom = prepared.geometry
    if glyphs_checked:
        check_format_glyphs(prepared, font)
    else:
        check_item_glyphs(items, font, prepared)
    size = goods.min_size
    cap = capacity(goods, geom, font, size)
    limit = goods.max_items or len(items)
    chunks: list[list[Item]] = []
    current: list[Item] = []
    used = 0
    for i, item in enumerate(items):
        # numbering restarts on each certificate, so wrap with the number it will carry
        cells = item_cells(item, 1, goods, prepared.cells)
        # the lines wrap_rows would make, counted without making them (Measured.lines_at)
        height = max(
            1, *(measure(font, cells[cg.column.source]).lines_at(font, size, cg.width) for cg in geom.columns)
        )
        if height > cap:
            raise GoodsOverflowError(
                f"items[{i}] (box 8): item {i + 1} alone needs {height} lines at {size:g} pt, more "
                f"than the {cap} lines box 8 holds; shorten its description",
                items_that_fit=0,
            )
        if current and (used + height > cap or len(current) >= limit):
            chunks.append(current)
            current, used = [], 0
        current.append(item)
        used += height
    if current:
        chunks.append(current)
    return chunks


def _fill_blank_lines(
    used: int,
    height: int,
    left: float,
    right: float,
    top_baseline: float,
    size: float,
    lead: float,
    goods: Goods,
) -> list[Drawable]:
    """Rule off box 8 lines an item leaves empty (its mass wraps longer than its text).

    The notes forbid blank lines between items: a line with nothing in it is
    a place to add something later, so it is struck through like unused space.
    ``used``: the lines the item's box 8 text takes; ``height``: all its lines;
    ``left``, ``right``: the span of box 8's text columns (the prepared ``FillerSpan``).
    """
    lines: list[Drawable] = []
    for j in range(used, height):
        y = top_baseline - j * lead + size * 0.3
        lines.append(Line(left, y, right, y, goods.line_width_pt, box=goods.box, kind="filler"))
    return lines


def place_goods(items: Sequence[Item], layout: Layout, face: Face) -> list[Drawable]:
    """Item lines, the end mark and the strike-through, ready to draw."""
    goods = face.goods
    assert goods is not None
    fitted = fit_goods(items, layout, face)
    font = font_for(layout, "data")
    prepared = prepared_goods(layout, face)
    geom = prepared.geometry
    size, lead = fitted.size, fitted.size * goods.leading
    first_baseline = geom.top - size * font.ascent
    out: list[Drawable] = []
    line_index = 0
    whole_item = ("item_no", "text")  # columns whose runs belong to the item, not to one of its fields
    columns = [(cg, cg.column.source, cg.column.align, cg.column.source in whole_item) for cg in geom.columns]
    filler = prepared.filler
    for i, row in enumerate(fitted.rows):
        height = 1
        for cg, source, align, of_item in columns:
            field = f"items[{i}]" if of_item else f"items[{i}].{source}"
            lines = row[source]
            if len(lines) > height:
                height = len(lines)
            for j, text in enumerate(lines):
                x = cg.left  # left-aligned columns need no width
                if align != "left":
                    x = aligned_x(cg.left, cg.width, font.width(text, size), align)
                y = first_baseline - (line_index + j) * lead
                out.append(TextRun(text, x, y, font, size, cg.column.box, field))
        used = max([len(row[source]) for source in filler.sources])  # box 8's text lines of this item
        if used < height:
            top = first_baseline - line_index * lead
            out += _fill_blank_lines(used, height, filler.left, filler.right, top, size, lead, goods)
        line_index += height
    last_bottom = first_baseline - (line_index - 1) * lead - size * font.descent
    mark_y = last_bottom - MARK_GAP_PT
    width = goods.line_width_pt
    if goods.end_mark == "line":
        out.append(Line(geom.left, mark_y, geom.mark_right, mark_y, width, box=goods.box, kind="end_line"))
        strike_top = mark_y
    else:
        char = MARK_CHARS[goods.end_mark]
        count = int((geom.right - geom.left) // font.width(char, size))
        y = first_baseline - line_index * lead
        out.append(TextRun(char * count, geom.left, y, font, size, goods.box, "end_mark"))
        strike_top = y - size * font.descent - MARK_GAP_PT
    if goods.strike != "none" and strike_top - geom.bottom > 2.0:
        if goods.strike == "diagonal":
            out.append(
                Line(geom.left, strike_top, geom.right, geom.bottom, width, box=goods.box, kind="strike")
            )
        else:  # z: the end line is the Z's top stroke
            out.append(
                Line(geom.right, strike_top, geom.left, geom.bottom, width, box=goods.box, kind="strike")
            )
            out.append(
                Line(geom.left, geom.bottom, geom.right, geom.bottom, width, box=goods.box, kind="strike")
            )
    return out
