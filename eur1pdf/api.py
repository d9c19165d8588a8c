"""The pipeline as functions: certificate -> PDF bytes (DESIGN.md, "The flow")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .blank import blank_path, build_blank
from .compose import compose, read_blank
from .errors import Eur1pdfError, FitError, MissingGlyphError
from .goods import split_items
from .layouts import get_layout
from .layouts.geometry import mm_to_pt
from .layouts.schema import Layout
from .model import Certificate, certificate_from_data, load_certificate
from .output import check_output_dir, write_atomic
from .placement import place_certificate
from .printer import PrinterProfile
from .render import render_pages

OnOverflow = Literal["error", "split"]


@dataclass(frozen=True)
class FillOptions:
    """How to fill: which sheets, with or without the blank form, what to do on overflow."""

    sheets: tuple[int, ...] | None = None  # None: the whole set
    overlay_only: bool = False
    on_overflow: OnOverflow = "error"
    printer: PrinterProfile | None = None  # moves the data layer only (eur1pdf.printer.load_profile)


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


def face_index(layout: Layout) -> dict[str, int]:
    """Face name -> page number in the blank form (which holds the whole set)."""
    index: dict[str, int] = {}
    for number, (_, name, _) in enumerate(layout.pages()):
        index.setdefault(name, number)
    return index


def blank_bytes(layout: Layout, blank: str | Path | None = None) -> bytes:
    if blank is not None:
        return Path(blank).read_bytes()
    path = blank_path(layout)
    return read_blank(path) if path.is_file() else build_blank(layout)


def render(
    data: Certificate | dict[str, Any],
    options: FillOptions | None = None,
    layout: Layout | None = None,
    blank: str | Path | None = None,
) -> bytes:
    """Fill one certificate (model or plain data) and return the PDF bytes."""
    options = options or FillOptions()
    cert = certificate_from_data(data)
    layout = layout_for(cert, layout)
    sheets = list(options.sheets) if options.sheets else None
    if sheets:
        known = {s.number for s in layout.sheets}
        unknown = sorted(set(sheets) - known)
        if unknown:
            raise Eur1pdfError(
                f"--sheets: the {layout.name} set has no sheet {unknown[0]} (sheets: {sorted(known)})"
            )
    pages = []
    for part in plan_certificates(cert, layout, options.on_overflow):
        pages += place_certificate(part, layout, sheets)
    overlay = render_pages(pages, title=layout.title)
    background = None if options.overlay_only else blank_bytes(layout, blank)
    title = f"{layout.title} {cert.serial}" if cert.serial else layout.title
    matrix = None
    if options.printer is not None:  # one transformation of the data layer, for this layout
        matrix = options.printer.for_layout(layout.name).matrix(mm_to_pt(layout.height_mm))
    return compose(overlay, pages, background, face_index(layout), title, cert.issue_date, matrix)


def fill_file(
    source: str | Path,
    output: str | Path,
    options: FillOptions | None = None,
    layout: Layout | None = None,
    blank: str | Path | None = None,
) -> Path:
    """Read a JSON/YAML certificate, write the PDF atomically; returns the output path."""
    output = Path(output)
    check_output_dir(output)
    cert = load_certificate(source)
    try:
        pdf = render(cert, options, layout, blank)
    except (FitError, MissingGlyphError) as exc:
        exc.args = (f"{source}: {exc.args[0]}",)  # name the file: a batch has many
        raise
    return write_atomic(output, pdf)
