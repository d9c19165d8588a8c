"""Signing and checking signatures with pyHanko: the half of :mod:`eur1pdf.finish.lock` that needs it.

Kept apart because importing pyHanko and its cryptography stack takes about
0.4 s, which every batch worker and every command paid before rendering its
first certificate, though only signed certificates use it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.generic import IndirectObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import EmbeddedPdfSignature, validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from eur1pdf.finish.signatures import SIGNATURE_FIELD, FinishError, SignatureStatus, SigningKeyError
from eur1pdf.pdf.archival import xmp_packet
from eur1pdf.small_files import FileRefused, read_small_file

# pyHanko logs every untrusted or broken signature as a warning with a traceback; with no
# logging set up, Python would print those to stderr, though signature_status() already
# reports the finding. A NullHandler only stops that fallback: an application that
# configures logging still gets the records.
logging.getLogger("pyhanko").addHandler(logging.NullHandler())


def _load_signer(pkcs12_path: str | Path, passphrase: bytes | None) -> signers.SimpleSigner:
    """The signer from a PKCS#12 file, or a one-line error.

    Not ``SimpleSigner.load_pkcs12``: on failure it logs a traceback and
    returns None, which tells the user nothing about what to fix.
    """
    path = Path(pkcs12_path)
    problem = f"cannot open the signing key {path.name}"
    try:
        data = read_small_file(path, "signing key")  # a regular file within its limit: never /dev/zero
    except FileRefused as exc:
        reason = "No such file or directory" if str(exc) == "file not found" else str(exc)
        raise SigningKeyError(f"{problem}: {reason}") from None
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


def _plain(value: object) -> object:
    """A value of a locked (encrypted) document's information, decrypted."""
    return value.decrypted if isinstance(value, generic.DecryptedObjectProxy) else value


class _MetadataInStepWriter(IncrementalPdfFileWriter):
    """An incremental writer that keeps an eur1pdf document's XMP in step with its information.

    pyHanko's writer sets ``/ModDate`` (to the clock) and ``/Producer`` and rewrites the XMP
    packet through its own model, which drops the PDF/A extension schema and re-types
    eur1pdf's own properties. For eur1pdf's documents (PDF/A or not) this writer instead
    sets ``/ModDate`` to the signing time and makes the XMP again from the updated
    information entries, in the same update the signature covers.
    """

    modified: datetime | None = None

    def _update_meta(self) -> None:
        root = self.root
        old = root.get("/Metadata")
        packet = old.get_object().data if old is not None else b""
        if b"eur1pdf" not in packet or self._info is None:  # not ours: pyHanko's own way
            super()._update_meta()
            return
        info = self._info.get_object()
        moment = self.modified or datetime.now().astimezone()
        info["/ModDate"] = generic.pdf_date(moment)
        self.mark_update(self._info)
        entries = {str(key)[1:]: str(_plain(value)) for key, value in info.items()}
        kind = {"/Type": generic.NameObject("/Metadata"), "/Subtype": generic.NameObject("/XML")}
        xmp = generic.StreamObject(
            {generic.NameObject(k): v for k, v in kind.items()}, xmp_packet(entries, b"pdfaid:part" in packet)
        )
        root["/Metadata"] = self.add_object(xmp)
        self.update_root()


def _unlock_for_signing(writer: IncrementalPdfFileWriter, owner_password: str | None) -> None:
    """Authenticate as owner: the update must be encrypted with the file's own key, and only
    the owner may add a signature field to a locked PDF."""
    if owner_password is None:
        raise FinishError(
            "cannot sign: the PDF is encrypted (locked); give the owner password it was locked with"
        )
    if writer.encrypt(owner_password).status != AuthStatus.OWNER:
        raise FinishError("cannot sign: the owner password does not unlock this PDF")


def sign_pdf(
    pdf: bytes,
    pkcs12_path: str | Path,
    passphrase: bytes | None,
    *,
    reason: str,
    location: str,
    signing_time: datetime | None = None,
    owner_password: str | None = None,
) -> bytes:
    """:func:`eur1pdf.finish.lock.sign`, which documents it (it imports this module only when used)."""
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
        writer = _MetadataInStepWriter(io.BytesIO(pdf), strict=False)
        writer.modified = signing_time
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


def read_signatures(
    pdf: bytes, trust_roots: Iterable[x509.Certificate | bytes] | None = None
) -> list[SignatureStatus]:
    """:func:`eur1pdf.finish.lock.signature_status`, which documents it."""
    roots = [_trust_root(r) for r in trust_roots or ()]
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        # A locked certificate opens with the empty user password; one that needs more, we cannot read.
        if reader.encrypted and reader.decrypt("").status == AuthStatus.FAILED:
            raise FinishError("cannot check the signatures: the PDF needs a password to open")
        filled = list(fields.enumerate_sig_fields(reader, filled_status=True))
    except (PdfError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        # a damaged or hostile file makes pyHanko's reader fail in several ways: a finding, not a crash
        raise FinishError(f"cannot check the signatures: not a readable PDF ({exc})") from exc

    # (signed revision, status): reported in signing order, damaged signatures last.
    result: list[tuple[float, SignatureStatus]] = []
    for name, _, field in filled:
        try:
            sig = EmbeddedPdfSignature(reader, field, name)
            status = validate_pdf_signature(
                sig, signer_validation_context=ValidationContext(trust_roots=roots, allow_fetching=False)
            )
        except (PdfError, ValueError, TypeError, KeyError, AttributeError) as exc:
            # A damaged signature is a finding about the document, not a failure of the check.
            result.append((float("inf"), _broken(name, exc)))
            continue
        info_changed = _info_changed_after(reader, sig.signed_revision)
        result.append((sig.signed_revision, _status(sig, status, bool(roots), info_changed)))
    return [status for _, status in sorted(result, key=lambda item: item[0])]


def _info_changed_after(reader: PdfFileReader, revision: int) -> bool:
    """The document information was replaced or rewritten after ``revision``.

    pyHanko's difference analysis looks at the objects reachable from the
    catalog; the information dictionary hangs off the trailer, so a change to
    it (a title, the eur1pdf entries) is checked here.
    """
    try:
        now = reader.trailer_view.raw_get("/Info")
        then = reader.get_historical_resolver(revision).trailer_view.raw_get("/Info")
    except (KeyError, PdfError, ValueError):
        return True  # no information dictionary, or an unreadable one: not as signed
    if not isinstance(now, IndirectObject) or not isinstance(then, IndirectObject):
        return True
    if (now.idnum, now.generation) != (then.idnum, then.generation):
        return True
    return reader.xrefs.get_last_change(now.reference) > revision


def _status(
    sig: EmbeddedPdfSignature, status: PdfSignatureStatus, have_roots: bool, info_changed: bool = False
) -> SignatureStatus:
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
        modified_after_signing=info_changed
        or (status.coverage != SignatureCoverageLevel.ENTIRE_FILE and level not in housekeeping),
    )


def check_signing_key(pkcs12_path: str | Path, passphrase: bytes | None) -> None:
    """:class:`SigningKeyError` when the key cannot sign (missing, not PKCS#12, wrong passphrase):
    ``eur1pdf serve`` asks before it listens, rather than at the first final certificate."""
    _load_signer(pkcs12_path, passphrase)
