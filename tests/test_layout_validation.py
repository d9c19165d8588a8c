"""The geometry checks made on load (eur1pdf.layouts.validation), problems named by face and box."""

from __future__ import annotations

import pytest

from eur1pdf.errors import LayoutError
from eur1pdf.layouts import load_layout_file


def test_problems_after_a_face_text_still_name_the_face(tmp_path):
    """The certificate face has a title and texts; a problem found after them (a field off the page)
    names the face, not the text's placement."""
    path = tmp_path / "wide.toml"
    path.write_text(
        'base = "eur1"\nname = "wide"\n\n[[faces.certificate.fields]]\n'
        'source = "remarks"\nx = 200.0\ny = 10.0\nw = 20.0\nh = 5.0\n',
        encoding="utf-8",
    )
    with pytest.raises(LayoutError) as caught:
        load_layout_file(path)
    lines = str(caught.value).splitlines()
    assert f"{path}: faces.certificate: field remarks lies outside the page" in lines
    assert all("Placement" not in line and "TextElement" not in line for line in lines)
