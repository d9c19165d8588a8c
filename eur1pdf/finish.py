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
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pikepdf
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import EmbeddedPdfSignature, validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from .errors import Eur1pdfError

SIGNATURE_FIELD = "Signature1"

# pyHanko logs every untrusted or broken signature as a warning with a traceback; with no
# logging set up, Python would print those to stderr, though signature_status() already
# reports the finding. A NullHandler only stops that fallback: an application that
# configures logging still gets the records.
logging.getLogger("pyhanko").addHandler(logging.NullHandler())

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


class FinishError(Eur1pdfError):
    """The PDF cannot be locked, signed or checked; the message says why."""


class SigningKeyError(FinishError):
    """The signing key file cannot be used (missing, not PKCS#12, wrong passphrase)."""


@dataclass(frozen=True)
class SignatureStatus:
    """What a customs officer needs to know about one signature in the PDF.

    ``intact``: the signed bytes are unchanged (the document digest matches).
    ``valid``: the signature over that digest is cryptographically correct.
    ``trusted``: the signer's certificate chains to one of the given trust
    roots (always false when none were given: a self-declared name proves nothing).
    ``coverage``/``modification_level``: pyHanko's words (lower case) for how
    much of the file the signature covers and what was appended after it;
    ``modified_after_signing`` is true when that is more than signature
    housekeeping (validation data, time stamps).
    ``problem``: set when the signature cannot be evaluated at all (a damaged
    or foreign signature container); then every flag is false.
    """

    field_name: str
    signer: str | None
    intact: bool
    valid: bool
    trusted: bool
    signing_time: datetime | None
    coverage: str
    modification_level: str | None
    modified_after_signing: bool
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Intact, valid, trusted and not changed since: the certificate is as issued."""
        return self.intact and self.valid and self.trusted and not self.modified_after_signing


def _open(pdf: bytes, what: str) -> pikepdf.Pdf:
    try:
        return pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PasswordError as exc:
        raise FinishError(f"cannot {what}: the PDF needs a password to open") from exc
    except pikepdf.PdfError as exc:
        raise FinishError(f"cannot {what}: not a readable PDF ({exc})") from exc


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
        doc.save(out, encryption=encryption)
    return out.getvalue()


def _load_signer(pkcs12_path: str | Path, passphrase: bytes | None) -> signers.SimpleSigner:
    """The signer from a PKCS#12 file, or a one-line error.

    Not ``SimpleSigner.load_pkcs12``: on failure it logs a traceback and
    returns None, which tells the user nothing about what to fix.
    """
    path = Path(pkcs12_path)
    problem = f"cannot open the signing key {path.name}"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"{problem}: {exc.strerror or exc}") from exc
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{problem}: wrong password or not a PKCS#12 file") from exc
    if key is None or cert is None:
        raise SigningKeyError(f"{problem}: it holds no private key with its certificate")
    try:
        return signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=passphrase)
    except ValueError as exc:
        raise SigningKeyError(f"{problem}: {exc}") from exc


class _PdfSignerAt(signers.PdfSigner):
    """A PdfSigner whose signing session uses a given time instead of the clock.

    pyHanko's signing session reads the clock once (``system_time``) and uses
    that for the signature's ``/M``; its high-level API has no parameter for
    it, so it is set right after the session is set up.
    """

    def __init__(self, *args, signing_time: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        if self.signing_time is not None:
            session.system_time = self.signing_time
        return session


def _unlock_for_signing(writer: IncrementalPdfFileWriter, owner_password: str | None) -> None:
    """Authenticate as owner: the update must be encrypted with the file's own key, and only
    the owner may add a signature field to a locked PDF."""
    if owner_password is None:
        raise FinishError(
            "cannot sign: the PDF is encrypted (locked); give the owner password it was locked with"
        )
    if writer.encrypt(owner_password).status != AuthStatus.OWNER:
        raise FinishError("cannot sign: the owner password does not unlock this PDF")


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
    if signing_time is not None and signing_time.utcoffset() is None:
        raise FinishError("cannot sign: signing_time must be timezone-aware (e.g. tzinfo=UTC)")
    signer = _load_signer(pkcs12_path, passphrase)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        if writer.prev.encrypted:
            _unlock_for_signing(writer, owner_password)
        elif owner_password is not None:
            raise FinishError("cannot sign: an owner password was given but the PDF is not encrypted")
        out = _PdfSignerAt(meta, signer, signing_time=signing_time).sign_pdf(writer)
    except (PdfError, SigningError) as exc:
        raise FinishError(f"cannot sign the PDF: {exc}") from exc
    return out.getvalue()


def _trust_root(root: x509.Certificate | bytes) -> asn1_x509.Certificate:
    """A trust root as pyHanko's certificate type, from a ``cryptography`` certificate or DER/PEM bytes."""
    if isinstance(root, bytes):
        try:
            pem = root.lstrip().startswith(b"-----BEGIN")
            root = x509.load_pem_x509_certificate(root) if pem else x509.load_der_x509_certificate(root)
        except ValueError as exc:
            raise FinishError(
                f"cannot check the signatures: a trust root is not a certificate ({exc})"
            ) from exc
    return asn1_x509.Certificate.load(root.public_bytes(Encoding.DER))


def _common_name(cert: asn1_x509.Certificate) -> str | None:
    name = cert.subject.native.get("common_name")
    return name[-1] if isinstance(name, list) else name


def _broken(field_name: str, exc: Exception) -> SignatureStatus:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return SignatureStatus(
        field_name=field_name,
        signer=None,
        intact=False,
        valid=False,
        trusted=False,
        signing_time=None,
        coverage="unclear",
        modification_level=None,
        modified_after_signing=False,
        problem=f"the signature cannot be read: {first_line}",
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
    roots = [_trust_root(r) for r in trust_roots or ()]
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        # A locked certificate opens with the empty user password; one that needs more, we cannot read.
        if reader.encrypted and reader.decrypt("").status == AuthStatus.FAILED:
            raise FinishError("cannot check the signatures: the PDF needs a password to open")
        filled = list(fields.enumerate_sig_fields(reader, filled_status=True))
    except PdfError as exc:
        raise FinishError(f"cannot check the signatures: not a readable PDF ({exc})") from exc

    # (signed revision, status): reported in signing order, damaged signatures last.
    result: list[tuple[float, SignatureStatus]] = []
    for name, _, field in filled:
        try:
            sig = EmbeddedPdfSignature(reader, field, name)
            status = validate_pdf_signature(
                sig, signer_validation_context=ValidationContext(trust_roots=roots, allow_fetching=False)
            )
        except (PdfError, ValueError) as exc:
            # A damaged signature is a finding about the document, not a failure of the check.
            result.append((float("inf"), _broken(name, exc)))
            continue
        result.append((sig.signed_revision, _status(sig, status, bool(roots))))
    return [status for _, status in sorted(result, key=lambda item: item[0])]


def _status(sig: EmbeddedPdfSignature, status: PdfSignatureStatus, have_roots: bool) -> SignatureStatus:
    level = status.modification_level
    housekeeping = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES}
    return SignatureStatus(
        field_name=sig.field_name,
        signer=_common_name(status.signing_cert),
        intact=status.intact,
        valid=status.valid,
        trusted=have_roots and status.trusted,
        signing_time=sig.self_reported_timestamp,
        coverage=status.coverage.name.lower() if status.coverage else "unclear",
        modification_level=level.name.lower() if level is not None else None,
        modified_after_signing=(
            status.coverage != SignatureCoverageLevel.ENTIRE_FILE and level not in housekeeping
        ),
    )
