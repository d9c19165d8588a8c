"""End to end: fill real PDFs, read them back, check every value is in its box."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pikepdf
import pytest

from eur1pdf.layouts.geometry import PT_PER_MM

from .conftest import EXAMPLE, box_rect_pt, fill, inside, open_pdf, text_in

HEADER = (105 * PT_PER_MM, 10 * PT_PER_MM, 200 * PT_PER_MM, 28 * PT_PER_MM)

EXPECTED_BOXES = {
    "1": "Präzisionsteile Müller AG Industriestrasse 12 4051 Basel Switzerland",
    "3": "Importadora del Norte S.A. de C.V. Av. Reforma 100 06600 Ciudad de México Mexico",
    "4": "Switzerland",
    "5": "Mexico",
    "6": "Air freight ZRH-MEX, AWB 724-12345675",
    "9": "1250 kg 860 kg 412.5 kg",
    "10": "INV-2026-0815 of 20.11.2026",
    "12": "Basel, 22.11.2026 Anna Muster",
}


@pytest.fixture(scope="module")
def overlay(request):
    import json

    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return fill(data, overlay_only=True, print_serial=True)  # the stock's own number: asked for here


def test_every_value_lies_in_its_box(overlay, eur1):
    with open_pdf(overlay) as pdf:
        page = pdf.pages[0]
        for number, expected in EXPECTED_BOXES.items():
            assert text_in(page, box_rect_pt(eur1, number)) == expected, f"box {number}"
        box2 = text_in(page, box_rect_pt(eur1, "2"))
        assert box2 == "Switzerland Mexico"
        assert text_in(page, HEADER) == "A 123.456"
        box8 = text_in(page, box_rect_pt(eur1, "8"))
        assert box8.startswith("1 PM 1-10; 10 cartons; Ball bearings, steel, 40 mm; HS 8482 2 PM 11-12")


def test_no_data_outside_the_boxes(overlay, eur1):
    face = eur1.faces["certificate"]
    rects = [box_rect_pt(eur1, n) for n in face.boxes] + [HEADER]
    with open_pdf(overlay) as pdf:
        chars = pdf.pages[0].chars
        assert chars
        outside = [c["text"] for c in chars if not any(inside(c, r) for r in rects)]
        assert outside == []
        assert not [c for c in chars if inside(c, box_rect_pt(eur1, "11"))], "box 11 is for customs"


def test_values_keep_the_padding(overlay, eur1):
    pad = eur1.style.padding_mm * PT_PER_MM
    with open_pdf(overlay) as pdf:
        for word in pdf.pages[0].extract_words():
            for number in EXPECTED_BOXES:
                x0, top, x1, bottom = box_rect_pt(eur1, number)
                if inside(word, (x0, top, x1, bottom)):
                    assert word["x0"] >= x0 + pad - 0.01 and word["x1"] <= x1 - pad + 0.01


def item_numbers(page, eur1) -> list[dict]:
    x0, top, _, bottom = box_rect_pt(eur1, "8")
    column_right = x0 + 10 * PT_PER_MM
    return [w for w in page.extract_words() if w["x1"] <= column_right and top <= w["top"] <= bottom]


def test_items_are_numbered_in_order_with_mass_on_first_line(overlay, eur1):
    with open_pdf(overlay) as pdf:
        page = pdf.pages[0]
        numbers = item_numbers(page, eur1)
        assert [w["text"] for w in numbers] == ["1", "2", "3"]
        tops = [w["top"] for w in numbers]
        assert tops == sorted(tops)
        masses = [w for w in page.extract_words() if inside(w, box_rect_pt(eur1, "9")) and w["text"] == "kg"]
        for number, mass in zip(numbers, masses, strict=True):
            assert abs(number["top"] - mass["top"]) < 0.5


def test_no_blank_line_between_items(overlay, eur1):
    with open_pdf(overlay) as pdf:
        page = pdf.pages[0]
        x0, top, x1, bottom = box_rect_pt(eur1, "8")
        lines = sorted({round(w["top"], 1) for w in page.extract_words() if inside(w, (x0, top, x1, bottom))})
        gaps = {round(b - a, 1) for a, b in itertools.pairwise(lines)}
        assert len(gaps) == 1, f"uneven line spacing in box 8: {gaps}"


def test_end_line_and_strike_through(overlay, eur1):
    with open_pdf(overlay) as pdf:
        page = pdf.pages[0]
        x0, top, x1, bottom = box_rect_pt(eur1, "8")
        text_bottom = max(c["bottom"] for c in page.chars if inside(c, (x0, top, x1, bottom)))
        horizontal = [ln for ln in page.lines if abs(ln["top"] - ln["bottom"]) < 0.01]
        diagonal = [ln for ln in page.lines if abs(ln["top"] - ln["bottom"]) > 10]
        (end,) = horizontal
        assert text_bottom < end["top"] < text_bottom + 3, "the end line sits directly below the last item"
        assert end["top"] < bottom
        assert end["x0"] <= x0 + 5 and end["x1"] >= x1 - 5, "the end line spans box 8"
        (strike,) = diagonal
        assert abs(strike["top"] - end["top"]) < 0.5, "the strike-through starts at the end line"
        assert bottom - 6 < strike["bottom"] <= bottom, "and runs to the bottom of box 8"
        assert inside(strike, (x0, top, x1, bottom), tol=0.5)


def test_whole_set_and_single_sheet(example):
    with open_pdf(fill(example)) as pdf:
        assert len(pdf.pages) == 5
        texts = [p.extract_text() for p in pdf.pages]
    assert "MOVEMENT CERTIFICATE" in texts[0] and "Präzisionsteile Müller AG" in texts[0]
    assert "NOTES" in texts[1] and "REQUEST FOR VERIFICATION" in texts[1]
    assert "MOVEMENT CERTIFICATE – COPY" in texts[2] and "Präzisionsteile Müller AG" in texts[2]
    assert "APPLICATION FOR A MOVEMENT CERTIFICATE" in texts[3] and "Ball bearings" in texts[3]
    assert "SUBMIT the following supporting documents" in texts[4]
    with open_pdf(fill(example, sheets=(1,))) as pdf:
        assert len(pdf.pages) == 2
        assert "MOVEMENT CERTIFICATE" in pdf.pages[0].extract_text()


def test_application_uses_standard_wordings_when_null(example):
    with open_pdf(fill(example, sheets=(3,))) as pdf:
        text = pdf.pages[1].extract_text()
    assert "All criteria for establishing a proof of origin are met." in text
    assert "Supporting documents available at the exporter." in text
    assert "Basel, 22.11.2026" in text and "Anna Muster" in text
    example["application"] = {
        "circumstances": "Wholly manufactured in Basel from Swiss steel.",
        "supporting_documents": None,
    }
    with open_pdf(fill(example, sheets=(3,))) as pdf:
        text = pdf.pages[1].extract_text()
    assert "Wholly manufactured in Basel from Swiss steel." in text
    assert "Supporting documents available at the exporter." in text


def test_overlay_only_has_no_form(example, overlay):
    with open_pdf(overlay) as pdf:
        assert len(pdf.pages) == 5
        page = pdf.pages[0]
        assert "Exporter" not in page.extract_text()
        assert "MOVEMENT" not in page.extract_text()
        assert not page.rects and not page.curves
    with open_pdf(fill(example)) as pdf:
        assert pdf.pages[0].rects and pdf.pages[0].curves


def test_box7_statements(example, eur1):
    example["remarks"] = ["REVISED RULES", "duplicate"]
    example["duplicate"] = True
    example["retrospective"] = True
    example["application"] = {"pre_examination": {"office": "Basel"}}  # mandatory when retrospective
    with open_pdf(fill(example, sheets=(1,), overlay_only=True)) as pdf:
        text = text_in(pdf.pages[0], box_rect_pt(eur1, "7"))
    assert text == "DUPLICATE ISSUED RETROSPECTIVELY REVISED RULES"


def test_optional_fields_absent(example):
    for key in ("consignee", "transport", "serial", "declaration", "application"):
        example.pop(key)
    example["invoices"] = []
    with open_pdf(fill(example, sheets=(1,), overlay_only=True)) as pdf:
        text = pdf.pages[0].extract_text()
    assert "Präzisionsteile" in text and "Importadora" not in text


def test_same_input_same_bytes(example):
    assert fill(example) == fill(example)
    assert fill(example, overlay_only=True) == fill(example, overlay_only=True)


@pytest.mark.slow
def test_same_bytes_across_processes(tmp_path):
    outputs = []
    for n in range(2):
        out = tmp_path / f"{n}.pdf"
        subprocess.run(
            [sys.executable, "-m", "eur1pdf.cli", "fill", str(EXAMPLE), "-o", str(out)], check=True
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_document_dates_come_from_issue_date(example):
    example["issue_date"] = "2026-03-05"
    example["declaration"]["date"] = "2026-03-04"
    with pikepdf.open(__import__("io").BytesIO(fill(example))) as pdf:
        assert str(pdf.docinfo["/CreationDate"]) == "D:20260305000000Z"
        assert str(pdf.docinfo["/ModDate"]) == "D:20260305000000Z"
        assert "A 123.456" in str(pdf.docinfo["/Title"])


def test_fonts_are_embedded_subsets(example):
    import io

    with pikepdf.open(io.BytesIO(fill(example))) as pdf:
        names = set()
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                assert "/FontFile2" in obj, "font embedded"
                names.add(str(obj["/FontName"]))
    assert names and all("+" in n for n in names), names
