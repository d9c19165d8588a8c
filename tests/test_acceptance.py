"""What a customs officer, a chamber clerk and a print shop check (issue 19), read back from the PDFs.

Positions come from pdfplumber (text, lines) and, for the QR code, from a
pypdfium2 render read by zxing-cpp; the boxes from the layouts that draw the
blanks (tests/test_blank.py keeps the committed blanks equal to them).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import tomllib

import pdfplumber
import pypdfium2
import pytest
import zxingcpp

from eur1pdf import FillOptions, get_layout, render
from eur1pdf.certificate.model import certificate_from_data
from eur1pdf.errors import FitError, LayoutError
from eur1pdf.layouts.geometry import PT_PER_MM
from eur1pdf.layouts.registry import BUILTIN_DIR, parse_layout, read_raw
from eur1pdf.options import OptionsError
from eur1pdf.rules import validate as validate_certificate
from eur1pdf.rules.agreements import agreements
from tests.conftest import ROOT

FORMS = ["eur1", "eur-med", "eur1-cn", "eur1-quad"]
EXAMPLES = {
    "eur1": "eur1-ch-mx-final.json",
    "eur-med": "eur-med-ch-ma.json",
    "eur1-cn": "eur1-cn-ch-cn.json",
    "eur1-quad": "eur1-quad-ch-in.json",
}
URL = "https://verify.example.org/eur1/{serial}?d={digest}"
ENDORSEMENT = {
    "office": "Basel-Freilager",
    "date": "2026-11-22",
    "reference": "26CH-0815-4711",
    "export_document": "EX-A 26CH000123456789",
}
DPI = 300


def validate(data: dict) -> list:
    return validate_certificate(certificate_from_data(copy.deepcopy(data)))


def example_of(form: str) -> dict:
    data = json.loads((ROOT / "examples" / EXAMPLES[form]).read_text(encoding="utf-8"))
    data["endorsement"] = ENDORSEMENT
    return data


def final(form: str, **options) -> bytes:
    return render(example_of(form), FillOptions(final=True, verify_url=URL, **options))


def rect_mm(form: str, number: str, face: str = "certificate") -> tuple[float, float, float, float]:
    """(x0, top, x1, bottom) in mm from the page's top-left."""
    x, y, w, h = get_layout(form).faces[face].boxes[number].rect
    return (x, y, x + w, y + h)


def intersects(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def qr_codes_mm(pdf: bytes, page: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each QR code on the page: its text and its square (mm, top-left origin), from a 300 dpi render."""
    image = pypdfium2.PdfDocument(pdf)[page].render(scale=DPI / 72).to_pil()
    found = []
    for code in zxingcpp.read_barcodes(image):
        if code.format != zxingcpp.BarcodeFormat.QRCode:
            continue
        p = code.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
        k = 25.4 / DPI
        found.append((code.text, (min(xs) * k, min(ys) * k, max(xs) * k, max(ys) * k)))
    return found


def words_mm(pdf: bytes, page: int) -> list[dict]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        words = doc.pages[page].extract_words(keep_blank_chars=False, extra_attrs=["size"])
    for w in words:
        w["mm"] = tuple(v / PT_PER_MM for v in (w["x0"], w["top"], w["x1"], w["bottom"]))
    return words


def page_text(pdf: bytes, page: int) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return doc.pages[page].extract_text() or ""


def watermark(pdf: bytes, page: int) -> str:
    """The large turned letters of the page (ORIGINAL, COPY), in drawing order."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "".join(c["text"] for c in doc.pages[page].chars if c["size"] > 40)


# ------------------------------------------------------------------ 1: box 11 is the customs' box


@pytest.mark.slow  # 300 dpi renders of every form
@pytest.mark.parametrize("form", FORMS)
def test_the_qr_code_and_its_link_lie_outside_boxes_11_and_12(form: str) -> None:
    pdf = final(form)
    for page in (0, 2):  # the certificate and its copy
        codes = qr_codes_mm(pdf, page)
        assert len(codes) == 1, f"{form} page {page + 1}: {codes}"
        text, square = codes[0]
        assert text.startswith("https://verify.example.org/eur1/")
        for number in ("11", "12"):
            assert not intersects(square, rect_mm(form, number)), f"{form}: the QR code is in box {number}"
        link = [w for w in words_mm(pdf, page) if w["text"].startswith("https://verify")]
        assert len(link) == 1, "the link is printed on one line"
        assert link[0]["text"] == text, "the printed link is the encoded one"
        assert link[0]["size"] >= 6.0, "the link is printed at a readable size"
        for number in ("11", "12"):
            assert not intersects(link[0]["mm"], rect_mm(form, number)), (
                f"{form}: the link is in box {number}"
            )


@pytest.mark.parametrize("form", FORMS)
def test_sheet_3_has_no_qr_code_nor_link(form: str) -> None:
    pdf = final(form)
    assert qr_codes_mm(pdf, 4) == []
    assert "verify.example.org" not in page_text(pdf, 4)


@pytest.mark.parametrize("form", FORMS)
def test_nothing_printed_covers_the_stamp_label_or_circle(form: str) -> None:
    """Overlay-only with everything asked for: every character on the page is data."""
    pdf = final(form, overlay_only=True, print_serial=True, print_marks=True)
    box = get_layout(form).faces["certificate"].boxes["11"]
    circle = next(s for s in box.shapes if s.kind == "circle")
    x, y = box.rect[0] + circle.x, box.rect[1] + circle.y
    stamp_area = (x - circle.r, y - circle.r, x + circle.r, y + circle.r)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        chars = [c for c in doc.pages[0].chars if c["text"].strip() and c["size"] < 20]  # not ORIGINAL
    covering = [
        c["text"]
        for c in chars
        if intersects(tuple(v / PT_PER_MM for v in (c["x0"], c["top"], c["x1"], c["bottom"])), stamp_area)
    ]
    assert covering == []
    for _, square in qr_codes_mm(pdf, 0):
        assert not intersects(square, stamp_area)


@pytest.mark.parametrize("form", FORMS)
def test_the_endorsement_is_written_on_box_11s_own_lines(form: str) -> None:
    words = words_mm(final(form), 0)
    box11 = rect_mm(form, "11")

    def at(text: str) -> dict:
        found = [w for w in words if w["text"] == text and intersects(w["mm"], box11)]
        assert len(found) == 1, f"{form}: {text!r} in box 11: {found}"
        return found[0]

    def same_line(label: str, value: str) -> None:
        label_word, value_word = at(label), at(value)
        assert abs(label_word["bottom"] - value_word["bottom"]) < 2.5, f"{value} on the line of {label}"
        assert value_word["x0"] > label_word["x1"], f"{value} after {label}"

    same_line("Form", "EX-A")
    same_line("No", "26CH000123456789")
    same_line("office", "Basel-Freilager")
    same_line("territory", "Switzerland")
    assert at("ELECTRONICALLY")
    assert at("26CH-0815-4711")


def _layout_with(form: str, change) -> None:
    raw = read_raw(BUILTIN_DIR / f"{form}.toml")
    change(raw["faces"]["certificate"])
    parse_layout(raw, "plugin.toml")


def test_a_layout_with_the_qr_code_in_box_11_is_refused() -> None:
    def into_box_11(face: dict) -> None:
        face["qr"] = {**face["qr"], "x": 68.0, "y": 251.0, "size": 26.0}

    with pytest.raises(LayoutError, match="the QR code overlaps box 11"):
        _layout_with("eur1", into_box_11)


def test_a_layout_with_the_link_in_box_12_is_refused() -> None:
    def into_box_12(face: dict) -> None:
        face["qr"] = {**face["qr"], "link": {**face["qr"]["link"], "x": 110.0, "y": 270.0, "w": 80.0}}

    with pytest.raises(LayoutError, match=r"the verification link \(qr.link\) overlaps box 12"):
        _layout_with("eur1-cn", into_box_12)


def test_a_layout_with_the_link_as_a_field_of_box_11_is_refused() -> None:
    def link_in_box_11(face: dict) -> None:
        face["boxes"]["11"]["fields"] = [
            {"source": "verification.link", "x": 58.0, "y": 61.2, "w": 35.0, "h": 5.6}
        ]

    with pytest.raises(LayoutError, match=r"box 11: field verification\.link"):
        _layout_with("eur1", link_in_box_11)


def test_a_link_too_long_for_its_line_says_to_shorten_the_template() -> None:
    data = example_of("eur1")
    template = "https://verification.customs.example.org/" + "very-long-path/" * 6 + "{serial}?d={digest}"
    with pytest.raises(FitError, match="shorten the verify_url template"):
        render(data, FillOptions(final=True, verify_url=template))


# ------------------------------------------------------------------ 3: overlay-only onto stock


def test_overlay_only_prints_no_serial_nor_marks_unless_asked() -> None:
    pdf = final("eur1", overlay_only=True)
    text = page_text(pdf, 0)
    assert "A 123.456" not in text, "the stock has its own number"
    assert watermark(pdf, 0) == "" and "VALIDATED" not in text and "Basel-Freilager" not in text
    assert qr_codes_mm(pdf, 0) == []
    assert "Präzisionsteile Müller AG" in text, "what a clerk types is printed"

    asked = final("eur1", overlay_only=True, print_serial=True, print_marks=True)
    text = page_text(asked, 0)
    assert "A 123.456" in text and watermark(asked, 0) == "ORIGINAL" and "VALIDATED" in text
    assert len(qr_codes_mm(asked, 0)) == 1


def test_a_form_printed_whole_keeps_its_serial_and_marks() -> None:
    pdf = final("eur1")
    text = page_text(pdf, 0)
    assert "A 123.456" in text and watermark(pdf, 0) == "ORIGINAL" and "VALIDATED" in text


def test_print_marks_is_for_finals_only() -> None:
    with pytest.raises(OptionsError) as exc:
        FillOptions(print_marks=True)
    assert exc.value.option == "print_marks"


def test_the_command_line_maps_the_options_to_its_flags() -> None:
    from eur1pdf.cli import OPTION_FLAGS

    assert OPTION_FLAGS["print_serial"] == "--print-serial"
    assert OPTION_FLAGS["print_marks"] == "--print-marks"


# ------------------------------------------------------------------ 4, 5: EUR-MED box 7


def test_eur_med_countries_are_on_the_dotted_line() -> None:
    words = words_mm(render(example_of("eur-med"), FillOptions()), 0)
    box7 = rect_mm("eur-med", "7")
    in7 = [w for w in words if intersects(w["mm"], box7)]
    with_word = next(w for w in in7 if w["text"] == "with")
    norway = next(w for w in in7 if w["text"] == "Norway")
    assert abs(norway["bottom"] - with_word["bottom"]) < 2.5, "on the line of 'Cumulation applied with'"
    assert norway["x0"] > with_word["x1"]
    assert not any(w["text"].casefold() == "cumulation" and w["size"] > 7 for w in in7), "no statement above"


def test_revised_rules_after_2025_is_warned_and_the_example_has_none() -> None:
    data = example_of("eur-med")
    assert "REVISED RULES" not in data["remarks"]
    assert not [f for f in validate(data) if f.code == "box7.statement_expired"]
    data["remarks"] = ["REVISED RULES"]
    found = [f for f in validate(data) if f.code == "box7.statement_expired"]
    assert [(f.severity, f.box, f.field) for f in found] == [("warning", "7", "remarks")]
    assert "31.12.2025" in found[0].message
    data["issue_date"] = data["declaration"]["date"] = "2025-11-20"
    del data["endorsement"]
    assert not [f for f in validate(data) if f.code == "box7.statement_expired"]


# ------------------------------------------------------------------ 6: HS and its code together


@pytest.mark.parametrize("padding", range(0, 40, 3))
def test_hs_and_origin_criterion_stay_with_their_codes(padding: int) -> None:
    data = example_of("eur1-quad")
    for item in data["items"]:
        item["description"] = item["description"] + " x" * padding
    pdf = render(data, FillOptions())
    box8 = rect_mm("eur1-quad", "8")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        lines = [
            line["text"]
            for line in doc.pages[0].extract_text_lines()
            if intersects(
                tuple(v / PT_PER_MM for v in (line["x0"], line["top"], line["x1"], line["bottom"])), box8
            )
        ]
    for line in lines:
        words = line.replace("\u00a0", " ").split()
        assert words[-1] not in ("HS", "origin", "criterion"), line
        assert not (words[-1] == "criterion" or (len(words) > 1 and words[-2:] == ["origin", "criterion"])), (
            line
        )


# ------------------------------------------------------------------ 7: ORIGINAL / COPY on paper


@pytest.mark.parametrize(("page", "word"), [(0, "ORIGINAL"), (2, "COPY")])
def test_the_final_mark_shows_in_a_300_dpi_greyscale_render(page: int, word: str) -> None:
    marked = final("eur1", overlay_only=True, print_marks=True, print_serial=True)
    plain = final("eur1", overlay_only=True, print_marks=False, print_serial=True)
    grey = [
        pypdfium2.PdfDocument(p)[page].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
        for p in (marked, plain)
    ]
    mark_pixels = [
        a for a, b in zip(grey[0].tobytes(), grey[1].tobytes(), strict=True) if a != b and b == 255
    ]
    assert len(mark_pixels) > 100_000, f"{word}: the mark covers a large area"
    mark_pixels.sort()
    median = mark_pixels[len(mark_pixels) // 2]
    assert median <= 225, f"{word}: {median} of 255 where the paper is 255: too light to print"


# ------------------------------------------------------------------ 8: box 10


@pytest.mark.parametrize("form", FORMS)
def test_invoices_are_separated_by_a_rule(form: str) -> None:
    data = example_of(form)
    data["invoices"] = ["INV-2026-0815 of 20.11.2026", "INV-2026-0816 of 21.11.2026"]
    pdf = render(data, FillOptions(overlay_only=True))
    box10 = rect_mm(form, "10")
    words = [w for w in words_mm(pdf, 0) if intersects(w["mm"], box10)]
    first_end = max(w["bottom"] for w in words if "20.11.2026" in w["text"])
    second = min(w["top"] for w in words if w["text"].startswith("INV-2026-0816"))
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        rules = [
            line
            for line in doc.pages[0].lines
            if abs(line["top"] - line["bottom"]) < 0.1
            and box10[0] * PT_PER_MM <= line["x0"] < box10[2] * PT_PER_MM
        ]
    between = [line for line in rules if first_end <= line["top"] <= second]
    assert len(between) == 1, f"{form}: one rule between the invoices, got {between}"


# ------------------------------------------------------------------ 9, 10, 11: the printed forms


def test_quadrilingual_german_says_ausfuehrer_everywhere() -> None:
    layout = get_layout("eur1-quad")
    texts = json.dumps(layout.model_dump(mode="json"), ensure_ascii=False)
    assert "Exporteur" not in texts
    assert layout.faces["certificate"].boxes["1"].label.startswith("Ausführer (")
    blank = (ROOT / "blank_forms" / "eur1-quad.pdf").read_bytes()
    assert "Ausführer (Name" in page_text(blank, 0).replace("\n", " ")


@pytest.mark.parametrize("form", FORMS)
def test_sheet_3_does_not_send_to_notes_overleaf(form: str) -> None:
    blank = (ROOT / "blank_forms" / f"{form}.pdf").read_bytes()
    front = page_text(blank, 3).replace("\n", " ")
    assert "See notes overleaf" not in front
    assert "sheet 1" in front


def test_eur1_cn_notes_explain_every_origin_criterion_code() -> None:
    blank = (ROOT / "blank_forms" / "eur1-cn.pdf").read_bytes()
    notes = page_text(blank, 1).replace("\n", " ")
    assert "Origin criterion" in notes
    for code in agreements()["CH-CN"].origin_criteria:
        assert f'"{code}"' in notes, code


@pytest.mark.parametrize("form", FORMS)
def test_boxes_3_and_6_meet_in_the_left_column(form: str) -> None:
    for face in ("certificate", "copy", "application"):
        assert rect_mm(form, "3", face)[3] == pytest.approx(rect_mm(form, "6", face)[1]), (form, face)


def test_the_agreements_table_is_what_the_cn_note_names() -> None:
    """The note's codes are the table's (agreements.toml); a change there needs the note changed."""
    with open(ROOT / "eur1pdf" / "rules" / "data" / "agreements.toml", "rb") as fh:
        assert tomllib.load(fh)["CH-CN"]["origin_criteria"] == ["WO", "WP", "PSR"]


def test_endorsement_date_is_after_the_declaration_in_the_examples() -> None:
    """The examples used above are valid finals (no rule error), so the renders test real output."""
    for form in FORMS:
        findings = validate(copy.deepcopy(example_of(form)))
        assert not [f for f in findings if f.severity == "error"], (form, findings)
        assert dt.date.fromisoformat(ENDORSEMENT["date"]) >= dt.date(2026, 1, 1)
