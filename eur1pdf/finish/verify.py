"""Checking a final certificate PDF the way the destination's customs would.

The verdict rests on independent evidence, each read back from the file
itself: the QR code decoded from a rendered page (not from our metadata),
the digest recomputed from the attached certificate data, the printed data
re-extracted with pdfplumber and compared with what that data prints, and
the signature checked with pyHanko. Any disagreement is "tampered", with
what differs.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import pdfplumber
import pikepdf
import pypdfium2
import zxingcpp

from eur1pdf.certificate.digest import digest
from eur1pdf.certificate.model import Certificate, certificate_from_data
from eur1pdf.errors import Eur1pdfError, InputError
from eur1pdf.finish.lock import signature_status
from eur1pdf.layouts import get_layout
from eur1pdf.placement.field_sources import Issuance
from eur1pdf.plan import CERTIFICATE_ATTACHMENT, RecordedOptions, layout_variant, plan_pages, plan_parts

QR_DPI = 150


@dataclass
class Verdict:
    """``status``: valid, tampered, unsigned, draft or not-a-certificate; ``reasons`` say why."""

    status: str
    reasons: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # what was checked and found right

    @property
    def valid(self) -> bool:
        return self.status == "valid"


class NotACertificate(Eur1pdfError):
    """The file is not a PDF made by eur1pdf (or cannot be read)."""


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _data_layer_text(pdf: pikepdf.Pdf) -> list[str]:
    """Per page, the characters of the data layer alone (no form, no watermark)."""
    out = pikepdf.new()
    for page in pdf.pages:
        resources = page.Resources
        if "/XObject" not in resources or "/Data" not in resources.XObject:
            raise NotACertificate("a page has no eur1pdf data layer")
        data = out.copy_foreign(resources.XObject["/Data"])
        new = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array(list(page.MediaBox)),  # a copy: the box belongs to the other PDF
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Data=data)),
            Contents=out.make_stream(b"q /Data Do Q\n"),
        )
        out.pages.append(pikepdf.Page(new))
    buffer = io.BytesIO()
    out.save(buffer)
    with pdfplumber.open(io.BytesIO(buffer.getvalue())) as doc:
        return [_squeeze("".join(c["text"] for c in p.chars)) for p in doc.pages]


def _first_difference(printed: str, expected: str) -> str:
    i = next((n for n, (a, b) in enumerate(zip(printed, expected, strict=False)) if a != b), None)
    if i is None:
        i = min(len(printed), len(expected))
    lo, hi = max(0, i - 12), i + 12
    lo, hi = max(0, i - 12), i + 12
    return f"printed '…{printed[lo:hi]}…' where the data gives '…{expected[lo:hi]}…'"


def _qr_codes(pdf_bytes: bytes, password: str = "") -> list[str]:
    document = pypdfium2.PdfDocument(pdf_bytes, password=password or None)
    found: list[str] = []
    for page in document:
        image = page.render(scale=QR_DPI / 72).to_pil()
        found += [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return found


def _printed_data_differences(pdf: pikepdf.Pdf, cert: Certificate, recorded: str, link: str) -> list[str]:
    """What the data layer shows against what the attached data prints with the recorded options."""
    options = RecordedOptions.from_json(recorded, cert.form)
    try:
        layout = layout_variant(get_layout(options.layout), options.end_mark)
        parts = plan_parts(cert, layout, options.on_overflow, True, None, digest(cert))
        if len(parts) == 1:  # the link as the metadata gives it
            parts = [replace(parts[0], issuance=Issuance(True, link or None))]
        planned = plan_pages(parts, layout, options.sheets)
        expected = [_squeeze("".join(run.text for run in page.runs)) for page in planned.pages]
        printed = _data_layer_text(pdf)
    except Eur1pdfError as exc:
        return [f"the printed data cannot be compared: {exc}"]
    differences = []
    if len(printed) != len(expected):
        differences.append(f"{len(printed)} pages, the certificate data makes {len(expected)}")
    for number, (got, want) in enumerate(zip(printed, expected, strict=False), start=1):
        if got != want:
            differences.append(f"page {number}: {_first_difference(got, want)}")
    return differences


def verify(pdf_bytes: bytes, trust_roots: Iterable[bytes] | None = None) -> Verdict:
    """The verdict on one certificate PDF."""
    try:
        pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    except pikepdf.PdfError as exc:
        raise NotACertificate(f"not a readable PDF ({exc})") from None
    with pdf:
        info = pdf.docinfo
        status = str(info.get("/Eur1pdfStatus", ""))
        if not status:
            raise NotACertificate("not a certificate made by eur1pdf (no eur1pdf metadata)")
        if status == "draft":
            return Verdict("draft", ["a draft (provisional certificate) is not valid for customs purposes"])
        if status != "final":
            return Verdict(
                "not-final", ["the PDF was made neither as draft nor as final: not a final certificate"]
            )
        verdict = Verdict("valid")
        reasons = verdict.reasons
        # 1. the attached data and its digest
        if CERTIFICATE_ATTACHMENT not in pdf.attachments:
            return Verdict("tampered", ["the certificate data attachment is missing"])
        raw = pdf.attachments[CERTIFICATE_ATTACHMENT].get_file().read_bytes()
        try:
            cert = certificate_from_data(json.loads(raw))
        except (InputError, ValueError) as exc:
            return Verdict("tampered", [f"the attached certificate data is not valid: {exc}"])
        computed = digest(cert)
        stated = str(info.get("/Eur1pdfDigest", ""))
        xmp = str(pdf.open_metadata())
        if computed != stated or computed not in xmp:
            reasons.append(
                f"the attached data has digest {computed}, the metadata says {stated or 'nothing'}"
            )
        else:
            verdict.checks.append(f"digest {computed} recomputed from the attached data")
        # 2. the QR code, decoded from the rendered page
        link = str(info.get("/Eur1pdfVerification", ""))
        codes = _qr_codes(pdf_bytes)
        if not codes:
            reasons.append("no readable QR code on the pages")
        elif any(code != link for code in codes):
            reasons.append(f"the QR code says {codes[0]!r}, the metadata {link!r}")
        elif computed not in link:
            reasons.append("the QR code's link does not carry the certificate's digest")
        else:
            verdict.checks.append(f"QR code decoded at {QR_DPI} dpi: {link}")
        # 3. the printed data against what the attached data prints
        reasons += _printed_data_differences(pdf, cert, str(info.get("/Eur1pdfOptions", "")), link)
        if not reasons:
            verdict.checks.append("printed data equals what the certificate data prints")
    # 4. the signature
    signatures = signature_status(pdf_bytes, list(trust_roots) if trust_roots else None)
    if not signatures and not reasons:
        return Verdict(
            "unsigned",
            ["the content matches its digest, but the PDF carries no signature"],
            verdict.checks,
        )
    for sig in signatures:
        if sig.problem or not (sig.intact and sig.valid):
            reasons.append(
                f"signature {sig.field_name}: broken ({sig.problem or 'the signed bytes changed'})"
            )
        elif sig.modified_after_signing:
            reasons.append(f"signature {sig.field_name}: the document was changed after signing")
        elif trust_roots and not sig.trusted:
            reasons.append(f"signature {sig.field_name}: signer {sig.signer!r} is not trusted")
        else:
            trust = "trusted" if sig.trusted else "signer not checked against a trust root (--trust)"
            verdict.checks.append(f"signature by {sig.signer!r} intact and valid, {trust}")
    if reasons:
        verdict.status = "tampered"
    return verdict
