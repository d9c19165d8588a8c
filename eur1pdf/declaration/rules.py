"""The rules of instruction 1.4, 1.5, 1.7 and 2.2-2.3 for a declaration, as findings.

Findings are those of certificates (code, severity, field, message; no box:
a declaration has none). Each check reads the agreement's row of
data/declarations.toml, so a corrected limit is a corrected line of data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from eur1pdf.declaration.model import Declaration
from eur1pdf.declaration.table import Terms, ValueLimit, declaration_terms, rex_terms, wordings
from eur1pdf.errors import did_you_mean
from eur1pdf.rules import findings as f
from eur1pdf.rules.findings import Finding


def check_declaration(decl: Declaration) -> list[Finding]:
    """Every finding for the declaration, errors first."""
    terms = declaration_terms().get(decl.agreement)
    if terms is None:
        known = sorted(declaration_terms())
        return [
            f.AGREEMENT_UNKNOWN(
                "agreement", f"unknown agreement {decl.agreement!r}{did_you_mean(decl.agreement, known)}"
            )
        ]
    if not terms.allowed:
        return [f.DECL_NOT_ALLOWED("agreement", terms.reason or "no origin declaration under this agreement")]
    found: list[Finding] = []
    for check in (_kind, _language, _value, _origin, _cumulation, _signature, _retrospective, _rex):
        found.extend(check(decl, terms))
    return sorted(found, key=lambda x: x.severity != "error")


def language_of(decl: Declaration, terms: Terms) -> str:
    """The declaration's language: the one asked for, else the agreement's first."""
    return decl.language or terms.languages[0]


def _kind(decl: Declaration, terms: Terms) -> Iterator[Finding]:
    statement = decl.kind != "invoice_declaration"
    if statement and not terms.rex:
        yield f.DECL_KIND("kind", f"{decl.kind} is the REX statement on origin: use agreement 'GSP'")
    if terms.rex and not statement:
        yield f.DECL_KIND("kind", "the GSP uses the statement on origin: kind 'statement_on_origin'")


def _language(decl: Declaration, terms: Terms) -> Iterator[Finding]:
    language = language_of(decl, terms)
    texts = wordings()[terms.wording or ""]
    if language not in terms.languages or language not in texts:
        allowed = [lang for lang in terms.languages if lang in texts]
        yield f.DECL_LANGUAGE("language", f"{language!r}: this agreement's wording is available in {allowed}")
    elif decl.approved_exporter and "{authorisation}" not in texts[language]:
        with_number = [lang for lang in terms.languages if "{authorisation}" in texts.get(lang, "")]
        yield f.DECL_NUMBER_NOT_PRINTED(
            "approved_exporter",
            f"the {language!r} wording has no place for the number {decl.approved_exporter!r}: it is not "
            f"printed" + (f" (the {with_number} wording prints it)" if with_number else ""),
        )


def originating_value(decl: Declaration) -> Decimal | None:
    """The originating products' value: as given, else the sum of the originating items' values."""
    if decl.document.originating_value is not None:
        return decl.document.originating_value
    values = [item.value for item in decl.items if item.originating]
    if not values or any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def limit_in(terms: Terms, currency: str) -> ValueLimit | None:
    return next((lim for lim in terms.value_limits if lim.currency == currency.upper()), None)


def _value(decl: Declaration, terms: Terms) -> Iterator[Finding]:
    if terms.approved_only and not decl.approved_exporter:
        yield f.DECL_APPROVED_ONLY(
            "approved_exporter",
            "only an approved exporter may make out this declaration (instruction 1.4, 1.5)",
        )
    if not terms.value_limits or decl.approved_exporter or terms.rex or terms.approved_only:
        return  # no limit (footnote 12), or an approved exporter (1.5); REX: see _rex
    currency = decl.document.currency.upper()
    limit = limit_in(terms, currency)
    if limit is None:
        known = ", ".join(f"{lim.currency} {lim.amount:,}" for lim in terms.value_limits)
        yield f.DECL_LIMIT_CURRENCY(
            "document.currency",
            f"no limit known in {currency} (known: {known}); the invoice's currency decides",
        )
        return
    value = originating_value(decl)
    if value is None:
        yield f.DECL_VALUE_LIMIT(
            "document.originating_value",
            "the originating value is not given (document.originating_value, or a value on each item)",
        )
    elif value > limit.amount:
        yield f.DECL_VALUE_LIMIT(
            "document.originating_value",
            f"{currency} {value:,} of originating products is over the limit of {currency} {limit.amount:,}: "
            "an EUR.1, or an approved exporter's declaration",
        )


def _origin(decl: Declaration, terms: Terms) -> Iterator[Finding]:
    originating = [(n, item) for n, item in enumerate(decl.items) if item.originating]
    if not originating:
        yield f.DECL_ORIGIN("items", "no item is originating: there is nothing to declare")
        return
    others = [item.position for item in decl.items if not item.originating]
    if others:
        yield f.DECL_NON_ORIGINATING(
            "items", f"item(s) {', '.join(others)} are not originating: marked as such under the declaration"
        )
    if decl.origin is not None:
        for n, item in originating:
            if item.origin is not None and item.origin != decl.origin:
                yield f.DECL_ORIGIN(
                    f"items[{n}].origin", f"{item.origin!r} differs from the origin {decl.origin!r}"
                )
        return
    origins = {item.origin for _, item in originating}
    if not terms.mixed_origins:
        yield f.DECL_ORIGIN(
            "origin", "the origin must be written in the declaration's text (instruction 1.4.1)"
        )
    elif None in origins:
        n = next(n for n, item in originating if item.origin is None)
        yield f.DECL_ORIGIN(
            f"items[{n}].origin", "no origin: with mixed origins each item must state its own"
        )
    elif len(origins) == 1:
        yield f.DECL_ORIGIN(
            "origin",
            f"every item is of {origins.pop()!r}: write it in the text (a reference only for mixed origins)",
        )


def _cumulation(decl: Declaration, terms: Terms) -> Iterator[Finding]:
    if decl.eur_med and not terms.eur_med:
        yield f.DECL_CUMULATION("eur_med", "this agreement has no EUR-MED declaration")
    elif decl.eur_med and decl.cumulation is None:
        yield f.DECL_CUMULATION(
            "cumulation",
            "an EUR-MED declaration states 'cumulation applied with …' or 'no cumulation applied'",
        )
    elif decl.cumulation is not None and not decl.eur_med:
        yield f.DECL_CUMULATION(
            "cumulation", "only an EUR-MED declaration (eur_med: true) has the cumulation mention"
        )


def _signature(decl: Declaration, terms: Terms) -> Iterator[Finding]:
    method = decl.signing.method
    if method in ("electronic", "identification_code"):
        if not terms.electronic:
            yield f.DECL_SIGNATURE(
                "signing.method", f"{method}: allowed under the agreement with the United Kingdom only"
            )
        elif not decl.signing.code:
            yield f.DECL_SIGNATURE("signing.code", f"{method}: give the signature's or identification code")
    elif method == "none" and terms.signature == "handwritten":
        yield f.DECL_SIGNATURE("signing.method", "the declaration is signed by hand (instruction 1.4)")
    if method == "handwritten" and not decl.signing.name:
        yield f.DECL_SIGNATORY("signing.name", "the signatory's name is not printed: write it by hand")


def _retrospective(decl: Declaration, terms: Terms) -> Iterator[Finding]:
    retro = decl.retrospective
    if retro is None or not terms.retrospective_years:
        return
    presented = retro.presentation_date or decl.date
    years = terms.retrospective_years
    try:
        deadline = retro.import_date.replace(year=retro.import_date.year + years)
    except ValueError:  # 29 February
        deadline = retro.import_date.replace(year=retro.import_date.year + years, day=28)
    if presented > deadline:
        yield f.DECL_RETROSPECTIVE(
            "retrospective.import_date",
            f"presented on {presented.isoformat()}, more than {years} years after the import "
            f"on {retro.import_date.isoformat()} (deadline {deadline.isoformat()})",
        )


def _rex(decl: Declaration, terms: Terms) -> Iterator[Finding]:
    if not terms.rex:
        if decl.replacement is not None or decl.rex_cumulation is not None:
            yield f.DECL_KIND("replacement", "replacement and rex_cumulation belong to a REX statement (GSP)")
        return
    yield from _rex_number(decl, terms)
    rex = rex_terms()
    pattern = re.compile(rex.criterion_pattern)
    for n, item in enumerate(decl.items):
        if item.originating and not pattern.match(item.origin_criterion or ""):
            yield f.DECL_REX_CRITERION(
                f"items[{n}].origin_criterion",
                f"{item.origin_criterion!r}: P (wholly obtained) or W and the HS heading, "
                f"e.g. {rex.criterion_example!r}",
            )
    if decl.rex_cumulation is not None and decl.rex_cumulation not in rex.cumulation_mentions:
        yield f.DECL_REX_CUMULATION(
            "rex_cumulation", f"{decl.rex_cumulation!r}: one of {rex.cumulation_mentions}"
        )
    if (decl.kind == "replacement_statement") != (decl.replacement is not None):
        field = "replacement" if decl.kind == "replacement_statement" else "kind"
        yield f.DECL_REPLACEMENT(
            field, "a replacement statement has kind 'replacement_statement' and 'replacement'"
        )


def _rex_number(decl: Declaration, terms: Terms) -> Iterator[Finding]:
    if decl.rex_number:
        return
    swiss = {c.casefold() for c in rex_terms().swiss_countries}
    if (decl.exporter.country or "").casefold() in swiss:
        yield f.DECL_REX_NUMBER("rex_number", "a Swiss exporter always gives the REX number (footnote 14)")
    elif decl.kind == "replacement_statement":
        yield f.DECL_REX_NUMBER(
            "rex_number", "the re-exporter of a replacement statement is registered (2.3.1)"
        )
    else:
        limit = limit_in(terms, decl.document.currency)
        value = originating_value(decl)
        if limit is None or value is None or value > limit.amount:
            yield f.DECL_REX_NUMBER(
                "rex_number", "over CHF 10,300 (or value unknown) a statement needs REX (2.4)"
            )


def retention_years(decl: Declaration) -> int | None:
    terms = declaration_terms().get(decl.agreement)
    return terms.retention_years if terms else None
