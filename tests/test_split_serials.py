"""A split final is several certificates: each part its own serial, digest, QR code and link."""

from __future__ import annotations

import copy
import io
import json
import re
from urllib.parse import parse_qs, unquote, urlparse

import pikepdf
import pypdfium2
import pytest
import zxingcpp

from eur1pdf import FillOptions, render
from eur1pdf.certificate.digest import canonical_bytes, digest_of
from eur1pdf.certificate.model import certificate_from_data
from eur1pdf.errors import InputError
from tests.conftest import cli, open_pdf

pytestmark = pytest.mark.slow  # QR codes decoded from 150 dpi renders of several certificates

LINK = "https://verify.example.org/eur1/{serial}?d={digest}"
SPLIT_FINAL = FillOptions(final=True, on_overflow="split", sheets=(1,), verify_url=LINK)


def _many_items(example: dict, count: int) -> dict:
    data = copy.deepcopy(example)
    source = data["items"]
    data["items"] = [
        {**source[n % len(source)], "marks": f"PM-{n + 1:03d}", "gross_mass": f"{10 + n} kg"}
        for n in range(count)
    ]
    return data


def _qr_payloads(pdf: bytes) -> list[list[str]]:
    document = pypdfium2.PdfDocument(pdf)
    pages = []
    for page in document:
        image = page.render(scale=150 / 72).to_pil()
        pages.append(
            [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
        )
    return pages


def test_each_part_of_a_split_final_is_a_certificate_of_its_own(example):
    data = _many_items(example, 60)
    data["split_serials"] = ["A 123.457"]
    pdf = render(data, SPLIT_FINAL)
    whole = certificate_from_data(data)
    payloads = _qr_payloads(pdf)
    assert [len(p) for p in payloads] == [1, 0, 1, 0], "one QR code on each certificate's front"
    links = [p[0] for p in payloads if p]
    assert len(set(links)) == 2
    with open_pdf(pdf) as doc:
        texts = [page.extract_text() for page in doc.pages][::2]  # the fronts
    seen_items = 0
    for text, link in zip(texts, links, strict=True):
        url = urlparse(link)
        serial, digest = unquote(url.path.rsplit("/", 1)[1]), parse_qs(url.query)["d"][0]
        assert serial in text, "the QR code names the serial printed on its certificate"
        marks = sorted(set(re.findall(r"PM-(\d{3})", text)))
        items = [whole.items[int(m) - 1] for m in marks]
        assert items == whole.items[seen_items : seen_items + len(items)], "the parts take the items in order"
        seen_items += len(items)
        part = whole.model_copy(update={"items": items, "serial": serial, "split_serials": []})
        assert digest == digest_of(canonical_bytes(part)), "the digest covers this part's items alone"
    assert seen_items == 60
    serials = [unquote(urlparse(link).path.rsplit("/", 1)[1]) for link in links]
    assert serials == ["A 123.456", "A 123.457"]
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        listed = json.loads(str(doc.docinfo["/Eur1pdfParts"]))
        assert "/Eur1pdfVerification" not in doc.docinfo, "no single link stands for several certificates"
    assert [p["link"] for p in listed] == links and [p["serial"] for p in listed] == serials


def test_a_final_split_without_enough_serials_is_refused_naming_the_field(example, tmp_path):
    data = _many_items(example, 60)
    with pytest.raises(InputError, match=r"split_serials: the items need 2 certificates.*0 given"):
        render(data, SPLIT_FINAL)
    data["split_serials"] = ["A 123.456"]
    with pytest.raises(InputError, match=r"'A 123.456' is used twice"):
        render(data, SPLIT_FINAL)
    del data["serial"]
    with pytest.raises(InputError, match="needs its own serial"):
        render(data, SPLIT_FINAL)
    source = tmp_path / "split.json"
    source.write_text(json.dumps(_many_items(example, 60)), encoding="utf-8")
    result = cli("fill", str(source), "-o", str(tmp_path / "o.pdf"), "--final", "--on-overflow", "split")
    assert result.returncode == 1 and "split_serials" in result.stderr
    assert not (tmp_path / "o.pdf").exists()


def test_drafts_keep_the_part_marking_and_unsplit_finals_are_as_before(example):
    data = _many_items(example, 60)
    with open_pdf(render(data, FillOptions(draft=True, on_overflow="split", sheets=(1,)))) as doc:
        texts = [page.extract_text() for page in doc.pages]
    assert "A 123.456 (1/2)" in texts[0] and "A 123.456 (2/2)" in texts[2]
    fits = _many_items(example, 5)
    plain = render(fits, FillOptions(final=True, sheets=(1,), verify_url=LINK))
    fits["split_serials"] = ["X 1"]  # not needed: one certificate; the data (and its digest) differ
    assert render(fits, SPLIT_FINAL) != plain
    with pikepdf.open(io.BytesIO(plain)) as doc:
        assert "/Eur1pdfParts" not in doc.docinfo and "/Eur1pdfVerification" in doc.docinfo
