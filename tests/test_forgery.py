"""Forgeries, as a forger would make them with pikepdf and pyHanko: each gives TAMPERED or UNTRUSTED SIGNER.

``verify`` makes the document again from the attached data and the
recorded options and compares the two, objects, pixels and QR codes; none of
these edits may pass as "the content matches", on unsigned or signed finals.
The edits know nothing of how eur1pdf structures a page (they work on the
page as any PDF tool sees it), so they stay valid when that structure changes.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pikepdf
import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from eur1pdf import FillOptions, render
from eur1pdf.certificate.digest import digest
from eur1pdf.certificate.model import certificate_from_data
from eur1pdf.finish.lock import sign
from eur1pdf.finish.verify import Verdict, verify
from eur1pdf.placement.qr_code import qr_pixels

from .conftest import PASSPHRASE, ROOT

pytestmark = pytest.mark.slow

TEMPLATE = "https://verify.example.org/eur1/{serial}?d={digest}"
FINAL_EXAMPLE = ROOT / "examples" / "eur1-ch-mx-final.json"
MATCHES = ("every object equals", "renders as the document made again")


@pytest.fixture(scope="module")
def final_pdf() -> bytes:
    data = json.loads(FINAL_EXAMPLE.read_text(encoding="utf-8"))
    return render(data, FillOptions(final=True, verify_url=TEMPLATE))


@pytest.fixture(scope="module")
def trust(signing_key) -> list[bytes]:
    return [signing_key[0].public_bytes(serialization.Encoding.PEM)]


def _sign(pdf: bytes, signing_key) -> bytes:
    when = datetime.now(UTC)
    return sign(pdf, signing_key[1], PASSPHRASE, reason="test", location="Bern", signing_time=when)


@pytest.fixture(scope="module")
def signed_pdf(final_pdf, signing_key) -> bytes:
    return _sign(final_pdf, signing_key)


def _edit(pdf_bytes: bytes, change: Callable[[pikepdf.Pdf], None]) -> bytes:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False)  # a forger keeps the XMP as it was
        return out.getvalue()


def _font(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )


def _draw(pdf: pikepdf.Pdf, content: bytes, prepend: bool = False, number: int = 0) -> None:
    page = pdf.pages[number]
    if "/Font" not in page.Resources:
        page.Resources.Font = pikepdf.Dictionary()
    page.Resources.Font["/Fz"] = _font(pdf)
    page.contents_add(pdf.make_stream(content), prepend=prepend)


def text_on_top(pdf: pikepdf.Pdf) -> None:
    _draw(pdf, b"BT /Fz 11 Tf 300 520 Td (9250 kg) Tj ET")


def white_box_and_other_value(pdf: pikepdf.Pdf) -> None:
    _draw(pdf, b"q 1 1 1 rg 380 400 120 40 re f Q BT /Fz 10 Tf 385 420 Td (9 999 kg) Tj ET")


def printable_free_text(pdf: pikepdf.Pdf) -> None:
    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.FreeText,
        Rect=[300, 500, 500, 530],
        Contents=pikepdf.String("Country of origin: XX"),
        DA=pikepdf.String("/Helv 12 Tf 0 g"),
        F=4,
    )
    pdf.pages[0].obj["/Annots"] = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annot)]))


def extra_form_drawn(pdf: pikepdf.Pdf) -> None:
    form = pdf.make_stream(b"0 0 1 rg 0 0 50 50 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form)
    form.BBox = [0, 0, 50, 50]
    pdf.pages[0].Resources.XObject["/Fx9"] = form
    pdf.pages[0].contents_add(pdf.make_stream(b"q 1 0 0 1 100 100 cm /Fx9 Do Q"))


def value_made_invisible(pdf: pikepdf.Pdf) -> None:
    _draw(pdf, b"3 Tr", prepend=True)  # the render mode persists into the page's own text


def white_fill_inserted(pdf: pikepdf.Pdf) -> None:
    _draw(pdf, b"1 1 1 rg 1 1 1 RG", prepend=True)


def cropped_page(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj["/CropBox"] = pikepdf.Array([0, 400, 595, 842])


def content_in_hidden_layer(pdf: pikepdf.Pdf) -> None:
    layer = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("Data")))
    page = pdf.pages[0]
    if "/Properties" not in page.Resources:
        page.Resources.Properties = pikepdf.Dictionary()
    page.Resources.Properties["/Hide"] = layer
    page.contents_add(pdf.make_stream(b"/OC /Hide BDC"), prepend=True)
    page.contents_add(pdf.make_stream(b"EMC"))
    properties = pdf.Root.get("/OCProperties") or pikepdf.Dictionary(D=pikepdf.Dictionary())
    properties.OCGs = pikepdf.Array([*properties.get("/OCGs", []), layer])
    properties.D.OFF = pikepdf.Array([layer])
    pdf.Root.OCProperties = properties


def lying_unicode_map(pdf: pikepdf.Pdf) -> None:
    cmap = next(o.ToUnicode for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/ToUnicode" in o)
    data = cmap.read_bytes()
    pairs = re.findall(rb"<[0-9A-Fa-f]{4}> <([0-9A-Fa-f]{4,})>", data)
    assert len(pairs) >= 2 and pairs[0] != pairs[1]
    first, second = data.index(pairs[0]), data.index(pairs[1], data.index(pairs[0]) + len(pairs[0]))
    lied = bytearray(data)
    lied[second : second + len(pairs[1])] = pairs[0]
    lied[first : first + len(pairs[0])] = pairs[1]
    cmap.write(bytes(lied))


def _images(pdf: pikepdf.Pdf) -> list[pikepdf.Stream]:
    return [
        o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == pikepdf.Name.Image
    ]


def qr_to_another_host(pdf: pikepdf.Pdf) -> None:
    link = str(pdf.docinfo["/Eur1pdfVerification"]).replace("verify.example.org", "verify.example.com")
    pixels, side = qr_pixels(link)
    for image in _images(pdf):
        image.write(pixels)
        image.Width = image.Height = side
    pdf.docinfo["/Eur1pdfVerification"] = link
    with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp["{https://eur1pdf.invalid/ns/1.0/}Eur1pdfVerification"] = link


def link_in_metadata_changed(pdf: pikepdf.Pdf) -> None:
    pdf.docinfo["/Eur1pdfVerification"] = "https://verify.example.com/eur1/forged"


def image_replaced(pdf: pikepdf.Pdf) -> None:
    image = _images(pdf)[0]
    image.write(bytes(255 - b for b in image.read_bytes()))


def data_and_metadata_forged(pdf: pikepdf.Pdf) -> None:
    """A coherent forgery of the attachment, its digest and the metadata; the pages as they were."""
    raw = pdf.attachments["certificate.json"].get_file().read_bytes().replace(b"1250 kg", b"9250 kg")
    pdf.attachments["certificate.json"] = pikepdf.AttachedFileSpec(pdf, raw, filename="certificate.json")
    forged = digest(certificate_from_data(json.loads(raw)))
    old = str(pdf.docinfo["/Eur1pdfDigest"])
    pdf.docinfo["/Eur1pdfDigest"] = forged
    pdf.docinfo["/Eur1pdfVerification"] = str(pdf.docinfo["/Eur1pdfVerification"]).replace(old, forged)


def printed_character_changed(pdf: pikepdf.Pdf) -> None:
    """The pages forged (one glyph of the text), the data and metadata as they were."""
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") != pikepdf.Name.Image:
            raw = obj.read_bytes()
            found = re.search(rb"<([0-9A-F]{4})([0-9A-F]{4})", raw)
            if found and found.group(1) != found.group(2) and b" Tj" in raw + b" TJ":
                obj.write(raw[: found.start(1)] + found.group(2) + raw[found.start(1) + 4 :])
                return
    raise AssertionError("no text shown as glyph IDs")


def page_removed(pdf: pikepdf.Pdf) -> None:
    del pdf.pages[-1]


def pages_reordered(pdf: pikepdf.Pdf) -> None:
    pdf.pages.reverse()


def acting_signature_widget(pdf: pikepdf.Pdf) -> None:
    """Found by review: a zero-area "signature" widget carrying script and a foreign link, with an
    AcroForm, was set aside as a signature's own and the file said "every object equals"."""
    widget = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Sig,
            T=pikepdf.String("Signature1"),
            Rect=pikepdf.Array([0, 0, 0, 0]),
            F=4,
            P=pdf.pages[0].obj,
            AA=pikepdf.Dictionary(
                PO=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('VALID')"))
            ),
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://evil.example/verify")),
        )
    )
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([widget]))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([widget]), SigFlags=1)


def layer_default_switched(pdf: pikepdf.Pdf) -> None:
    properties = pdf.Root.OCProperties
    properties.D.OFF = pikepdf.Array(list(properties.OCGs))


EDITS = [
    text_on_top,
    white_box_and_other_value,
    printable_free_text,
    extra_form_drawn,
    value_made_invisible,
    white_fill_inserted,
    cropped_page,
    content_in_hidden_layer,
    layer_default_switched,
    lying_unicode_map,
    qr_to_another_host,
    link_in_metadata_changed,
    image_replaced,
    data_and_metadata_forged,
    printed_character_changed,
    page_removed,
    pages_reordered,
    acting_signature_widget,
]


def assert_forgery_caught(verdict: Verdict, statuses: tuple[str, ...] = ("tampered",)) -> None:
    assert verdict.status in statuses, (verdict.status, verdict.reasons)
    assert verdict.reasons
    assert not any(m in check for check in verdict.checks for m in MATCHES), verdict.checks


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_forged_unsigned_final_is_tampered(final_pdf, edit):
    assert_forgery_caught(verify(_edit(final_pdf, edit)))


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_forged_then_signed_by_an_untrusted_key_is_never_valid(final_pdf, signing_key, edit):
    """A forger signs the forgery with a key of their own: tampered (the content), never valid."""
    assert_forgery_caught(verify(_sign(_edit(final_pdf, edit), signing_key)))


def test_page_edits_name_the_page(final_pdf):
    verdict = verify(_edit(final_pdf, text_on_top))
    assert any(r.startswith("page 1") for r in verdict.reasons), verdict.reasons
    verdict = verify(_edit(final_pdf, printed_character_changed))
    assert any("box" in r for r in verdict.reasons), verdict.reasons


def _incremental(pdf: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _retitle(writer: IncrementalPdfFileWriter) -> None:
    info = writer.trailer["/Info"]
    info["/Title"] = generic.TextStringObject("EUR.1 movement certificate Z 999.999")
    writer.update_container(info)


def _stamp(writer: IncrementalPdfFileWriter) -> None:
    page_ref, _ = writer.find_page_for_modification(0)
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Stamp"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (50, 50, 250, 120)]
            ),
            generic.NameObject("/Contents"): generic.TextStringObject("APPROVED"),
            generic.NameObject("/F"): generic.NumberObject(4),
        }
    )
    writer.register_annotation(page_ref, writer.add_object(annot))


def _second_description(writer: IncrementalPdfFileWriter) -> None:
    """Found by review: a second rdf:Description with another title, before the genuine one (the
    properties read as a dictionary kept the genuine value, and pyHanko rates XMP updates as
    long-term-validation housekeeping)."""
    metadata = writer.root["/Metadata"].get_object()
    packet = metadata.data
    forged = packet.replace(
        b"<rdf:Description",
        b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">FORGED TITLE</rdf:li></rdf:Alt></dc:title>'
        b"</rdf:Description><rdf:Description",
        1,
    )
    assert forged != packet
    kind = {
        generic.NameObject(k): generic.NameObject(v)
        for k, v in {"/Type": "/Metadata", "/Subtype": "/XML"}.items()
    }
    stream = generic.StreamObject(kind, forged)
    writer.root["/Metadata"] = writer.add_object(stream)
    writer.update_root()


@pytest.mark.parametrize(
    "change",
    [_retitle, _stamp, _second_description],
    ids=["info_changed", "annotation_added", "xmp_rewritten"],
)
def test_incremental_update_after_signing_is_tampered(signed_pdf, trust, change):
    assert verify(signed_pdf, trust).status == "valid"
    assert_forgery_caught(verify(_incremental(signed_pdf, change), trust))


def test_self_signed_signer_without_trust_is_untrusted(signed_pdf):
    verdict = verify(signed_pdf)
    assert verdict.status == "untrusted-signer" and not verdict.valid
    assert "does not chain to" in verdict.reasons[0]


def test_untouched_finals_still_verify(final_pdf, signed_pdf, signing_key, trust):
    assert verify(final_pdf).status == "unsigned"
    assert verify(signed_pdf, trust).status == "valid"
    data = json.loads(FINAL_EXAMPLE.read_text(encoding="utf-8"))
    locked = render(data, FillOptions(final=True, verify_url=TEMPLATE, lock_password="owner"))
    locked_signed = sign(
        locked, signing_key[1], PASSPHRASE, reason="t", location="Bern", owner_password="owner"
    )
    verdict = verify(locked_signed, trust)
    assert verdict.status == "valid", verdict.reasons


MALFORMED = {
    "status_a_name": lambda pdf: pdf.docinfo.__setitem__("/Eur1pdfDigest", pikepdf.Name.Forged),
    "options_a_number": lambda pdf: pdf.docinfo.__setitem__("/Eur1pdfOptions", 42),
    "options_bad_json": lambda pdf: pdf.docinfo.__setitem__("/Eur1pdfOptions", pikepdf.String("{[")),
    "options_wrong_types": lambda pdf: pdf.docinfo.__setitem__(
        "/Eur1pdfOptions", pikepdf.String('{"sheets":"all","printer":{"scale_x":"x"}}')
    ),
    "options_a_dictionary": lambda pdf: pdf.docinfo.__setitem__("/Eur1pdfOptions", pikepdf.Dictionary(A=1)),
    "huge_string": lambda pdf: pdf.docinfo.__setitem__("/Eur1pdfSerial", pikepdf.String("x" * 2_000_000)),
    "parts_not_json": lambda pdf: pdf.docinfo.__setitem__("/Eur1pdfParts", pikepdf.String("[{")),
    "broken_xmp": lambda pdf: pdf.Root.Metadata.write(b"<x:xmpmeta><unclosed"),
    "xmp_entities": lambda pdf: pdf.Root.Metadata.write(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'),
    "attachment_not_json": lambda pdf: pdf.attachments.__setitem__(
        "certificate.json", pikepdf.AttachedFileSpec(pdf, b"\xff\xfe not json", filename="certificate.json")
    ),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_metadata_never_crashes(final_pdf, signed_pdf, trust, name):
    for pdf in (final_pdf, signed_pdf):
        assert_forgery_caught(verify(_edit(pdf, MALFORMED[name]), trust))
