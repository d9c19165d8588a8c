"""The PDF eur1pdf writes itself: shared font subsets, their cache, size, structure.

Everything is read back from real output with pikepdf, pdfplumber and
pdfium: what a viewer, a text extractor and a printer driver get.
"""

from __future__ import annotations

import io

import pikepdf
import pypdfium2
import pytest

from eur1pdf import FillOptions, render
from eur1pdf.pdf.fonts import BASE_CODEPOINTS, glyph_set

from .conftest import fill, open_pdf

FINAL = {"final": True, "verify_url": "https://verify.example.org/eur1/{serial}?d={digest}", "sheets": (1,)}


def fonts(pdf_bytes: bytes) -> dict[str, tuple[str, bytes]]:
    """PostScript name without the subset tag -> (tagged name, font file) of every embedded font."""
    found = {}
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                tagged = str(obj.FontName)[1:]
                found[tagged.split("+", 1)[1]] = (tagged, obj.FontFile2.read_bytes())
    return found


def glyphs_in(font_file: bytes) -> int:
    from fontTools.ttLib import TTFont

    tt = TTFont(io.BytesIO(font_file))
    return sum(1 for name in tt.getGlyphOrder() if tt["glyf"][name].numberOfContours != 0)


def test_one_font_object_per_font_shared_by_all_layers(example):
    """Blank form, data and marks draw with the same embedded font: each font is in the file once."""
    pdf = fill(example, **FINAL)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        type0 = [
            o for o in doc.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0"
        ]
        names = [str(o.BaseFont).split("+")[1] for o in type0]
        assert len(names) == len(set(names)), names
        page = doc.pages[0]
        data_font = page.Resources.Font["/LiberationSans-Regular"]  # the data is drawn in the page
        blank_font = page.Resources.XObject.Bg.Resources.Font["/LiberationSans-Regular"]
        assert data_font.objgen == blank_font.objgen


def test_subsets_are_shared_by_certificates_with_the_same_characters(example):
    """Another exporter and serial in the same alphabet: the same subset, byte for byte."""
    first = fill(example, **FINAL)
    other = dict(example, serial="B 987.654")
    other["exporter"] = dict(example["exporter"], name="Zürcher Feinmechanik GmbH")
    second = fill(other, **FINAL)
    assert fonts(first)["LiberationSans"] == fonts(second)["LiberationSans"]


def test_a_character_from_another_block_gets_its_own_subset(example):
    """'ł' (Latin Extended-A) is embedded and drawn, and only certificates that use it carry it."""
    plain = fill(example, **FINAL)
    polish = dict(example)
    polish["consignee"] = dict(example["consignee"], name="Przedsiębiorstwo Łódź Sp. z o.o.")
    with_l = fill(polish, **FINAL)
    plain_font = fonts(plain)["LiberationSans"]
    polish_font = fonts(with_l)["LiberationSans"]
    assert plain_font[0] != polish_font[0], "a different glyph set has a different subset tag"
    assert glyphs_in(polish_font[1]) > glyphs_in(plain_font[1])
    with open_pdf(with_l) as doc:
        assert "Przedsiębiorstwo Łódź Sp. z o.o." in doc.pages[0].extract_text()
    # and the glyphs are really there: pdfium draws ink where 'Ł' is
    page = pypdfium2.PdfDocument(with_l)[0]
    text = page.get_textpage()
    at = text.get_text_range().index("Łódź")
    box = text.get_charbox(at)
    image = page.render(scale=4).to_pil().convert("L")
    height = page.get_height()
    crop = image.crop((box[0] * 4, (height - box[3]) * 4, box[2] * 4, (height - box[1]) * 4))
    assert crop.getextrema()[0] < 100, "the letter is drawn, not an empty box"


def test_subset_carries_only_what_is_printed(example):
    """A font the data does not use holds just the blank form's characters;
    the data font holds the base set and the blocks the data needs."""
    pdf = fill(example, **FINAL)
    found = fonts(pdf)
    italic = glyphs_in(found["LiberationSans-Italic"][1])
    assert italic < 40, "the italic font prints one line of the form"
    regular = glyphs_in(found["LiberationSans"][1])
    assert len(BASE_CODEPOINTS) - 10 < regular < 200


def test_glyph_set_grows_by_whole_blocks():
    fixed = frozenset(map(ord, "Exporter"))
    assert glyph_set(fixed, []) == fixed, "nothing variable: exactly the template's characters"
    one = glyph_set(fixed, map(ord, "é"))
    assert one >= BASE_CODEPOINTS and ord("à") in one and ord("ÿ") in one and ord("Ä") not in one
    assert glyph_set(fixed, map(ord, "è")) == one, "same block, same set: the cache hits"


def test_single_sheet_final_certificate_is_small(example):
    """With the background, marks, QR code, metadata and attached data: at most 40 KB."""
    pdf = fill(example, **FINAL)
    assert len(pdf) <= 40_000, len(pdf)


def test_twenty_items_certificate_is_small(example):
    items = example["items"]
    example["items"] = [dict(items[n % len(items)], marks=f"PM {n + 1}") for n in range(20)]
    pdf = render(example, FillOptions(**FINAL))
    assert len(pdf) <= 40_000, len(pdf)


@pytest.mark.parametrize("options", [FINAL, {"draft": True}, {"overlay_only": True}, {}])
def test_qpdf_finds_no_damage(example, options):
    """The cross-reference table and every object parse cleanly (qpdf's own check)."""
    pdf = fill(example, **options)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert doc.check_pdf_syntax() == []
        assert not doc.is_encrypted
    assert pdf.startswith(b"%PDF-1.7\n") and pdf.endswith(b"%%EOF\n")
