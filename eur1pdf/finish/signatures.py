"""What the finish stage reports and refuses, shared by its two halves.

:mod:`eur1pdf.finish.lock` (pikepdf: locking, and the entry points) and
:mod:`eur1pdf.finish.signing` (pyHanko, imported only to sign or read a
signature) both speak of these; kept apart so neither half imports the other
at load time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from eur1pdf.errors import Eur1pdfError

SIGNATURE_FIELD = "Signature1"

_STREAM_NAME = re.compile(r"^stream <[^<>]* at 0x[0-9a-fA-F]+>: |<[^<>]* at 0x[0-9a-fA-F]+>")


def pdf_problem(exc: Exception) -> str:
    """qpdf's words for a broken PDF, without the in-memory stream's name (a memory address that
    changes from run to run and tells the user nothing)."""
    return _STREAM_NAME.sub("", str(exc)).strip()


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
