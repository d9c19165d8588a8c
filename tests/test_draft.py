"""Drafts: the DRAFT watermark layer on every page, and errors allowed only on drafts."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pikepdf
import pypdfium2
import pytest
from pdfminer.high_level import extract_text

from eur1pdf import Eur1pdfError, FillOptions, render
from eur1pdf.rules import RuleViolation

from .conftest import EXAMPLE, fill, open_pdf


def test_draft_marks_every_page(example):
    pdf_bytes = fill(example, draft=True)
    with open_pdf(pdf_bytes) as pdf:
        assert len(pdf.pages) == 5
        for page in pdf.pages:
            text = page.extract_text()
            assert "PROVISIONAL — NOT VALID FOR CUSTOMS PURPOSES" in text
            big = [c for c in page.chars if c["size"] > 100]
            assert "".join(c["text"] for c in big) == "DRAFT"
            assert all(c["non_stroking_color"] == (0.8, 0.1, 0.1) for c in big)
            assert "Präzisionsteile" in text or page.page_number in (2, 5), "the data stays"
    with pikepdf.open(io.BytesIO(pdf_bytes)) as doc:
        assert "/OCProperties" not in doc.Root, "no layer a viewer could switch off"
        for page in doc.pages:
            assert "/Watermark" in page.Resources.XObject
            assert b"/Watermark BMC q /Watermark Do Q EMC" in page.Contents.read_bytes(), (
                "tagged, not optional"
            )


def _red_pixels(pdf_bytes: bytes) -> int:
    """How many pixels of page 1 are the draft marks' red (the translucent DRAFT and the margin line)."""
    page = pypdfium2.PdfDocument(pdf_bytes)[0]
    pixels = page.render(scale=0.5, may_draw_forms=True).to_numpy().astype(int)  # BGR(A)
    return int(((pixels[..., 2] - pixels[..., 1]) > 20).sum())


def _every_layer_off(pdf_bytes: bytes) -> bytes:
    """The draft with every optional-content group switched off, and every /OC sequence removed."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as doc:
        if "/OCProperties" in doc.Root:
            default = doc.Root.OCProperties.D
            default.OFF = doc.Root.OCProperties.OCGs
            default.ON = pikepdf.Array()
        for page in doc.pages:
            content = page.Contents.read_bytes()
            page.Contents = doc.make_stream(re.sub(rb"/OC /\w+ BDC.*?EMC", b"", content, flags=re.S))
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


FORMS = ["eur1-ch-mx", "eur-med-ch-ma", "eur1-quad-ch-in", "eur1-cn-ch-cn"]  # an example of each form


def _example(stem: str) -> dict:
    return json.loads((EXAMPLE.parent / f"{stem}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("stem", FORMS)
def test_draft_shows_draft_with_every_layer_off(stem):
    draft = render(_example(stem), FillOptions(draft=True, sheets=(1,)))
    hidden = _every_layer_off(draft)
    assert _red_pixels(hidden) == _red_pixels(draft) > 2000
    with open_pdf(hidden) as pdf:
        assert "PROVISIONAL" in pdf.pages[0].extract_text()


def test_final_marks_stay_switchable(example):
    final = render(example, FillOptions(final=True, sheets=(1,)))
    with pikepdf.open(io.BytesIO(final)) as doc:
        (ocg,) = doc.Root.OCProperties.OCGs
        assert str(ocg.Name) == "Watermark" and b"/OC /Watermark BDC" in doc.pages[0].Contents.read_bytes()


@pytest.mark.parametrize("stem", FORMS)
def test_provisional_line_inside_printable_area(stem):
    with open_pdf(render(_example(stem), FillOptions(draft=True))) as pdf:
        for page in pdf.pages:
            line = [c for c in page.chars if c["size"] < 30 and c["non_stroking_color"] == (0.8, 0.1, 0.1)]
            inside = 6 * 72 / 25.4
            assert "".join(c["text"] for c in line).startswith("PROVISIONAL")
            assert min(c["top"] for c in line) >= inside and min(c["x0"] for c in line) >= inside
            assert max(c["x1"] for c in line) <= page.width - inside


@pytest.mark.parametrize("stem", FORMS)
def test_extractors_read_the_address_line_by_line(stem):
    data = _example(stem)
    text = extract_text(io.BytesIO(render(data, FillOptions(sheets=(1,)))))
    lines = [line.strip() for line in text.splitlines()]
    exporter = data["exporter"]
    for expected in (exporter["name"], *exporter["address"]):
        assert expected in lines, f"{expected!r} is not a line of its own"


def test_no_draft_marks_otherwise(example):
    with open_pdf(fill(example)) as pdf:
        assert all(
            "DRAFT" not in p.extract_text() and "PROVISIONAL" not in p.extract_text() for p in pdf.pages
        )


def test_draft_is_deterministic(example):
    assert fill(example, draft=True) == fill(example, draft=True)


def test_errors_allowed_on_drafts_only(example):
    example["origin"] = "Germany"
    with pytest.raises(RuleViolation):
        render(example, FillOptions(draft=True))
    with pytest.raises(Eur1pdfError, match="draft only"):
        render(example, FillOptions(allow_errors=True))
    with open_pdf(render(example, FillOptions(draft=True, allow_errors=True, sheets=(1,)))) as pdf:
        page = pdf.pages[0]
        assert "".join(c["text"] for c in page.chars if c["size"] > 100) == "DRAFT"
        assert "Germany" in page.extract_text()


@pytest.mark.slow
def test_cli_allow_errors(tmp_path):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["origin"] = "Germany"
    src = tmp_path / "de.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "o.pdf"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "eur1pdf.cli", "fill", str(src), "-o", str(out), *args],
            capture_output=True,
            text=True,
        )

    result = run("--allow-errors")
    assert result.returncode == 2 and "drafts only" in result.stderr and not out.exists()
    result = run("--draft")
    assert result.returncode == 1 and "box4.member_state" in result.stderr and not out.exists()
    result = run("--draft", "--allow-errors")
    assert result.returncode == 0 and "error: box 4" in result.stderr and out.exists()
