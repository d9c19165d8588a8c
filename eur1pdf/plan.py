"""What a document is made of, worked out once: shared by :func:`eur1pdf.render` and ``verify``.

``render`` plans a document from the certificate and the options and records
the plan in the document's metadata (``Eur1pdfOptions``); ``verify`` reads
that record back and plans the same document again from the attached data,
to compare it with what the file shows. Both go through :func:`plan_pages`,
so the two can never place the data differently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args
from urllib.parse import quote

from eur1pdf import __version__
from eur1pdf.certificate.digest import canonical_bytes, digest_of
from eur1pdf.certificate.model import Certificate
from eur1pdf.errors import Eur1pdfError, InputError, Problem
from eur1pdf.layouts import get_layout
from eur1pdf.layouts.schema import Layout
from eur1pdf.options import (
    EndMark,
    FillOptions,
    OnOverflow,
    OptionsError,
    prints_marks,
    prints_serial,
    wants_pdfa,
)
from eur1pdf.placement.drawables import Page
from eur1pdf.placement.field_sources import Issuance
from eur1pdf.placement.fields import all_drawable, place_certificate
from eur1pdf.placement.goods import fits_unsplit, split_items
from eur1pdf.printer import KEYS as PRINTER_KEYS

CERTIFICATE_ATTACHMENT = "certificate.json"


@dataclass(frozen=True)
class RecordedOptions:
    """How the pages were made, as kept in the document (``Eur1pdfOptions``) for ``verify``.

    Everything that ``verify`` needs to make the unsigned, unlocked document
    again byte for byte from the attached data (:mod:`eur1pdf.finish.remake`):
    the mode, the sheets, what was done on overflow, the end mark, the blank
    (drawn, none, or the user's own with its SHA-256), the printer adjustment
    used for this layout and the link template.
    """

    layout: str
    sheets: list[int] | None
    on_overflow: OnOverflow  # what was done ("split" only when the items were split), not what was allowed
    end_mark: EndMark | None
    mode: str = "final"  # draft, final or unmarked
    overlay_only: bool = False
    printer: dict[str, float] | None = None  # offset_x_mm, offset_y_mm, scale_x, scale_y for this layout
    verify_url: str | None = None  # the template, with {serial} and {digest}
    blank: str = "drawn"  # drawn, none (overlay only) or user (a file given with --blank)
    blank_sha256: str | None = None  # the user blank's SHA-256: it cannot be made again, only matched
    pdfa: bool = False  # a final made as PDF/A-3b (a locked final is not, unless asked and refused)
    print_serial: bool = True  # the serial printed (not onto stock, unless asked)
    print_marks: bool = False  # a final's marks printed: ORIGINAL/COPY, box 11's endorsement, QR code
    version: str | None = None  # the eur1pdf that made it: only the same version makes it again

    @classmethod
    def of(
        cls,
        layout: str,
        sheets: list[int] | None,
        done: OnOverflow,
        options: FillOptions,
        blank: str | Path | None,
    ) -> RecordedOptions:
        """The record of one render (``blank``: the user's blank file, or None)."""
        printer = None
        if options.printer is not None:
            adjustment = options.printer.for_layout(layout)
            if not adjustment.is_identity:  # an identity adjustment prints as no profile, byte for byte
                printer = {key: float(getattr(adjustment, key)) for key in PRINTER_KEYS}
        kind, blank_sha256 = "drawn", None
        if options.overlay_only:
            kind = "none"
        elif blank is not None:
            kind, blank_sha256 = "user", cls.file_sha256(str(blank))
        mode = "draft" if options.draft else "final" if options.final else "unmarked"
        return cls(
            layout, sheets, done, options.end_mark, mode, options.overlay_only, printer,
            options.verify_url if options.final else None, kind, blank_sha256,
            options.final and wants_pdfa(options), prints_serial(options), prints_marks(options),
            __version__,
        )  # fmt: skip

    @staticmethod
    @lru_cache(maxsize=8)
    def file_sha256(path: str) -> str:
        """The SHA-256 of a file (a user's blank: the same file for every record of a batch)."""
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    def to_json(self) -> str:
        fields = {
            "layout": self.layout,
            "sheets": self.sheets,
            "on_overflow": self.on_overflow,
            "end_mark": self.end_mark,
            "mode": self.mode,
            "overlay_only": self.overlay_only,
            "printer": self.printer,
            "verify_url": self.verify_url,
            "blank": self.blank,
            "blank_sha256": self.blank_sha256,
            "pdfa": self.pdfa,
            "print_serial": self.print_serial,
            "print_marks": self.print_marks,
            "version": self.version,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, default_layout: str) -> RecordedOptions:
        """The record read back; :class:`ValueError` when it is not one (wrong types, unknown values)."""
        raw = json.loads(text or "{}")
        if not isinstance(raw, dict):
            raise ValueError("the recorded options are not a JSON object")
        record = cls(
            layout=_typed(raw, "layout", str, default_layout),
            sheets=_typed(raw, "sheets", list, None),
            on_overflow=_typed(raw, "on_overflow", str, "error"),
            end_mark=_typed(raw, "end_mark", str, None),
            mode=_typed(raw, "mode", str, "final"),
            overlay_only=_typed(raw, "overlay_only", bool, False),
            printer=_typed(raw, "printer", dict, None),
            verify_url=_typed(raw, "verify_url", str, None),
            blank=_typed(raw, "blank", str, "drawn"),
            blank_sha256=_typed(raw, "blank_sha256", str, None),
            pdfa=_typed(raw, "pdfa", bool, False),
            print_serial=_typed(raw, "print_serial", bool, True),
            print_marks=_typed(raw, "print_marks", bool, raw.get("mode") == "final"),
            version=_typed(raw, "version", str, None),
        )
        record.check()
        return record

    def check(self) -> None:
        """Refuse values no render records (``from_json`` reads what anyone may have written)."""
        if self.sheets is not None and not all(type(n) is int and 1 <= n <= 99 for n in self.sheets):
            raise ValueError(f"recorded sheets {self.sheets!r} are not sheet numbers")
        if self.on_overflow not in get_args(OnOverflow) or self.mode not in ("draft", "final", "unmarked"):
            raise ValueError(f"recorded on_overflow {self.on_overflow!r} / mode {self.mode!r} unknown")
        if self.end_mark is not None and self.end_mark not in get_args(EndMark):
            raise ValueError(f"recorded end mark {self.end_mark!r} unknown")
        if self.blank not in ("drawn", "none", "user") or (self.blank == "user") != bool(self.blank_sha256):
            raise ValueError(f"recorded blank {self.blank!r} unknown or without its SHA-256")
        if self.printer is not None and (
            set(self.printer) != set(PRINTER_KEYS)
            or not all(type(v) in (int, float) for v in self.printer.values())
        ):
            raise ValueError("the recorded printer adjustment is not four numbers")
        if len(self.layout) > 100 or len(self.verify_url or "") > 2000:
            raise ValueError("the recorded layout name or link template is too long")


def _typed(raw: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    """``raw[key]`` when it is of ``kind`` (``None`` too), ``default`` when missing; else ValueError."""
    value = raw.get(key, default)
    if value is None or (isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))):
        return value
    raise ValueError(f"the recorded option {key!r} is {type(value).__name__}, not {kind.__name__}")


@dataclass(frozen=True)
class PlannedPages:
    """The certificates a render makes (one, or the parts of a split) and their data pages."""

    parts: list[Certificate]
    pages: list[Page]


def layout_variant(layout: Layout, end_mark: EndMark | None) -> Layout:
    """The layout as the options draw it: closed with ``end_mark`` when one is asked for."""
    if end_mark is None:
        return layout
    return layout.prepared.variant(end_mark)  # prepared once per end mark, blank and marks with it


def layout_of(cert: Certificate, layout: Layout | None = None) -> Layout:
    """The layout given, or the one the certificate's ``form`` names."""
    return layout if layout is not None else get_layout(cert.form)


def check_sheets(layout: Layout, sheets: Sequence[int] | None) -> list[int] | None:
    """The sheets to fill, checked against the form's set (None: the whole set)."""
    if not sheets:
        return None
    known = {s.number for s in layout.sheets}
    unknown = sorted(set(sheets) - known)
    if unknown:
        raise OptionsError(
            "sheets", f"the {layout.name} set has no sheet {unknown[0]} (sheets: {sorted(known)})"
        )
    return list(sheets)


def plan_certificates(
    cert: Certificate, layout: Layout, on_overflow: OnOverflow, final: bool = False, drawable: bool = False
) -> list[Certificate]:
    """The certificate itself, or (split) one certificate per chunk of items, numbered from 1.

    A final split is several certificates, each with its own serial: ``serial``
    for the first, ``split_serials`` for the others (refused when they are
    missing). Other splits mark the serial ``(1/2)``, ``(2/2)`` … (printed
    alone where there is no serial, next to the pre-printed number) so the
    parts cannot be mistaken for one another. ``drawable``: every character of the certificate
    is known to be drawable (:func:`all_drawable`), so the items' glyphs are not checked again.
    """
    face = layout.certificate_face
    if on_overflow != "split" or fits_unsplit(cert.items, layout, face, drawable):
        return [cert]
    chunks = split_items(cert.items, layout, face, drawable)
    if len(chunks) == 1:
        return [cert]
    if final:
        serials = _final_serials(cert, len(chunks))
    else:
        serials = [
            f"{cert.serial} ({n}/{len(chunks)})" if cert.serial else f"({n}/{len(chunks)})"
            for n in range(1, len(chunks) + 1)
        ]
    update: dict[str, object] = {"split_serials": []} if final else {}
    return [
        cert.model_copy(update={"items": chunk, "serial": serial, **update})
        for chunk, serial in zip(chunks, serials, strict=True)
    ]


def _final_serials(cert: Certificate, count: int) -> list[str]:
    """One serial per certificate of a final split: ``serial``, then ``split_serials`` in order."""

    def refuse(message: str) -> InputError:
        return InputError([Problem("split_serials", None, message)])

    if not cert.serial:
        raise refuse(
            f"the items need {count} certificates; a final certificate needs its own serial: "
            f"give serial and {count - 1} more in split_serials"
        )
    serials = [cert.serial, *cert.split_serials]
    if len(serials) < count:
        raise refuse(
            f"the items need {count} certificates, each with its own serial: give {count - 1} "
            f"serial(s) in split_serials (the first certificate has serial {cert.serial!r}); "
            f"{len(cert.split_serials)} given"
        )
    seen: set[str] = set()
    for n, serial in enumerate(serials[:count]):
        if serial in seen:
            raise refuse(f"split_serials[{n - 1}]: {serial!r} is used twice; every certificate needs its own")
        seen.add(serial)
    return serials[:count]


@dataclass(frozen=True)
class Part:
    """One certificate of the document: its data and how it is issued (final: its own link)."""

    certificate: Certificate
    digest: str  # of this certificate's canonical data (the whole input's when there is one part)
    issuance: Issuance


def plan_parts(
    cert: Certificate,
    layout: Layout,
    on_overflow: OnOverflow,
    final: bool,
    verify_url: str | None,
    whole_digest: str,
    drawable: bool = False,
) -> list[Part]:
    """The certificates the document holds, each with its digest and (final) verification link.

    One certificate keeps the digest of the input. The parts of a split are
    certificates of their own: each digest is over that part's data alone (its
    items and serial), which is what its QR code and link carry. ``drawable``:
    as for :func:`plan_certificates`.
    """
    certificates = plan_certificates(cert, layout, on_overflow, final, drawable)
    parts = []
    for part in certificates:
        digest = whole_digest if len(certificates) == 1 else digest_of(canonical_bytes(part))
        link = verification_link(verify_url, part, digest) if final else None
        parts.append(Part(part, digest, Issuance(final, link)))
    return parts


def plan_pages(
    parts: list[Part],
    layout: Layout,
    sheets: list[int] | None,
    canonical: bytes | None = None,
    drawable: bool | None = None,
) -> PlannedPages:
    """The data pages of every part, in print order (``canonical``: the whole certificate's
    canonical JSON, when the caller has it: its glyphs are then checked once; ``drawable``:
    what :func:`all_drawable` said of it, when the caller has asked already)."""
    pages: list[Page] = []
    # the whole's texts checked once (the common case: all drawable); each part checking them all
    # grew as parts x items. Else each part is checked, to name the field of the missing glyph.
    if drawable is None:
        drawable = canonical is not None and all_drawable(layout, canonical)
    checked = drawable
    for part in parts:
        pages += place_certificate(part.certificate, layout, sheets, part.issuance, canonical, checked)
    return PlannedPages([part.certificate for part in parts], pages)


def parts_metadata(parts: list[Part]) -> str:
    """``Eur1pdfParts``: each certificate's serial, digest and link, when the document holds several."""
    listed = [{"serial": p.certificate.serial, "digest": p.digest, "link": p.issuance.link} for p in parts]
    return json.dumps(listed, ensure_ascii=False, separators=(",", ":"))


def verification_link(template: str | None, cert: Certificate, fingerprint: str) -> str | None:
    """The link the QR code encodes: the template with {serial} and {digest} filled in."""
    if template is None:
        return None
    try:
        return template.format(serial=quote(cert.serial or "", safe=""), digest=fingerprint)
    except (KeyError, IndexError, ValueError) as exc:
        raise OptionsError(
            "verify_url", f"{template!r}: {exc!s} is not a placeholder; use {{serial}} and {{digest}}"
        ) from None


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
