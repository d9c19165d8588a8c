"""The finish stage end to end: lock and sign a real certificate PDF, then check it as a verifier would.

The signing key is made here, in a temporary directory, for each run: no key is
ever committed. Nothing is mocked; pikepdf, pyHanko and pdfplumber read the
files the functions write.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pdfplumber
import pikepdf
import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from eur1pdf import Eur1pdfError, FillOptions, load_certificate, render
from eur1pdf.finish.lock import LOCKED_PERMISSIONS, lock, sign, signature_status
from eur1pdf.pdf.fonts import encode
from eur1pdf.placement.text import load_font

from .conftest import EXAMPLE, NOW, PASSPHRASE, SIGNER_CN

pytestmark = pytest.mark.slow

OWNER = "owner-secret"


@pytest.fixture(scope="module")
def certificate_pdf() -> bytes:
    return render(load_certificate(EXAMPLE), FillOptions(sheets=(1,)))


def _sign(pdf: bytes, signing_key, **kwargs) -> bytes:
    _, p12 = signing_key
    return sign(pdf, p12, PASSPHRASE, reason="EUR.1 issued", location="Basel", signing_time=NOW, **kwargs)


def _text(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.extract_text() for page in doc.pages]


def _drawn(pdf: bytes) -> list[tuple[bytes, dict[str, bytes]]]:
    """Each page's decoded content stream and form XObjects: what a viewer draws."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return [
            (
                page.Contents.read_bytes(),
                {str(name): xobj.read_bytes() for name, xobj in page.Resources.XObject.items()},
            )
            for page in doc.pages
        ]


# -- lock ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def locked(certificate_pdf) -> bytes:
    return lock(certificate_pdf, OWNER)


def test_lock_opens_and_prints_without_password_but_forbids_changes(locked):
    with pikepdf.open(io.BytesIO(locked)) as doc:
        assert doc.is_encrypted
        assert doc.user_password_matched and not doc.owner_password_matched
        assert doc.encryption.R == 6 and doc.encryption.bits == 256
        assert doc.encryption.stream_method.name == "aesv3"
        allow = doc.allow
        assert allow == LOCKED_PERMISSIONS
        assert allow.print_highres and allow.print_lowres and allow.accessibility
        assert not (allow.modify_other or allow.modify_annotation or allow.modify_form)
        assert not allow.modify_assembly


def test_lock_owner_password_gives_full_rights(locked):
    with pikepdf.open(io.BytesIO(locked), password=OWNER) as doc:
        assert doc.owner_password_matched
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(locked), password="not the owner")


def test_lock_keeps_the_content(certificate_pdf, locked):
    assert _text(locked) == _text(certificate_pdf)
    assert "A 123.456" in _text(locked)[0]


def test_lock_is_reproducible_in_content_not_in_bytes(certificate_pdf, locked):
    """AES-256 (R6) draws a random file key each time: the bytes differ, what they decrypt to does not."""
    again = lock(certificate_pdf, OWNER)
    assert again != locked
    assert _drawn(again) == _drawn(locked) == _drawn(certificate_pdf)


def test_lock_refuses_what_it_cannot_do_well(certificate_pdf, locked, signing_key):
    with pytest.raises(Eur1pdfError, match="owner password must not be empty"):
        lock(certificate_pdf, "")
    with pytest.raises(Eur1pdfError, match="already encrypted"):
        lock(locked, OWNER)
    with pytest.raises(Eur1pdfError, match=r"already signed.*lock first, then sign"):
        lock(_sign(certificate_pdf, signing_key), OWNER)
    with pytest.raises(Eur1pdfError, match="not a readable PDF"):
        lock(b"not a pdf", OWNER)


# -- sign ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signed(certificate_pdf, signing_key) -> bytes:
    return _sign(certificate_pdf, signing_key)


def test_signature_validates_and_is_trusted_with_the_test_root(signed, signing_key, certificate_pdf):
    cert, _ = signing_key
    [status] = signature_status(signed, trust_roots=[cert])
    assert status.field_name == "Signature1"
    assert status.signer == SIGNER_CN
    assert status.intact and status.valid and status.trusted
    assert status.coverage == "entire_file" and status.modification_level == "none"
    assert not status.modified_after_signing
    assert status.ok and status.problem is None
    assert status.signing_time == NOW
    # An incremental update: the certificate's own bytes come first, unchanged.
    assert signed.startswith(certificate_pdf)
    assert _text(signed) == _text(certificate_pdf)


def test_signature_is_pades_and_invisible(signed):
    with pikepdf.open(io.BytesIO(signed)) as doc:
        [field] = doc.Root.AcroForm.Fields
        assert field.FT == "/Sig" and field.T == "Signature1"
        assert field.V.SubFilter == pikepdf.Name("/ETSI.CAdES.detached")
        assert str(field.V.Reason) == "EUR.1 issued" and str(field.V.Location) == "Basel"
        assert [float(v) for v in field.Rect] == [0, 0, 0, 0]


def test_trust_needs_trust_roots(signed, signing_key):
    cert, _ = signing_key
    [status] = signature_status(signed)
    assert status.intact and status.valid and not status.trusted and not status.ok
    pem = cert.public_bytes(serialization.Encoding.PEM)
    assert signature_status(signed, trust_roots=[pem])[0].trusted


def test_sign_after_lock(locked, signing_key, certificate_pdf):
    cert, _ = signing_key
    both = _sign(locked, signing_key, owner_password=OWNER)
    [status] = signature_status(both, trust_roots=[cert])
    assert status.ok and status.signer == SIGNER_CN
    with pikepdf.open(io.BytesIO(both)) as doc:
        assert doc.is_encrypted and doc.allow == LOCKED_PERMISSIONS
    assert _text(both) == _text(certificate_pdf)


def test_sign_after_lock_needs_the_owner_password(locked, signing_key, certificate_pdf):
    with pytest.raises(Eur1pdfError, match=r"encrypted \(locked\); give the owner password"):
        _sign(locked, signing_key)
    with pytest.raises(Eur1pdfError, match="owner password does not unlock"):
        _sign(locked, signing_key, owner_password="wrong")
    with pytest.raises(Eur1pdfError, match="not encrypted"):
        _sign(certificate_pdf, signing_key, owner_password=OWNER)


def test_changed_byte_in_signed_range_is_not_intact(certificate_pdf, signing_key):
    """The invoice number in box 10 altered in the content stream after signing."""
    cert, _ = signing_key
    # Uncompressed content streams, so that the forgery is a readable one-character edit.
    plain = io.BytesIO()
    with pikepdf.open(io.BytesIO(certificate_pdf)) as doc:
        doc.save(plain, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.generalized)
    signed = _sign(plain.getvalue(), signing_key)
    data_font = load_font("LiberationSans-Regular")  # text is written as glyph IDs of the data font
    original, altered = encode(data_font, "INV-2026-0815 of"), encode(data_font, "INV-2026-0816 of")
    start = signed.index(original)
    start_a, len_a, start_b, _ = map(
        int, re.search(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)", signed).groups()
    )
    assert start_a <= start < start_a + len_a < start_b  # inside the signed range
    forged = signed.replace(original, altered)
    assert "INV-2026-0816" in _text(forged)[0]

    [status] = signature_status(forged, trust_roots=[cert])
    assert not status.intact and not status.ok
    assert signature_status(signed, trust_roots=[cert])[0].ok


def test_damaged_signature_is_reported_not_raised(signed, signing_key):
    """A verifier must say "this signature is broken", not crash, when the container itself is damaged."""
    cert, _ = signing_key
    _, len_a, start_b, _ = map(int, re.search(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)", signed).groups())
    hex_start = len_a + 1  # after the "<" of /Contents
    assert hex_start + 10 < start_b
    damaged = bytearray(signed)
    damaged[hex_start + 10 : hex_start + 12] = (
        b"ff" if signed[hex_start + 10 : hex_start + 12] != b"ff" else b"00"
    )
    [status] = signature_status(bytes(damaged), trust_roots=[cert])
    assert status.field_name == "Signature1"
    assert not (status.intact or status.valid or status.trusted or status.ok)
    assert status.problem and status.problem.startswith("the signature cannot be read")


def test_unreadable_pdf_is_a_clear_error(signing_key):
    _, p12 = signing_key
    with pytest.raises(Eur1pdfError, match="cannot check the signatures: not a readable PDF"):
        signature_status(b"not a pdf")
    with pytest.raises(Eur1pdfError, match="cannot sign the PDF"):
        sign(b"not a pdf", p12, PASSPHRASE, reason="r", location="l")


def test_change_appended_after_signing_is_reported(signed, signing_key):
    """A later incremental update leaves the signed bytes intact but is a modification."""
    cert, _ = signing_key
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0]
    stamp = writer.add_object(generic.StreamObject(stream_data=b"1 0 0 rg 20 20 100 40 re f"))
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), stamp])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)

    [status] = signature_status(out.getvalue(), trust_roots=[cert])
    assert status.intact and status.valid
    assert status.coverage == "entire_revision"
    assert status.modified_after_signing and not status.ok


def test_wrong_passphrase_is_a_clear_error(certificate_pdf, signing_key, tmp_path):
    _, p12 = signing_key
    with pytest.raises(Eur1pdfError) as err:
        sign(certificate_pdf, p12, b"wrong", reason="r", location="l")
    assert str(err.value) == "cannot open the signing key key.p12: wrong password or not a PKCS#12 file"

    not_a_key = tmp_path / "KEY.p12"
    not_a_key.write_bytes(certificate_pdf)
    with pytest.raises(Eur1pdfError, match=r"^cannot open the signing key KEY.p12: wrong password or not"):
        sign(certificate_pdf, not_a_key, PASSPHRASE, reason="r", location="l")
    with pytest.raises(Eur1pdfError, match=r"^cannot open the signing key missing.p12: No such file"):
        sign(certificate_pdf, tmp_path / "missing.p12", PASSPHRASE, reason="r", location="l")


def test_signing_time_must_be_timezone_aware(certificate_pdf, signing_key):
    _, p12 = signing_key
    with pytest.raises(Eur1pdfError, match="timezone-aware"):
        sign(
            certificate_pdf, p12, PASSPHRASE, reason="r", location="l", signing_time=dt.datetime(2026, 11, 22)
        )


def test_unsigned_pdf_has_no_signatures(certificate_pdf, locked):
    assert signature_status(certificate_pdf) == []
    assert signature_status(locked) == []
