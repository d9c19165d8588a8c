"""How to fill a certificate: :class:`FillOptions`, checked when it is made.

A wrong option is the caller's mistake, so it is refused at construction,
where the traceback points at the caller's line, not deep inside a render.
Messages speak of the options (``sheets``, ``end_mark``); the command line
maps them to its flags (:data:`eur1pdf.cli` names ``--sheets`` …).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from eur1pdf.errors import Eur1pdfError
from eur1pdf.printer import PrinterProfile

OnOverflow = Literal["error", "split"]
EndMark = Literal["line", "stars", "backslashes"]


class OptionsError(Eur1pdfError, ValueError):
    """Raised when a :class:`FillOptions` is made with a value it cannot take; ``option`` names it."""

    def __init__(self, option: str, message: str):
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


@dataclass(frozen=True)
class SigningKey:
    """A PKCS#12 signing key and its passphrase (from configuration, never a command line)."""

    path: Path
    passphrase: bytes | None
    location: str | None = None  # default: the place of the exporter's declaration


@dataclass(frozen=True)
class FillOptions:
    """How to fill: which sheets, with or without the blank form, what to do on overflow.

    Checked on construction (:class:`OptionsError` names the option); which
    sheets a form has is checked when the form is known, at render time.
    """

    sheets: tuple[int, ...] | None = None  # None: the whole set; else sheet numbers, e.g. (1,) or (1, 3)
    overlay_only: bool = False
    on_overflow: OnOverflow = "error"
    printer: PrinterProfile | None = None  # moves the data layer only (eur1pdf.printer.load_profile)
    end_mark: EndMark | None = None  # how box 8 is closed; None: the layout's default
    draft: bool = False  # a provisional certificate: DRAFT watermark and margin line on every page
    final: bool = False  # the final certificate: ORIGINAL/COPY marks, customs stamp, QR code, digest
    verify_url: str | None = None  # final: link template with {serial} and {digest}, encoded in the QR
    allow_errors: bool = False  # drafts only: make the PDF despite rule errors
    lock_password: str | None = None  # final: lock against changes with this owner password
    signing: SigningKey | None = None  # final: sign (PAdES) with this key
    pdfa: bool | None = None  # final: PDF/A-3b; None: yes unless locked (PDF/A forbids encryption)
    # Onto pre-printed stock (overlay_only) only what a clerk writes or types is printed: the
    # stock has its own serial number, and customs endorse and stamp the paper themselves.
    print_serial: bool | None = None  # None: unless overlay_only
    print_marks: bool | None = None  # ORIGINAL/COPY, electronic endorsement, QR; None: unless overlay_only

    def __post_init__(self) -> None:
        object.__setattr__(self, "sheets", _sheet_numbers(self.sheets))
        _one_of("on_overflow", self.on_overflow, get_args(OnOverflow))
        if self.end_mark is not None:
            _one_of("end_mark", self.end_mark, get_args(EndMark))
        if self.draft and self.final:
            raise OptionsError("draft", "a certificate is either a draft or final, not both")
        if self.lock_password and not self.final:
            raise OptionsError("lock_password", "locking is for final certificates")
        if self.signing is not None and not self.final:
            raise OptionsError("signing", "signing is for final certificates")
        if self.pdfa and not self.final:
            raise OptionsError("pdfa", "PDF/A is for final certificates")
        if self.pdfa and self.lock_password:
            raise OptionsError("pdfa", "PDF/A forbids encryption: a final cannot be both PDF/A and locked")
        if self.allow_errors and not self.draft:
            raise OptionsError("allow_errors", "errors can be allowed on a draft only, never otherwise")
        if self.print_marks and not self.final:
            raise OptionsError("print_marks", "only a final certificate has marks to print")
        if self.printer is not None and not isinstance(self.printer, PrinterProfile):
            raise OptionsError("printer", "expected a PrinterProfile (eur1pdf.printer.load_profile)")


def _sheet_numbers(value: object) -> tuple[int, ...] | None:
    """``None``, or the sheet numbers as a tuple (a list is taken as well)."""
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise OptionsError("sheets", f"expected sheet numbers such as (1,) or (1, 3), got {value!r}")
    numbers = tuple(value)
    if not numbers:  # no sheet named: the whole set, as None
        return None
    if not all(type(n) is int and n >= 1 for n in numbers):
        raise OptionsError("sheets", f"expected sheet numbers such as (1,) or (1, 3), got {value!r}")
    return numbers


def _one_of(option: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise OptionsError(option, f"expected one of {choices}, got {value!r}")


def prints_serial(options: FillOptions) -> bool:
    """Whether the serial number is printed: yes, but not onto stock (it has its own) unless asked."""
    return options.print_serial if options.print_serial is not None else not options.overlay_only


def prints_marks(options: FillOptions) -> bool:
    """Whether a final's marks are printed (ORIGINAL/COPY, the electronic endorsement in box 11,
    the QR code and its link): yes, but not onto stock unless asked."""
    if not options.final:
        return False
    return options.print_marks if options.print_marks is not None else not options.overlay_only


def wants_pdfa(options: FillOptions) -> bool:
    """Whether to make a PDF/A-3b document: a final, unless turned off or locked (PDF/A forbids
    encryption; a lock without an explicit ``pdfa=True`` simply makes a final that is not PDF/A)."""
    if not options.final:
        return False
    return options.pdfa if options.pdfa is not None else not options.lock_password
