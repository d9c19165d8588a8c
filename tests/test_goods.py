"""Box 8: capacity, overflow errors that say how many items fit, and splitting."""

from __future__ import annotations

import pytest

from eur1pdf import GoodsOverflowError

from .conftest import box_rect_pt, fill, inside, open_pdf, text_in


def items(n: int, long: bool = False) -> list[dict]:
    text = "Hydraulic valve body, cast iron, machined, for excavators" + (
        ", with seals and mounting kit, tested to 350 bar, packed individually" if long else ""
    )
    return [
        {
            "marks": f"HV {i}",
            "packages": "1 box",
            "description": f"{text} #{i}",
            "hs_code": "8481",
            "gross_mass": f"{i} kg",
        }
        for i in range(1, n + 1)
    ]


def numbers_on(page, eur1) -> list[str]:
    x0, top, _, bottom = box_rect_pt(eur1, "8")
    right = x0 + 10 * 72 / 25.4
    return [w["text"] for w in page.extract_words() if w["x1"] <= right and top < w["top"] < bottom]


def test_overflow_error_says_how_many_fit(example, eur1):
    example["items"] = items(80, long=True)
    with pytest.raises(GoodsOverflowError) as info:
        fill(example)
    err = info.value
    message = str(err)
    assert message.startswith("box 8 (goods): the 80 items need")
    assert f"the first {err.items_that_fit} items fit" in message
    assert "--on-overflow split" in message
    # the number is true: that many fit, one more does not
    example["items"] = items(err.items_that_fit, long=True)
    fill(example, overlay_only=True)
    example["items"] = items(err.items_that_fit + 1, long=True)
    with pytest.raises(GoodsOverflowError):
        fill(example, overlay_only=True)


def test_text_shrinks_before_overflowing(example, eur1):
    example["items"] = items(30)
    with open_pdf(fill(example, sheets=(1,), overlay_only=True)) as pdf:
        page = pdf.pages[0]
        sizes = {round(c["size"], 1) for c in page.chars if inside(c, box_rect_pt(eur1, "8"))}
        assert numbers_on(page, eur1) == [str(n) for n in range(1, 31)]
    assert max(sizes) < eur1.faces["certificate"].goods.size
    assert min(sizes) >= eur1.faces["certificate"].goods.min_size


def test_split_makes_complete_certificates(example, eur1):
    example["items"] = items(80, long=True)
    pdf_bytes = fill(example, on_overflow="split", overlay_only=True, print_serial=True)
    with open_pdf(pdf_bytes) as pdf:
        assert len(pdf.pages) % 5 == 0
        sets = len(pdf.pages) // 5
        assert sets >= 2
        seen = []
        for s in range(sets):
            page = pdf.pages[s * 5]
            numbers = numbers_on(page, eur1)
            assert numbers == [str(n) for n in range(1, len(numbers) + 1)], "each certificate numbers from 1"
            seen += [w["text"].rstrip(";") for w in page.extract_words() if w["text"].startswith("#")]
            header = page.extract_text()
            assert f"A 123.456 ({s + 1}/{sets})" in header
            x0, top, x1, bottom = box_rect_pt(eur1, "8")
            horizontal = [ln for ln in page.lines if abs(ln["top"] - ln["bottom"]) < 0.01]
            assert any(x0 < ln["x0"] < x1 and top < ln["top"] < bottom for ln in horizontal), "end line"
            diagonal = [
                ln
                for ln in page.lines
                if abs(ln["top"] - ln["bottom"]) > 2 and inside(ln, (x0, top, x1, bottom), 0.5)
            ]
            last_page_of_split = s == sets - 1
            assert diagonal or not last_page_of_split, "the last part has room to strike through"
        assert seen == [f"#{n}" for n in range(1, 81)], "every item once, in order"


def test_split_when_it_fits_is_one_certificate(example):
    assert fill(example, on_overflow="split") == fill(example)


@pytest.mark.parametrize("count", [3, 80])  # fits one certificate / needs a split
@pytest.mark.parametrize("mode", ["error", "split"])
def test_a_missing_glyph_is_refused_naming_its_field_split_or_not(example, mode, count):
    """A render checks the whole certificate's glyphs once and, when all are drawable, a split
    asked for does not check the items' again: a character the font lacks is still refused,
    naming the field, whether split is asked for, needed or neither."""
    from eur1pdf import FillOptions, MissingGlyphError, render

    example["items"] = items(count)
    example["items"][1]["description"] = "Pumpe \u6cf5"  # a Chinese character LiberationSans lacks
    with pytest.raises(MissingGlyphError, match=r"^items\[1\]\.description \(box 8\): .*U\+6CF5"):
        render(example, FillOptions(on_overflow=mode))  # the box named with split asked too
    example["exporter"]["name"] = "\u6cf5 AG"  # two missing: the first in the certificate's order
    with pytest.raises(MissingGlyphError, match=r"^exporter\.name \(box 1\): .*U\+6CF5"):
        render(example, FillOptions(on_overflow=mode))
    example["items"][1]["description"] = "Pumpe"
    example["exporter"]["name"] = "\u6cf5 AG"
    with pytest.raises(MissingGlyphError, match=r"^exporter\.name \(box 1\): .*U\+6CF5"):
        render(example, FillOptions(on_overflow=mode))


def test_one_item_too_big_for_any_certificate(example):
    """Within the input limits every item fits the built-in forms; a layout with large goods type
    (a plug-in's, say) can still meet one that does not fit alone, and both modes say so."""
    from eur1pdf import FillOptions, get_layout, render

    layout = get_layout("eur1")
    face = layout.faces["certificate"]
    goods = face.goods.model_copy(update={"size": 40.0, "min_size": 40.0})
    large = layout.model_copy(
        update={"faces": {**layout.faces, "certificate": face.model_copy(update={"goods": goods})}}
    )
    example["items"] = [{"description": "word " * 99 + "word", "hs_code": "8481", "gross_mass": "1 kg"}]
    for mode in ("split", "error"):  # splitting cannot help: both say so
        with pytest.raises(GoodsOverflowError, match=r"items\[0\] \(box 8\): item 1 alone needs \d+ lines"):
            render(example, FillOptions(on_overflow=mode), layout=large)


def test_long_mass_wraps_in_box9_and_rows_stay_aligned(example, eur1):
    example["items"][0]["gross_mass"] = "1250 kg gross, 1180 kg net weight"
    with open_pdf(fill(example, sheets=(1,), overlay_only=True)) as pdf:
        page = pdf.pages[0]
        numbers = [w for w in page.extract_words() if w["text"] in {"1", "2", "3"} and w["x0"] < 60]
        box9 = [w for w in page.extract_words() if inside(w, box_rect_pt(eur1, "9"))]
        assert all(inside(w, box_rect_pt(eur1, "9")) for w in box9)
        second = next(n for n in numbers if n["text"] == "2")
        mass2 = next(w for w in box9 if w["text"] == "860")
        assert abs(second["top"] - mass2["top"]) < 0.5


def test_split_without_serial_still_marks_the_parts(example, eur1):
    example.pop("serial")
    example["items"] = items(80, long=True)
    pdf_bytes = fill(example, on_overflow="split", sheets=(1,), overlay_only=True, print_serial=True)
    with open_pdf(pdf_bytes) as pdf:
        header = (105 * 72 / 25.4, 10 * 72 / 25.4, 200 * 72 / 25.4, 28 * 72 / 25.4)
        marks = [text_in(p, header) for p in pdf.pages[::2]]
    assert marks[0].startswith("(1/") and marks[-1] == f"({len(marks)}/{len(marks)})"


def test_item_lines_left_empty_by_a_long_mass_are_ruled_off(example, eur1):
    example["items"][0]["gross_mass"] = "1250 kg gross, 1180 kg net, 3.4 m3"
    with open_pdf(fill(example, sheets=(1,), overlay_only=True)) as pdf:
        page = pdf.pages[0]
        x0, _, x1, _ = box_rect_pt(eur1, "8")
        words = page.extract_words()
        first = next(w for w in words if w["text"] == "1" and w["x0"] < x0 + 30)
        second = next(w for w in words if w["text"] == "2" and w["x0"] < x0 + 30)
        fillers = [
            ln
            for ln in page.lines
            if abs(ln["top"] - ln["bottom"]) < 0.01 and first["bottom"] < ln["top"] < second["top"]
        ]
    assert len(fillers) == 1, "the empty box 8 line between item 1 and item 2 is struck through"
    assert fillers[0]["x0"] > x0 and fillers[0]["x1"] < x1
    # it spans the description's column, where the line was left empty
    from eur1pdf.placement.goods import goods_geometry

    columns = goods_geometry(eur1, eur1.faces["certificate"]).columns
    text = next(c for c in columns if c.column.source == "text")
    assert fillers[0]["x0"] == pytest.approx(text.left, abs=0.01)
    assert fillers[0]["x1"] == pytest.approx(text.left + text.width, abs=0.01)


def test_no_break_space_keeps_words_together():
    from eur1pdf.placement.text import load_font, wrap

    font = load_font("LiberationSans-Regular")
    lines = wrap(font, "steel balls 40\u00a0mm 40\u00a0mm 40\u00a0mm 40\u00a0mm", 9, 45)
    assert all("40\u00a0mm" in line or "40" not in line for line in lines)


@pytest.mark.parametrize("count", [1, 12, 14, 16, 17, 20, 24, 27, 31, 36])
@pytest.mark.parametrize("long", [False, True])
def test_the_size_chosen_is_the_largest_at_which_the_items_fit(example, eur1, count, long):
    """Checked against wrapping every item at every size (the search itself counts lines and skips sizes)."""
    from eur1pdf.certificate.model import Certificate
    from eur1pdf.layouts.geometry import font_for
    from eur1pdf.placement.goods import capacity, fit_goods, goods_geometry, row_height, wrap_rows
    from eur1pdf.placement.text import size_steps

    example["items"] = items(count, long=long)
    cert = Certificate.model_validate(example)
    face = eur1.faces["certificate"]
    goods, font = face.goods, font_for(eur1, "data")
    geom = goods_geometry(eur1, face)

    def fits(size: float) -> bool:
        rows = wrap_rows(cert.items, goods, geom, font, size)
        return sum(map(row_height, rows)) <= capacity(goods, geom, font, size)

    fitting = [size for size in size_steps(goods.size, goods.min_size) if fits(size)]
    if not fitting:
        with pytest.raises(GoodsOverflowError):
            fit_goods(cert.items, eur1, face)
        return
    chosen = fit_goods(cert.items, eur1, face)
    assert chosen.size == fitting[0]
    assert chosen.lines == sum(map(row_height, chosen.rows)) <= chosen.capacity
