"""The words of validation errors, pinned byte for byte.

Certificates, printer profiles, settings files and layouts are all validated
by pydantic, and each turns pydantic's errors into messages a clerk or a
print shop can act on. The messages below were taken from the program before
those four formatters became one (``eur1pdf.errors.validation_problems``): a
change of wording shows here first, on purpose.
"""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from eur1pdf.certificate.model import certificate_from_data
from eur1pdf.errors import (
    Eur1pdfError,
    InputError,
    LayoutError,
    Location,
    location_text,
    validation_lines,
    validation_problems,
)
from eur1pdf.layouts import BUILTIN_DIR, parse_layout
from eur1pdf.layouts.schema import Layout
from eur1pdf.printer import PrinterProfileError, parse_profile
from eur1pdf.settings import load_settings

from .conftest import ROOT

UNKNOWN_FIELD = "unknown field (not part of the certificate format; check the spelling)"
KNOWN_KEYS = "offset_x_mm, offset_y_mm, scale_x, scale_y"


def _example() -> dict[str, Any]:
    return json.loads((ROOT / "examples" / "eur1-ch-mx.json").read_text(encoding="utf-8"))


def _certificate_message(changes: dict[str, Any], source: str | None) -> str:
    data = _example()
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    with pytest.raises(InputError) as caught:
        certificate_from_data(data, source)
    return str(caught.value)


# --------------------------------------------------------------------------- certificates


def test_certificate_unknown_field_without_source():
    assert (
        _certificate_message({"consigne": {"name": "x"}}, None)
        == f"consigne: {UNKNOWN_FIELD}; did you mean 'consignee'?"
    )


def test_certificate_several_problems_name_field_and_box():
    item = {**_example()["items"][0], "hs_code": 8471, "gross_mass": 12}
    changes = {
        "exporter": None,
        "trade": {"to": "Switzerland"},
        "items": [item],
        "issue_date": "2024-13-40",
        "remarks": "no list",
    }
    assert _certificate_message(changes, "cert.json") == (
        "cert.json: 6 problems in the certificate data:\n"
        "  - exporter / box 1: required field is missing\n"
        "  - trade.from / box 2: required field is missing\n"
        "  - remarks / box 7: must be a list, got str\n"
        "  - items[0].hs_code / box 8: must be text, got int 8471\n"
        "  - items[0].gross_mass / box 9: must be text, got int 12\n"
        "  - issue_date: is not a valid date: '2024-13-40'"
    )


def test_certificate_empty_and_wrongly_typed_lists():
    assert _certificate_message({"items": []}, "cert.json") == (
        "cert.json: items / box 8: must contain at least one entry"
    )
    assert _certificate_message({"items": {"a": 1}, "exporter": "text"}, "cert.json") == (
        "cert.json: 2 problems in the certificate data:\n"
        "  - exporter / box 1: must be an object, got str\n"
        "  - items / box 8: must be a list, got dict"
    )


def test_certificate_from_underscore_is_written_from():
    data = _example()
    data["from_"] = 1
    data["trade"]["from_"] = "x"
    with pytest.raises(InputError) as caught:
        certificate_from_data(data)
    assert str(caught.value) == (
        "2 problems in the certificate data:\n"
        f"  - trade.from / box 2: {UNKNOWN_FIELD}; did you mean 'from'?\n"
        f"  - from: {UNKNOWN_FIELD}; did you mean 'form'?"
    )
    assert [(p.field, p.box) for p in caught.value.problems] == [("trade.from", "2"), ("from", None)]


# --------------------------------------------------------------------------- printer profiles

PROFILES = [
    ({"offset_x_mm": 80}, "shop.toml: offset_x_mm: must be from -50 to 50 (mm), got 80"),
    (
        {
            "offset_y_mm": "2",
            "scale_x": 2,
            "colour": 1,
            "layouts": {"eur1": {"scale_y": float("nan"), "tint": 3}},
        },
        "shop.toml: offset_y_mm: must be a number, got str '2'\n"
        "shop.toml: scale_x: must be from 0.8 to 1.2, got 2\n"
        "shop.toml: layouts.eur1.scale_y: must be a finite number\n"
        f"shop.toml: layouts.eur1.tint: unknown key (known: {KNOWN_KEYS})\n"
        f"shop.toml: colour: unknown key (known: {KNOWN_KEYS}, [layouts.NAME])",
    ),
    (
        {"layouts": {"eur1": 5}},
        "shop.toml: layouts.eur1: Input should be a valid dictionary or instance of LayoutOverride",
    ),
    ({"layouts": 5}, "shop.toml: layouts: must be a table, e.g. [layouts.eur1]"),
    ({"scale_y": float("inf")}, "shop.toml: scale_y: must be a finite number"),
    (
        {"from_": 1, "layouts": {"eur1": {"offset_x_mm": -60}}},
        "shop.toml: layouts.eur1.offset_x_mm: must be from -50 to 50 (mm), got -60\n"
        f"shop.toml: from_: unknown key (known: {KNOWN_KEYS}, [layouts.NAME])",
    ),
    (
        {"layouts": {"eur1": {"offset_y_mm": True}}},
        "shop.toml: layouts.eur1.offset_y_mm: must be a number, got bool True",
    ),
]


@pytest.mark.parametrize(("raw", "message"), PROFILES)
def test_printer_profile_messages(raw: dict[str, Any], message: str):
    with pytest.raises(PrinterProfileError) as caught:
        parse_profile(raw, "shop.toml")
    assert str(caught.value) == message


# --------------------------------------------------------------------------- settings files

SETTINGS = [
    (
        'printer = 5\ncolour = "x"\n',
        "printer: Input is not a valid path for <class 'pathlib.Path'>; colour: unknown key",
    ),
    ('verify_url = ["a"]\n', "verify_url: Input should be a valid string"),
    ("from_ = 1\n", "from_: unknown key"),
]


@pytest.mark.parametrize(("text", "message"), SETTINGS)
def test_settings_messages(tmp_path: Path, text: str, message: str):
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Eur1pdfError) as caught:
        load_settings(path)
    assert str(caught.value) == f"{path}: {message}"


# --------------------------------------------------------------------------- layouts


def _builtin_eur1() -> dict[str, Any]:
    return tomllib.loads((BUILTIN_DIR / "eur1.toml").read_text(encoding="utf-8"))


def _broken_boxes() -> dict[str, Any]:
    raw = copy.deepcopy(_builtin_eur1())
    raw["faces"]["certificate"]["boxes"]["8"]["colour"] = "red"
    raw["faces"]["certificate"]["boxes"]["3"]["rect"] = "wide"
    raw["title"] = 5
    raw["page_size"] = 1
    return raw


def _broken_fields() -> dict[str, Any]:
    raw = copy.deepcopy(_builtin_eur1())
    raw["faces"]["certificate"]["fields"] = [{"nope": 1}]
    raw["sheets"] = "x"
    return raw


LAYOUTS = [
    (
        _broken_boxes,
        "my.toml: title: Input should be a valid string\n"
        "my.toml: faces.certificate.boxes.3.rect (box 3): Input should be a valid tuple\n"
        "my.toml: faces.certificate.boxes.8.colour (box 8): unknown key\n"
        "my.toml: faces.copy.boxes.3.rect (box 3): Input should be a valid tuple\n"
        "my.toml: faces.copy.boxes.8.colour (box 8): unknown key\n"
        "my.toml: faces.application.boxes.3.rect (box 3): Input should be a valid tuple\n"
        "my.toml: faces.application.boxes.8.colour (box 8): unknown key\n"
        "my.toml: page_size: unknown key",
    ),
    (
        _broken_fields,
        "my.toml: faces.certificate.fields[0].source: Field required\n"
        "my.toml: faces.certificate.fields[0].nope: unknown key\n"
        "my.toml: faces.copy.fields[0].source: Field required\n"
        "my.toml: faces.copy.fields[0].nope: unknown key\n"
        "my.toml: faces.application.fields[0].source: Field required\n"
        "my.toml: faces.application.fields[0].nope: unknown key\n"
        "my.toml: sheets: Input should be a valid list",
    ),
]


@pytest.mark.parametrize(("make", "message"), LAYOUTS, ids=["boxes", "fields"])
def test_layout_messages(make: Any, message: str):
    with pytest.raises(LayoutError) as caught:
        parse_layout(make(), "my.toml")
    assert str(caught.value) == message


def _layout_box(loc: Location) -> str | None:
    """The hook proposed for ``parse_layout`` (eur1pdf.layouts is being split elsewhere)."""
    if len(loc) >= 4 and loc[0] == "faces" and loc[2] == "boxes":
        return str(loc[3])
    return None


@pytest.mark.parametrize("make", [_broken_boxes, _broken_fields], ids=["boxes", "fields"])
def test_shared_formatter_writes_the_layout_messages(make: Any):
    """``validation_lines`` with the layout's box hook gives parse_layout's words exactly.

    Only the faces that extend no other face are kept, so the raw data is what
    ``parse_layout`` validates after resolving ``extends``.
    """
    raw = make()
    raw["faces"] = {name: face for name, face in raw["faces"].items() if "extends" not in face}
    with pytest.raises(LayoutError) as refused:
        parse_layout(copy.deepcopy(raw), "my.toml")
    with pytest.raises(ValidationError) as caught:
        Layout.model_validate(raw)
    assert "\n".join(validation_lines(caught.value, "my.toml", box_of=_layout_box)) == str(refused.value)
    assert "(box 8)" in str(refused.value) or "fields[0]" in str(refused.value)


# --------------------------------------------------------------------------- the formatter itself


def test_location_text_brackets_positions_and_renames_keys():
    assert location_text(("items", 3, "hs_code")) == "items[3].hs_code"
    assert location_text(("trade", "from_"), {"from_": "from"}) == "trade.from"
    assert location_text(("trade", "from_")) == "trade.from_"
    assert location_text(()) == ""


def test_validation_problems_leave_an_empty_location_unnamed():
    with pytest.raises(ValidationError) as caught:
        Layout.model_validate(5)
    problems = validation_problems(caught.value)
    assert [(p.field, p.box) for p in problems] == [(None, None)]
    assert validation_lines(caught.value) == [f": {problems[0].message}"]
