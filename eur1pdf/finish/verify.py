"""Checking a final certificate PDF the way the destination's customs would.

The file is judged by what a reader sees and a program reads: eur1pdf's
output is deterministic, so the document is made again from the attached
certificate data and the recorded options (:mod:`eur1pdf.finish.remake`)
and compared with the file in its last revision, object by object
(:mod:`eur1pdf.finish.compare`: any change to text, positions, colours,
layers, annotations, fonts, images, page boxes or metadata is a difference),
then, when the objects are equal, pixel by pixel and by the QR codes decoded
from both renders. The digest is recomputed from the attached data and the
signature checked with pyHanko against the trust roots given. Everything
read is bounded first (:mod:`eur1pdf.finish.limits`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from eur1pdf.certificate.digest import digest
from eur1pdf.certificate.model import Certificate, certificate_from_data
from eur1pdf.errors import Eur1pdfError
from eur1pdf.finish.compare import Difference, compare_documents, is_signature_field
from eur1pdf.finish.limits import (
    MAX_ATTACHMENT_BYTES,
    MAX_METADATA_BYTES,
    LimitExceeded,
    check_document,
    check_file_size,
    stream_data,
)
from eur1pdf.finish.lock import signature_status
from eur1pdf.finish.remake import CannotCheckHere, CannotRemake, remake
from eur1pdf.finish.rendered import compare_renders, name_boxes
from eur1pdf.finish.signatures import FinishError, pdf_problem
from eur1pdf.plan import CERTIFICATE_ATTACHMENT, RecordedOptions

#: verdict -> what the command line prints; only "valid" exits 0
VERDICTS = {
    "valid": "VALID",
    "tampered": "TAMPERED",
    "untrusted-signer": "UNTRUSTED SIGNER",
    "unsigned": "UNSIGNED",
    "cannot-check": "CANNOT CHECK",
    "draft": "DRAFT",
    "not-final": "NOT FINAL",
}


@dataclass
class Verdict:
    """``status``: a key of :data:`VERDICTS`; ``reasons`` say why it is not valid."""

    status: str
    reasons: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # what was checked and found right

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    def as_dict(self) -> dict[str, object]:
        return {"verdict": self.status, "reasons": self.reasons, "checks": self.checks}


class NotACertificate(Eur1pdfError):
    """The file is not a PDF made by eur1pdf, cannot be read, or is beyond verify's limits."""


class _Tampered(Exception):
    """Stops the check: the file is not as issued (the message says why)."""


def _info_text(pdf: pikepdf.Pdf, key: str) -> str:
    """An entry of the document information as text; "" when missing; refused when not a short string."""
    info = pdf.trailer.get("/Info")
    if not isinstance(info, pikepdf.Dictionary):
        return ""
    value = info.get(key)
    if value is None:
        return ""
    if not isinstance(value, pikepdf.String) or len(bytes(value)) > MAX_METADATA_BYTES:
        raise _Tampered(f"the document information's {key[1:]} is not a text")
    return str(value)


def _attached_certificate(pdf: pikepdf.Pdf) -> Certificate:
    """The attached certificate data, read within the limits."""
    try:
        spec = pdf.attachments.get(CERTIFICATE_ATTACHMENT)
        files = spec.obj.get("/EF") if spec is not None else None
        stream = files.get("/F") if isinstance(files, pikepdf.Dictionary) else None
    except (pikepdf.PdfError, AttributeError, TypeError, ValueError):
        stream = None
    if not isinstance(stream, pikepdf.Stream):
        raise _Tampered("the certificate data attachment is missing")
    params = stream.stream_dict.get("/Params")
    size = params.get("/Size") if isinstance(params, pikepdf.Dictionary) else None
    if isinstance(size, int) and size > MAX_ATTACHMENT_BYTES:
        raise _Tampered(f"the attached data claims {size:,} bytes, more than a certificate holds")
    try:
        raw = stream_data(stream, MAX_ATTACHMENT_BYTES, "the attached certificate data")
        return certificate_from_data(json.loads(raw))
    except LimitExceeded as exc:
        raise _Tampered(str(exc)) from None
    except (Eur1pdfError, ValueError, RecursionError) as exc:
        raise _Tampered(f"the attached certificate data is not valid: {exc}") from None


def _open(pdf_bytes: bytes) -> pikepdf.Pdf:
    try:
        check_file_size(len(pdf_bytes))
        pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    except LimitExceeded as exc:
        raise NotACertificate(f"refused: {exc}") from None
    except pikepdf.PasswordError:
        raise NotACertificate("the PDF needs a password to open") from None
    except pikepdf.PdfError as exc:
        raise NotACertificate(f"not a readable PDF ({pdf_problem(exc)})") from None
    try:
        check_document(pdf)
    except LimitExceeded as exc:
        pdf.close()
        raise NotACertificate(f"refused: {exc}") from None
    return pdf


def _signed(pdf: pikepdf.Pdf) -> bool:
    acroform = pdf.Root.get("/AcroForm")
    fields = acroform.get("/Fields") if isinstance(acroform, pikepdf.Dictionary) else None
    return isinstance(fields, pikepdf.Array) and any(is_signature_field(f) and "/V" in f for f in fields)


def _compare(pdf: pikepdf.Pdf, made: bytes, verdict: Verdict) -> list[Difference]:
    """The objects of the file against those of the document made again."""
    with pikepdf.open(io.BytesIO(made)) as remade:
        differences = compare_documents(pdf, remade, _signed(pdf))
    if not differences:
        verdict.checks.append("every object equals the document made again from the attached data")
    return differences


def _check_content(
    pdf: pikepdf.Pdf, pdf_bytes: bytes, cert: Certificate, verdict: Verdict, blank: str | Path | None
) -> None:
    """The file against the document its data and recorded options make again."""
    stated = _info_text(pdf, "/Eur1pdfDigest")
    computed = digest(cert)
    if computed != stated:
        verdict.reasons.append(
            f"the attached data has digest {computed}, the metadata says {stated or 'nothing'}"
        )
    else:
        verdict.checks.append(f"digest {computed} recomputed from the attached data")
    try:
        recorded = RecordedOptions.from_json(_info_text(pdf, "/Eur1pdfOptions"), cert.form)
    except (ValueError, RecursionError) as exc:
        raise _Tampered(f"the recorded options are not valid: {exc}") from None
    made = remake(cert, recorded, blank)
    differences = _compare(pdf, made, verdict)
    if differences:
        verdict.reasons += name_boxes(pdf, made, differences)
        return
    verdict.reasons += compare_renders(pdf_bytes, made, _links(pdf), computed, verdict.checks)


def _links(pdf: pikepdf.Pdf) -> set[str]:
    """The links the metadata gives: the certificate's, and each part's of a split final."""
    links = {_info_text(pdf, "/Eur1pdfVerification")} - {""}
    parts_text = _info_text(pdf, "/Eur1pdfParts")
    if parts_text:
        try:
            parts = json.loads(parts_text)
            links |= {str(part["link"]) for part in parts if isinstance(part, dict) and part.get("link")}
        except (ValueError, TypeError, RecursionError):
            raise _Tampered("the recorded parts (Eur1pdfParts) are not valid") from None
    return links


def _judge_signatures(pdf_bytes: bytes, trust_roots: list[bytes], verdict: Verdict) -> None:
    """The signatures: VALID only when intact, unchanged since and by a trusted signer."""
    try:
        signatures = signature_status(pdf_bytes, trust_roots or None)
    except FinishError as exc:
        verdict.status = "tampered"
        verdict.reasons.append(str(exc))
        return
    if not signatures:
        if not verdict.reasons:
            verdict.status = "unsigned"
            verdict.reasons.append("the content matches its data, but the PDF carries no signature")
        return
    untrusted = False
    for sig in signatures:
        if sig.problem or not (sig.intact and sig.valid):
            verdict.reasons.append(
                f"signature {sig.field_name}: broken ({sig.problem or 'the signed bytes changed'})"
            )
        elif sig.modified_after_signing:
            level = sig.modification_level or "the document information"
            verdict.reasons.append(
                f"signature {sig.field_name}: the document was changed after signing ({level})"
            )
        elif not sig.trusted:
            untrusted = True
            roots = "the trust roots given" if trust_roots else "any trust root (none given: --trust)"
            verdict.reasons.append(
                f"signature {sig.field_name}: signer {sig.signer!r} does not chain to {roots}"
            )
        else:
            verdict.checks.append(f"signature by {sig.signer!r} intact and valid, trusted")
    if verdict.reasons and verdict.status == "valid":
        only_trust = untrusted and all("does not chain to" in r for r in verdict.reasons)
        verdict.status = "untrusted-signer" if only_trust else "tampered"


def verify(
    pdf_bytes: bytes, trust_roots: Iterable[bytes] | None = None, blank: str | Path | None = None
) -> Verdict:
    """The verdict on one certificate PDF (``blank``: the user's blank it was printed on, if any)."""
    pdf = _open(pdf_bytes)
    verdict = Verdict("valid")
    with pdf:
        try:
            status = _info_text(pdf, "/Eur1pdfStatus")
        except _Tampered:
            status = "?"
        if not status:
            raise NotACertificate("not a certificate made by eur1pdf (no eur1pdf metadata)")
        if status == "draft":
            return Verdict("draft", ["a draft (provisional certificate) is not valid for customs purposes"])
        if status != "final":
            return Verdict(
                "not-final", ["the PDF was made neither as draft nor as final: not a final certificate"]
            )
        try:
            _check_content(pdf, pdf_bytes, _attached_certificate(pdf), verdict, blank)
        except _Tampered as exc:
            return Verdict("tampered", [str(exc)], verdict.checks)
        except CannotCheckHere as exc:  # its own blank or eur1pdf version is needed
            return Verdict("cannot-check", [str(exc)], verdict.checks)
        except CannotRemake as exc:
            return Verdict("tampered", [str(exc)], verdict.checks)
        except LimitExceeded as exc:
            return Verdict("tampered", [f"beyond verify's limits: {exc}"], verdict.checks)
        except (pikepdf.PdfError, RuntimeError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            # a damaged or hostile object (pikepdf reports those in several ways): not as issued
            return Verdict("tampered", [f"the file's objects cannot be read ({exc})"], verdict.checks)
    if verdict.reasons:
        verdict.status = "tampered"
    _judge_signatures(pdf_bytes, list(trust_roots or ()), verdict)
    return verdict
