"""Internal (the PDF writer): fonts embedded as subsets, shared by the blank form, the data and the marks.

One document embeds each font once (Type0, Identity-H, TrueType outlines)
and every layer draws with it. Subsetting with fontTools takes 100-250 ms,
far more than the rest of a certificate, so a subset is made for a *glyph
set* and kept: the set is what the blank form and marks print and, for a
font the data uses, a base (printable ASCII) plus, for any other
character, its whole block of 32 code points. Certificates whose text stays inside the same blocks share one
subset; a batch pays for a handful of subsets, not one per document, and
each subset is kept in the user cache (:mod:`eur1pdf.user_cache`), so the
next process reads it back instead of importing fontTools to cut it again.

Glyph IDs are kept (``retain_gids``), so a content stream's text does not
depend on which subset it is embedded with: the blank form's content is
written once and stays valid beside any subset.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from eur1pdf.errors import MissingGlyphError
from eur1pdf.pdf.syntax import SMALL, Body, array, dictionary, name, num, ref, stream
from eur1pdf.placement.font_tables import FontTables, font_tables
from eur1pdf.placement.text import FontMetrics
from eur1pdf.user_cache import file_key, load_cached, store_cached

BASE_CODEPOINTS = frozenset(range(0x20, 0x7F))
BLOCK = 32  # characters outside the base bring their whole block with them (accented lower-case Latin-1 …)
OBJECTS_PER_FONT = 5  # Type0, CIDFontType2, FontDescriptor, FontFile2, ToUnicode
SUBSET_CACHE_SIZE = 32


@dataclass(frozen=True)
class FontProgram:
    """What the PDF objects need from one font file, read once per process."""

    postscript_name: str
    hex_of: dict[int, str]  # code point -> glyph ID as 4 hex digits (str.translate): characters learnt
    tables: FontTables = field(repr=False)  # the descriptor's figures; per-glyph ones made when used

    @property
    def glyph_of(self) -> dict[int, int]:
        """Code point -> glyph ID."""
        return self.tables.glyph_of

    @property
    def widths(self) -> dict[int, int]:
        """Glyph ID -> advance in 1/1000 em."""
        return self.tables.width_of


@cache
def font_program(font: FontMetrics) -> FontProgram:
    tables = font_tables(font.path)  # read once per font file (user cache), shared with placement
    return FontProgram(
        postscript_name=tables.postscript_name or font.name,
        hex_of=tables.hex_of,
        tables=tables,
    )


def encode(font: FontMetrics, text: str) -> bytes:
    """``text`` as the hex string of its glyph IDs, ``<0024...>``, for Tj."""
    program = font_program(font)
    hexed = text.translate(program.hex_of)
    if len(hexed) != 4 * len(text) and program.tables.learn(text):  # characters not written before
        hexed = text.translate(program.hex_of)
    if len(hexed) != 4 * len(text):  # a character without a glyph was left as it was
        missing = next(c for c in text if ord(c) not in program.hex_of)
        raise MissingGlyphError(
            f"the font {font.name} has no glyph for '{missing}' (U+{ord(missing):04X})",
            field=None,
            char=missing,
        )
    return b"<" + hexed.encode("ascii") + b">"


def glyph_set(fixed: frozenset[int], variable: Iterable[int]) -> frozenset[int]:
    """The code points a subset covers.

    ``fixed``: what the template prints, the same in every document.
    ``variable``: what this certificate's data prints with the font; if
    anything, the subset also covers the base and, for every other
    character, its whole block, so that the next certificate most likely
    finds the same subset made.
    """
    variable = set(variable) - fixed
    if not variable:
        return fixed
    blocks = {cp // BLOCK for cp in variable if cp not in BASE_CODEPOINTS}
    extra = (cp for block in sorted(blocks) for cp in range(block * BLOCK, (block + 1) * BLOCK))
    return fixed | BASE_CODEPOINTS.union(extra)


class _Subsets:
    """The subset font files made so far, least recently used dropped first.

    Keyed by the font object itself (hashed by identity, kept alive by the
    key) and guarded by a lock: render_many may run on a thread pool.
    """

    def __init__(self) -> None:
        self._files: OrderedDict[tuple[FontMetrics, frozenset[int]], tuple[bytes, frozenset[int]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, font: FontMetrics, codepoints: frozenset[int]) -> tuple[bytes, frozenset[int]]:
        key = (font, codepoints)
        with self._lock:
            found = self._files.get(key)
            if found is not None:
                self._files.move_to_end(key)
                return found
        made = _cached_subset_file(font, codepoints)  # slow: made outside the lock (twice at worst)
        with self._lock:
            self._files[key] = made
            if len(self._files) > SUBSET_CACHE_SIZE:
                self._files.popitem(last=False)
        return made


_SUBSETS = _Subsets()


def _cached_subset_file(font: FontMetrics, codepoints: frozenset[int]) -> tuple[bytes, frozenset[int]]:
    """:func:`_subset_file`, kept in the user cache: the same font file, glyph set and fontTools
    give the same subset, so a new process reads it back instead of cutting it again."""
    # this module (the subsetting options) is part of the key: changed, cut again
    key = (*file_key(font.path), *_subsetter_key(), *file_key(Path(__file__)), tuple(sorted(codepoints)))
    found = load_cached("subset", key)
    if isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], bytes):
        return found[0], frozenset(found[1])
    data, glyphs = _subset_file(font, codepoints)
    store_cached("subset", key, (data, tuple(sorted(glyphs))))
    return data, glyphs


@cache
def _subsetter_key() -> tuple[str, int, int]:
    """The installed fontTools (another version may cut other bytes), found without importing it:
    its ``__init__.py`` in the first folder of the import path that has one, as the import finds
    it (``importlib.util.find_spec`` cost a new process's first certificate as much again)."""
    for folder in sys.path:
        with contextlib.suppress(OSError):
            return file_key(Path(folder or os.curdir) / "fontTools" / "__init__.py")
    return ("", 0, 0)


def _subset_file(font: FontMetrics, codepoints: frozenset[int]) -> tuple[bytes, frozenset[int]]:
    """The TrueType file cut down to ``codepoints`` (outlines only, no hinting) and its glyph IDs."""
    from fontTools import subset  # only for a glyph set the user cache has not got
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.hinting = False  # printing and screens at any zoom do well without; halves the size
    options.retain_gids = True  # the content streams' glyph IDs stay valid (module docstring)
    options.notdef_outline = True
    options.layout_features = []
    options.name_IDs = []
    options.name_languages = []
    options.glyph_names = False
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "DSIG", "name", "gasp"]
    tt = TTFont(str(font.path), recalcTimestamp=False)  # the file's own date: same glyphs, same bytes
    for tag in ("GSUB", "GPOS", "GDEF"):  # dropped anyway; removed unread, or subsetting decompiles
        if tag in tt:  # them first (0.4 s of each process's first certificate)
            del tt[tag]
    program = font_program(font)
    present = [cp for cp in sorted(codepoints) if cp in program.glyph_of]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=present)
    subsetter.subset(tt)
    buffer = io.BytesIO()
    tt.save(buffer)
    glyphs = frozenset(program.glyph_of[cp] for cp in present) | {0}
    return buffer.getvalue(), glyphs


def _tag(postscript_name: str, codepoints: frozenset[int]) -> str:
    """The six-letter subset prefix, derived from the glyph set (same set, same name)."""
    digest = hashlib.sha256(postscript_name.encode() + repr(sorted(codepoints)).encode()).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def _widths(program: FontProgram, glyphs: frozenset[int]) -> bytes:
    """The /W array: runs of consecutive glyph IDs with their widths."""
    parts: list[bytes] = []
    run: list[int] = []
    start = previous = -2
    for gid in sorted(glyphs):
        if gid != previous + 1 and run:
            parts.append(b"%d [%s]" % (start, b" ".join(b"%d" % w for w in run)))
            run = []
        if not run:
            start = gid
        run.append(program.widths.get(gid, 0))
        previous = gid
    if run:
        parts.append(b"%d [%s]" % (start, b" ".join(b"%d" % w for w in run)))
    return b"[" + b" ".join(parts) + b"]"


def _to_unicode(program: FontProgram, codepoints: frozenset[int]) -> bytes:
    """The CMap that lets text be copied and extracted: glyph ID -> character."""
    first_cp: dict[int, int] = {}
    for cp in sorted(codepoints):
        gid = program.glyph_of.get(cp)
        if gid is not None:
            first_cp.setdefault(gid, cp)
    entries = sorted(first_cp.items())
    lines = [
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    for start in range(0, len(entries), 100):  # at most 100 entries per section
        chunk = entries[start : start + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines += [
            b"<%04X> <%s>" % (gid, chr(cp).encode("utf-16-be").hex().upper().encode()) for gid, cp in chunk
        ]
        lines.append(b"endbfchar")
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    return b"\n".join(lines)


def font_objects(font: FontMetrics, fixed: frozenset[int], variable: Iterable[int], first: int) -> Body:
    """The five objects of one embedded font, numbered from ``first`` (the Type0 font);
    ``fixed`` and ``variable`` as for :func:`glyph_set`."""
    return _font_objects(font, glyph_set(fixed, variable), first)


_OBJECTS: OrderedDict[tuple[FontMetrics, frozenset[int], int], Body] = OrderedDict()
_OBJECTS_LOCK = threading.Lock()


def _font_objects(font: FontMetrics, codepoints: frozenset[int], first: int) -> Body:
    key = (font, codepoints, first)
    with _OBJECTS_LOCK:
        body = _OBJECTS.get(key)
        if body is not None:
            _OBJECTS.move_to_end(key)
            return body
    body = _kept_font_objects(font, codepoints, first)
    with _OBJECTS_LOCK:
        _OBJECTS[key] = body
        if len(_OBJECTS) > 4 * SUBSET_CACHE_SIZE:
            _OBJECTS.popitem(last=False)
    return body


def _kept_font_objects(font: FontMetrics, codepoints: frozenset[int], first: int) -> Body:
    """:func:`_made_font_objects`, kept in the user cache as written (the subset compressed, its
    widths and ToUnicode map): they depend on the font file, the glyph set, the object number, and
    the code and libraries that cut and write them (all in the key), never on a certificate. A new
    process's first certificate read its subset back and wrote these again (a fifth of it)."""
    key = _objects_key(font, codepoints, first)
    body = _decoded_objects(load_cached("font-objects", key), first)
    if body is None:
        body = _made_font_objects(font, codepoints, first)
        store_cached("font-objects", key, (body.first, body.chunks[0], tuple(body.offsets)))
    return body


def _objects_key(font: FontMetrics, codepoints: frozenset[int], first: int) -> tuple[object, ...]:
    """What the written objects depend on: the font file, fontTools, the writing code (zlib's
    version included), the object number and the glyph set (as its digest)."""
    from eur1pdf.pdf.kept_templates import code_key  # the writing code's identity

    glyphs_digest = hashlib.sha256(repr(sorted(codepoints)).encode()).hexdigest()
    return (*file_key(font.path), *_subsetter_key(), *code_key(), first, glyphs_digest)


def _decoded_objects(value: object, first: int) -> Body | None:
    """The objects an entry holds, checked (numbered from ``first``, offsets within the bytes)."""
    if not (isinstance(value, tuple) and len(value) == 3):
        return None
    number, data, offsets = value
    if number != first or not isinstance(data, bytes) or not isinstance(offsets, tuple):
        return None
    if len(offsets) != OBJECTS_PER_FONT or not all(isinstance(o, int) for o in offsets):
        return None
    if offsets[0] != 0 or list(offsets) != sorted(set(offsets)) or offsets[-1] >= len(data):
        return None
    if not data.startswith(b"%d 0 obj\n" % first) or not data.endswith(b"\nendobj\n"):
        return None
    body = Body(first)
    body.chunks, body.offsets, body.size = [data], list(offsets), len(data)
    return body


def _made_font_objects(font: FontMetrics, codepoints: frozenset[int], first: int) -> Body:
    """The five objects of one embedded font, written (one bytes chunk)."""
    program = font_program(font)
    data, glyphs = _SUBSETS.get(font, codepoints)
    base_font = name(f"{_tag(program.postscript_name, codepoints)}+{program.postscript_name}")
    body = Body(first)
    body.add(
        dictionary(
            {
                "Type": b"/Font",
                "Subtype": b"/Type0",
                "BaseFont": base_font,
                "Encoding": b"/Identity-H",
                "DescendantFonts": array([ref(first + 1)]),
                "ToUnicode": ref(first + 4),
            }
        )
    )
    body.add(
        dictionary(
            {
                "Type": b"/Font",
                "Subtype": b"/CIDFontType2",
                "BaseFont": base_font,
                "CIDSystemInfo": b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>",
                "FontDescriptor": ref(first + 2),
                "DW": b"1000",
                "W": _widths(program, glyphs),
                "CIDToGIDMap": b"/Identity",
            }
        )
    )
    body.add(
        dictionary(
            {
                "Type": b"/FontDescriptor",
                "FontName": base_font,
                "Flags": b"4",
                "FontBBox": array(num(v) for v in program.tables.bbox),
                "ItalicAngle": num(program.tables.italic_angle),
                "Ascent": num(program.tables.ascent),
                "Descent": num(program.tables.descent),
                "CapHeight": num(program.tables.cap_height),
                "StemV": b"%d" % program.tables.stem_v,
                "FontFile2": ref(first + 3),
            }
        )
    )
    body.add(stream({"Length1": b"%d" % len(data)}, data, level=SMALL))
    body.add(stream({}, _to_unicode(program, codepoints), level=SMALL))
    return body.frozen()


def embeddable(font: FontMetrics, text: str) -> tuple[str, bytes, frozenset[int], bytes]:
    """For a page stamped outside this writer (eur1pdf declare, with pikepdf): ``text``'s subset.

    The BaseFont name (tag included), the TrueType file, its glyph IDs and the
    ToUnicode CMap: what a Type0 font needs, made by the same code as ours.
    """
    program = font_program(font)
    codepoints = frozenset(map(ord, text)) | {32}
    data, glyphs = _SUBSETS.get(font, codepoints)
    return (
        f"{_tag(program.postscript_name, codepoints)}+{program.postscript_name}",
        data,
        glyphs,
        _to_unicode(program, codepoints),
    )
