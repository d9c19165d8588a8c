"""What each data field of a layout shows: certificate -> lines of text.

A layout names a source (``exporter``, ``declaration.place_date`` …); this
module is the one place that knows how a source is read from the certificate,
which input field it comes from and which box that is, for error messages.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache
from pathlib import Path

from eur1pdf.certificate.model import FIELD_BOXES, Certificate, Party
from eur1pdf.own_toml import read_own_toml
from eur1pdf.placement.endorsement import ENDORSEMENT_SOURCES, Issuance

__all__ = ["Issuance", "field_box", "source_field", "source_lines", "wordings"]

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def wordings() -> dict:
    """Standard wordings and statements (data/wordings.toml; parsed once, kept in the user cache)."""
    return read_own_toml(DATA_DIR / "wordings.toml")


def format_date(value) -> str:
    """Dates as a European clerk writes them on the form: 22.11.2026."""
    return value.strftime("%d.%m.%Y")


def party_lines(party: Party | None) -> list[str]:
    if party is None:
        return []
    lines = [party.name, *party.address]
    if party.country and party.country.casefold() != lines[-1].casefold():
        lines.append(party.country)
    return lines


def cumulation_statement(cert: Certificate) -> str | None:
    """EUR-MED box 7: "cumulation applied with EU, Norway" or "no cumulation applied"."""
    if cert.cumulation is None:
        return None
    statements = wordings()["statements"]["en"]
    countries = cert.cumulation.applied_with
    if countries:
        return statements["cumulation_applied"].format(countries=", ".join(countries))
    return statements["no_cumulation"]


def remark_lines(cert: Certificate, with_cumulation: bool = True) -> list[str]:
    """Box 7: the cumulation statement, the statements the flags ask for, then the remarks.

    A remark that repeats a statement is printed once. ``with_cumulation`` False: the form
    has a line of its own for the cumulation (EUR-MED), the remarks go without it.
    """
    statements = wordings()["statements"]["en"]
    lines = []
    cumulation = cumulation_statement(cert)
    if cumulation and with_cumulation:
        lines.append(cumulation)
    if cert.duplicate:
        lines.append(statements["duplicate"])
    if cert.retrospective:
        lines.append(statements["retrospective"])
    seen = {line.casefold() for line in lines} | ({cumulation.casefold()} if cumulation else set())
    for remark in cert.remarks:
        if remark.casefold() not in seen:
            lines.append(remark)
            seen.add(remark.casefold())
    return lines


def _place_date(cert: Certificate) -> list[str]:
    d = cert.declaration
    return [f"{d.place}, {format_date(d.date)}"] if d else []


def _signatory(cert: Certificate) -> list[str]:
    d = cert.declaration
    return [d.signatory] if d and d.signatory else []


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for comparing a country's name."""
    folded = text.casefold()
    if folded.isascii():  # nothing to decompose, no accent to drop: the common case, in C
        return folded.strip()
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def exports_from_switzerland(cert: Certificate) -> bool:
    """The exporter is in Switzerland: its country (or, without one, the address's last line) names it.

    Only then do the Swiss customs' standard wordings of sheet 3's reverse apply
    (wordings.toml, ``application.standard_for``).
    """
    exporter = cert.exporter
    country = exporter.country or (exporter.address[-1] if exporter.address else "")
    return _fold(country) in {_fold(name) for name in wordings()["application"]["standard_for"]}


def language_of(cert: Certificate) -> str:
    """The language eur1pdf writes sheet 3's reverse in: the certificate's, English by default."""
    return cert.language or "en"


def _application(part: str) -> Callable[[Certificate], list[str]]:
    """A part of the exporter's declaration: as given, else the standard wording (Swiss exports only)."""

    def lines(cert: Certificate) -> list[str]:
        given = getattr(cert.application, part) if cert.application else None
        if given:
            return [given]
        if not exports_from_switzerland(cert):
            return []  # another exporting country: the exporter must say it (sheet3.* findings)
        return [wordings()["application"][language_of(cert)][part]]

    return lines


def pre_examination_shown(cert: Certificate) -> bool:
    """The pre-examination rubric is filled in when given, and always for a Swiss certificate issued
    retrospectively (instruction 1.3.4: mandatory then)."""
    given = cert.application is not None and cert.application.pre_examination is not None
    return given or (cert.retrospective and exports_from_switzerland(cert))


def _pre_examination(with_heading: bool) -> Callable[[Certificate], list[str]]:
    """The rubric's lines, in the certificate's language: the heading where the form prints none."""

    def lines(cert: Certificate) -> list[str]:
        if not pre_examination_shown(cert):
            return []
        w = wordings()["pre_examination"][language_of(cert)]
        out = [w["heading"]] if with_heading else []
        pre = cert.application.pre_examination if cert.application else None
        if pre is None:
            return out
        details = [w["office"].format(pre.office)]
        if pre.date:
            details.append(w["date"].format(format_date(pre.date)))
        if pre.reference:
            details.append(w["reference"].format(pre.reference))
        return [*out, ", ".join(details)]

    return lines


# source name -> (input field path, how to read it)
SOURCES: dict[str, tuple[str, Callable[[Certificate], list[str]]]] = {
    "serial": ("serial", lambda c: [c.serial] if c.serial else []),
    "exporter": ("exporter", lambda c: party_lines(c.exporter)),
    "trade.from": ("trade.from", lambda c: [c.trade.from_]),
    "trade.to": ("trade.to", lambda c: [c.trade.to]),
    "consignee": ("consignee", lambda c: party_lines(c.consignee)),
    "origin": ("origin", lambda c: [c.origin]),
    "destination": ("destination", lambda c: [c.destination]),
    "transport": ("transport", lambda c: [c.transport] if c.transport else []),
    "remarks": ("remarks", remark_lines),
    "remarks.besides_cumulation": ("remarks", lambda c: remark_lines(c, with_cumulation=False)),
    "cumulation.countries": (
        "cumulation.applied_with",
        lambda c: (
            [", ".join(c.cumulation.applied_with)] if c.cumulation and c.cumulation.applied_with else []
        ),
    ),
    "cumulation.applied_mark": (
        "cumulation",
        lambda c: ["X"] if c.cumulation is not None and c.cumulation.applied_with else [],
    ),
    "cumulation.none_mark": (
        "cumulation",
        lambda c: ["X"] if c.cumulation is not None and not c.cumulation.applied_with else [],
    ),
    "invoices": ("invoices", lambda c: list(c.invoices)),
    "declaration.place_date": ("declaration", _place_date),
    "declaration.signatory": ("declaration.signatory", _signatory),
    "application.circumstances": ("application.circumstances", _application("circumstances")),
    "application.supporting_documents": (
        "application.supporting_documents",
        _application("supporting_documents"),
    ),
    "application.pre_examination": ("application.pre_examination", _pre_examination(with_heading=False)),
    "application.pre_examination_rubric": (
        "application.pre_examination",
        _pre_examination(with_heading=True),
    ),
    "application.place_date": ("declaration", _place_date),
    "application.signatory": ("declaration.signatory", _signatory),
}


ISSUANCE_SOURCES = ENDORSEMENT_SOURCES  # box 11's validation and the verification link: finals only


def source_lines(cert: Certificate, source: str, issuance: Issuance | None = None) -> list[str]:
    if source == "serial" and issuance is not None and not issuance.serial:
        return []  # pre-printed stock has its own number
    if source in ISSUANCE_SOURCES:
        return ISSUANCE_SOURCES[source][1](cert, issuance or Issuance())
    return SOURCES[source][1](cert)


def source_field(source: str) -> str:
    """The input field path a source reads (for messages)."""
    return (SOURCES.get(source) or ISSUANCE_SOURCES[source])[0]


def field_box(field_path: str) -> str | None:
    return FIELD_BOXES.get(field_path.split(".")[0].split("[")[0])
