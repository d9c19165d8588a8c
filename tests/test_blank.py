"""The blank set is drawn from the layout, reproducibly, and looks like the specimen."""

from __future__ import annotations

import subprocess
import sys

import pytest

from eur1pdf.artwork.blank import blank_path, build_blank

from .conftest import box_rect_pt, open_pdf, text_in
from .test_layouts import OFFICIAL_LABELS


def test_committed_blank_is_what_the_layout_draws(eur1):
    assert blank_path(eur1).read_bytes() == build_blank(eur1), (
        "blank_forms/eur1.pdf is stale: run `eur1pdf blank eur1 -o blank_forms/eur1.pdf`"
    )


@pytest.mark.slow
def test_blank_command_rebuilds_the_same_bytes(tmp_path, eur1):
    out = tmp_path / "eur1.pdf"
    subprocess.run([sys.executable, "-m", "eur1pdf.cli", "blank", "eur1", "-o", str(out)], check=True)
    assert out.read_bytes() == blank_path(eur1).read_bytes()


def test_blank_set_pages_and_labels(eur1):
    with open_pdf(blank_path(eur1).read_bytes()) as pdf:
        assert len(pdf.pages) == 5
        for page in pdf.pages:
            assert (round(page.width), round(page.height)) == (595, 842)  # A4 in pt
        front = " ".join(pdf.pages[0].extract_text().split())
        for number, label in OFFICIAL_LABELS.items():
            in_box = text_in(pdf.pages[0], box_rect_pt(eur1, number)).replace(" ", "")
            assert in_box.startswith(f"{number}.{label}".replace(" ", "")), (number, in_box)
        for text in ("MOVEMENT CERTIFICATE", "EUR.1", "See notes overleaf before completing this form."):
            assert text in front
        assert (
            '(1) If goods are not packed, indicate number of articles or state "in bulk" as appropriate.'
            in front
        )
        reverse = " ".join(pdf.pages[1].extract_text().split())
        for text in (
            "REQUEST FOR VERIFICATION, to",
            "RESULT OF VERIFICATION",
            "NOTES",
            "item number",
            "horizontal line",
        ):
            assert text in reverse
        application = " ".join(pdf.pages[3].extract_text().split())
        assert "APPLICATION FOR A MOVEMENT CERTIFICATE" in application
        assert "11. CUSTOMS" not in application
        declaration = " ".join(pdf.pages[4].extract_text().split())
        for text in (
            "DECLARATION BY THE EXPORTER",
            "SPECIFY as follows",
            "SUBMIT the following supporting",
            "UNDERTAKE to submit",
            "REQUEST the issue",
        ):
            assert text in declaration


def _colour(value) -> tuple[float, ...]:
    """pdfplumber's colour as a tuple (DeviceGray black is a single number)."""
    values = value if isinstance(value, list | tuple) else (value,)
    return tuple(round(v, 2) for v in values)


def test_guilloche_only_on_the_certificate(eur1):
    green = tuple(round(v, 2) for v in eur1.guilloche.color)
    with open_pdf(blank_path(eur1).read_bytes()) as pdf:
        counts = [sum(1 for c in p.curves if _colour(c["stroking_color"]) == green) for p in pdf.pages]
        first = pdf.pages[0]
        spread = (
            min(c["x0"] for c in first.curves),
            max(c["x1"] for c in first.curves),
            min(c["top"] for c in first.curves),
            max(c["bottom"] for c in first.curves),
        )
    assert counts[0] > 50 and counts[1:] == [0, 0, 0, 0]
    assert spread[0] < 40 and spread[1] > 555 and spread[2] < 40 and spread[3] > 800, "covers the sheet"
