"""A font file a user's or plug-in's layout brings (``[fonts]``, ``NAME.ttf`` beside the layout).

eur1pdf's own fonts are known good; a user's may be cut short, scrambled or not a font at all,
and fontTools fails on such a file in as many ways as the bytes allow, some only when a glyph
is subset half-way through a PDF. So it is read within its size limit and decompiled whole
when the layout is loaded, and refused there, naming it.
"""

from __future__ import annotations

import logging
from io import BytesIO
from pathlib import Path

from fontTools.ttLib import TTFont

from eur1pdf.errors import Eur1pdfError
from eur1pdf.small_files import FileRefused, read_small_file

# What measuring, embedding and subsetting a font read: a TrueType font (glyf outlines, which
# the PDF embeds as FontFile2) with its metrics, its character map and its names.
USER_FONT_TABLES = ("head", "hhea", "hmtx", "maxp", "cmap", "OS/2", "post", "name", "loca", "glyf")


def user_font(path: Path) -> TTFont:
    """A font file a layout brings, read within its size limit and decompiled whole, so that a
    truncated or garbage file is refused here, naming it, not half-way through a PDF."""
    try:
        data = read_small_file(path, "font")
    except FileRefused as exc:
        raise Eur1pdfError(f"font file {path}: {exc}") from None
    quiet = logging.getLogger("fontTools")  # its warnings about a broken file: the error says it
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        tt = TTFont(BytesIO(data), lazy=False, recalcBBoxes=False, recalcTimestamp=False)
        missing = [tag for tag in USER_FONT_TABLES if tag not in tt]
        if missing:
            raise ValueError(f"it has no {', '.join(missing)} table (a TrueType .ttf is needed)")
        tt.ensureDecompiled()
        if not 16 <= tt["head"].unitsPerEm <= 16384:
            raise ValueError(f"unitsPerEm {tt['head'].unitsPerEm} is not from 16 to 16384")
        cmap = tt.getBestCmap()
        if not cmap:
            raise ValueError("it has no Unicode character map")
        hmtx = tt["hmtx"].metrics
        if any(glyph not in hmtx for glyph in cmap.values()):
            raise ValueError("its character map names glyphs it has no widths for")
    except Exception as exc:  # fontTools raises what the bytes provoke: struct, key, assertion, ...
        raise Eur1pdfError(
            f"font file {path}: not a usable TrueType font ({type(exc).__name__}: {exc})"
        ) from None
    finally:
        quiet.setLevel(level)
    return tt
