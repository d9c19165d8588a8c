"""The declaration input contract (docs/declarations.md) as pydantic types.

Strict like the certificate's model, for the same reason: an unknown field is
an error because a typo must never drop data from a customs document. The
invoice's own data (exporter, items, value, currency) come from here, never
from reading the invoice PDF's text: a declaration is only as right as the
data it was made from, and that data is the back office's.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from eur1pdf.certificate.model import (
    LIMITS,
    IsoDate,
    Party,
    RequiredText,
    Text,
    parse_text,
    read_input_text,
)
from eur1pdf.errors import InputError, InputFileError, Problem, validation_problems

Kind = Literal["invoice_declaration", "statement_on_origin", "replacement_statement"]
DocumentKind = Literal["invoice", "delivery_note", "cn22", "cn23", "other"]
Language = Literal["en", "fr", "de", "es"]
Signature = Literal["handwritten", "electronic", "identification_code", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(_Strict):
    """The commercial document the declaration is made out on, as the back office knows it."""

    kind: DocumentKind = "invoice"
    number: Text | None = None
    date: IsoDate | None = None
    currency: RequiredText = Field(
        description="the invoice's currency (ISO 4217); it decides the value limit"
    )
    originating_value: Decimal | None = Field(
        default=None, ge=0, description="total value of the originating products; none: the items' values"
    )


class DeclarationItem(_Strict):
    """One position of the document: whether it is originating, and of what origin."""

    position: RequiredText = Field(description="the position's number or reference on the document")
    description: Text | None = None
    value: Decimal | None = Field(default=None, ge=0)
    originating: StrictBool = True
    origin: Text | None = Field(default=None, description="this item's origin (mixed PEM origins)")
    hs_code: Text | None = None
    origin_criterion: Text | None = Field(default=None, description="REX: P, or W and the HS heading")


class Cumulation(_Strict):
    """EUR-MED (1.4.2): the countries cumulation was applied with; empty: no cumulation applied."""

    applied_with: list[RequiredText] = Field(max_length=LIMITS["lines"])


class Signing(_Strict):
    """Who signs and how (1.4: by hand; the United Kingdom: electronically or with a code)."""

    method: Signature = "handwritten"
    name: Text | None = None
    code: Text | None = Field(default=None, description="the electronic signature's or identification code")


class Retrospective(_Strict):
    """A declaration made out after the export (1.7): when the goods were imported."""

    import_date: IsoDate
    presentation_date: IsoDate | None = None


class Replacement(_Strict):
    """2.3.2: the statement on origin (or Form A) this replacement statement replaces."""

    original_date: IsoDate
    original_reference: Text | None = None
    original_exporter: Text | None = None
    consignee: Party


class Placement(_Strict):
    """Where to stamp: the top-left corner in mm from the page's top-left, a width, a page."""

    page: int | None = Field(default=None, description="1 = the first page; none: the last page")
    x_mm: float = Field(ge=0)
    y_mm: float = Field(ge=0)
    width_mm: float = Field(default=120, gt=20)


class Declaration(_Strict):
    """One origin declaration on an invoice, or one REX statement on origin."""

    kind: Kind = "invoice_declaration"
    agreement: RequiredText
    language: Language | None = None
    exporter: Party
    approved_exporter: Text | None = Field(
        default=None, description="the approved exporter's authorisation No"
    )
    rex_number: Text | None = None
    origin: Text | None = Field(default=None, description="the preferential origin; none: per item")
    eur_med: StrictBool = False
    cumulation: Cumulation | None = None
    rex_cumulation: Text | None = Field(default=None, description="REX: the cumulation mention (footnote 16)")
    document: Document
    items: list[DeclarationItem] = Field(min_length=1, max_length=LIMITS["items"])
    place: RequiredText
    date: IsoDate
    signing: Signing = Signing()
    retrospective: Retrospective | None = None
    replacement: Replacement | None = None
    placement: Placement | None = None


def declaration_from_data(data: Any, source: str | None = None) -> Declaration:
    """Validate parsed data (a dict) against the declaration contract; errors name the field."""
    if isinstance(data, Declaration):
        return data
    if not isinstance(data, dict):
        raise InputError(
            [Problem(None, None, f"a declaration must be an object, got {type(data).__name__}")], source
        )
    try:
        return Declaration.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc), source) from None


def load_declaration(path: str | Path) -> Declaration:
    """Read a declaration file (JSON or YAML)."""
    path = Path(path)
    try:
        text = read_input_text(path)
    except OSError as exc:
        raise InputFileError([Problem(None, None, exc.strerror or str(exc))], str(path)) from None
    return declaration_from_data(parse_text(text, str(path)), str(path))


def declaration_schema() -> dict[str, Any]:
    """The declaration's JSON Schema (draft 2020-12), as ``eur1pdf schema --declaration`` prints it."""
    schema = Declaration.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "eur1pdf origin declaration"
    return schema


def schema_text() -> str:
    return json.dumps(declaration_schema(), indent=2, ensure_ascii=False) + "\n"
