"""The certificate model: the input contract (certificate-json.md) as pydantic types.

Loading is strict on purpose: an unknown field is an error because a typo
(``"consigne"``) must never silently drop data from a customs document. Every
error is reported with the field path and the box of the form it belongs to.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
)
from pydantic_core import ErrorDetails

from eur1pdf.certificate.hints import json_words, unknown_field_hint
from eur1pdf.certificate.syntax import (
    DuplicateKeyError,
    LongNumber,
    json_int,
    no_duplicate_keys,
)
from eur1pdf.errors import InputError, InputFileError, Location, Problem, validation_problems

# Which box of the form each top-level input field fills. ``None``: no box
# (document-level data such as the form or the issue date).
FIELD_BOXES: dict[str, str | None] = {
    "form": None,
    "agreement": None,
    "serial": None,
    "split_serials": None,
    "exporter": "1",
    "trade": "2",
    "consignee": "3",
    "origin": "4",
    "destination": "5",
    "transport": "6",
    "remarks": "7",
    "cumulation": "7",
    "duplicate": "7",
    "retrospective": "7",
    "items": "8",
    "invoices": "10",
    "endorsement": "11",
    "declaration": "12",
    "application": None,
    "language": None,
    "issue_date": None,
}
# Item fields printed outside box 8.
ITEM_FIELD_BOXES = {"gross_mass": "9"}
# Model names spelt otherwise in the input (``from`` is a Python keyword).
INPUT_NAMES = {"from_": "from"}

# Limits on the input: far above what any box of the forms can print, low
# enough that no input makes eur1pdf slow or memory-hungry (README,
# "Reliability"). A value beyond a limit is refused with its field and box.
LIMITS = {
    "text": 500,  # characters in one text field or one entry of a list of lines
    "lines": 20,  # entries of a list of lines: address, remarks, invoices, cumulation countries
    "items": 999,  # goods items of one input (spread over several certificates if need be)
    "input_bytes": 1_000_000,  # one certificate file, one JSON Lines record
}

# Characters that make a text read differently to different people or
# programs: control characters and bidirectional overrides/isolates.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _clean_text(value: str) -> str:
    """NFC-normalise and trim; refuse characters that hide or reorder text.

    Refused, never stripped: a certificate must read the same to everyone, so
    the sender has to see and fix what they sent. Format characters (Unicode
    category Cf: zero-width spaces and joiners, soft hyphens, bidi controls)
    are invisible or change the order of what is printed.
    """
    if len(value) > LIMITS["text"]:
        raise ValueError(
            f"is {len(value)} characters long; the limit is {LIMITS['text']} (no box of the form holds more)"
        )
    if value.isascii() and value.isprintable():  # the common case: nothing to normalise or refuse
        return value.strip()
    value = unicodedata.normalize("NFC", value).strip()
    for ch in value:
        if unicodedata.bidirectional(ch) in ("R", "AL"):
            raise ValueError(
                f"contains right-to-left script (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed').lower()}), "
                "which the form cannot print in reading order; write it in Latin letters"
            )
        if ch.isprintable() and ch not in _BIDI_CONTROLS and ch != "\u034f":
            continue
        name = unicodedata.name(ch, "unnamed").lower()
        if ch in _BIDI_CONTROLS:
            raise ValueError(f"contains the bidirectional control character U+{ord(ch):04X} ({name})")
        category = unicodedata.category(ch)
        if category == "Cc":
            raise ValueError(
                f"contains the control character U+{ord(ch):04X}; use separate list entries "
                "for separate lines"
            )
        if category == "Cf" or ch == "\u034f":
            raise ValueError(f"contains the invisible character U+{ord(ch):04X} ({name})")
        if category != "Zs":  # surrogates, private use, unassigned, line/paragraph separators
            raise ValueError(
                f"contains U+{ord(ch):04X}, which is not a printable character (category {category})"
            )
    return value


def _not_empty(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_clean_text)]
RequiredText = Annotated[str, AfterValidator(_clean_text), AfterValidator(_not_empty)]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(value: Any) -> dt.date:
    """Accept a real date (YAML) or an ISO string YYYY-MM-DD (JSON); nothing else.

    Pydantic's lax mode would accept a Unix timestamp as a date, which on a
    customs document is always a mistake.
    """
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"is not a valid date: {value!r}") from exc
    raise ValueError(f"must be a date written YYYY-MM-DD, got {_shown(value)}")


IsoDate = Annotated[dt.date, BeforeValidator(_parse_date)]

_HS_CODE = re.compile(r"^\d+(\.\d+)*$")


def _hs_code(value: str) -> str:
    if not _HS_CODE.match(value):
        raise ValueError(f"must be digits with optional dots (e.g. '8482' or '8482.10'), got {value!r}")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Party(_Strict):
    """Exporter (box 1) or consignee (box 3)."""

    name: RequiredText
    address: list[Text] = Field(default_factory=list, max_length=LIMITS["lines"])
    country: Text | None = None


class Trade(_Strict):
    """Box 2: the countries or groups between which the certificate is used."""

    from_: RequiredText = Field(alias="from")
    to: RequiredText


class Cumulation(_Strict):
    """EUR-MED box 7: the countries with which cumulation was applied (empty: none)."""

    applied_with: list[RequiredText] = Field(max_length=LIMITS["lines"])


class Item(_Strict):
    """One goods position of box 8 (and its gross mass in box 9)."""

    marks: Text | None = None
    packages: Text | None = None
    description: RequiredText
    hs_code: Annotated[Text, AfterValidator(_hs_code)] | None = None
    origin_criterion: Text | None = None
    gross_mass: Text | None = None


class Declaration(_Strict):
    """Box 12: the exporter's place, date and printed signatory name."""

    place: RequiredText
    date: IsoDate
    signatory: Text | None = None


class PreExamination(_Strict):
    """Sheet 3 reverse, the "examen préalable" rubric (instruction 1.3.4): who pre-examined the
    application (a customs district directorate or a Swiss chamber of commerce); mandatory for a
    certificate issued retrospectively."""

    office: RequiredText
    date: IsoDate | None = None
    reference: Text | None = None


class Application(_Strict):
    """Sheet 3 reverse: the exporter's declaration on the application."""

    circumstances: Text | None = None
    supporting_documents: Text | None = None
    pre_examination: PreExamination | None = None


# The languages sheet 3's reverse may be completed in (instruction 1.3.4: any of the three
# official Swiss languages, whatever the front's language; English besides).
Language = Literal["en", "fr", "de", "it"]


class Endorsement(_Strict):
    """Box 11: the customs validation of a final digital certificate."""

    office: RequiredText
    date: IsoDate
    reference: RequiredText
    export_document: Text | None = None


class Certificate(_Strict):
    """One certificate: everything printed on the set, validated."""

    form: RequiredText = "eur1"
    agreement: Text | None = None
    serial: Text | None = None
    # a final split over several certificates: the serials of the second, third … (the first keeps serial)
    split_serials: list[RequiredText] = Field(default_factory=list, max_length=LIMITS["items"])
    exporter: Party
    trade: Trade
    consignee: Party | None = None
    origin: RequiredText
    destination: RequiredText
    transport: Text | None = None
    remarks: list[RequiredText] = Field(default_factory=list, max_length=LIMITS["lines"])  # no blank lines
    cumulation: Cumulation | None = None
    items: list[Item] = Field(min_length=1, max_length=LIMITS["items"])
    invoices: list[RequiredText] = Field(default_factory=list, max_length=LIMITS["lines"])
    declaration: Declaration | None = None
    application: Application | None = None
    duplicate: StrictBool = False  # "yes" or 1 is a mistake, not a flag
    retrospective: StrictBool = False
    endorsement: Endorsement | None = None
    # the language of what eur1pdf writes for the exporter on sheet 3's reverse (standard wordings,
    # the pre-examination rubric); None: English. Left out of the digest when not given.
    language: Language | None = None
    issue_date: IsoDate


# --------------------------------------------------------------------------- loading


def _box_for(loc: Location) -> str | None:
    """The box of the form an input location is printed in (``items[0].gross_mass``: box 9)."""
    if not loc:
        return None
    top = str(loc[0])
    if top == "items" and len(loc) >= 3 and str(loc[2]) in ITEM_FIELD_BOXES:
        return ITEM_FIELD_BOXES[str(loc[2])]
    return FIELD_BOXES.get(top)


def _type_of(value: Any) -> str:
    return repr(value) if isinstance(value, LongNumber) else type(value).__name__


def _shown(value: Any) -> str:
    """A wrong value as the message quotes it: its type and its first 60 characters."""
    if isinstance(value, LongNumber):
        return repr(value)
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"


def _message(err: ErrorDetails) -> str:
    """A certificate's errors in a clerk's words ("required field is missing")."""
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown field (not part of the certificate format; check the spelling)" + unknown_field_hint(
            Certificate, err["loc"]
        )
    if kind == "missing":
        return "required field is missing"
    if kind == "string_type":
        return f"must be text, got {_shown(err['input'])}"
    if kind == "list_type":
        return f"must be a list, got {_type_of(err['input'])}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be an object, got {_type_of(err['input'])}"
    if kind == "too_short" and isinstance(err.get("input"), list):
        return "must contain at least one entry"
    if kind == "too_long" and isinstance(err.get("input"), list):
        limit = err.get("ctx", {}).get("max_length")
        return f"has {len(err['input'])} entries; the limit is {limit}"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    return err["msg"]


def problems_from_validation(exc: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into problems that name the field and the box."""
    return validation_problems(exc, message=_message, box_of=_box_for, names=INPUT_NAMES)


def certificate_from_data(data: Any, source: str | None = None) -> Certificate:
    """Validate already-parsed data (a dict) against the contract."""
    if isinstance(data, Certificate):
        return data
    if not isinstance(data, dict):
        raise InputError(
            [Problem(None, None, f"a certificate must be an object, got {type(data).__name__}")],
            source,
        )
    try:
        return Certificate.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc), source) from None


def parse_text(text: str, source: str = "<input>", fmt: str | None = None) -> Any:
    """Parse JSON or YAML text, reporting syntax errors with line and column."""
    if fmt is None:
        fmt = "yaml" if source.lower().endswith((".yaml", ".yml")) else "json"
    if fmt == "json":
        try:
            return json.loads(text, object_pairs_hook=no_duplicate_keys, parse_int=json_int)
        except DuplicateKeyError as exc:
            raise InputError(
                [Problem(str(exc), FIELD_BOXES.get(str(exc)), "the key is given twice in one object")],
                source,
            ) from None
        except json.JSONDecodeError as exc:
            raise InputError(
                [
                    Problem(
                        None,
                        None,
                        f"invalid JSON at line {exc.lineno}, column {exc.colno}: {json_words(exc)}",
                    )
                ],
                source,
            ) from None
        except RecursionError:
            raise InputError([Problem(None, None, "invalid JSON: nested too deeply")], source) from None
    from eur1pdf.certificate.yaml_input import parse_yaml  # PyYAML: imported for YAML input only

    return parse_yaml(text, source)


def too_large(size: int) -> str:
    return f"{size:,} bytes is more than the {LIMITS['input_bytes']:,} bytes one certificate may take"


def read_input_text(path: Path) -> str:
    """A certificate file's text, refused unread beyond the size limit (a byte-order mark is harmless)."""
    with path.open("rb") as fh:
        data = fh.read(LIMITS["input_bytes"] + 1)
        if len(data) > LIMITS["input_bytes"]:
            size = os.fstat(fh.fileno()).st_size
            raise InputError([Problem(None, None, too_large(max(size, len(data))))], str(path))
    return data.decode("utf-8-sig")


def load_certificate(path: str | Path) -> Certificate:
    """Load and validate a certificate from a JSON or YAML file."""
    path = Path(path)
    try:
        text = read_input_text(path)
    except FileNotFoundError:
        raise InputFileError([Problem(None, None, "file not found")], str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(None, None, f"not UTF-8 text ({exc.reason})")], str(path)) from None
    except OSError as exc:
        raise InputFileError([Problem(None, None, f"cannot read: {exc.strerror}")], str(path)) from None
    return certificate_from_data(parse_text(text, str(path)), str(path))
