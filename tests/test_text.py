"""Fonts and fitting: Unicode round-trips, missing glyphs, shrinking, fit errors."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from eur1pdf import FitError, MissingGlyphError
from eur1pdf.placement.text import fit, lines_that_fit, load_font, size_steps, wrap, wrap_paragraphs

from .conftest import box_rect_pt, fill, inside, open_pdf, text_in

SAMPLES = [
    "Łódź",
    "İstanbul",
    "Zürich",
    "Θεσσαλονίκη",
    "Київ",
    "Ørsted Ærø Åbo",
    "Şişli Ğ",
    "Čačak Đ",
    "Ţară Ő Ű",
]


def test_unicode_samples_round_trip(example, eur1):
    example["exporter"]["address"] = SAMPLES[:5]
    example["consignee"]["address"] = SAMPLES[5:]
    with open_pdf(fill(example, sheets=(1,), overlay_only=True)) as pdf:
        page = pdf.pages[0]
        box1 = text_in(page, box_rect_pt(eur1, "1"))
        box3 = text_in(page, box_rect_pt(eur1, "3"))
    for sample in SAMPLES[:5]:
        assert sample in box1
    for sample in SAMPLES[5:]:
        assert sample in box3


def test_missing_glyph_names_field_box_and_character(example):
    example["consignee"]["address"][1] = "東京都"
    with pytest.raises(MissingGlyphError) as info:
        fill(example)
    err = info.value
    assert err.field == "consignee.address[1]"
    assert err.char == "東"
    assert "consignee.address[1] (box 3)" in str(err) and "U+6771" in str(err)


def test_missing_glyph_in_an_item(example):
    example["items"][1]["description"] = "Bearings 🚚"
    with pytest.raises(MissingGlyphError, match=r"items\[1\]\.description \(box 8\).*U\+1F69A"):
        fill(example)


def test_long_exporter_shrinks_and_stays_in_box(example, eur1):
    example["exporter"]["address"] = [f"Building {n}, Long Industrial Estate Road {n}" for n in range(6)]
    with open_pdf(fill(example, sheets=(1,), overlay_only=True)) as pdf:
        page = pdf.pages[0]
        rect = box_rect_pt(eur1, "1")
        chars = [c for c in page.chars if c["top"] < rect[3] and c["x1"] < rect[2]]
        assert all(inside(c, rect) for c in chars)
        sizes = {round(c["size"], 1) for c in chars}
    assert max(sizes) < eur1.style.data_size


def test_too_much_text_is_refused_with_counts(example):
    example["exporter"]["address"] = [f"Line {n}" for n in range(20)]
    with pytest.raises(FitError) as info:
        fill(example)
    message = str(info.value)
    assert message.startswith("box 1 (exporter): 22 lines needed, ")
    assert message.split(", ")[1].endswith("fit (at the minimum size 6.5 pt)")
    assert info.value.box == "1"


def test_wrap_breaks_words_longer_than_the_line():
    font = load_font("LiberationSans-Regular")
    lines = wrap(font, "x" * 200, 10, 100)
    assert len(lines) > 1 and all(font.width(line, 10) <= 100 for line in lines)


LINK = "https://verify.example.org/eur1/A%20123.456?d=" + "0123456789abcdef" * 4


@pytest.mark.parametrize("size", [6.5, 7.25, 8.5])
@pytest.mark.parametrize(
    "word",
    [LINK, "W" * 90, "e\u0301" * 40, "ab\u4e00cd" * 15],
    ids=["link", "wide-letters", "zero-width-accents", "character-not-in-the-font"],
)
def test_a_cut_word_fills_each_line_as_far_as_it_goes(word, size):
    """Pieces are the whole word in order; each fits; each would overflow with the next character."""
    font = load_font("LiberationSans-Regular")
    full = font.width(word[:17], size)  # a line exactly full, and a hair under and over it
    for width in (20.0, 57.3, 100.0, full, full - 1e-9, full + 1e-9):
        lines = wrap(font, word, size, width)
        assert "".join(lines) == word
        assert all(font.width(line, size) <= width for line in lines)
        following = [line + nxt[0] for line, nxt in pairwise(lines)]
        assert all(font.width(longer, size) > width for longer in following)


def test_fit_picks_the_largest_size_that_fits():
    font = load_font("LiberationSans-Regular")
    fitted = fit(font, ["a " * 80], 200, 30, 12, 6, 1.2)
    assert fitted is not None and 6 <= fitted.size < 12
    bigger = fit(font, ["a " * 80], 200, 30, fitted.size + 0.5, fitted.size + 0.5, 1.2)
    assert bigger is None


def test_runs_of_spaces_and_tabs_are_one_break():
    font = load_font("LiberationSans-Regular")
    assert wrap(font, "  10 cartons;   steel\t\tbearings  ", 9, 500) == ["10 cartons; steel bearings"]
    assert wrap(font, " 10  cartons;   steel ", 9, 500) == ["10 cartons; steel"]  # spaces only


def _fit_by_trying_every_size(font, paragraphs, width, height, max_size, min_size, leading, max_lines=None):
    """fit() spelt out: whole words first, largest size first, every size wrapped."""
    sizes = size_steps(max_size, min_size)
    words = [w for p in paragraphs for w in re.split(r"[ \t]+", p) if w]  # not at no-break spaces
    whole = [s for s in sizes if all(font.width(w, s) <= width for w in words)]
    for size in whole + [s for s in sizes if s not in whole]:
        lines = wrap_paragraphs(font, paragraphs, size, width)
        capacity = lines_that_fit(font, size, leading, height)
        if len(lines) <= (capacity if max_lines is None else min(capacity, max_lines)):
            return tuple(lines), size
    return None


@pytest.mark.parametrize(
    ("paragraphs", "width", "height", "max_size", "min_size", "max_lines"),
    [
        (["A 123.456"], 100, 20, 9.5, 6.5, None),  # one short line: the common case
        (["Importadora del Norte  S.A. de C.V.", "", "Av. Reforma 100", "Mexico"], 200, 60, 9.5, 6.5, None),
        (["Importadora del Norte S.A. de C.V."], 100, 60, 9.5, 6.5, None),  # wraps at the largest size
        (["one", "two", "three", "four"], 200, 30, 9.5, 6.5, None),  # lines fit, not that many
        (["one", "two", "three"], 200, 60, 9.5, 6.5, 2),  # max_lines
        (["Serial 7"], 100, 20, 9.125, 6.5, None),  # a size with three decimals
        (["Serial 7"], 100, 20, 6.0, 6.5, None),  # minimum above maximum: nothing to try
        (["x" * 80], 100, 60, 9.5, 6.5, None),  # a word cut
        ([""], 100, 20, 9.5, 6.5, None),
        (["1\u00a0250\u00a0kg gross,\u00a0net 1\u00a0180\u00a0kg"], 40, 60, 9.5, 6.5, None),  # no-break
    ],
)
def test_fit_is_the_first_size_that_fits_when_every_size_is_tried(
    paragraphs, width, height, max_size, min_size, max_lines
):
    font = load_font("LiberationSans-Regular")
    fitted = fit(font, paragraphs, width, height, max_size, min_size, 1.2, max_lines)
    expected = _fit_by_trying_every_size(font, paragraphs, width, height, max_size, min_size, 1.2, max_lines)
    assert (None if fitted is None else (fitted.lines, fitted.size)) == expected
