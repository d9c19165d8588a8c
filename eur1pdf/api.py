"""The pipeline as functions: certificate -> PDF bytes (DESIGN.md, "The flow")."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import pikepdf

from eur1pdf.artwork.blank import drawn_blank
from eur1pdf.artwork.marks import draft_layer, final_layer
from eur1pdf.certificate.digest import canonical_bytes, digest_of
from eur1pdf.certificate.model import Certificate, certificate_from_data, load_certificate
from eur1pdf.errors import Eur1pdfError, FitError, MissingGlyphError, UnknownLayoutError
from eur1pdf.files import check_output_dir, write_atomic
from eur1pdf.finish.lock import lock, sign
from eur1pdf.layouts import get_layout
from eur1pdf.layouts.geometry import mm_to_pt
from eur1pdf.layouts.schema import Layout
from eur1pdf.pdf.document import Background, compose
from eur1pdf.placement.field_sources import Context
from eur1pdf.placement.fields import place_certificate
from eur1pdf.placement.goods import split_items
from eur1pdf.printer import PrinterProfile
from eur1pdf.rules.checks import Finding, RuleViolation, validate

OnOverflow = Literal["error", "split"]
EndMark = Literal["line", "stars", "backslashes"]


@dataclass(frozen=True)
class FillOptions:
    """How to fill: which sheets, with or without the blank form, what to do on overflow."""

    sheets: tuple[int, ...] | None = None  # None: the whole set
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


@dataclass(frozen=True)
class SigningKey:
    """A PKCS#12 signing key and its passphrase (from configuration, never a command line)."""

    path: Path
    passphrase: bytes | None
    location: str | None = None  # default: the place of the exporter's declaration


def layout_for(cert: Certificate, layout: Layout | None = None) -> Layout:
    return layout if layout is not None else get_layout(cert.form)


def plan_certificates(cert: Certificate, layout: Layout, on_overflow: OnOverflow) -> list[Certificate]:
    """The certificate itself, or (split) one certificate per chunk of items.

    Each part carries its own items, numbered from 1, and the serial is marked
    ``(1/2)``, ``(2/2)`` … (printed alone where there is no serial, next to
    the pre-printed number) so the parts cannot be mistaken for one another.
    """
    if on_overflow != "split":
        return [cert]
    chunks = split_items(cert.items, layout, layout.certificate_face)
    if len(chunks) == 1:
        return [cert]
    parts = []
    for n, chunk in enumerate(chunks, start=1):
        mark = f"({n}/{len(chunks)})"
        serial = f"{cert.serial} {mark}" if cert.serial else mark
        parts.append(cert.model_copy(update={"items": chunk, "serial": serial}))
    return parts


def face_index(
    layout: Layout, blank_pages: int | None = None, sheets: list[int] | None = None
) -> dict[str, int]:
    """Face name -> page number in the blank form.

    The drawn blanks hold the whole set. A user's own blank (a scan of the
    official stock) may instead hold just the faces being filled, in order.
    """
    whole = [name for _, name, _ in layout.pages()]
    wanted = [name for _, name, _ in layout.pages(sheets)]
    if blank_pages is None or blank_pages == len(whole):
        order = whole
    elif blank_pages == len(wanted):
        order = wanted
    else:
        raise Eur1pdfError(
            f"the blank form has {blank_pages} page(s): give one page per face of the {layout.name} set "
            f"({len(whole)}: {', '.join(whole)}) or one per face being filled ({len(wanted)})"
        )
    index: dict[str, int] = {}
    for number, name in enumerate(order):
        index.setdefault(name, number)
    return index


def background_for(layout: Layout, blank: str | Path | None = None) -> tuple[Background, int | None]:
    """The blank form under the data, and its page count when it is the user's file.

    Without ``blank``, the layout's own form, drawn once per process.
    """
    if blank is None:
        return drawn_blank(layout), None
    try:
        stat = Path(blank).stat()
        data = _read_blank(str(blank), stat.st_mtime_ns, stat.st_size)
    except OSError as exc:
        raise Eur1pdfError(f"--blank {blank}: cannot read ({exc.strerror})") from None
    return data, blank_page_count(data, str(blank))


@lru_cache(maxsize=8)
def _read_blank(path: str, mtime_ns: int, size: int) -> bytes:
    """A user's blank, read once per process (again if it changes): a batch uses the same bytes
    object for every record, so the caches keyed by it hash it once."""
    return Path(path).read_bytes()


@lru_cache(maxsize=8)
def blank_page_count(data: bytes, source: str) -> int:
    """Check a blank PDF opens (not corrupt, not encrypted) and count its pages."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages)
    except pikepdf.PasswordError:
        raise Eur1pdfError(f"--blank {source}: the PDF is encrypted; give an unprotected copy") from None
    except pikepdf.PdfError as exc:
        raise Eur1pdfError(f"--blank {source}: not a readable PDF ({exc})") from None


def render(
    data: Certificate | dict[str, Any],
    options: FillOptions | None = None,
    layout: Layout | None = None,
    blank: str | Path | None = None,
    on_findings: Callable[[list[Finding]], None] | None = None,
) -> bytes:
    """Fill one certificate (model or plain data) and return the PDF bytes.

    The certificate is checked against its form and agreement first
    (:func:`eur1pdf.rules.checks.validate`); ``on_findings`` receives every finding
    (to show the warnings), and errors stop it with :class:`RuleViolation`.
    """
    options = options or FillOptions()
    cert = certificate_from_data(data)
    try:
        layout = layout_for(cert, layout)
    except UnknownLayoutError:  # the input's "form": a finding on that field, like every other
        raise RuleViolation(validate(cert)) from None
    findings = validate(cert, layout, will_split=options.on_overflow == "split")
    if on_findings is not None:
        on_findings(findings)
    if options.draft and options.final:
        raise Eur1pdfError("a certificate is either a draft or final, not both")
    if (options.lock_password or options.signing) and not options.final:
        raise Eur1pdfError("locking and signing are for final certificates (--final)")
    if options.allow_errors and not options.draft:
        raise Eur1pdfError("errors can be allowed on a draft only (--draft --allow-errors), never otherwise")
    if any(f.severity == "error" for f in findings) and not options.allow_errors:
        raise RuleViolation(findings)
    if options.end_mark is not None:
        layout = layout.prepared.variant(options.end_mark)  # prepared once per end mark, then kept
    sheets = list(options.sheets) if options.sheets else None
    if sheets:
        known = {s.number for s in layout.sheets}
        unknown = sorted(set(sheets) - known)
        if unknown:
            raise Eur1pdfError(
                f"--sheets: the {layout.name} set has no sheet {unknown[0]} (sheets: {sorted(known)})"
            )
    canonical = canonical_bytes(cert)
    fingerprint = digest_of(canonical)
    link = verification_link(options.verify_url, cert, fingerprint) if options.final else None
    ctx = Context(final=options.final, link=link)
    pages = []
    parts = plan_certificates(cert, layout, options.on_overflow)
    for part in parts:
        pages += place_certificate(part, layout, sheets, ctx, canonical)
    background, count = (None, None) if options.overlay_only else background_for(layout, blank)
    title = f"{layout.title} {cert.serial}" if cert.serial else layout.title
    matrix = None
    if options.printer is not None:  # one transformation of the data layer, for this layout
        matrix = options.printer.for_layout(layout.name).matrix(mm_to_pt(layout.height_mm))
    index = face_index(layout, count, sheets)
    marks, marks_pages = None, None
    if options.draft:
        marks = draft_layer(layout)
    elif options.final:
        marks, marks_pages = final_layer(layout, [page.sheet for page in pages])
    status = "draft" if options.draft else "final" if options.final else "unmarked"
    metadata = {"Eur1pdfStatus": status, "Eur1pdfDigest": fingerprint, "Eur1pdfSerial": cert.serial or ""}
    if link:
        metadata["Eur1pdfVerification"] = link
    # how the pages were made, so that `eur1pdf verify` can place the data again and compare
    metadata["Eur1pdfOptions"] = json.dumps(
        {
            "layout": layout.name,
            "sheets": sheets,
            "on_overflow": "split" if len(parts) > 1 else "error",  # what was done, not what was allowed
            "end_mark": options.end_mark,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    pdf = compose(
        pages,
        background,
        index,
        title,
        cert.issue_date,
        matrix,
        marks,
        marks_pages,
        metadata=metadata,
        attachment=(CERTIFICATE_ATTACHMENT, canonical),
    )
    return finish(pdf, cert, options)


def finish(pdf: bytes, cert: Certificate, options: FillOptions) -> bytes:
    """Lock, then sign: a signature made before locking would be broken by it.

    Both make the bytes differ from run to run (random encryption keys and
    signature IDs); everything before this stage is byte-deterministic.
    """
    if options.lock_password:
        pdf = lock(pdf, options.lock_password)
    if options.signing is not None:
        key = options.signing
        place = key.location or (cert.declaration.place if cert.declaration else cert.exporter.country) or ""
        reason = f"Proof of origin: movement certificate {cert.serial or ''}".strip()
        pdf = sign(
            pdf, key.path, key.passphrase, reason=reason, location=place, owner_password=options.lock_password
        )
    return pdf


CERTIFICATE_ATTACHMENT = "certificate.json"


def verification_link(template: str | None, cert: Certificate, fingerprint: str) -> str | None:
    """The link the QR code encodes: the template with {serial} and {digest} filled in."""
    if template is None:
        return None
    try:
        return template.format(serial=quote(cert.serial or "", safe=""), digest=fingerprint)
    except (KeyError, IndexError, ValueError) as exc:
        raise Eur1pdfError(
            f"--verify-url {template!r}: {exc!s} is not a placeholder; use {{serial}} and {{digest}}"
        ) from None


def fill_file(
    source: str | Path,
    output: str | Path,
    options: FillOptions | None = None,
    layout: Layout | None = None,
    blank: str | Path | None = None,
    on_findings: Callable[[list[Finding]], None] | None = None,
) -> Path:
    """Read a JSON/YAML certificate, write the PDF atomically; returns the output path."""
    output = Path(output)
    check_output_dir(output)
    cert = load_certificate(source)
    try:
        pdf = render(cert, options, layout, blank, on_findings)
    except (FitError, MissingGlyphError) as exc:
        exc.args = (f"{source}: {exc.args[0]}",)  # name the file: a batch has many
        raise
    return write_atomic(output, pdf)
