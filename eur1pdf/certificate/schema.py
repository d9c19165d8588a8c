"""The input contract as a JSON Schema (draft 2020-12), generated from the pydantic model.

An ERP developer validates against this document before sending anything, so
it is generated, never written by hand: the model (:mod:`.model`) gives the
structure and the limits, the layout registry the ``form`` names, the
agreement table the ``agreement`` keys; this module only adds what the model
does not say (each field's box and description) and removes pydantic's
noise (generated titles). ``docs/certificate.schema.json`` is its output,
kept equal by a test.

What JSON Schema cannot say is said in the descriptions: text is checked by
eur1pdf after NFC normalisation and trimming, and certain characters are
refused (:func:`eur1pdf.certificate.model._clean_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eur1pdf.certificate.model import FIELD_BOXES, ITEM_FIELD_BOXES, LIMITS, Certificate

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

TEXT_NOTE = (
    f"Every text is at most {LIMITS['text']} characters; eur1pdf NFC-normalises and trims it, and refuses "
    "control characters (tab, line feed …: use separate list entries for separate lines), bidirectional "
    "controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), invisible format characters "
    "(Unicode category Cf, e.g. zero-width spaces, soft hyphens, U+034F), characters that are not "
    "printable (private use, unassigned, line and paragraph separators) and right-to-left script. "
    "JSON Schema cannot express these checks (nor that a required text must not be empty once trimmed, "
    "which the pattern below approximates): eur1pdf refuses such text with a finding naming the field. "
    'Dates are checked as real dates only with format assertion on (format "date"). The HS code pattern '
    "is stricter than eur1pdf, which trims the code first and takes any Unicode digit."
)
REFUSED_CHARACTERS = (
    "Cc (control), Cf (format), U+034F, bidi controls, Zl/Zp/Co/Cn/Cs, right-to-left script (bidi R, AL)"
)

# What each field means, by "Model.field" (the input's names: ``Trade.from``). From docs/input-contract.md.
DESCRIPTIONS: dict[str, str] = {
    "Certificate.form": "The form (layout) to fill; only registered names, never a path. "
    "An unknown name is the finding form.unknown.",
    "Certificate.agreement": "A key of the agreement table (`eur1pdf agreements`); its rules are checked. "
    "An unknown key is the finding agreement.unknown.",
    "Certificate.serial": "The certificate number, printed beside 'No' at the top of sheets 1–3.",
    "Certificate.split_serials": "The serials of the second, third … certificate of a final split over "
    "several certificates; the first keeps `serial`.",
    "Certificate.exporter": "The exporter (box 1).",
    "Certificate.trade": "Box 2: the countries, groups or territories between which the certificate is used.",
    "Certificate.consignee": "The consignee (box 3); required by some agreements (CH-CN).",
    "Certificate.origin": "Box 4: the country, group or territory of origin.",
    "Certificate.destination": "Box 5: the country, group or territory of destination.",
    "Certificate.transport": "Box 6: transport details.",
    "Certificate.remarks": "Box 7: one printed line each; no empty entries.",
    "Certificate.cumulation": "EUR-MED box 7: required on forms with the cumulation check boxes, "
    "refused on the others.",
    "Certificate.duplicate": "Box 7: true prints DUPLICATE.",
    "Certificate.retrospective": "Box 7: true prints ISSUED RETROSPECTIVELY.",
    "Certificate.items": "Box 8 (and box 9): the goods, numbered by eur1pdf.",
    "Certificate.invoices": "Box 10: invoice references (number and date), one line each.",
    "Certificate.endorsement": "Box 11: the customs validation, printed only on a final certificate.",
    "Certificate.declaration": "Box 12: the exporter's declaration; also printed on sheet 3's reverse.",
    "Certificate.application": "Sheet 3 reverse: the exporter's declaration on the application.",
    "Certificate.language": "The language of what eur1pdf writes on sheet 3's reverse; default English.",
    "Certificate.issue_date": "The document date (YYYY-MM-DD); dated rules of the agreement table apply "
    "on this day. Not printed as such.",
    "Party.name": "The first line.",
    "Party.address": "The address lines.",
    "Party.country": "Printed as the last line, unless the last address line already says it.",
    "Trade.from": "Where the certificate is used from.",
    "Trade.to": "Where the certificate is used to.",
    "Cumulation.applied_with": "The countries with which cumulation was applied; empty: none.",
    "Item.marks": "Marks and numbers (EUR.1 CN: its own column).",
    "Item.packages": "Number and kind of packages.",
    "Item.description": "The description of the goods.",
    "Item.hs_code": "The HS code: digits, optionally dotted (8482, 8482.10); some agreements require it.",
    "Item.origin_criterion": "The origin criterion (e.g. WO, PSR); some agreements require it.",
    "Item.gross_mass": "A number with its unit (1250 kg, 40 l); the rule box9.gross_mass_missing "
    "makes it an error when missing.",
    "Declaration.place": "The place of the declaration.",
    "Declaration.date": "The date of the declaration (YYYY-MM-DD), not after issue_date.",
    "Declaration.signatory": "The printed name under the signature line.",
    "PreExamination.office": "The office that pre-examined the application.",
    "PreExamination.date": "The date of the pre-examination (YYYY-MM-DD).",
    "PreExamination.reference": "The pre-examination's reference.",
    "Application.circumstances": "The circumstances; left out: the standard wording (Swiss exporters).",
    "Application.supporting_documents": "The supporting documents; left out: the standard wording "
    "(Swiss exporters).",
    "Application.pre_examination": "The 'examen préalable' rubric; mandatory for a Swiss certificate "
    "issued retrospectively.",
    "Endorsement.office": "The customs office.",
    "Endorsement.date": "The date of the validation (YYYY-MM-DD).",
    "Endorsement.reference": "The validation's reference.",
    "Endorsement.export_document": "The export document: its form (first word) and number.",
}
# Boxes of fields inside the objects, by "Model.field" (top-level fields: FIELD_BOXES).
_NESTED_BOXES = {f"Item.{name}": int(box) for name, box in ITEM_FIELD_BOXES.items()}
_NESTED_BOXES |= {f"Trade.{name}": 2 for name in ("from", "to")}
_NESTED_BOXES |= {f"Declaration.{name}": 12 for name in ("place", "date", "signatory")}
_NESTED_BOXES |= {f"Endorsement.{name}": 11 for name in ("office", "date", "reference", "export_document")}
_NESTED_BOXES |= {"Item.description": 8, "Item.marks": 8, "Item.packages": 8, "Item.hs_code": 8}
_NESTED_BOXES |= {"Item.origin_criterion": 8, "Cumulation.applied_with": 7}

_REQUIRED_TEXT_PATTERN = r"\S"  # not empty once trimmed
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_HS_CODE_PATTERN = r"^[0-9]+(\.[0-9]+)*$"


def _string_branch(prop: dict[str, Any]) -> dict[str, Any] | None:
    """The ``{"type": "string"}`` part of a property (itself, or its branch of an ``anyOf`` with null)."""
    if prop.get("type") == "string":
        return prop
    for branch in prop.get("anyOf", []):
        if branch.get("type") == "string":
            return branch
    return None


def _constrain_text(prop: dict[str, Any], required: bool) -> None:
    """Add the text limits to a string property or to the strings of an array property."""
    target = prop.get("items") if prop.get("type") == "array" else prop
    if not isinstance(target, dict):
        return
    string = _string_branch(target)
    if string is None or "enum" in string:
        return
    if string.get("format") == "date":
        string["pattern"] = _DATE_PATTERN
        return
    string["maxLength"] = LIMITS["text"]
    if required:
        string["pattern"] = _REQUIRED_TEXT_PATTERN


def _box_of(model: str, field: str) -> int | None:
    if model == "Certificate":
        box = FIELD_BOXES.get(field)
        return int(box) if box is not None else None
    return _NESTED_BOXES.get(f"{model}.{field}")


def _annotate_model(model: str, schema: dict[str, Any]) -> None:
    """Each property of one object: description, box, text limits; no generated titles."""
    schema.pop("title", None)
    required = set(schema.get("required", []))
    for field, prop in schema.get("properties", {}).items():
        prop.pop("title", None)
        description = DESCRIPTIONS.get(f"{model}.{field}")
        box = _box_of(model, field)
        if box is not None:
            where = f"Box {box}." if description is None or "box" not in description.lower() else ""
            description = " ".join(part for part in (description, where) if part)
            prop["x-box"] = box
        if description:
            prop["description"] = description
        _constrain_text(prop, required=field in required or _model_field_required_text(model, field))
    if model == "Item":
        hs_code = _string_branch(schema["properties"]["hs_code"])
        if hs_code is not None:
            hs_code["pattern"] = _HS_CODE_PATTERN


def _model_field_required_text(model: str, field: str) -> bool:
    """Lists of required texts (``remarks``, ``invoices`` …) and ``form``: no empty entries."""
    return (model, field) in {
        ("Certificate", "form"),
        ("Certificate", "split_serials"),
        ("Certificate", "remarks"),
        ("Certificate", "invoices"),
        ("Cumulation", "applied_with"),
    }


def _enum(prop: dict[str, Any], values: Sequence[str]) -> None:
    string = _string_branch(prop)
    if string is not None:
        string.pop("maxLength", None)
        string.pop("pattern", None)
        string["enum"] = list(values)


def certificate_schema(forms: Sequence[str], agreement_keys: Sequence[str]) -> dict[str, Any]:
    """The JSON Schema of one certificate, ``form`` and ``agreement`` limited to the names given."""
    raw = Certificate.model_json_schema(by_alias=True)
    definitions: dict[str, Any] = raw.pop("$defs", {})
    raw.pop("description", None)  # the model's docstring; replaced by the contract's summary below
    for model, sub in definitions.items():
        _annotate_model(model, sub)
    _annotate_model("Certificate", raw)
    _enum(raw["properties"]["form"], forms)
    _enum(raw["properties"]["agreement"], agreement_keys)
    description = (
        "One EUR.1-family certificate, the input of `eur1pdf fill` and `eur1pdf validate` (contract v1, "
        "docs/input-contract.md). Unknown fields are refused at every level. x-box: the box of the form "
        f"a field is printed in. A file or JSON Lines record is at most {LIMITS['input_bytes']:,} bytes. "
        + TEXT_NOTE
    )
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "eur1pdf certificate",
        "description": description,
        "x-refused-characters": REFUSED_CHARACTERS,
        "x-limits": dict(LIMITS),
        **raw,
        "$defs": definitions,
    }


def installed_schema() -> dict[str, Any]:
    """The schema for this installation: its layouts (plug-ins included) and its agreement table."""
    from eur1pdf.layouts import layout_names
    from eur1pdf.rules.agreements import agreements
    from eur1pdf.rules.findings import GENERAL_AGREEMENT

    return certificate_schema(layout_names(), [*agreements(), GENERAL_AGREEMENT])


def builtin_schema() -> dict[str, Any]:
    """The published schema (docs/certificate.schema.json): the built-in layouts only."""
    from eur1pdf.layouts import builtin_names
    from eur1pdf.rules.agreements import agreements
    from eur1pdf.rules.findings import GENERAL_AGREEMENT

    return certificate_schema(builtin_names(), [*agreements(), GENERAL_AGREEMENT])
