"""Prepared layouts: every figure derived from a layout alone, made once when it is loaded.

A certificate is placed on the same form over and over; what depends on the
form alone (box 8's geometry, which item parts go into which column, the span
of a filler line, each data field's rectangle, whether the form prints the
cumulation statement) is worked out once, here, when the layout is parsed, and
kept on the layout itself (``layout.prepared``), typed, so each stage reads it
instead of recomputing it or looking it up in a cache keyed by object identity.

Dependency direction: the layouts package sits below placement and artwork in
the flow, so this module computes only what the layout's own numbers (and
:mod:`eur1pdf.layouts.geometry`) give. What needs a later stage is *stored*
here but *made* by that stage, at first use, under a type the stage defines
(:meth:`PreparedLayout.derived`): the fitted texts of the data fields
(:class:`eur1pdf.placement.fields.FittedTexts`), the drawn blank and the
draft/final marks (:mod:`eur1pdf.artwork.blank`, :mod:`eur1pdf.artwork.marks`)
and the PDF writer's shared objects (:class:`eur1pdf.pdf.document.SharedTemplates`).
So importing a layout never imports placement or artwork, overlay-only output
never draws a blank, and the objects handed out are the same objects on every
call for the same layout (the PDF writer's template cache relies on that).

An end-mark variant (``--end-mark``) is a layout of its own, made and
prepared once per mark by :meth:`PreparedLayout.variant` and kept there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from eur1pdf.layouts.geometry import Rect, box_rect, field_rect, mm_to_pt
from eur1pdf.layouts.schema import Box, Face, FieldElement, Goods, GoodsColumn, Layout

Derived = TypeVar("Derived")


@dataclass(frozen=True)
class ColumnGeometry:
    column: GoodsColumn
    left: float  # pt
    width: float  # pt


@dataclass(frozen=True)
class GoodsGeometry:
    """The goods area in PDF points (origin bottom-left)."""

    top: float
    bottom: float
    left: float  # inner left edge of the goods box
    right: float  # inner right edge of the goods box
    mark_right: float  # the end line runs on through the columns' boxes (8 and 9)
    columns: tuple[ColumnGeometry, ...]


@dataclass(frozen=True)
class CellSources:
    """Where an item's parts go: joined into the ``text`` column, or each in a column of its own."""

    in_text: tuple[tuple[str, str | None], ...]  # (part, its format or None), in the layout's order
    own_columns: tuple[str, ...]  # parts with a column of their own (the value alone)


@dataclass(frozen=True)
class FillerSpan:
    """Box 8's text columns (not the item number) and the span a filler line covers, in pt.

    It depends on where the face's boxes are, not on the goods settings alone.
    """

    sources: tuple[str, ...]
    left: float
    right: float


@dataclass(eq=False)
class PreparedGoods:
    """A face's goods list, prepared: its settings, geometry, cell sources and filler span."""

    goods: Goods
    geometry: GoodsGeometry
    cells: CellSources
    filler: FillerSpan
    formats_checked: bool = False  # the layout's own goods texts passed the data font's glyph check


@dataclass(frozen=True, eq=False)
class PreparedField:
    """A data field and the rectangle it fills (absolute mm); hashed by identity, a memo key."""

    field: FieldElement
    box_number: str | None
    box: Box | None
    rect: Rect


@dataclass(frozen=True, eq=False)
class PreparedFace:
    """One face, prepared: its data fields in drawing order and its goods list (if any)."""

    name: str
    face: Face
    fields: tuple[PreparedField, ...]
    goods: PreparedGoods | None


@dataclass(eq=False)
class PreparedLayout:
    """A layout and everything derived from it alone (see the module docstring)."""

    layout: Layout
    faces: dict[str, PreparedFace]
    prints_cumulation: bool  # the form has box 7's cumulation statement (EUR-MED)
    _derived: dict[type, object] = field(default_factory=dict)
    _variants: dict[str, Layout] = field(default_factory=dict)

    def face_of(self, face: Face) -> PreparedFace:
        """The prepared data of one of this layout's faces (found by identity: a layout has few)."""
        for prepared in self.faces.values():
            if prepared.face is face:
                return prepared
        # a face that is not this layout's: prepared for the call alone, never kept
        return prepare_face(self.layout, "", face)

    def derived(self, kind: type[Derived], make: Callable[[], Derived]) -> Derived:
        """What a later stage derives from this layout alone, made by ``make`` at first use and kept
        under the stage's own type ``kind``: the same object on every call (threads included)."""
        found = self._derived.get(kind)
        if found is None:
            found = self._derived.setdefault(kind, make())
        return cast(Derived, found)

    def variant(self, end_mark: str) -> Layout:
        """This layout with box 8 closed by ``end_mark``: made and prepared once per mark, then kept.

        The layout itself when every goods list already ends that way.
        """
        found = self._variants.get(end_mark)
        if found is None:
            goods = [f.goods for f in self.layout.faces.values() if f.goods is not None]
            if all(g.end_mark == end_mark for g in goods):
                found = self.layout
            else:
                found = self.layout.with_end_mark(end_mark)
                prepare(found)
            self._variants[end_mark] = found
        return found


def prepare(layout: Layout) -> PreparedLayout:
    """Derive everything the layout alone gives and keep it on the layout (``layout.prepared``)."""
    prepared = PreparedLayout(
        layout=layout,
        faces={name: prepare_face(layout, name, face) for name, face in layout.faces.items()},
        prints_cumulation=prints_cumulation(layout),
    )
    layout.keep_prepared(prepared)
    return prepared


def prepare_face(layout: Layout, name: str, face: Face) -> PreparedFace:
    fields = [
        PreparedField(f, number, box, field_rect(layout, f, number, box))
        for number, box in face.boxes.items()
        for f in box.fields
    ]
    fields += [PreparedField(f, None, None, field_rect(layout, f, None, None)) for f in face.fields]
    if face.qr is not None:  # the verification link goes with its QR code
        fields.append(PreparedField(face.qr.link, None, None, field_rect(layout, face.qr.link, None, None)))
    goods = None
    if face.goods is not None:
        geometry = goods_geometry(layout, face, face.goods)
        goods = PreparedGoods(
            face.goods, geometry, cell_sources(face.goods), filler_span(face.goods, geometry)
        )
    return PreparedFace(name, face, tuple(fields), goods)


def goods_geometry(layout: Layout, face: Face, goods: Goods) -> GoodsGeometry:
    """The goods area of ``face`` in points."""
    page_h = layout.height_mm
    pad = layout.style.padding_mm
    main = box_rect(face.boxes[goods.box])
    cols = []
    for col in goods.columns:
        r = box_rect(face.boxes[col.box])
        cols.append(ColumnGeometry(col, mm_to_pt(r.x + col.x), mm_to_pt(col.w)))
    mark_right = max(mm_to_pt(box_rect(face.boxes[c.box]).right - pad) for c in goods.columns)
    return GoodsGeometry(
        top=mm_to_pt(page_h - (main.y + goods.top)),
        bottom=mm_to_pt(page_h - (main.bottom - pad)),
        left=mm_to_pt(main.x + pad),
        right=mm_to_pt(main.right - pad),
        mark_right=mark_right,
        columns=tuple(cols),
    )


def cell_sources(goods: Goods) -> CellSources:
    """The parts joined into ``text`` (each with its format, if any) and the columns that show
    one field alone."""
    own = {c.source for c in goods.columns}
    return CellSources(
        tuple((part, goods.part_formats.get(part)) for part in goods.text_parts if part not in own),
        tuple(sorted(own - {"item_no", "text"})),
    )


def filler_span(goods: Goods, geometry: GoodsGeometry) -> FillerSpan:
    """The text columns of the goods box (not the item number) and the span they cover."""
    text_columns = [
        cg for cg in geometry.columns if cg.column.box == goods.box and cg.column.source != "item_no"
    ]
    left = min(cg.left for cg in text_columns)
    right = max(cg.left + cg.width for cg in text_columns)
    return FillerSpan(tuple(cg.column.source for cg in text_columns), left, right)


def prints_cumulation(layout: Layout) -> bool:
    """A form has a cumulation statement when its layout has the check boxes for it."""
    return any(
        f.source.startswith("cumulation.")
        for face in layout.faces.values()
        for box in face.boxes.values()
        for f in box.fields
    )
