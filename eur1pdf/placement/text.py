"""Fonts, measuring, wrapping and fitting text into boxes.

Widths come from the font files themselves (cmap and hmtx, :mod:`.font_tables`), so a
line that is measured to fit is exactly the line that is drawn. Missing glyphs
are found here, before anything is drawn: a customs form with an empty box
where a letter should be is worse than an error.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from itertools import accumulate
from pathlib import Path

from eur1pdf.errors import Eur1pdfError, MissingGlyphError
from eur1pdf.placement.font_tables import CharacterSet, FontTables, font_tables
from eur1pdf.resources import fonts_dir


@dataclass(frozen=True, eq=False)  # identity hash: fonts are loaded once and cached
class FontMetrics:
    """What placement needs to know about one font file.

    Advances are kept in the font's own integer units, so the width of a
    line is the exact sum of its words and spaces, however it is added up;
    wrapping can then work on word widths measured once.
    """

    name: str
    path: Path

    @cached_property
    def tables(self) -> FontTables:
        """The file's figures, read when first needed (a font the kept blank alone prints is not)."""
        return font_tables(self.path)

    @cached_property
    def units_per_em(self) -> int:
        return self.tables.units_per_em

    @cached_property
    def ascent(self) -> float:
        """Fraction of the font size above the baseline."""
        return self.tables.hhea_ascent / self.units_per_em

    @cached_property
    def descent(self) -> float:
        """Fraction of the font size below the baseline (positive)."""
        return -self.tables.hhea_descent / self.units_per_em

    @cached_property
    def units(self) -> dict[int, int]:
        """Code point -> advance width in font units (every character: made when asked for)."""
        return self.tables.units

    @cached_property
    def characters(self) -> CharacterSet:
        """The characters the font has (``issuperset(text)``, ``char in``)."""
        return self.tables.character_set

    @cached_property
    def char_units(self) -> dict[str, int]:
        """Advances keyed by the character itself, so a width is one ``sum(map(...))``: the
        characters measured so far (:meth:`FontTables.learn` adds a text's)."""
        return self.tables.char_units

    @cached_property
    def word_units(self) -> dict[str, int]:
        """Widths of the words measured so far (see :func:`_word_widths`)."""
        return {}

    @cached_property
    def space_units(self) -> int:
        index = self.tables.index(" ")
        return round(0.278 * self.units_per_em) if index is None else self.tables.advances[index]

    def has(self, char: str) -> bool:
        return char in self.characters

    def missing(self, text: str) -> list[str]:
        if self.characters.issuperset(text):
            return []
        seen: dict[str, None] = {}  # in order of appearance, each once
        for c in text:
            if c not in self.characters and c != " ":
                seen.setdefault(c)
        return list(seen)

    def text_units(self, text: str) -> int:
        """Width of ``text`` in font units (no kerning, as the renderer draws)."""
        return _width_units(self, text)

    def width(self, text: str, size: float) -> float:
        """Width of ``text`` in points at ``size``."""
        return _width_units(self, text) * size / self.units_per_em


@lru_cache(maxsize=16384)
def _width_units(font: FontMetrics, text: str) -> int:
    try:  # every character is in the font (checked before placing) and measured before: one sum in C
        return sum(map(font.char_units.__getitem__, text))
    except KeyError:  # a character not measured yet, or (measuring before the check) not in the font
        return sum(_advances(font, text))


def _advances(font: FontMetrics, text: str) -> list[int]:
    """Each character's advance in font units; a character the font has not got counts as a space."""
    units = font.char_units
    if font.tables.learn(text):
        return list(map(units.__getitem__, text))
    space = font.space_units
    return [units.get(c, space) for c in text]


@cache
def load_font(name: str, directory: Path | None = None) -> FontMetrics:
    """Load a font by file stem (``LiberationSans-Regular``) from the fonts folder, or from
    ``directory`` (beside a user's or plug-in's layout: checked whole first by
    :func:`~eur1pdf.placement.font_files.user_font`)."""
    folder = directory or fonts_dir()
    path = folder / f"{name}.ttf"
    if directory is None and not path.is_file():
        raise Eur1pdfError(f"font {name!r} not found in {folder}")
    if directory is not None:  # a user's font: read whole and checked before its figures are used
        from eur1pdf.placement.font_files import user_font  # fontTools: only for a user's font

        user_font(path).close()
    return FontMetrics(name=name, path=path)


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
            f"{where}the font {font.name} has no glyph for {shown}; the character cannot be printed: "
            "transliterate it (write it in Latin letters, e.g. a Chinese name in pinyin), or fill with "
            "a layout whose fonts have it (a TrueType file beside the layout; docs/input-contract.md, Fonts)",
            field=field,
            char=missing[0],
        )


def _split_long_word(font: FontMetrics, word: str, size: float, width: float) -> list[str]:
    """Break a word wider than the line at character boundaries (a link, a long code).

    Each line takes as many characters as fit (at least one). The character
    widths are added up once in font units (the sums :meth:`FontMetrics.width`
    makes) and each line's end is found by bisection in those running totals:
    a link is cut on every final certificate, character by character was slow.
    """
    upm = font.units_per_em
    ends = list(accumulate(_advances(font, word), initial=0))  # ends[i]: word[:i]
    # the most units a line holds, by the very comparison the lines are drawn with
    most = int(width * upm / size) + 1
    while most * size / upm > width:  # below 0 for a negative width: not even a zero-width mark fits
        most -= 1
    pieces: list[str] = []
    start = 0
    while start < len(word):
        # the longest piece within `most` units, at least one character
        stop = max(bisect_right(ends, ends[start] + most) - 1, start + 1)
        pieces.append(word[start:stop])
        start = stop
    return pieces


_BREAKABLE = re.compile(r"[ \t]+")


def widest_word_units(font: FontMetrics, paragraphs: Iterable[str]) -> int:
    """The width of the widest word, in font units: whether words fit is then one comparison per size."""
    return max((_measured(font, para).widest for para in paragraphs), default=0)


def _split_words(text: str) -> list[str]:
    """The words of a paragraph: broken at ordinary spaces and tabs only, never at no-break spaces."""
    if "\t" in text:
        return [w for w in _BREAKABLE.split(text) if w]
    words = text.split(" ")
    return [w for w in words if w] if "" in words else words  # most texts have single spaces only


def _word_widths(font: FontMetrics, words: list[str]) -> list[int]:
    """Each word's width in font units, from the font's word table (words repeat a lot)."""
    known = font.word_units
    widths = list(map(known.get, words))
    if None in widths:
        if len(known) > 65536:  # bounded: a batch of random codes must not grow it for ever
            known.clear()
        for i, width in enumerate(widths):
            if width is None:
                widths[i] = known[words[i]] = _width_units(font, words[i])
    return widths  # type: ignore[return-value]


def wrap(font: FontMetrics, text: str, size: float, width: float) -> list[str]:
    """Greedy word wrap of one paragraph to ``width`` points.

    Breaks only at ordinary spaces: a no-break space (U+00A0, U+202F) keeps
    "40 mm" or "1 250 kg" together, as the sender meant. A word wider than
    the line is cut between characters (callers prefer a smaller size first).
    """
    return list(_wrap(font, text, size, width))


@lru_cache(maxsize=16384)
def _wrap(font: FontMetrics, text: str, size: float, width: float) -> tuple[str, ...]:
    """:func:`wrap`, remembered: a batch repeats addresses, goods and sizes over and over."""
    return _measured(font, text).wrap(font, size, width)


def _wrap_words(
    font: FontMetrics, words: Sequence[str], widths: Sequence[int], size: float, width: float
) -> tuple[str, ...]:
    """The greedy wrap of words already measured (see :func:`wrap`)."""
    upm = font.units_per_em
    space = font.space_units
    lines: list[str] = []
    current: list[str] = []
    used = 0  # font units on the current line
    for word, units in zip(words, widths, strict=True):
        if current:
            if (used + space + units) * size / upm <= width:
                current.append(word)
                used += space + units
                continue
            lines.append(" ".join(current))
        if units * size / upm <= width:
            current, used = [word], units
        else:
            *full, last = _split_long_word(font, word, size, width)
            lines.extend(full)
            current, used = [last], font.text_units(last)
    if current:
        lines.append(" ".join(current))
    return tuple(lines)


class Measured:
    """One paragraph measured once in font units, to be wrapped at many sizes cheaply.

    Box 8 tries several sizes for every item; its texts are new on every
    certificate (marks, masses), so remembering wraps by text would not help,
    but its words (``cartons;``, ``steel,``) repeat and are measured from a table.
    A plain class with slots: box 8 makes sixty of these per certificate, and a
    frozen dataclass's ``__init__`` (``object.__setattr__`` per field) cost more
    than the measuring. Treat instances as read-only.
    """

    __slots__ = ("one_line", "widest", "widths", "words")

    def __init__(self, words: Sequence[str], widths: Sequence[int], one_line: int, widest: int) -> None:
        self.words = words
        self.widths = widths  # each word's width
        self.one_line = one_line  # the words joined by single spaces, as one line
        self.widest = widest  # the widest word

    def lines_at(self, font: FontMetrics, size: float, width: float) -> int:
        """How many lines :func:`wrap` makes at ``size`` in ``width`` points, without making them."""
        if not self.words:
            return 0
        upm = font.units_per_em
        if self.one_line * size / upm <= width:  # the common case: all on one line
            return 1
        if self.widest * size / upm > width:  # a word is cut: rare, let the wrap itself count
            return len(_wrap_words(font, self.words, self.widths, size, width))
        space = font.space_units
        lines, used = 1, self.widths[0]
        for units in self.widths[1:]:  # the same comparisons as _wrap_words
            if (used + space + units) * size / upm <= width:
                used += space + units
            else:
                lines, used = lines + 1, units
        return lines

    def wrap(self, font: FontMetrics, size: float, width: float) -> tuple[str, ...]:
        if self.words and self.one_line * size / font.units_per_em <= width:
            return (" ".join(self.words),)
        return _wrap_words(font, self.words, self.widths, size, width)


_NOTHING = Measured((), (), 0, 0)


def measure(font: FontMetrics, text: str) -> Measured:
    """Measure a paragraph's words for :class:`Measured`."""
    words = _split_words(text)
    if not words:
        return _NOTHING
    widths = _word_widths(font, words)
    return Measured(words, widths, sum(widths) + font.space_units * (len(words) - 1), max(widths))


# fields' paragraphs (addresses, countries) come back certificate after certificate: measured once
_measured = lru_cache(maxsize=16384)(measure)


def wrap_paragraphs(font: FontMetrics, paragraphs: Iterable[str], size: float, width: float) -> list[str]:
    """Wrap each paragraph (input line) separately; each starts on a new line."""
    out: list[str] = []
    for para in paragraphs:
        out.extend(_wrap(font, para, size, width))
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
    largest = round(max_size, 2)  # the first of size_steps
    one_line_each = _one_line_each(font, paragraphs, largest, width) if max_size >= min_size - 1e-9 else None
    if one_line_each is not None:  # the common case: the lines as given, at the largest size
        capacity = lines_that_fit(font, largest, leading, height)
        if len(one_line_each) <= (capacity if max_lines is None else min(capacity, max_lines)):
            return Fitted(one_line_each, largest)
    sizes = size_steps(max_size, min_size)
    # shrinking is better than cutting an invoice number in two: try sizes at which
    # every word fits whole first, then allow cutting words
    widest = widest_word_units(font, paragraphs)
    whole = [s for s in sizes if widest * s / font.units_per_em <= width]  # no word is wider than the line
    wrapped: dict[float, list[str]] = {}

    def fits(size: float) -> bool:
        lines = wrapped[size] = wrap_paragraphs(font, paragraphs, size, width)
        capacity = lines_that_fit(font, size, leading, height)
        if max_lines is not None:
            capacity = min(capacity, max_lines)
        return len(lines) <= capacity

    found = largest_that_fits(whole, fits)
    if found is None:
        found = next((s for s in sizes if s not in whole and fits(s)), None)
    return Fitted(tuple(wrapped[found]), found) if found is not None else None


def _one_line_each(
    font: FontMetrics, paragraphs: Sequence[str], size: float, width: float
) -> tuple[str, ...] | None:
    """Each paragraph as the one line :func:`wrap` makes of it when it fits whole at ``size``
    (an empty one: no line), or None if one of them needs more lines."""
    lines = []
    for para in paragraphs:
        measured = _measured(font, para)
        if measured.words:
            if measured.one_line * size / font.units_per_em > width:
                return None
            lines.append(" ".join(measured.words))
    return tuple(lines)


def largest_that_fits(
    sizes: Sequence[float], fits: Callable[[float], bool], surely_fits: Callable[[], int] | None = None
) -> float | None:
    """The first of ``sizes`` (largest first) for which ``fits`` holds, or None.

    Text that fits at a size fits at every smaller one (greedy wrapping never
    needs more lines on a wider line, and more lines fit), so after the
    largest size, the common case, the rest is bisected. ``surely_fits``,
    asked once the largest size failed, may name the index of a size known to
    fit without trying it (``len(sizes)``: none known): the bisection starts there.
    """
    if not sizes:
        return None
    if fits(sizes[0]):
        return sizes[0]
    low, high = 1, len(sizes) if surely_fits is None else max(1, min(surely_fits(), len(sizes)))
    while low < high:
        middle = (low + high) // 2
        if fits(sizes[middle]):
            high = middle
        else:
            low = middle + 1
    return sizes[low] if low < len(sizes) else None


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
