"""Box 11 of a final certificate: the customs validation in the box's own printed fields.

The customs endorsement box is the customs' own: "Form … No …", "Customs
office …", "Issuing country or territory …", "Place and date …", a place for
the signature and the stamp. An electronically validated certificate fills
those printed fields from the input's ``endorsement`` (never a free block
over the box), and says where the signature would go that it was validated
electronically, with the reference; the Stamp label and the stamp circle stay
clear. Nothing of it is printed on a draft, nor on stock unless the marks are
asked for (:class:`eur1pdf.options.FillOptions` ``print_marks``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eur1pdf.certificate.model import Certificate, Endorsement


@dataclass(frozen=True)
class Issuance:
    """How the certificate is issued, which a page shows besides the data: whether it is the
    final certificate (box 11's electronic endorsement) and its verification link, and what
    is printed onto pre-printed stock: the serial and the final's marks only when asked."""

    final: bool = False
    link: str | None = None
    serial: bool = True  # the serial number (the stock has its own)
    marks: bool = True  # a final's ORIGINAL/COPY, electronic endorsement, QR code and link


def _format_date(value) -> str:  # as field_sources.format_date, without importing it back
    return value.strftime("%d.%m.%Y")


def _wording(key: str) -> str:
    from eur1pdf.placement.field_sources import wordings  # field_sources imports this module

    return str(wordings()["endorsement"]["en"][key])


def export_document_parts(document: str | None) -> tuple[str, str]:
    """The export document as "Form … No …": its first word is the form (EX-A, e-dec …), the
    rest its number; a single word is the number alone."""
    words = (document or "").split(None, 1)
    if len(words) == 2:
        return words[0], words[1]
    return "", words[0] if words else ""


def _issuing_country(cert: Certificate) -> str:
    """The country whose customs endorse: the exporter's, else the exporting side of box 2."""
    return (cert.exporter.country or cert.trade.from_).strip()


def _endorsed(
    read: Callable[[Certificate, Endorsement], str],
) -> Callable[[Certificate, Issuance], list[str]]:
    """A box 11 source: its line on a final certificate with the marks printed, else nothing."""

    def lines(cert: Certificate, issuance: Issuance) -> list[str]:
        e = cert.endorsement
        if not issuance.final or not issuance.marks or e is None:
            return []
        text = read(cert, e)
        return [text] if text else []

    return lines


def _stamp(cert: Certificate, issuance: Issuance) -> list[str]:
    """Where the signature goes: that the certificate was validated electronically, and the reference."""
    e = cert.endorsement
    if not issuance.final or not issuance.marks or e is None:
        return []
    return [_wording("title"), _wording("reference").format(e.reference)]


def _link(cert: Certificate, issuance: Issuance) -> list[str]:
    return [issuance.link] if issuance.final and issuance.marks and issuance.link else []


# source name -> (input field path, how to read it)
ENDORSEMENT_SOURCES: dict[str, tuple[str, Callable[[Certificate, Issuance], list[str]]]] = {
    "endorsement.export_form": (
        "endorsement.export_document",
        _endorsed(lambda c, e: export_document_parts(e.export_document)[0]),
    ),
    "endorsement.export_number": (
        "endorsement.export_document",
        _endorsed(lambda c, e: export_document_parts(e.export_document)[1]),
    ),
    "endorsement.office": ("endorsement.office", _endorsed(lambda c, e: e.office)),
    "endorsement.country": ("exporter.country", _endorsed(lambda c, e: _issuing_country(c))),
    "endorsement.place_date": (
        "endorsement",
        _endorsed(lambda c, e: f"{e.office}, {_format_date(e.date)}"),
    ),
    "endorsement.stamp": ("endorsement.reference", _stamp),
    "verification.link": ("verification", _link),
}
