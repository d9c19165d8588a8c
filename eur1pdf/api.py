"""The pipeline as functions: certificate -> PDF bytes (DESIGN.md, "The flow")."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any, overload

from eur1pdf.artwork.blank import drawn_blank
from eur1pdf.artwork.marks import draft_layer, final_layer
from eur1pdf.certificate.digest import canonical_bytes, digest_of
from eur1pdf.certificate.model import Certificate, certificate_from_data, load_certificate
from eur1pdf.errors import Eur1pdfError, FitError, MissingGlyphError, UnknownLayoutError
from eur1pdf.files import check_output_dir, write_atomic
from eur1pdf.layouts.geometry import mm_to_pt
from eur1pdf.layouts.schema import Layout
from eur1pdf.options import FillOptions, OnOverflow, SigningKey, prints_marks, prints_serial, wants_pdfa
from eur1pdf.pdf.document import Background, DocumentSpec, SharedTemplates, compose
from eur1pdf.placement.drawables import Page
from eur1pdf.placement.fields import all_drawable, check_certificate_glyphs
from eur1pdf.placement.goods import fits_remembered
from eur1pdf.plan import (
    CERTIFICATE_ATTACHMENT,
    Part,
    PlannedPages,
    RecordedOptions,
    check_sheets,
    face_index,
    layout_of,
    layout_variant,
    parts_metadata,
    plan_pages,
    plan_parts,
)
from eur1pdf.rules import Finding, RuleViolation, validate

__all__ = ["FillOptions", "SigningKey", "fill_file", "render"]


def background_for(layout: Layout, blank: str | Path | None = None) -> tuple[Background, int | None]:
    """The blank form under the data, and its page count when it is the user's file.

    Without ``blank``, the layout's own form, drawn once per process.
    """
    if blank is None:
        return _DrawnOnUse(layout), None
    from eur1pdf.pdf.foreign_limits import check_blank_size  # pikepdf: only for a user's blank

    try:
        stat = Path(blank).stat()
        check_blank_size(stat.st_size, str(blank))
        data = _read_blank(str(blank), stat.st_mtime_ns, stat.st_size)
    except OSError as exc:
        raise Eur1pdfError(f"--blank {blank}: cannot read ({exc.strerror})") from None
    return data, blank_page_count(data, str(blank))


class _DrawnOnUse(Sequence[Page]):
    """The layout's drawn blank set, drawn when a face is first looked at: a blank whose PDF
    objects were kept (:mod:`eur1pdf.pdf.kept_templates`) is not drawn at all."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    @overload
    def __getitem__(self, index: int) -> Page: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Page]: ...
    def __getitem__(self, index: int | slice) -> Page | Sequence[Page]:
        return drawn_blank(self.layout)[index]

    def __len__(self) -> int:
        return len(drawn_blank(self.layout))


@lru_cache(maxsize=8)
def _read_blank(path: str, mtime_ns: int, size: int) -> bytes:
    """A user's blank, read once per process (again if it changes): a batch uses the same bytes
    object for every record, so the caches keyed by it hash it once."""
    return Path(path).read_bytes()


@lru_cache(maxsize=8)
def blank_page_count(data: bytes, source: str) -> int:
    """Check a blank PDF opens (not corrupt, not encrypted) and count its pages."""
    import pikepdf  # here, not above: only a user's blank is read back (a cold `fill` starts sooner)

    from eur1pdf.pdf.foreign_limits import check_blank

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            check_blank(pdf, source)  # limits: nothing of it is decoded or imported beyond them
            return len(pdf.pages)
    except pikepdf.PasswordError:
        raise Eur1pdfError(f"--blank {source}: the PDF is encrypted; give an unprotected copy") from None
    except pikepdf.PdfError as exc:
        problem = re.sub(r"^stream <[^>]*>:? ", "", str(exc))  # pikepdf names the in-memory copy
        raise Eur1pdfError(f"--blank {source}: not a readable PDF ({problem})") from None


def render(
    data: Certificate | dict[str, Any],
    options: FillOptions | None = None,
    layout: Layout | None = None,
    blank: str | Path | None = None,
    on_findings: Callable[[list[Finding]], None] | None = None,
) -> bytes:
    """Fill one certificate (model or plain data) and return the PDF bytes.

    The certificate is checked against its form and agreement first
    (:func:`eur1pdf.rules.validate`); ``on_findings`` receives every finding
    (to show the warnings), and errors stop it with :class:`RuleViolation`.
    """
    options = options or FillOptions()
    cert = certificate_from_data(data)
    layout = _checked_layout(cert, layout, options, on_findings)
    sheets = check_sheets(layout, options.sheets)
    canonical = canonical_bytes(cert)
    fingerprint = digest_of(canonical)
    # every character drawable (the common case, one pass): neither a split nor the placement
    # checks the glyphs again; else the whole certificate is checked now, split asked or not, so
    # the error names the same field and box either way
    drawable = all_drawable(layout, canonical)
    if not drawable:
        check_certificate_glyphs(cert, layout, canonical)
    with fits_remembered():  # the goods fitted to decide a split are placed with that fit
        parts = plan_parts(
            cert, layout, options.on_overflow, options.final, options.verify_url, fingerprint, drawable
        )
        parts = [_as_printed(part, options) for part in parts]
        planned = plan_pages(parts, layout, sheets, canonical, drawable)
    spec = _document_spec(cert, layout, options, blank, sheets, planned)
    metadata = _metadata(cert, options, fingerprint, parts)
    split: OnOverflow = "split" if len(parts) > 1 else "error"  # what was done, not what was allowed
    metadata["Eur1pdfOptions"] = RecordedOptions.of(layout.name, sheets, split, options, blank).to_json()
    spec = replace(spec, metadata=metadata, attachment=(CERTIFICATE_ATTACHMENT, canonical))
    pdf = compose(spec)
    if not options.lock_password and options.signing is None:
        return pdf
    from eur1pdf.finish.lock import lock_and_sign  # pikepdf (and pyHanko): imported to lock or sign only

    return lock_and_sign(pdf, cert, options.lock_password, options.signing)


def _as_printed(part: Part, options: FillOptions) -> Part:
    """The part with what the options print of it: onto stock, no serial and no marks unless asked."""
    serial, marks = prints_serial(options), prints_marks(options) or not options.final
    if serial and marks:
        return part
    return replace(part, issuance=replace(part.issuance, serial=serial, marks=marks))


def _checked_layout(
    cert: Certificate,
    layout: Layout | None,
    options: FillOptions,
    on_findings: Callable[[list[Finding]], None] | None,
) -> Layout:
    """The certificate's layout (as the options draw it), once the rules let it be filled."""
    try:
        layout = layout_of(cert, layout)
    except UnknownLayoutError:  # the input's "form": a finding on that field, like every other
        raise RuleViolation(validate(cert)) from None
    # the placement is the render's own (its errors keep their messages): the rules alone here
    findings = validate(cert, layout, will_split=options.on_overflow == "split", placement=False)
    if on_findings is not None:
        on_findings(findings)
    if any(f.severity == "error" for f in findings) and not options.allow_errors:
        raise RuleViolation(findings)
    return layout_variant(layout, options.end_mark)


def _metadata(cert: Certificate, options: FillOptions, fingerprint: str, parts: list[Part]) -> dict[str, str]:
    """The document information eur1pdf reads back (verify): status, digest of the attached data,
    serial, and the verification link — or, for the certificates of a split final, each one's."""
    metadata = {
        "Eur1pdfStatus": _status(options),
        "Eur1pdfDigest": fingerprint,
        "Eur1pdfSerial": cert.serial or "",
    }
    if len(parts) > 1 and options.final:
        metadata["Eur1pdfParts"] = parts_metadata(parts)
    elif parts[0].issuance.link:
        metadata["Eur1pdfVerification"] = parts[0].issuance.link
    return metadata


def _status(options: FillOptions) -> str:
    return "draft" if options.draft else "final" if options.final else "unmarked"


def _document_spec(
    cert: Certificate,
    layout: Layout,
    options: FillOptions,
    blank: str | Path | None,
    sheets: list[int] | None,
    planned: PlannedPages,
) -> DocumentSpec:
    """The pages on their blank faces, moved by the printer profile, under the draft or final marks."""
    background, count = (None, None) if options.overlay_only else background_for(layout, blank)
    matrix = None
    if options.printer is not None:  # one transformation of the data layer, for this layout
        matrix = options.printer.for_layout(layout.name).matrix(mm_to_pt(layout.height_mm))
    marks: Sequence[Page] | None = None
    marks_pages, marks_kind = None, None
    if options.draft:
        marks, marks_kind = draft_layer(layout), "draft"
    elif prints_marks(options):
        marks, marks_pages = final_layer(layout, [page.sheet for page in planned.pages])
        marks_kind = "final"
    # the shared objects are kept with the prepared layout, under names for its blank and marks
    background_key = background if isinstance(background, bytes) else None if background is None else "drawn"
    return DocumentSpec(
        pages=planned.pages,
        title=f"{layout.title} {cert.serial}" if cert.serial else layout.title,
        background=background,
        face_index=_faces_of_blank(layout, count, sheets, blank),
        issue_date=cert.issue_date,
        data_matrix=matrix,
        marks=marks,
        marks_pages=marks_pages,
        marks_switchable=marks_kind == "final",  # a draft's marks: page content no layer switch hides
        template_cache=layout.prepared.derived(SharedTemplates, SharedTemplates),
        template_key=(background_key, marks_kind),
        pdfa=wants_pdfa(options),
    )


def _faces_of_blank(
    layout: Layout, count: int | None, sheets: list[int] | None, blank: str | Path | None
) -> dict[str, int]:
    """Which page of the blank is which face; a page count that fits neither way names the blank."""
    try:
        return face_index(layout, count, sheets)
    except Eur1pdfError as exc:
        raise Eur1pdfError(f"--blank {blank}: {exc}") from None


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
