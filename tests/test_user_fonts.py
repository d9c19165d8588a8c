"""A character the bundled font lacks: refused with advice, and printed with a font beside the layout."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from eur1pdf import FillOptions, load_layout_file, render, validate
from eur1pdf.errors import MissingGlyphError

from .conftest import open_pdf

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core (.ci/run)
GEORGIAN = "შპს თბილისი"  # "Tbilisi Ltd": no glyph in Liberation Sans


def test_a_georgian_name_needs_a_font_that_has_it(example, tmp_path):
    if not DEJAVU.is_file():
        pytest.skip("Debian's fonts-dejavu-core is not installed (.ci/run installs it)")
    data = copy.deepcopy(example)
    data["exporter"]["name"] = GEORGIAN
    with pytest.raises(MissingGlyphError, match="a layout whose fonts have it"):
        render(data, FillOptions(sheets=(1,)))
    assert any(f.code == "text.missing_glyph" for f in validate(data))
    shutil.copy(DEJAVU, tmp_path / "DejaVuSans.ttf")
    (tmp_path / "georgian.toml").write_text(
        'base = "eur1"\nname = "georgian"\n\n[fonts]\ndata = "DejaVuSans"\n', encoding="utf-8"
    )
    layout = load_layout_file(tmp_path / "georgian.toml")
    pdf = render(data, FillOptions(sheets=(1,)), layout=layout)
    with open_pdf(pdf) as doc:
        page = doc.pages[0]
        assert GEORGIAN in page.extract_text()
        fonts = {c["fontname"].split("+")[-1] for c in page.chars if c["text"] in GEORGIAN.replace(" ", "")}
    assert fonts == {"DejaVuSans"}, "the name is drawn in the layout's own font, embedded"
