"""The document made again from what a certificate PDF carries: its data and its recorded options.

eur1pdf's output before locking and signing is byte-deterministic, so the
attached ``certificate.json`` and the options recorded in ``Eur1pdfOptions``
(:class:`eur1pdf.plan.RecordedOptions`) make the very same document again;
``verify`` compares the file with it. A user's own blank cannot be made
again: it must be given (``--blank``) and its SHA-256 match the recorded one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from eur1pdf import __version__
from eur1pdf.api import render
from eur1pdf.certificate.model import Certificate
from eur1pdf.errors import Eur1pdfError
from eur1pdf.layouts import get_layout
from eur1pdf.options import FillOptions
from eur1pdf.plan import RecordedOptions
from eur1pdf.printer import PrinterProfile
from eur1pdf.small_files import FileRefused, read_small_file


class CannotRemake(Eur1pdfError):
    """The document cannot be made again (a user blank not given or not matching, options refused)."""


class CannotCheckHere(CannotRemake):
    """The document may be as issued, but cannot be made again here: it needs its own blank form or
    the eur1pdf version that made it (the verdict is CANNOT CHECK, never VALID)."""


def fill_options(recorded: RecordedOptions) -> FillOptions:
    """The options of the original render, without locking and signing."""
    try:
        return FillOptions(
            sheets=tuple(recorded.sheets) if recorded.sheets else None,
            overlay_only=recorded.overlay_only,
            on_overflow=recorded.on_overflow,
            printer=PrinterProfile.model_validate(recorded.printer) if recorded.printer is not None else None,
            end_mark=recorded.end_mark,
            draft=recorded.mode == "draft",
            final=recorded.mode == "final",
            verify_url=recorded.verify_url,
            pdfa=recorded.pdfa if recorded.mode == "final" else None,
            print_serial=recorded.print_serial,
            print_marks=recorded.print_marks if recorded.mode == "final" else None,
        )
    except (Eur1pdfError, ValueError) as exc:  # a PrinterProfile out of range is a pydantic ValueError
        raise CannotRemake(f"the recorded options cannot be used: {exc}") from None


def check_blank(recorded: RecordedOptions, blank: str | Path | None) -> Path | None:
    """The user's blank to make the document with, when the record names one; checked by its SHA-256."""
    if recorded.blank != "user":
        return None
    if blank is None:
        raise CannotCheckHere(
            "the certificate was printed on the user's own blank form, which cannot be made again: "
            f"give that file with --blank (SHA-256 {recorded.blank_sha256})"
        )
    try:  # read within the blank's own limit: a device or a FIFO named here is refused unread
        found = hashlib.sha256(read_small_file(Path(blank), "blank form")).hexdigest()
    except FileRefused as exc:
        raise CannotCheckHere(f"--blank {blank}: {exc}") from None
    if found != recorded.blank_sha256:
        raise CannotCheckHere(
            f"--blank {blank} is not the blank form the certificate was printed on "
            f"(SHA-256 {found}, the certificate records {recorded.blank_sha256})"
        )
    return Path(blank)


def remake(cert: Certificate, recorded: RecordedOptions, blank: str | Path | None = None) -> bytes:
    """The unsigned, unlocked document ``cert`` and ``recorded`` make."""
    if recorded.version is not None and recorded.version != __version__:  # found by review
        raise CannotCheckHere(
            f"the certificate was made by eur1pdf {recorded.version}; this is eur1pdf {__version__}, "
            f"which draws it differently: check it with eur1pdf {recorded.version}"
        )
    options = fill_options(recorded)
    user_blank = check_blank(recorded, blank)
    try:
        return render(cert, options, layout=get_layout(recorded.layout), blank=user_blank)
    except Eur1pdfError as exc:
        raise CannotRemake(f"the certificate data cannot be printed again: {exc}") from None
