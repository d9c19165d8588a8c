"""What eur1pdf reads from a TrueType file, read once per font file and kept in the user cache.

Placement needs the advance widths and the vertical metrics
(:class:`eur1pdf.placement.text.FontMetrics`); the PDF writer needs the glyph
IDs, widths in 1/1000 em and the descriptor's figures
(:class:`eur1pdf.pdf.fonts.FontProgram`). Both come from one reading of the
file with fontTools, which costs a new process more than the certificate: the
figures are kept in :mod:`eur1pdf.user_cache` under the file's identity, so a
later process neither parses the font nor imports fontTools.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from eur1pdf import user_cache

_KIND = "font-tables"


@cache
def font_tables(path: Path) -> dict[str, Any]:
    """The font's figures (see :func:`_read_tables` for the keys); from the cache when it has them."""
    key = user_cache.file_key(path)
    tables = user_cache.load(_KIND, key)
    if not isinstance(tables, dict) or set(tables) != _KEYS:
        tables = _read_tables(path)
        user_cache.store(_KIND, key, tables)
    return tables


_KEYS = {
    "units_per_em",
    "hhea_ascent",
    "hhea_descent",
    "units",
    "postscript_name",
    "glyph_of",
    "hex_of",
    "widths",
    "ascent",
    "descent",
    "cap_height",
    "bbox",
    "italic_angle",
    "stem_v",
}


def _read_tables(path: Path) -> dict[str, Any]:
    """The figures, read with fontTools: for placement in font units (``units``: code point ->
    advance), for the PDF in 1/1000 em (``widths``: glyph ID -> advance; ``glyph_of``: code
    point -> glyph ID). ``postscript_name`` is None when the file has none."""
    from fontTools.ttLib import TTFont  # only when the cache has not got them

    tt = TTFont(str(path), lazy=True)
    upm = tt["head"].unitsPerEm
    hmtx = tt["hmtx"].metrics
    cmap = tt.getBestCmap()
    hhea = tt["hhea"]
    scale = 1000 / upm
    gid = {glyph: n for n, glyph in enumerate(tt.getGlyphOrder())}
    glyph_of = {cp: gid[glyph] for cp, glyph in cmap.items()}
    os2, head = tt["OS/2"], tt["head"]
    tables = {
        "units_per_em": upm,
        "hhea_ascent": hhea.ascent,
        "hhea_descent": hhea.descent,
        "units": {cp: hmtx[glyph][0] for cp, glyph in cmap.items()},
        "postscript_name": tt["name"].getDebugName(6),
        "glyph_of": glyph_of,
        "hex_of": {cp: f"{g:04X}" for cp, g in glyph_of.items()},  # for str.translate (the PDF's text)
        "widths": {gid[glyph]: round(advance * scale) for glyph, (advance, _) in hmtx.items()},
        "ascent": os2.sTypoAscender * scale,
        "descent": os2.sTypoDescender * scale,
        "cap_height": getattr(os2, "sCapHeight", os2.sTypoAscender) * scale,
        "bbox": (head.xMin * scale, head.yMin * scale, head.xMax * scale, head.yMax * scale),
        "italic_angle": float(tt["post"].italicAngle),
        "stem_v": 50 + int((os2.usWeightClass / 65) ** 2),
    }
    tt.close()
    return tables
