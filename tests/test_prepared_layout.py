"""The prepared layout: what is derived from a layout alone, made once, checked without rendering."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from eur1pdf.artwork.blank import DrawnBlank, drawn_blank
from eur1pdf.artwork.marks import draft_layer, final_layer
from eur1pdf.certificate.model import Certificate
from eur1pdf.layouts import BUILTIN_DIR, builtin_names, get_layout, load_layout_file
from eur1pdf.layouts.geometry import Rect, box_rect, label_block, mm_to_pt
from eur1pdf.layouts.prepared import CellSources
from eur1pdf.placement import fields as fields_module
from eur1pdf.placement.fields import FittedTexts, place_certificate

FORMS = ("eur-med", "eur-med-tri", "eur1", "eur1-cn", "eur1-quad", "eur1-tri")
GOODS_FACES = ("certificate", "copy", "application")

# (top, bottom, left, right, mark_right) in pt, and each column's (source, box, left, width) in pt
GEOMETRY = {
    "eur1": (
        (515.906, 233.858, 32.598, 386.929, 477.638),
        [
            ("item_no", "8", 32.598, 19.843),
            ("text", "8", 56.693, 330.236),
            ("gross_mass", "9", 395.433, 82.205),
        ],
    ),
    "eur-med": (
        (498.898, 233.858, 32.598, 386.929, 477.638),
        [
            ("item_no", "8", 32.598, 19.843),
            ("text", "8", 56.693, 330.236),
            ("gross_mass", "9", 395.433, 82.205),
        ],
    ),
    "eur1-quad": (
        (486.709, 237.543, 32.598, 375.591, 471.969),
        [
            ("item_no", "8", 32.598, 19.843),
            ("text", "8", 56.693, 318.898),
            ("gross_mass", "9", 384.094, 87.874),
        ],
    ),
    "eur1-cn": (
        (563.528, 205.512, 32.598, 420.945, 500.315),
        [
            ("item_no", "8", 32.598, 21.260),
            ("marks", "8", 59.528, 65.197),
            ("text", "8", 130.394, 184.252),
            ("hs_code", "8", 320.315, 45.354),
            ("origin_criterion", "8", 371.339, 49.606),
            ("gross_mass", "9", 429.449, 70.866),
        ],
    ),
}
# the Swiss national EUR.1 has the quadrilingual form's geometry (its base); the Swiss EUR-MED's box 7
# is taller, so its goods area starts lower
GEOMETRY["eur1-tri"] = GEOMETRY["eur1-quad"]
GEOMETRY["eur-med-tri"] = ((461.197, *GEOMETRY["eur1-quad"][0][1:]), GEOMETRY["eur1-quad"][1])
ALL_PARTS = (("marks", None), ("packages", None), ("description", None))
# no-break spaces: "HS" stays with its code
FORMATTED = (("hs_code", "HS\u00a0{}"), ("origin_criterion", "origin\u00a0criterion\u00a0{}"))
CELLS = {
    "eur1": CellSources((*ALL_PARTS, *FORMATTED), ("gross_mass",)),
    "eur-med": CellSources((*ALL_PARTS, *FORMATTED), ("gross_mass",)),
    "eur1-quad": CellSources((*ALL_PARTS, *FORMATTED), ("gross_mass",)),
    "eur1-tri": CellSources((*ALL_PARTS, *FORMATTED), ("gross_mass",)),
    "eur-med-tri": CellSources((*ALL_PARTS, *FORMATTED), ("gross_mass",)),
    "eur1-cn": CellSources(
        (("packages", None), ("description", None)), ("gross_mass", "hs_code", "marks", "origin_criterion")
    ),
}
# the filler line's text columns and its span (pt)
FILLER = {
    "eur1": (("text",), 56.693, 386.929),
    "eur-med": (("text",), 56.693, 386.929),
    "eur1-quad": (("text",), 56.693, 375.591),
    "eur1-tri": (("text",), 56.693, 375.591),
    "eur-med-tri": (("text",), 56.693, 375.591),
    "eur1-cn": (("marks", "text", "hs_code", "origin_criterion"), 59.528, 420.945),
}


def test_the_built_in_layouts_are_those_tested():
    assert tuple(builtin_names()) == FORMS


@pytest.mark.parametrize("form", FORMS)
def test_goods_geometry(form):
    (top, bottom, left, right, mark_right), columns = GEOMETRY[form]
    prepared = get_layout(form).prepared
    for face in GOODS_FACES:
        goods = prepared.faces[face].goods
        assert goods is not None
        geometry = goods.geometry
        got = (geometry.top, geometry.bottom, geometry.left, geometry.right, geometry.mark_right)
        assert got == pytest.approx((top, bottom, left, right, mark_right), abs=1e-3)
        assert [(c.column.source, c.column.box) for c in geometry.columns] == [c[:2] for c in columns]
        got_columns = [n for c in geometry.columns for n in (c.left, c.width)]
        assert got_columns == pytest.approx([n for c in columns for n in c[2:]], abs=1e-3)


@pytest.mark.parametrize("form", FORMS)
def test_goods_geometry_follows_the_boxes(form):
    """The same numbers from the layout file's millimetres: the goods box less its padding."""
    layout = get_layout(form)
    face = layout.certificate_face
    assert face.goods is not None
    box = box_rect(face.boxes[face.goods.box])
    pad = layout.style.padding_mm
    geometry = layout.prepared.face_of(face).goods.geometry  # type: ignore[union-attr]
    assert geometry.left == pytest.approx(mm_to_pt(box.x + pad))
    assert geometry.right == pytest.approx(mm_to_pt(box.right - pad))
    assert geometry.top == pytest.approx(mm_to_pt(layout.height_mm - box.y - face.goods.top))
    assert geometry.bottom == pytest.approx(mm_to_pt(layout.height_mm - box.bottom + pad))


@pytest.mark.parametrize("form", FORMS)
def test_cell_sources_and_filler_span(form):
    prepared = get_layout(form).prepared
    sources, left, right = FILLER[form]
    for face in GOODS_FACES:
        goods = prepared.faces[face].goods
        assert goods is not None
        assert goods.cells == CELLS[form]
        assert goods.filler.sources == sources
        assert (goods.filler.left, goods.filler.right) == pytest.approx((left, right), abs=1e-3)


@pytest.mark.parametrize("form", FORMS)
def test_faces_without_goods_have_no_goods_data(form):
    prepared = get_layout(form).prepared
    assert [name for name, face in prepared.faces.items() if face.goods is None] == [
        "certificate_reverse",
        "application_reverse",
    ]


@pytest.mark.parametrize("form", FORMS)
def test_field_rectangles_lie_in_their_boxes_below_the_labels(form):
    layout = get_layout(form)
    page = Rect(0.0, 0.0, layout.width_mm, layout.height_mm)
    for name, face in layout.faces.items():
        prepared = layout.prepared.faces[name]
        expected = [(f.source, n) for n, b in face.boxes.items() for f in b.fields]
        expected += [(f.source, None) for f in face.fields]
        expected += [("verification.link", None)] if face.qr is not None else []  # with its QR code
        assert [(p.field.source, p.box_number) for p in prepared.fields] == expected
        for field in prepared.fields:
            assert field.rect.w > 0 and field.rect.h > 0
            if field.box_number is None:
                assert page.contains(field.rect), (name, field.field.source)
                continue
            assert field.box is not None
            assert box_rect(field.box).contains(field.rect), (name, field.box_number, field.field.source)
            label_bottom = label_block(layout, field.box_number, field.box).bottom_mm
            assert field.rect.y >= label_bottom - 1e-6, (name, field.box_number, field.field.source)


def test_only_eur_med_prints_the_cumulation_statement():
    assert {form: get_layout(form).prepared.prints_cumulation for form in FORMS} == {
        "eur-med": True,
        "eur-med-tri": True,
        "eur1": False,
        "eur1-cn": False,
        "eur1-quad": False,
        "eur1-tri": False,
    }
    box7 = get_layout("eur-med").certificate_face.boxes["7"]
    assert {f.source for f in box7.fields} >= {"cumulation.applied_mark", "cumulation.none_mark"}


def test_end_mark_variants_are_prepared_once_and_distinct():
    layout = load_layout_file(BUILTIN_DIR / "eur1.toml")
    prepared = layout.prepared
    stars, backslashes = prepared.variant("stars"), prepared.variant("backslashes")
    assert prepared.variant("stars") is stars and prepared.variant("backslashes") is backslashes
    assert stars is not backslashes and layout not in (stars, backslashes)
    assert prepared.variant("line") is layout  # eur1 already ends its goods with a line
    for variant, mark in ((stars, "stars"), (backslashes, "backslashes")):
        assert variant.prepared.layout is variant
        assert variant.prepared is variant.prepared
        marks = {face.goods.end_mark for face in variant.faces.values() if face.goods is not None}
        assert marks == {mark}
        assert variant.prepared.faces["certificate"].goods.geometry == (  # type: ignore[union-attr]
            prepared.faces["certificate"].goods.geometry  # type: ignore[union-attr]
        )
    assert {face.goods.end_mark for face in layout.faces.values() if face.goods is not None} == {"line"}


def test_blank_and_marks_are_drawn_once_at_first_use():
    layout = load_layout_file(BUILTIN_DIR / "eur1.toml")
    prepared = layout.prepared
    assert prepared._derived == {}, "nothing is drawn before it is needed (overlay-only never draws)"
    blank = drawn_blank(layout)
    assert drawn_blank(layout) is blank and set(prepared._derived) == {DrawnBlank}
    assert len(blank) == len(layout.pages())
    draft = draft_layer(layout)
    assert draft_layer(layout) is draft
    pages, first = final_layer(layout, [1, 2, 3])
    again, second = final_layer(layout, [2])
    assert again is pages and first[1:2] == second
    stars = prepared.variant("stars")
    assert drawn_blank(stars) is drawn_blank(stars) and drawn_blank(stars) is not blank


def test_fitted_texts_are_kept_with_the_prepared_layout(example, monkeypatch):
    layout = load_layout_file(BUILTIN_DIR / "eur1.toml")
    cert = Certificate.model_validate(example)
    first = place_certificate(cert, layout, [1])
    kept_texts = layout.prepared.derived(FittedTexts, FittedTexts)
    fitted = dict(kept_texts)
    assert fitted, "the certificate's fields were fitted and kept"
    again = place_certificate(cert, layout, [1])
    assert kept_texts == fitted
    kept = {id(run) for page in first for run in page.runs}  # the runs of the fields: the same objects
    fields = [run for page in again for run in page.runs if run.field and not run.field.startswith("items")]
    assert fields and all(id(run) in kept for run in fields if run.field != "end_mark")
    monkeypatch.setattr(fields_module, "FITTED_MAX_ENTRIES", len(fitted))
    kept_texts.remember((layout.prepared.faces["certificate"].fields[0], ("x",)), ())
    assert len(kept_texts) == 1, "the memo is bounded: full, it starts again"


def _shifted_eur1(folder: Path, name: str, box8_x: float) -> Path:
    """eur1 with box 8 starting ``box8_x`` mm from the page's edge (and as much narrower): the same
    goods settings, another place for them."""
    path = folder / f"{name}.toml"
    width = 138.0 - box8_x
    path.write_text(
        f'base = "eur1"\nname = "{name}"\n\n'
        f"[faces.certificate.boxes.8]\nrect = [{box8_x}, 108.0, {width}, 108.0]\n",
        encoding="utf-8",
    )
    return path


def test_user_layouts_each_get_their_own_prepared_data(tmp_path):
    """Layouts with equal goods settings but boxes elsewhere get their own spans (a cache keyed by
    the goods settings once gave the second the first one's filler line)."""
    near, far = _shifted_eur1(tmp_path, "near", 10.0), _shifted_eur1(tmp_path, "far", 11.0)
    a, b = load_layout_file(near), load_layout_file(far)
    assert a.certificate_face.goods == b.certificate_face.goods
    span_a = a.prepared.faces["certificate"].goods.filler  # type: ignore[union-attr]
    span_b = b.prepared.faces["certificate"].goods.filler  # type: ignore[union-attr]
    assert span_b.left == pytest.approx(span_a.left + mm_to_pt(1.0))
    assert span_b.right == pytest.approx(span_a.right + mm_to_pt(1.0))
    again = load_layout_file(near)
    assert again.prepared is not a.prepared and again.prepared.layout is again
    assert again.prepared.faces["certificate"].goods.filler == span_a  # type: ignore[union-attr]


def test_a_changed_copy_is_prepared_for_itself():
    """A copy carries its original's private data; the prepared data of another object is not used."""
    layout = get_layout("eur1")
    face = layout.certificate_face
    assert face.goods is not None
    lower = face.model_copy(update={"goods": face.goods.model_copy(update={"top": 20.0})})
    copy = layout.model_copy(update={"faces": {**layout.faces, "certificate": lower}})
    assert copy.prepared is not layout.prepared and copy.prepared.layout is copy
    top = copy.prepared.face_of(lower).goods.geometry.top  # type: ignore[union-attr]
    assert top == pytest.approx(layout.prepared.faces["certificate"].goods.geometry.top - mm_to_pt(13.0))  # type: ignore[union-attr]


def test_a_pickled_layout_leaves_its_prepared_data_behind():
    layout = get_layout("eur1")
    drawn_blank(layout)
    state = pickle.dumps(layout)
    assert len(state) < 100_000, "no drawn pages or fonts in the pickle"
    copy = pickle.loads(state)
    assert copy == layout
    assert copy.prepared is not layout.prepared and copy.prepared.layout is copy
    assert copy.prepared._derived == {}
    assert DrawnBlank in layout.prepared._derived, "pickling leaves the original's prepared data alone"


def test_prepared_data_takes_no_part_in_equality():
    """Two loads of one file are equal layouts, each with its own prepared data."""
    a, b = load_layout_file(BUILTIN_DIR / "eur1.toml"), load_layout_file(BUILTIN_DIR / "eur1.toml")
    assert a.prepared is not b.prepared
    assert a == b == get_layout("eur1")
    assert a != get_layout("eur1").prepared.variant("stars")
