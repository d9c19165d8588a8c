"""Drafts: the DRAFT watermark layer on every page, and errors allowed only on drafts."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pikepdf
import pytest

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
        (ocg,) = doc.Root.OCProperties.OCGs
        assert str(ocg.Name) == "Watermark", "a layer the golden comparison can recognise"
        for page in doc.pages:
            assert "/Watermark" in page.Resources.XObject
            assert b"/OC /Watermark BDC" in page.Contents.read_bytes()


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
