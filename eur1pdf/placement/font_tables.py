"""What eur1pdf reads from a TrueType file, read once per font file and kept in the user cache.

Placement needs the advance widths and the vertical metrics
(:class:`eur1pdf.placement.text.FontMetrics`); the PDF writer needs the glyph
IDs, widths in 1/1000 em and the descriptor's figures
(:class:`eur1pdf.pdf.fonts.FontProgram`). Both come from one reading of the
file with fontTools, which costs a new process more than the certificate: the
figures are kept in :mod:`eur1pdf.user_cache` under the file's identity, so a
later process neither parses the font nor imports fontTools.

The per-character figures are kept packed (the mapped characters as one
string in code point order, their advances and glyph IDs as arrays of
numbers: the PDF's widths follow from them), not as dicts of thousands of
numbers: a new process's first certificate read, checked and rebuilt three
fonts' dicts and sets of every glyph, most of it for characters no
certificate prints. A character is looked up by bisection in the string,
and the dicts placement and the writer read (advances by character, hex
glyph IDs by code point) are filled with a text's characters as texts are
measured and written (:meth:`FontTables.learn`).
"""

from __future__ import annotations

import sys
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from eur1pdf import user_cache

_KIND = "font-tables3"  # packed arrays (the dicts of "font-tables" are no longer read)
_SCALARS = {
    "units_per_em": int,
    "hhea_ascent": int,
    "hhea_descent": int,
    "ascent": float,
    "descent": float,
    "cap_height": float,
    "italic_angle": float,
    "stem_v": int,
    "notdef_width": int,  # the PDF width (1/1000 em) of glyph 0, which no character maps to
}
_PACKED = {"characters": str, "advances": bytes, "glyphs": bytes}
_TYPECODES = {"advances": "H", "glyphs": "H"}  # uint16, as in hmtx and the cmap


class CharacterSet:
    """The characters the font maps, as placement asks about them (a superset of a text, one
    character in it): answered from the characters learnt so far, else by :meth:`FontTables.learn`."""

    def __init__(self, tables: FontTables) -> None:
        self._tables = tables

    def issuperset(self, text: Iterable[str]) -> bool:
        if self._tables.learnt.issuperset(text):  # the common case once a few texts were measured: in C
            return True
        return self._tables.learn(text)

    def __contains__(self, char: object) -> bool:
        return isinstance(char, str) and len(char) == 1 and self.issuperset(char)


@dataclass(frozen=True, eq=False)
class FontTables:
    """One font file's figures: the scalars, and the packed per-character arrays with the dicts
    made from them when first used."""

    units_per_em: int
    hhea_ascent: int
    hhea_descent: int
    postscript_name: str | None
    ascent: float
    descent: float
    cap_height: float
    bbox: tuple[float, float, float, float]
    italic_angle: float
    stem_v: int
    characters: str  # every mapped character, in code point order
    advances: array[int]  # advance in font units, one per character
    glyphs: array[int]  # glyph ID, one per character
    notdef_width: int  # glyph 0's advance in 1/1000 em
    # filled by :meth:`learn`; made with the object, never on first use: Python 3.12's
    # cached_property has no lock, and two threads' first uses would each make one, a caller
    # keeping the one that lost (a character learnt there would be missing from the other)
    learnt: set[str] = field(init=False, repr=False)  # the characters found in the font so far
    char_units: dict[str, int] = field(init=False, repr=False)  # character -> advance, learnt so far
    #: code point -> its glyph ID as 4 hex digits (``str.translate``), learnt so far: a plain
    #: dict, which ``translate`` reads faster than a subclass
    hex_of: dict[int, str] = field(init=False, repr=False)
    character_set: CharacterSet = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "learnt", set())
        object.__setattr__(self, "char_units", {})
        object.__setattr__(self, "hex_of", {})
        object.__setattr__(self, "character_set", CharacterSet(self))

    @cached_property
    def units(self) -> dict[int, int]:
        """Code point -> advance in font units."""
        return dict(zip(map(ord, self.characters), self.advances, strict=True))

    @cached_property
    def glyph_of(self) -> dict[int, int]:
        """Code point -> glyph ID."""
        return dict(zip(map(ord, self.characters), self.glyphs, strict=True))

    @cached_property
    def width_of(self) -> dict[int, int]:
        """Glyph ID -> advance in 1/1000 em, for glyph 0 and every glyph a character maps to (the
        glyphs a subset is cut to)."""
        scale = 1000 / self.units_per_em
        mapped = zip(self.glyphs, self.advances, strict=True)
        return {0: self.notdef_width, **{glyph: round(advance * scale) for glyph, advance in mapped}}

    def learn(self, text: Iterable[str]) -> bool:
        """Add ``text``'s characters to :attr:`char_units` and :attr:`hex_of` (looked up by
        bisection); True when the font has them all. The dicts only grow, with the same figures
        whichever thread adds them."""
        units, hex_of, learnt, all_found = self.char_units, self.hex_of, self.learnt, True
        characters, glyphs, advances = self.characters, self.glyphs, self.advances
        for char in set(text).difference(units):
            index = bisect_left(characters, char)
            if len(char) != 1 or index == len(characters) or characters[index] != char:
                all_found = False
                continue
            hex_of[ord(char)] = f"{glyphs[index]:04X}"
            units[char] = advances[index]
            learnt.add(char)
        return all_found

    def index(self, char: str) -> int | None:
        """Where one character is in :attr:`characters` (bisection: they are in code point
        order), or None when the font has not got it."""
        found = bisect_left(self.characters, char)
        return found if found < len(self.characters) and self.characters[found] == char else None


class _OnePerFile:
    """:func:`font_tables`: one :class:`FontTables` per font file in a process, whichever thread
    asks first. ``functools.cache`` lets two threads' first calls each make one, and a
    :class:`~eur1pdf.placement.text.FontMetrics` could then measure with one object's learnt
    characters and look them up in the other's."""

    def __init__(self) -> None:
        self._found: dict[Path, FontTables] = {}
        self._lock = threading.Lock()

    def __call__(self, path: Path) -> FontTables:
        found = self._found.get(path)
        if found is None:
            with self._lock:
                found = self._found.get(path)
                if found is None:
                    found = self._found[path] = _load_tables(path)
        return found

    def cache_clear(self) -> None:
        self._found.clear()


def cache_key(path: Path) -> tuple[Any, ...]:
    """The font file's identity, the byte order of the packed arrays, and this module's, which
    reads and packs the figures (changed: read again)."""
    return (*user_cache.file_key(path), sys.byteorder, *user_cache.file_key(Path(__file__)))


def _load_tables(path: Path) -> FontTables:
    """The font's figures; from the user cache when it has them (checked), else read and kept."""
    key = cache_key(path)
    tables = _unpacked(user_cache.load(_KIND, key))
    if tables is None:
        packed = _read_tables(path)
        user_cache.store(_KIND, key, packed)
        tables = _unpacked(packed)
        assert tables is not None, path  # what was just read always unpacks
    return tables


font_tables = _OnePerFile()


def _unpacked(packed: Any) -> FontTables | None:
    """The tables an entry holds, or None when it is not of their shape (then read again)."""
    try:
        if set(packed) != {*_SCALARS, *_PACKED, "postscript_name", "bbox"}:
            return None
        if not all(isinstance(packed[k], kind) for k, kind in (*_SCALARS.items(), *_PACKED.items())):
            return None
        name, bbox = packed["postscript_name"], packed["bbox"]
        if not (name is None or isinstance(name, str)) or len(bbox) != 4:
            return None
        advances, glyphs = (array(code, packed[k]) for k, code in _TYPECODES.items())
        size = len(packed["characters"])
        if len(advances) != size or len(glyphs) != size or packed["units_per_em"] <= 0:
            return None
        scalars: dict[str, Any] = {k: packed[k] for k in _SCALARS}
        return FontTables(
            postscript_name=name,
            bbox=(float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])),
            characters=packed["characters"],
            advances=advances,
            glyphs=glyphs,
            **scalars,
        )
    except (TypeError, ValueError, KeyError, OverflowError):  # of no shape at all
        return None


def _read_tables(path: Path) -> dict[str, Any]:
    """The figures, read with fontTools, packed: ``characters`` (the cmap's, in code point
    order), per character its ``advances`` (font units) and ``glyphs`` (glyph IDs), and glyph 0's
    ``notdef_width`` (1/1000 em). ``postscript_name`` is None when the file has none."""
    from fontTools.ttLib import TTFont  # only when the cache has not got them

    tt = TTFont(str(path), lazy=True)
    upm = tt["head"].unitsPerEm
    hmtx = tt["hmtx"].metrics
    cmap = sorted(tt.getBestCmap().items())
    hhea = tt["hhea"]
    scale = 1000 / upm
    order = tt.getGlyphOrder()
    gid = {glyph: n for n, glyph in enumerate(order)}
    os2, head = tt["OS/2"], tt["head"]
    tables = {
        "units_per_em": upm,
        "hhea_ascent": hhea.ascent,
        "hhea_descent": hhea.descent,
        "postscript_name": tt["name"].getDebugName(6),
        "characters": "".join(chr(cp) for cp, _ in cmap),
        "advances": array("H", [hmtx[glyph][0] for _, glyph in cmap]).tobytes(),
        "glyphs": array("H", [gid[glyph] for _, glyph in cmap]).tobytes(),
        "notdef_width": round(hmtx[order[0]][0] * scale) if order[0] in hmtx else 0,
        "ascent": float(os2.sTypoAscender * scale),
        "descent": float(os2.sTypoDescender * scale),
        "cap_height": float(getattr(os2, "sCapHeight", os2.sTypoAscender) * scale),
        "bbox": (head.xMin * scale, head.yMin * scale, head.xMax * scale, head.yMax * scale),
        "italic_angle": float(tt["post"].italicAngle),
        "stem_v": 50 + int((os2.usWeightClass / 65) ** 2),
    }
    tt.close()
    return tables
