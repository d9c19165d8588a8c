"""Fonts, measuring, wrapping and fitting text into boxes.

Widths come from the font files themselves (fontTools: cmap and hmtx), so a
line that is measured to fit is exactly the line that is drawn. Missing glyphs
are found here, before anything is drawn: a customs form with an empty box
where a letter should be is worse than an error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

from .errors import Eur1pdfError, MissingGlyphError
from .resources import fonts_dir


@dataclass(frozen=True, eq=False)  # identity hash: fonts are loaded once and cached
class FontMetrics:
    """What placement needs to know about one font file."""

    name: str
    path: Path
    units_per_em: int
    ascent: float  # fraction of the font size above the baseline
    descent: float  # fraction of the font size below the baseline (positive)
    advances: dict[int, float]  # code point -> advance width in em

    def has(self, char: str) -> bool:
        return ord(char) in self.advances

    def missing(self, text: str) -> list[str]:
        seen: dict[str, None] = {}  # in order of appearance, each once
        for c in text:
            if ord(c) not in self.advances and c != " ":
                seen.setdefault(c)
        return list(seen)

    def width(self, text: str, size: float) -> float:
        """Width of ``text`` in points at ``size`` (no kerning, as the renderer draws)."""
        return _width_em(self, text) * size


@lru_cache(maxsize=65536)
def _width_em(font: FontMetrics, text: str) -> float:
    adv = font.advances
    space = adv.get(32, 0.278)
    return sum(adv.get(ord(c), space) for c in text)


@cache
def load_font(name: str, directory: Path | None = None) -> FontMetrics:
    """Load a font by file stem (``LiberationSans-Regular``) from the fonts folder."""
    folder = directory or fonts_dir()
    path = folder / f"{name}.ttf"
    if not path.is_file():
        raise Eur1pdfError(f"font {name!r} not found in {folder}")
    tt = TTFont(str(path), lazy=True)
    upm = tt["head"].unitsPerEm
    hmtx = tt["hmtx"].metrics
    advances = {cp: hmtx[glyph][0] / upm for cp, glyph in tt.getBestCmap().items()}
    hhea = tt["hhea"]
    tt.close()
    return FontMetrics(
        name=name,
        path=path,
        units_per_em=upm,
        ascent=hhea.ascent / upm,
        descent=-hhea.descent / upm,
        advances=advances,
    )


def normalise(text: str) -> str:
    """NFC, so that a letter and its combining accent are measured as one glyph."""
    return unicodedata.normalize("NFC", text)


def check_glyphs(font: FontMetrics, text: str, field: str | None, box: str | None = None) -> None:
    """Raise if the font cannot draw a character of ``text``."""
    missing = font.missing(text)
    if missing:
        shown = ", ".join(f"'{c}' (U+{ord(c):04X} {unicodedata.name(c, 'unnamed')})" for c in missing)
        where = f"{field}{f' (box {box})' if box else ''}: " if field else ""
        raise MissingGlyphError(
            f"{where}the font {font.name} has no glyph for {shown}; the character cannot be printed",
            field=field,
            char=missing[0],
        )


def _split_long_word(font: FontMetrics, word: str, size: float, width: float) -> list[str]:
    """Break a word wider than the line at character boundaries."""
    pieces, current = [], ""
    for ch in word:
        if current and font.width(current + ch, size) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


_BREAKABLE = re.compile(r"[ \t]+")


def words_fit(font: FontMetrics, paragraphs: Iterable[str], size: float, width: float) -> bool:
    """True when no word is wider than the line, so wrapping never cuts a word."""
    return all(
        font.width(word, size) <= width for para in paragraphs for word in _BREAKABLE.split(para) if word
    )


def wrap(font: FontMetrics, text: str, size: float, width: float) -> list[str]:
    """Greedy word wrap of one paragraph to ``width`` points.

    Breaks only at ordinary spaces: a no-break space (U+00A0, U+202F) keeps
    "40 mm" or "1 250 kg" together, as the sender meant. A word wider than
    the line is cut between characters (callers prefer a smaller size first).
    """
    words = _BREAKABLE.split(text.strip(" \t"))
    words = [w for w in words if w]
    if not words:
        return []
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if font.width(candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if font.width(word, size) <= width:
            current = word
        else:
            *full, current = _split_long_word(font, word, size, width)
            lines.extend(full)
    if current:
        lines.append(current)
    return lines


def wrap_paragraphs(font: FontMetrics, paragraphs: Iterable[str], size: float, width: float) -> list[str]:
    """Wrap each paragraph (input line) separately; each starts on a new line."""
    out: list[str] = []
    for para in paragraphs:
        out.extend(wrap(font, para, size, width))
    return out


def lines_that_fit(font: FontMetrics, size: float, leading: float, height: float) -> int:
    """How many lines of ``size`` fit in ``height`` points (first ascent, last descent)."""
    first = size * (font.ascent + font.descent)
    if height < first:
        return 0
    return 1 + int((height - first) // (size * leading) + 1e-9)


@dataclass(frozen=True)
class Fitted:
    """Text fitted into a rectangle: the lines and the size they were fitted at."""

    lines: tuple[str, ...]
    size: float


def size_steps(max_size: float, min_size: float, step: float = 0.5) -> list[float]:
    sizes, size = [], max_size
    while size >= min_size - 1e-9:
        sizes.append(round(size, 2))
        size -= step
    return sizes


def fit(
    font: FontMetrics,
    paragraphs: Sequence[str],
    width: float,
    height: float,
    max_size: float,
    min_size: float,
    leading: float,
    max_lines: int | None = None,
) -> Fitted | None:
    """Largest size from ``max_size`` down to ``min_size`` at which the text fits.

    Returns ``None`` when it does not fit even at ``min_size``; the caller
    turns that into an error naming the box (it knows which box it is).
    """
    sizes = size_steps(max_size, min_size)
    # shrinking is better than cutting an invoice number in two: try sizes at which
    # every word fits whole first, then allow cutting words
    whole = [s for s in sizes if words_fit(font, paragraphs, s, width)]
    for size in whole + [s for s in sizes if s not in whole]:
        lines = wrap_paragraphs(font, paragraphs, size, width)
        capacity = lines_that_fit(font, size, leading, height)
        if max_lines is not None:
            capacity = min(capacity, max_lines)
        if len(lines) <= capacity:
            return Fitted(tuple(lines), size)
    return None


def needed_and_capacity(
    font: FontMetrics,
    paragraphs: Sequence[str],
    width: float,
    height: float,
    size: float,
    leading: float,
    max_lines: int | None = None,
) -> tuple[int, int]:
    """Lines needed and lines that fit at ``size``: the numbers an error message gives."""
    lines = wrap_paragraphs(font, paragraphs, size, width)
    capacity = lines_that_fit(font, size, leading, height)
    if max_lines is not None:
        capacity = min(capacity, max_lines)
    return len(lines), capacity
