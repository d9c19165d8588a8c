"""The published contract: docs/certificate.schema.json and `eur1pdf agreements`.

An ERP developer validates against the schema before sending; it is only
worth that if the schema and eur1pdf agree. Every example passes both; every
structure error below is refused by both.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from eur1pdf.certificate.model import LIMITS, certificate_from_data
from eur1pdf.certificate.schema import builtin_schema
from eur1pdf.cli.schema import schema_text
from eur1pdf.errors import InputError
from eur1pdf.layouts import builtin_names, plugin_entries
from eur1pdf.rules import validate
from eur1pdf.rules.agreements import agreements

from .conftest import EXAMPLE, ROOT

SCHEMA_FILE = ROOT / "docs" / "certificate.schema.json"
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "eur1pdf.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def eur1pdf_refuses(data: Any) -> bool:
    """True when eur1pdf refuses the input: a load error, or an unknown form or agreement finding."""
    try:
        cert = certificate_from_data(data)
    except InputError:
        return True
    return any(f.code in ("form.unknown", "agreement.unknown") for f in validate(cert))


def test_the_published_schema_is_the_commands_output():
    published = SCHEMA_FILE.read_text(encoding="utf-8")
    assert published == schema_text(builtin=True), "regenerate it: eur1pdf schema --builtin > docs/..."
    result = run("schema", "--builtin")
    assert result.returncode == 0, result.stderr
    assert result.stdout == published
    if not plugin_entries():  # without plug-ins, the installation's schema is the published one
        assert run("schema").stdout == published


def test_schema_names_dialect_boxes_limits_and_enums():
    schema = builtin_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    properties = schema["properties"]
    assert properties["form"]["enum"] == builtin_names()
    agreement_enum = next(
        b for b in properties["agreement"].get("anyOf", [properties["agreement"]]) if "enum" in b
    )
    assert agreement_enum["enum"] == [*agreements(), "GENERAL"]  # GENERAL: the general EUR.1 rules only
    assert properties["items"]["x-box"] == 8
    assert properties["items"]["maxItems"] == LIMITS["items"]
    assert properties["remarks"]["maxItems"] == LIMITS["lines"]
    assert schema["$defs"]["Item"]["properties"]["gross_mass"]["x-box"] == 9
    assert schema["$defs"]["Party"]["properties"]["address"]["items"]["maxLength"] == LIMITS["text"]
    assert "control characters" in schema["description"]
    for model in [schema, *schema["$defs"].values()]:
        for name, prop in model["properties"].items():
            assert prop.get("description"), f"{name} has no description"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_is_valid_for_both(path, validator):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(data)] == []
    assert not eur1pdf_refuses(data)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting the value at a dotted path (``items.0.hs_code``)."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[int(last) if isinstance(target, list) else last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[last]

    return mutate


ITEM = {"description": "Ball bearings", "hs_code": "8482", "gross_mass": "1 kg"}
BAD_INPUTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "unknown field": _set("consigne", {"name": "X"}),
    "unknown nested field": _set("items.0.weight", "1 kg"),
    "text as number": _set("origin", 5),
    "boolean as text": _set("duplicate", "yes"),
    "boolean as number": _set("retrospective", 1),
    "date as number": _set("issue_date", 20261122),
    "date in another format": _set("issue_date", "22.11.2026"),
    "date that does not exist": _set("declaration.date", "2026-02-30"),
    "text too long": _set("transport", "x" * (LIMITS["text"] + 1)),
    "address line too long": _set("exporter.address.0", "x" * (LIMITS["text"] + 1)),
    "too many items": _set("items", [ITEM] * (LIMITS["items"] + 1)),
    "too many remarks": _set("remarks", ["a"] * (LIMITS["lines"] + 1)),
    "too many address lines": _set("exporter.address", ["a"] * (LIMITS["lines"] + 1)),
    "no items": _set("items", []),
    "unknown form": _set("form", "eur2"),
    "unknown agreement": _set("agreement", "EFTA-XX"),
    "unknown language": _set("language", "es"),
    "missing issue_date": _delete("issue_date"),
    "missing items": _delete("items"),
    "missing exporter name": _delete("exporter.name"),
    "missing trade.to": _delete("trade.to"),
    "missing declaration place": _delete("declaration.place"),
    "cumulation without applied_with": _set("cumulation", {}),
    "a list where an object goes": _set("trade", ["Switzerland", "Mexico"]),
    "an object where a list goes": _set("items", ITEM),
    "text where a list goes": _set("exporter.address", "Industriestrasse 12"),
    "null where text is required": _set("origin", None),
    "null in a list of lines": _set("remarks", [None]),
    "empty required text": _set("destination", ""),
    "blank required text": _set("destination", "   "),
    "empty remark line": _set("remarks", [""]),
    "hs code with letters": _set("items.0.hs_code", "84a2"),
    "item as text": _set("items.0", "Ball bearings"),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_refused_by_both(name, validator):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    BAD_INPUTS[name](data)
    assert list(validator.iter_errors(data)), f"the schema accepts: {name}"
    assert eur1pdf_refuses(data), f"eur1pdf accepts: {name}"


@pytest.mark.parametrize("data", [[], "text", None, 5], ids=repr)
def test_not_an_object_is_refused_by_both(data, validator):
    assert list(validator.iter_errors(data))
    assert eur1pdf_refuses(copy.deepcopy(data))


# Where the two cannot agree, by design (the schema's description says so): eur1pdf checks text
# after NFC normalisation and trimming and refuses characters JSON Schema has no way to name.
# The schema accepts these; eur1pdf refuses them with a finding naming the field.
CHARACTER_CHECKS_ONLY_EUR1PDF = {
    "control character": "Basel\tBS",
    "bidirectional override": "Basel\u202e",
    "zero-width space": "Ba\u200bsel",
    "right-to-left script": "\u05d1\u05d6\u05dc",
}


@pytest.mark.parametrize(
    "text", CHARACTER_CHECKS_ONLY_EUR1PDF.values(), ids=list(CHARACTER_CHECKS_ONLY_EUR1PDF)
)
def test_refused_characters_are_eur1pdfs_alone(text, validator):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["declaration"]["place"] = text
    assert list(validator.iter_errors(data)) == []
    assert eur1pdf_refuses(data)


def test_hs_code_with_spaces_is_refused_by_the_schema_alone(validator):
    """The schema's HS code pattern is stricter: eur1pdf trims text before checking the code (said in
    the schema's description)."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["items"][0]["hs_code"] = " 8482 "
    assert list(validator.iter_errors(data))
    assert certificate_from_data(data).items[0].hs_code == "8482"


def test_agreements_lists_every_key_with_its_rules():
    table = run("agreements")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["key", "agreement"]
    assert [line.split()[0] for line in lines[1:]] == list(agreements())
    china = next(line for line in lines if line.startswith("CH-CN "))
    assert "eur1-cn" in china and "exactly 6" in china and "box 3 required" in china
    listed = json.loads(run("agreements", "--format", "json").stdout)
    assert [row["key"] for row in listed] == list(agreements())
    by_key = {row["key"]: row for row in listed}
    assert by_key["EFTA-MX"]["forms"] == ["eur1", "eur1-tri"] and by_key["EFTA-MX"]["hs_digits"] == 4
    assert by_key["EFTA-CA"]["certificate"] is False and by_key["EFTA-CA"]["reason"]
    assert "box 8 origin criterion WO / WP / PSR" in by_key["CH-CN"]["rules"]
