"""The finish stage of a final digital certificate: lock it, sign it, check it.

A digital EUR.1 is only worth something if a customs office can tell that
nobody changed it after the exporter issued it. Two independent layers give
that:

* :func:`lock` encrypts the PDF with an *owner* password: anyone opens and
  prints it without a password, but a conforming viewer refuses to edit it or
  to move its pages. This stops casual edits; it is not proof of anything.
* :func:`sign` adds a PAdES signature (pyHanko). It covers every byte of the
  file as signed (all but the signature value itself), so any later change is
  detectable by anyone, whatever tool made it. :func:`signature_status` is
  that check, and what a ``verify`` command reports.

The order is lock, then sign: encrypting rewrites the whole file and would
break a signature made before it, so :func:`lock` refuses a signed PDF.

Determinism: eur1pdf makes the same bytes from the same input; these two
steps cannot:

* AES-256 (PDF security handler R6) needs a fresh random file key, salts and
  IVs. qpdf's ``static_id``/``static_aes_iv`` are documented as for testing
  only (insecure), ``deterministic_id`` is documented as incompatible with
  encryption, and even with both static options the R6 file key stays random:
  two locks of the same PDF differ in almost every byte. Reproducible are the
  decrypted content, the permissions and the passwords; the tests check those.
* pyHanko gives each incremental update a random second ``/ID`` half and
  stamps the info dictionary's ``/ModDate`` with the wall clock; its public
  API has no option for either, so the signed bytes, and with them the
  signature value, differ on every run. ``signing_time`` makes the time the
  signature claims (``/M``) reproducible.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pikepdf

from eur1pdf.errors import missing_extra
from eur1pdf.finish.signatures import FinishError, SignatureStatus, pdf_problem

if TYPE_CHECKING:
    from cryptography import x509

    from eur1pdf.certificate.model import Certificate
    from eur1pdf.options import SigningKey

#: What anyone may do with a locked certificate without the owner password:
#: read it, print it (also in high quality: it is a customs document), copy its
#: text (a clerk copies the certificate number) and let assistive technology
#: read it. Everything that changes it, or moves its pages, is forbidden.
LOCKED_PERMISSIONS = pikepdf.Permissions(
    accessibility=True,
    extract=True,
    modify_annotation=False,
    modify_assembly=False,
    modify_form=False,
    modify_other=False,
    print_lowres=True,
    print_highres=True,
)


def _open(pdf: bytes, what: str) -> pikepdf.Pdf:
    try:
        return pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PasswordError as exc:
        raise FinishError(f"cannot {what}: the PDF needs a password to open") from exc
    except pikepdf.PdfError as exc:
        raise FinishError(f"cannot {what}: not a readable PDF ({pdf_problem(exc)})") from exc


def _has_signature(pdf: pikepdf.Pdf) -> bool:
    acroform = pdf.Root.get("/AcroForm")
    fields_ = acroform.get("/Fields") if isinstance(acroform, pikepdf.Dictionary) else None
    if not isinstance(fields_, pikepdf.Array):
        return False
    return any(f.get("/FT") == pikepdf.Name.Sig and "/V" in f for f in fields_)


def lock(pdf: bytes, owner_password: str) -> bytes:
    """Encrypt ``pdf`` (AES-256, R6) so that it opens and prints freely but only the owner may change it.

    The user password is empty on purpose: a certificate must be readable by
    every customs office without a shared secret. Not byte-reproducible (see
    the module docstring): the content, permissions and passwords are.
    """
    if not owner_password:
        raise FinishError("cannot lock the PDF: the owner password must not be empty")
    with _open(pdf, "lock the PDF") as doc:
        if doc.is_encrypted:
            raise FinishError("cannot lock the PDF: it is already encrypted")
        if _has_signature(doc):
            raise FinishError(
                "cannot lock the PDF: it is already signed, and encrypting would break the signature; "
                "lock first, then sign"
            )
        encryption = pikepdf.Encryption(
            owner=owner_password, user="", R=6, aes=True, metadata=True, allow=LOCKED_PERMISSIONS
        )
        out = io.BytesIO()
        # every stream kept as it was written (not compressed, not rewritten: the XMP neither), so
        # verify compares the decrypted streams with a document made again, byte for byte
        doc.save(out, encryption=encryption, compress_streams=False, fix_metadata_version=False)
    return out.getvalue()


def sign(
    pdf: bytes,
    pkcs12_path: str | Path,
    passphrase: bytes | None,
    *,
    reason: str,
    location: str,
    signing_time: datetime | None = None,
    owner_password: str | None = None,
) -> bytes:
    """Add an invisible PAdES baseline signature (field ``Signature1``, SHA-256) to ``pdf``.

    The signature is an incremental update: the bytes before it stay as they
    were and any later change shows in :func:`signature_status`. A PDF locked
    with :func:`lock` is signed with its ``owner_password``, because adding a
    signature field is a change the lock forbids everyone else.
    ``signing_time`` (timezone-aware) is the time the signature claims,
    default now; it is the signer's own claim, not a trusted time stamp.
    """
    sign_pdf = _signing("signing a certificate").sign_pdf  # pyHanko only when a certificate is signed
    return sign_pdf(
        pdf,
        pkcs12_path,
        passphrase,
        reason=reason,
        location=location,
        signing_time=signing_time,
        owner_password=owner_password,
    )


def signature_status(
    pdf: bytes, trust_roots: Iterable[x509.Certificate | bytes] | None = None
) -> list[SignatureStatus]:
    """The state of every signature in ``pdf``, in document order; an empty list when unsigned.

    ``trust_roots`` are the certificates (``cryptography`` objects, or DER/PEM
    bytes) a signer may chain to. Without them every signature is reported as
    not trusted; the operating system's TLS roots are never used, because they
    say nothing about who may issue customs documents. Nothing is fetched from
    the network (no revocation checks): the result depends only on the inputs.
    """
    return _signing("reading signatures").read_signatures(pdf, trust_roots)


def _signing(feature: str) -> ModuleType:
    """:mod:`eur1pdf.finish.signing`, or the error naming the [sign] extra when pyHanko is not installed."""
    try:
        from eur1pdf.finish import signing
    except ImportError as exc:
        error = missing_extra(feature, exc)
        if error is None:
            raise
        raise error from exc
    return signing


def lock_and_sign(
    pdf: bytes, cert: Certificate, lock_password: str | None, signing: SigningKey | None
) -> bytes:
    """Lock, then sign: a signature made before locking would be broken by it.

    Both make the bytes differ from run to run (random encryption keys and
    signature IDs); everything before this stage is byte-deterministic.
    """
    if lock_password:
        pdf = lock(pdf, lock_password)
    if signing is not None:
        place = (
            signing.location or (cert.declaration.place if cert.declaration else cert.exporter.country) or ""
        )
        reason = f"Proof of origin: movement certificate {cert.serial or ''}".strip()
        pdf = sign(
            pdf, signing.path, signing.passphrase, reason=reason, location=place, owner_password=lock_password
        )
    return pdf
