"""The input contract: what loads, and how errors name the field and the box."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from eur1pdf import Certificate, InputError, certificate_from_data, load_certificate

from .conftest import EXAMPLE

EXAMPLE_TEXT = EXAMPLE.read_text(encoding="utf-8")


def problems(data: dict) -> list:
    with pytest.raises(InputError) as info:
        certificate_from_data(data)
    return info.value.problems


def test_example_loads_with_every_field(example):
    cert = certificate_from_data(example)
    assert isinstance(cert, Certificate)
    assert cert.trade.from_ == "Switzerland"
    assert cert.items[1].hs_code == "8482"
    assert cert.declaration.date == dt.date(2026, 11, 22)
    assert cert.issue_date == dt.date(2026, 11, 22)


def test_unknown_field_is_named_with_its_box(example):
    example["exporter"]["adress"] = ["typo"]
    example["items"][2]["colour"] = "red"
    found = {(p.field, p.box) for p in problems(example)}
    assert ("exporter.adress", "1") in found
    assert ("items[2].colour", "8") in found


def test_unknown_top_level_field(example):
    example["consigne"] = {"name": "x"}
    (p,) = problems(example)
    assert p.field == "consigne" and "unknown field" in p.message


def test_wrong_types_name_field_and_box(example):
    example["items"][0]["gross_mass"] = 1250
    example["trade"]["to"] = ["Mexico"]
    found = {(p.field, p.box): p.message for p in problems(example)}
    assert "must be text" in found[("items[0].gross_mass", "9")]
    assert ("trade.to", "2") in found


def test_missing_required_fields(example):
    del example["exporter"]
    del example["items"][0]["description"]
    del example["issue_date"]
    found = {(p.field, p.box) for p in problems(example)}
    assert found == {("exporter", "1"), ("items[0].description", "8"), ("issue_date", None)}


def test_empty_items_refused(example):
    example["items"] = []
    (p,) = problems(example)
    assert p.field == "items" and p.box == "8"


def test_dates_must_be_iso(example):
    example["issue_date"] = 1700000000  # a timestamp is never a date on a certificate
    example["declaration"]["date"] = "22.11.2026"
    found = {p.field for p in problems(example)}
    assert found == {"issue_date", "declaration.date"}


def test_hs_code_digits_with_dots(example):
    example["items"][0]["hs_code"] = "8482.10"
    certificate_from_data(example)
    example["items"][0]["hs_code"] = "84a2"
    (p,) = problems(example)
    assert p.field == "items[0].hs_code" and p.box == "8"


def test_control_and_bidi_characters_refused(example):
    example["exporter"]["name"] = "Evil\u202eCorp"
    example["consignee"]["name"] = "Line\nbreak"
    found = {p.field: p.message for p in problems(example)}
    assert "U+202E" in found["exporter.name"]
    assert "U+000A" in found["consignee.name"]


def test_text_is_nfc_and_trimmed(example):
    example["exporter"]["name"] = "  Mu\u0308ller AG  "
    cert = certificate_from_data(example)
    assert cert.exporter.name == "M\u00fcller AG"


def test_error_message_text(example):
    example["exporter"]["adress"] = []
    with pytest.raises(InputError) as info:
        certificate_from_data(example)
    assert "exporter.adress / box 1: unknown field" in str(info.value)


def test_yaml_loads_like_json(tmp_path, example):
    import yaml

    path = tmp_path / "cert.yaml"
    path.write_text(yaml.safe_dump(example, allow_unicode=True), encoding="utf-8")
    assert load_certificate(path) == certificate_from_data(example)


def test_json_syntax_error_has_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "form": "eur1",\n  "serial": \n}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_certificate(path)
    assert "line 4, column 1" in str(info.value)
    assert str(path) in str(info.value)


def test_yaml_syntax_error_has_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("form: eur1\nexporter: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_certificate(path)
    assert "invalid YAML at line" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_certificate(tmp_path / "nope.json")


def test_round_trip_of_contract_example(tmp_path, example):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(example), encoding="utf-8")
    assert load_certificate(path).serial == "A 123.456"


def test_duplicate_json_key_is_refused(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text(
        EXAMPLE_TEXT.replace('"origin": "Switzerland",', '"origin": "Switzerland", "origin": "Mexico",')
    )
    with pytest.raises(InputError) as info:
        load_certificate(path)
    (p,) = info.value.problems
    assert (p.field, p.box) == ("origin", "4") and "given twice" in p.message


def test_duplicate_yaml_key_is_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("form: eur1\norigin: Switzerland\norigin: Mexico\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 3, column 1: the key 'origin' is given twice"):
        load_certificate(path)


@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\u00ad", "\u2060", "\ufeff", "\u034f"])
def test_invisible_characters_refused(example, char):
    example["origin"] = char
    example["items"][0]["description"] = f"Ball{char}bearings"
    found = {p.field: p.message for p in problems(example)}
    assert set(found) == {"origin", "items[0].description"}
    assert f"U+{ord(char):04X}" in found["origin"]


def test_flags_must_be_real_booleans(example):
    example["duplicate"] = "yes"
    example["retrospective"] = 1
    assert {(p.field, p.box) for p in problems(example)} == {("duplicate", "7"), ("retrospective", "7")}


def test_blank_remark_names_box_7(example):
    example["remarks"] = ["REVISED RULES", "  "]
    (p,) = problems(example)
    assert (p.field, p.box, p.message) == ("remarks[1]", "7", "must not be empty")


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE_TEXT.encode("utf-8"))
    assert load_certificate(path).serial == "A 123.456"


def test_form_is_a_layout_name_never_a_path(example):
    from eur1pdf import render
    from eur1pdf.rules import RuleViolation

    for form in ("../../etc/passwd", "/tmp/evil", "eur1/../eur1"):
        example["form"] = form
        with pytest.raises(RuleViolation, match="unknown form") as caught:  # a finding on the field "form"
            render(example)
        assert [(f.field, f.severity) for f in caught.value.findings][:1] == [("form", "error")]
