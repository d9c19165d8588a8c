"""Every built-in form filled with a realistic example and read back.

Each value must lie inside its box (rectangles from the layout), nothing may
be printed outside the boxes, and each form's own rules of presentation hold:
EUR-MED's box 7 statement, EUR.1 CN's goods columns, item limit and end marks.
"""

from __future__ import annotations

import copy
import json

import pytest

from eur1pdf import GoodsOverflowError, get_layout
from eur1pdf.layouts.geometry import PT_PER_MM, field_rect
from eur1pdf.rules import RuleViolation

from .conftest import ROOT, fill, inside, open_pdf, text_in

EXAMPLES = {
    "eur1": "eur1-ch-mx.json",
    "eur-med": "eur-med-ch-ma.json",
    "eur1-cn": "eur1-cn-ch-cn.json",
    "eur1-quad": "eur1-quad-ch-in.json",
    "eur1-tri": "eur1-tri-ch-uk.json",
    "eur-med-tri": "eur-med-tri-ch-tn.json",
}


def example_for(form: str) -> dict:
    return json.loads((ROOT / "examples" / EXAMPLES[form]).read_text(encoding="utf-8"))


def rect_pt(layout, number: str, face: str = "certificate"):
    x, y, w, h = layout.faces[face].boxes[number].rect
    return (x * PT_PER_MM, y * PT_PER_MM, (x + w) * PT_PER_MM, (y + h) * PT_PER_MM)


def serial_rect_pt(layout):
    (field,) = [f for f in layout.certificate_face.fields if f.source == "serial"]
    r = field_rect(layout, field, None, None)
    return (r.x * PT_PER_MM, r.y * PT_PER_MM, r.right * PT_PER_MM, r.bottom * PT_PER_MM)


@pytest.mark.parametrize("form", sorted(EXAMPLES))
def test_every_value_inside_its_box(form):
    layout = get_layout(form)
    data = example_for(form)
    assert data["form"] == form
    with open_pdf(fill(data, sheets=(1,), overlay_only=True, print_serial=True)) as pdf:
        page = pdf.pages[0]
        face = layout.certificate_face
        rects = [rect_pt(layout, n) for n in face.boxes] + [serial_rect_pt(layout)]
        outside = [c["text"] for c in page.chars if not any(inside(c, r) for r in rects)]
        assert outside == [], f"{form}: printed outside every box"

        def box(number: str) -> str:
            return text_in(page, rect_pt(layout, number))

        assert box("1").startswith(data["exporter"]["name"])
        assert box("2") == f"{data['trade']['from']} {data['trade']['to']}"
        assert box("3").startswith(data["consignee"]["name"])
        assert box("4") == data["origin"] and box("5") == data["destination"]
        assert box("6") == data["transport"]
        assert data["items"][0]["description"] in box("8")
        assert box("9").split(" kg")[0] == data["items"][0]["gross_mass"].split(" kg")[0]
        assert box("10") == " ".join(data["invoices"])
        assert box("12").startswith(f"{data['declaration']['place']}, ")
        assert text_in(page, serial_rect_pt(layout)) == data["serial"]


@pytest.mark.parametrize("form", sorted(EXAMPLES))
def test_whole_set_renders(form):
    layout = get_layout(form)
    with open_pdf(fill(example_for(form))) as pdf:
        assert len(pdf.pages) == len(layout.pages())
        assert all(p.extract_text().strip() for p in pdf.pages)


def test_eur_med_box7_cumulation_applied():
    layout = get_layout("eur-med")
    data = example_for("eur-med")
    with open_pdf(fill(data, sheets=(1,), overlay_only=True)) as pdf:
        page = pdf.pages[0]
        box7 = text_in(page, rect_pt(layout, "7"))
        marks = [w for w in page.extract_words() if w["text"] == "X"]
    # the countries on the dotted line of "Cumulation applied with" (not a statement above it)
    assert "EU, Norway" in box7 and box7.replace("EU, Norway", "").strip() == "X"
    (mark,) = marks
    applied, _none = (s for s in layout.certificate_face.boxes["7"].shapes if s.kind == "checkbox")
    y0 = (layout.certificate_face.boxes["7"].rect[1] + applied.y) * PT_PER_MM
    assert y0 - 1 < mark["top"] < y0 + applied.h * PT_PER_MM, "X in the 'cumulation applied' box"


def test_eur_med_box7_no_cumulation():
    layout = get_layout("eur-med")
    data = example_for("eur-med")
    data["cumulation"] = {"applied_with": []}
    data["remarks"] = []
    with open_pdf(fill(data, sheets=(1,), overlay_only=True)) as pdf:
        page = pdf.pages[0]
        box7 = text_in(page, rect_pt(layout, "7"))
        (mark,) = [w for w in page.extract_words() if w["text"] == "X"]
    assert box7 == "X", "the printed 'No cumulation applied' is marked, nothing else written"
    none = [s for s in layout.certificate_face.boxes["7"].shapes if s.kind == "checkbox"][1]
    y0 = (layout.certificate_face.boxes["7"].rect[1] + none.y) * PT_PER_MM
    assert y0 - 1 < mark["top"] < y0 + none.h * PT_PER_MM, "X in the 'no cumulation applied' box"


def cn_items(n: int) -> list[dict]:
    return [
        {
            "marks": f"SPM {i}",
            "packages": f"{i % 5 + 1} cartons",
            "description": "Ball bearings, steel, 40 mm",
            "hs_code": "848210",
            "origin_criterion": ("WO", "WP", "PSR")[i % 3],
            "gross_mass": f"{10 + i} kg",
        }
        for i in range(1, n + 1)
    ]


def column_rect(layout, source: str):
    face = layout.certificate_face
    (col,) = [c for c in face.goods.columns if c.source == source]
    bx, by, _bw, bh = face.boxes[col.box].rect
    return ((bx + col.x) * PT_PER_MM, by * PT_PER_MM, (bx + col.x + col.w) * PT_PER_MM, (by + bh) * PT_PER_MM)


def test_cn_columns_align_with_their_items_and_50_fit():
    layout = get_layout("eur1-cn")
    data = example_for("eur1-cn")
    data["items"] = cn_items(50)
    with open_pdf(fill(data, sheets=(1,), overlay_only=True)) as pdf:
        page = pdf.pages[0]
        words = page.extract_words()

        def in_column(source):
            r = column_rect(layout, source)
            return sorted((w for w in words if inside(w, r)), key=lambda w: w["top"])

        numbers, hs, criteria = in_column("item_no"), in_column("hs_code"), in_column("origin_criterion")
        sizes = {round(c["size"], 1) for c in page.chars if inside(c, rect_pt(layout, "8"))}
    assert [w["text"] for w in numbers] == [str(n) for n in range(1, 51)]
    assert [w["text"] for w in hs] == ["848210"] * 50
    assert [w["text"] for w in criteria] == [i["origin_criterion"] for i in cn_items(50)]
    for n, h, c in zip(numbers, hs, criteria, strict=True):
        assert abs(n["top"] - h["top"]) < 0.3 and abs(n["top"] - c["top"]) < 0.3
    assert min(sizes) >= 6.0, "50 items stay legible"


def test_cn_51_items_refused_or_split():
    data = example_for("eur1-cn")
    data["items"] = cn_items(51)
    with pytest.raises(RuleViolation, match=r"box8.max_items"):
        fill(data)
    data["agreement"] = "GENERAL"  # without the agreement's rule, the layout's own limit still holds
    with pytest.raises(GoodsOverflowError, match="at most 50 items"):
        fill(data)
    layout = get_layout("eur1-cn")
    with open_pdf(fill(data, sheets=(1,), overlay_only=True, on_overflow="split")) as pdf:
        counts = []
        for page in pdf.pages[::2]:
            r = column_rect(layout, "item_no")
            counts.append(len([w for w in page.extract_words() if inside(w, r)]))
    assert counts == [50, 1]


@pytest.mark.parametrize("mark, char", [("stars", "*"), ("backslashes", "\\"), ("line", None)])
def test_cn_end_marks_and_strike_through(mark, char):
    layout = get_layout("eur1-cn")
    data = example_for("eur1-cn")
    with open_pdf(fill(data, sheets=(1,), overlay_only=True, end_mark=mark)) as pdf:
        page = pdf.pages[0]
        x0, top, x1, bottom = rect_pt(layout, "8")
        in8 = [w for w in page.extract_words() if inside(w, (x0, top, x1, bottom))]
        last_item_bottom = max(w["bottom"] for w in in8 if w["text"] == "SPM" or w["text"].isdigit())
        lines = [ln for ln in page.lines if inside(ln, (x0, top, x1 + 100, bottom), tol=1)]
        horizontal = [ln for ln in lines if abs(ln["top"] - ln["bottom"]) < 0.01]
        diagonal = [ln for ln in lines if abs(ln["top"] - ln["bottom"]) > 20]
    if char:
        (run,) = [w for w in in8 if set(w["text"]) == {char}]
        assert len(run["text"]) > 50 and last_item_bottom < run["top"] < last_item_bottom + 12
        end = run["bottom"]
        assert not horizontal
    else:
        (line,) = horizontal
        assert last_item_bottom < line["top"] < last_item_bottom + 3
        end = line["top"]
    (strike,) = diagonal
    assert end - 0.5 < strike["top"] < end + 3 and strike["bottom"] <= bottom


def test_unknown_form_lists_the_known_ones():
    data = copy.deepcopy(example_for("eur1"))
    data["form"] = "eur2"
    with pytest.raises(Exception, match=r"unknown form 'eur2' \(known: eur-med, eur-med-tri, eur1, eur1-cn"):
        fill(data)


@pytest.mark.parametrize("form", sorted(EXAMPLES))
def test_overlay_only_is_the_data_of_the_full_output_at_the_same_place(form):
    data = example_for(form)
    with open_pdf(fill(data, overlay_only=True)) as overlay, open_pdf(fill(data)) as full:
        assert len(overlay.pages) == len(full.pages)
        for o, f in zip(overlay.pages, full.pages, strict=True):
            assert not o.rects and not o.curves, "no frames, no guilloche"
            assert all(abs(ln["top"] - ln["bottom"]) > 0.01 or ln["x1"] - ln["x0"] > 50 for ln in o.lines), (
                "only the goods end line / strike-through, no form lines"
            )
            full_chars = {(c["text"], round(c["x0"], 2), round(c["top"], 2)) for c in f.chars}
            for c in o.chars:
                assert (c["text"], round(c["x0"], 2), round(c["top"], 2)) in full_chars
