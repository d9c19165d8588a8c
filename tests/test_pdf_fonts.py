"""Embedded font subsets (eur1pdf.pdf.fonts) in a composed document (eur1pdf.pdf.document), read back.

A document made of text runs alone is composed, checked by qpdf and pikepdf,
then read with pdfplumber (text through the ToUnicode map, positions through
the widths array) and its font files opened with fontTools (which glyphs the
subset kept).
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pdfplumber
import pikepdf
import pytest
from fontTools.ttLib import TTFont

from eur1pdf.errors import MissingGlyphError
from eur1pdf.pdf.document import DocumentSpec, compose
from eur1pdf.pdf.fonts import BASE_CODEPOINTS, BLOCK, encode, glyph_set
from eur1pdf.placement.drawables import Page, TextRun
from eur1pdf.placement.text import FontMetrics, load_font
from tests.pdf_checks import assert_valid_pdf

A4 = (595.276, 841.89)
TEXTS = ("Exporter AG, Zürich", "Ωmega – Αθήνα", "Москва 2024", "Straße (Nr. 5) \\ 100%")
UNUSED = "Ā"  # A with macron (U+0100): not in any text above, nor in a block they bring in


@pytest.fixture(scope="module")
def regular() -> FontMetrics:
    return load_font("LiberationSans-Regular")


@pytest.fixture(scope="module")
def bold() -> FontMetrics:
    return load_font("LiberationSans-Bold")


@pytest.fixture(scope="module")
def runs(regular, bold) -> list[TextRun]:
    made = [TextRun(text, 56.5, 780 - 30 * n, regular, 11) for n, text in enumerate(TEXTS)]
    made.append(TextRun("EUR.1 No A 000123", 300.25, 800, bold, 14))
    return made


@pytest.fixture(scope="module")
def composed(runs) -> bytes:
    page = Page(*A4, face="certificate", sheet=1, items=list(runs))
    return compose(DocumentSpec([page], "Fonts test", issue_date=dt.date(2024, 5, 17)))


def font_objects_of(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    """Resource name -> Type0 font, from the page's resources (the data is drawn in the page)."""
    return {str(key)[1:]: value for key, value in pdf.pages[0].Resources.Font.items()}


def test_composed_document_is_valid(composed: bytes) -> None:
    pdf = assert_valid_pdf(composed)
    assert len(pdf.pages) == 1
    assert str(pdf.docinfo.Title) == "Fonts test"


def test_text_reads_back_through_tounicode(composed: bytes, runs) -> None:
    with pdfplumber.open(io.BytesIO(composed)) as pdf:
        lines = pdf.pages[0].extract_text().splitlines()
    assert sorted(lines) == sorted(run.text for run in runs)


def test_each_character_sits_where_placement_measured_it(composed: bytes, runs) -> None:
    """The /W widths are those placement measures with: each run starts at x and is exactly as wide."""
    with pdfplumber.open(io.BytesIO(composed)) as pdf:
        chars = pdf.pages[0].chars
    for run in runs:
        baseline = [c for c in chars if abs(c["matrix"][5] - run.y) < 0.01]
        assert "".join(c["text"] for c in baseline) == run.text
        assert baseline[0]["x0"] == pytest.approx(run.x, abs=0.01)
        assert baseline[-1]["x1"] - baseline[0]["x0"] == pytest.approx(run.width, abs=0.02)
        assert {round(c["size"], 3) for c in baseline} == {run.size}


def test_fonts_are_type0_identity_h_with_a_subset_tag(composed: bytes, regular, bold) -> None:
    pdf = pikepdf.open(io.BytesIO(composed))
    fonts = font_objects_of(pdf)
    assert set(fonts) == {regular.name, bold.name}
    for font in fonts.values():
        assert font.Subtype == pikepdf.Name.Type0
        assert font.Encoding == pikepdf.Name("/Identity-H")
        (cid_font,) = font.DescendantFonts
        assert cid_font.Subtype == pikepdf.Name.CIDFontType2
        assert re.fullmatch(r"/[A-Z]{6}\+LiberationSans(-Bold)?", str(font.BaseFont))
        assert cid_font.FontDescriptor.FontName == font.BaseFont


def _subset_program(pdf: pikepdf.Pdf, font_name: str) -> TTFont:
    descriptor = font_objects_of(pdf)[font_name].DescendantFonts[0].FontDescriptor
    return TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))


def _outline(tt: TTFont, gid: int) -> list[tuple[int, int]]:
    """The points of glyph ``gid`` ([] when the subset left it empty or out)."""
    order = tt.getGlyphOrder()
    if gid >= len(order):
        return []
    glyph = tt["glyf"][order[gid]]
    if glyph.numberOfContours == 0:
        return []
    return list(glyph.getCoordinates(tt["glyf"])[0])


def test_subset_embeds_the_glyphs_used_and_not_others(composed: bytes, regular) -> None:
    pdf = pikepdf.open(io.BytesIO(composed))
    subset = _subset_program(pdf, regular.name)
    full = TTFont(str(regular.path), lazy=True)
    cmap, gid_of = full.getBestCmap(), full.getGlyphID
    used = {c for text in TEXTS for c in text if not c.isspace()}
    for char in used:  # same glyph ID, same outline: the content streams' glyph IDs stay valid
        gid = gid_of(cmap[ord(char)])
        assert _outline(subset, gid) == _outline(full, gid) != [], char
    assert _outline(subset, gid_of(cmap[ord(UNUSED)])) == []
    assert _outline(full, gid_of(cmap[ord(UNUSED)])) != []
    assert "GSUB" not in subset and "name" not in subset


def _to_unicode(font: pikepdf.Object) -> dict[int, str]:
    cmap = font.ToUnicode.read_bytes().decode("ascii")
    pairs = re.findall(r"<([0-9A-F]{4})> <([0-9A-F]+)>", cmap)
    return {int(gid, 16): bytes.fromhex(text).decode("utf-16-be") for gid, text in pairs}


def test_tounicode_maps_every_drawn_glyph_back_to_its_character(composed: bytes, runs) -> None:
    pdf = pikepdf.open(io.BytesIO(composed))
    fonts = font_objects_of(pdf)
    for run in runs:
        back = _to_unicode(fonts[run.font.name])
        glyphs = bytes.fromhex(encode(run.font, run.text)[1:-1].decode())
        gids = [int.from_bytes(glyphs[i : i + 2], "big") for i in range(0, len(glyphs), 2)]
        assert "".join(back[g] for g in gids) == run.text


def test_same_text_same_bytes(runs, composed: bytes) -> None:
    page = Page(*A4, face="certificate", sheet=1, items=list(runs))
    assert compose(DocumentSpec([page], "Fonts test", issue_date=dt.date(2024, 5, 17))) == composed


def test_text_outside_the_subset_blocks_gets_another_subset(regular) -> None:
    def base_font(text: str) -> str:
        page = Page(*A4, face="certificate", sheet=1, items=[TextRun(text, 10, 10, regular, 9)])
        pdf = pikepdf.open(io.BytesIO(compose(DocumentSpec([page], "t"))))
        return str(font_objects_of(pdf)[regular.name].BaseFont)

    assert base_font("abc") == base_font("xyz")  # both within the base: one subset
    assert base_font("abc") != base_font("abcЖ")


def test_encode_writes_the_fonts_glyph_ids(regular) -> None:
    full = TTFont(str(regular.path), lazy=True)
    cmap = full.getBestCmap()
    expected = "".join(f"{full.getGlyphID(cmap[ord(c)]):04X}" for c in "Aé1")
    assert encode(regular, "Aé1") == b"<" + expected.encode() + b">"


def test_encode_refuses_a_character_without_a_glyph(regular) -> None:
    with pytest.raises(MissingGlyphError, match="U\\+5317") as raised:
        encode(regular, "Beijing 北京")
    assert raised.value.char == "北"


def test_glyph_set_adds_the_base_and_whole_blocks_only_for_new_characters() -> None:
    fixed = frozenset(map(ord, "EUR.1"))
    assert glyph_set(fixed, map(ord, "EUR")) == fixed  # nothing new: the template's own set
    grown = glyph_set(fixed, [ord("é")])
    block = ord("é") // BLOCK * BLOCK
    assert grown == fixed | BASE_CODEPOINTS | set(range(block, block + BLOCK))
    assert ord(UNUSED) not in grown
