"""Final certificates: ORIGINAL/COPY marks, the customs stamp in box 11, the QR code, the digest."""

from __future__ import annotations

import io
import json
import os

import pikepdf
import pypdfium2
import pytest
import zxingcpp

from eur1pdf import Eur1pdfError, FillOptions, certificate_from_data, render
from eur1pdf.certificate.digest import canonical_bytes, digest

from .conftest import EXAMPLE, ROOT, box_rect_pt, cli, open_pdf, text_in

TEMPLATE = "https://verify.example.org/eur1/{serial}?d={digest}"
FINAL_EXAMPLE = ROOT / "examples" / "eur1-ch-mx-final.json"


@pytest.fixture
def final_data() -> dict:
    return json.loads(FINAL_EXAMPLE.read_text(encoding="utf-8"))


def big_text(page) -> str:
    return "".join(c["text"] for c in page.chars if c["size"] > 60)


def test_digest_is_stable_and_documented():
    cert = certificate_from_data(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    # a change here breaks every verification link already issued: only on purpose
    assert digest(cert) == "a51460ab522a95ad14a6e081cd8701bfa4d97ce0d6ce2ff7cad88a5db3e2d3ca"
    canonical = canonical_bytes(cert)
    assert canonical.startswith(b'{"agreement":"EFTA-MX","consignee":{"address":["Av. Reforma 100"')
    # the documented form: sorted keys, no whitespace between tokens, UTF-8 as is, no null/empty/false
    again = json.dumps(json.loads(canonical), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical == again.encode("utf-8")
    assert "Ciudad de México".encode() in canonical
    assert b"null" not in canonical and b"[]" not in canonical and b"false" not in canonical


def test_final_marks_each_sheet(final_data):
    with open_pdf(render(final_data, FillOptions(final=True, verify_url=TEMPLATE))) as pdf:
        marks = [big_text(p) for p in pdf.pages]
        assert marks == ["ORIGINAL", "ORIGINAL", "COPY", "", ""]
        assert all("DRAFT" not in p.extract_text() for p in pdf.pages)


def test_draft_has_no_final_marks_and_no_stamp(final_data, eur1):
    with open_pdf(render(final_data, FillOptions(draft=True, sheets=(1,)))) as pdf:
        page = pdf.pages[0]
        assert big_text(page) == "DRAFT"
        assert "VALIDATED" not in page.extract_text() and not page.images


def test_stamp_inside_box_11_of_certificate_and_copy(final_data, eur1):
    with open_pdf(render(final_data, FillOptions(final=True, verify_url=TEMPLATE))) as pdf:
        for number in (0, 2):
            box11 = text_in(pdf.pages[number], box_rect_pt(eur1, "11"))
            for line in (  # on box 11's own printed lines (tests/test_acceptance.py: where)
                "VALIDATED ELECTRONICALLY",
                "Basel-Freilager",
                "Basel-Freilager, 22.11.2026",
                "Reference: 26CH-0815-4711",
                "EX-A",
                "26CH000123456789",
                "Switzerland",
            ):
                assert line in box11
    with open_pdf(render(final_data, FillOptions(sheets=(1,)))) as pdf:
        assert "VALIDATED" not in pdf.pages[0].extract_text(), "only a final carries the customs validation"


@pytest.mark.slow
def test_qr_code_decodes_from_a_150_dpi_render(final_data, eur1):
    pdf_bytes = render(final_data, FillOptions(final=True, verify_url=TEMPLATE, sheets=(1,)))
    expected = TEMPLATE.format(serial="A%20123.456", digest=digest(certificate_from_data(final_data)))
    image = pypdfium2.PdfDocument(pdf_bytes)[0].render(scale=150 / 72).to_pil()
    found = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert found == [expected]
    with open_pdf(pdf_bytes) as pdf:
        page = pdf.pages[0]
        (img,) = page.images
        for number in ("11", "12"):  # customs write and stamp in 11, the exporter signs in 12
            x0, top, x1, bottom = box_rect_pt(eur1, number)
            assert img["x1"] <= x0 or img["x0"] >= x1 or img["bottom"] <= top or img["top"] >= bottom
        x0, top, x1, bottom = box_rect_pt(eur1, "2")  # the header above box 2: beside the serial
        assert x0 < img["x0"] < img["x1"] < x1 and img["bottom"] < top, "QR beside the serial number"
        above = [w for w in page.extract_words() if w["bottom"] < img["top"]]
        assert [w["text"] for w in above] == [expected], "the link on one line above the QR code"


def test_payload_in_metadata_and_data_attached(final_data):
    pdf_bytes = render(final_data, FillOptions(final=True, verify_url=TEMPLATE))
    cert = certificate_from_data(final_data)
    link = TEMPLATE.format(serial="A%20123.456", digest=digest(cert))
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        info = pdf.docinfo
        assert str(info["/Eur1pdfVerification"]) == link
        assert str(info["/Eur1pdfDigest"]) == digest(cert)
        assert str(info["/Eur1pdfStatus"]) == "final"
        xmp = str(pdf.open_metadata())
        assert link.replace("&", "&amp;") in xmp and digest(cert) in xmp
        attached = pdf.attachments["certificate.json"].get_file().read_bytes()
        assert attached == canonical_bytes(cert)


def test_final_is_deterministic(final_data):
    options = FillOptions(final=True, verify_url=TEMPLATE)
    assert render(final_data, options) == render(final_data, options)


@pytest.mark.slow
def test_bad_template_and_both_modes(final_data, tmp_path):
    with pytest.raises(Eur1pdfError, match=r"\{serial\} and \{digest\}"):
        render(final_data, FillOptions(final=True, verify_url="https://x.example/{id}"))
    with pytest.raises(Eur1pdfError, match="either a draft or final"):
        render(final_data, FillOptions(final=True, draft=True))
    result = cli("fill", str(FINAL_EXAMPLE), "-o", str(tmp_path / "o.pdf"), "--draft", "--final")
    assert result.returncode == 2 and "not allowed with argument" in result.stderr


@pytest.mark.slow
def test_verify_url_from_a_settings_file(tmp_path):
    settings = tmp_path / "site.toml"
    settings.write_text(f'verify_url = "{TEMPLATE}"\n', encoding="utf-8")
    out = tmp_path / "o.pdf"
    cmd = ["fill", str(FINAL_EXAMPLE), "-o", str(out), "--final", "--sheets", "1"]
    result = cli(*cmd, "--config", str(settings))
    assert result.returncode == 0, result.stderr
    with pikepdf.open(out) as pdf:
        assert str(pdf.docinfo["/Eur1pdfVerification"]).startswith(
            "https://verify.example.org/eur1/A%20123.456?d="
        )
    env = {**os.environ, "EUR1PDF_CONFIG": str(settings)}
    override = "https://other.example.org/{digest}"
    result = cli(*cmd, "--verify-url", override, env=env)
    assert result.returncode == 0, result.stderr
    with pikepdf.open(out) as pdf:
        assert str(pdf.docinfo["/Eur1pdfVerification"]).startswith("https://other.example.org/"), (
            "the option wins"
        )
    settings.write_text('verify_ur = "typo"\n', encoding="utf-8")
    result = cli(*cmd, "--config", str(settings))
    assert result.returncode == 1 and "verify_ur: unknown key" in result.stderr
