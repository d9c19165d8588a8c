"""The declaration's text, made from its wording (data/wordings.toml) and the input.

What an ERP prints itself (``eur1pdf declare --text``) and what is stamped
onto the invoice are the same lines, made here once: the declaration, the
mentions it needs (EUR-MED cumulation, per-item origins, non-originating
items, replacement), place and date, and the signature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eur1pdf.declaration.model import Declaration, DeclarationItem
from eur1pdf.declaration.rules import language_of
from eur1pdf.declaration.table import declaration_terms, wordings

_OPTIONAL = re.compile(r"\[\[(.*?)\]\]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class DeclarationText:
    """The lines of one declaration, in the order they are printed."""

    heading: tuple[str, ...]  # replacement statement: its title
    body: tuple[str, ...]  # the declaration, then its mentions, one paragraph each
    place_date: str
    signature: tuple[str, ...]  # below the space for a handwritten signature, if any
    handwritten: bool  # leave room to sign by hand
    language: str
    wording: str
    source: str
    confirmed: bool

    def plain(self) -> str:
        """The whole declaration as text, one paragraph a line (``eur1pdf declare --text``)."""
        parts = [*self.heading, *self.body, self.place_date]
        if self.handwritten:
            parts.append("")
        return "\n".join([*parts, *self.signature]) + "\n"


def fill(template: str, values: dict[str, str | None]) -> str:
    """``template`` with its placeholders filled; a [[…]] part dropped when a value inside is missing."""

    def optional(match: re.Match[str]) -> str:
        inner = match.group(1)
        return inner if all(values.get(name) for name in _PLACEHOLDER.findall(inner)) else ""

    text = _OPTIONAL.sub(optional, template)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or "…", text)


def _mention(name: str, language: str) -> str:
    entry: Any = wordings()["mentions"][name]
    return entry if isinstance(entry, str) else entry.get(language, entry["en"])


def _date(day: Any) -> str:
    return day.strftime("%d.%m.%Y")


def _party(party: Any) -> str:
    return ", ".join([party.name, *party.address, *([party.country] if party.country else [])])


def _originating(decl: Declaration) -> list[DeclarationItem]:
    return [item for item in decl.items if item.originating]


def _criterion(decl: Declaration, language: str) -> tuple[str, list[str]]:
    """REX: the criterion for the text, and the per-item lines when the items differ."""
    items = _originating(decl)
    criteria = {item.origin_criterion for item in items}
    mention = f", {decl.rex_cumulation}" if decl.rex_cumulation else ""
    if len(criteria) == 1:
        return f"{criteria.pop() or '…'}{mention}", []
    lines = [
        fill(_mention("item_criterion", language), {"position": i.position, "criterion": i.origin_criterion})
        for i in items
    ]
    return _mention("per_item", language) + mention, lines


def _body(decl: Declaration, language: str, template: str) -> list[str]:
    per_item = decl.origin is None
    origin = _mention("per_item", language) if per_item else decl.origin
    values: dict[str, str | None] = {"authorisation": decl.approved_exporter, "origin": origin}
    extra: list[str] = []
    if decl.kind != "invoice_declaration":
        values["exporter"] = _party(decl.exporter)
        values["rex"] = decl.rex_number
        values["criterion"], extra = _criterion(decl, language)
    body = [fill(template, values)]
    if decl.eur_med and decl.cumulation is not None:  # 1.4.2: the mention in English
        countries = decl.cumulation.applied_with
        body.append(
            fill(_mention("cumulation_applied", language), {"countries": ", ".join(countries)})
            if countries
            else _mention("no_cumulation", language)
        )
    if per_item:
        body += [
            fill(_mention("item_origin", language), {"position": i.position, "origin": i.origin})
            for i in _originating(decl)
        ]
    body += extra
    others = [item.position for item in decl.items if not item.originating]
    if others:
        body.append(fill(_mention("non_originating", language), {"positions": ", ".join(others)}))
    return body


def _replacement(decl: Declaration, language: str) -> tuple[list[str], list[str]]:
    """2.3.2: the title before, the replaced statement and the consignee after."""
    rep = decl.replacement
    if rep is None:
        return [], []
    replaced = fill(_mention("replaced_original", language), {"date": _date(rep.original_date)})
    if rep.original_reference:
        replaced += f" ({rep.original_reference})"
    after = [replaced]
    if rep.original_exporter:
        after.append(rep.original_exporter)
    after.append(fill(_mention("consignee", language), {"party": _party(rep.consignee)}))
    return [_mention("replacement", language)], after


def _signature(decl: Declaration, language: str) -> list[str]:
    signing = decl.signing
    lines = [signing.name] if signing.name else []
    if signing.method in ("electronic", "identification_code"):
        name = "electronic" if signing.method == "electronic" else "identification_code"
        lines.append(fill(_mention(name, language), {"code": signing.code}))
    return lines


def declaration_text(decl: Declaration) -> DeclarationText:
    """The declaration's lines in its language (the rules have checked the language exists)."""
    terms = declaration_terms()[decl.agreement]
    language = language_of(decl, terms)
    wording = wordings()[terms.wording or ""]
    heading, after = _replacement(decl, language)
    place_date = fill(_mention("place_date", language), {"place": decl.place, "date": _date(decl.date)})
    return DeclarationText(
        heading=tuple(heading),
        body=tuple(_body(decl, language, wording[language]) + after),
        place_date=place_date,
        signature=tuple(_signature(decl, language)),
        handwritten=decl.signing.method == "handwritten",
        language=language,
        wording=terms.wording or "",
        source=wording["source"],
        confirmed=wording["confirmed"],
    )
