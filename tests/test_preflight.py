"""validate is the whole pre-flight: every reason fill could refuse a certificate is a finding,
the same in Python, the command line and over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eur1pdf import validate
from eur1pdf.certificate.model import certificate_from_data
from eur1pdf.rules import validate as rules_validate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def example() -> dict:
    return json.loads((EXAMPLES / "eur1-ch-mx.json").read_text(encoding="utf-8"))


def _errors(data: dict) -> list[dict]:
    return [f.to_dict() for f in validate(data) if f.severity == "error"]


def test_chinese_name_is_a_missing_glyph_with_field_and_box(example):
    example["exporter"]["name"] = "北京贸易有限公司"
    (finding,) = _errors(example)
    assert (finding["code"], finding["field"], finding["box"]) == ("text.missing_glyph", "exporter.name", 1)
    assert "transliterate" in finding["message"]


def test_address_longer_than_box_3_is_a_fit_overflow(example):
    example["consignee"]["address"] = [f"line {n}" for n in range(14)]
    (finding,) = _errors(example)
    assert (finding["code"], finding["box"], finding["field"]) == ("fit.overflow", 3, "consignee")


def test_too_many_items_is_a_box_8_finding_unless_split(example):
    example["items"] = example["items"] * 40
    (finding,) = _errors(example)
    assert (finding["code"], finding["box"], finding["field"]) == ("fit.overflow", 8, "items")
    split = rules_validate(certificate_from_data(example), will_split=True)
    assert [f for f in split if f.severity == "error"] == []


def test_no_agreement_is_an_error_and_general_a_warning(example):
    example.pop("agreement")
    assert [f["code"] for f in _errors(example)] == ["agreement.missing"]
    example["agreement"] = "GENERAL"
    assert _errors(example) == []
    assert "agreement.general" in {f.code for f in validate(example)}


def test_eur1_cn_without_agreement_with_a_2_digit_hs_code_is_an_error():
    data = json.loads((EXAMPLES / "eur1-cn-ch-cn.json").read_text(encoding="utf-8"))
    data.pop("agreement")
    data["items"][0]["hs_code"] = "84"
    assert "agreement.missing" in {f["code"] for f in _errors(data)}


def test_cli_python_and_http_agree(example, tmp_path):
    from fastapi.testclient import TestClient

    from eur1pdf.service.app import create_app

    example["exporter"]["name"] = "北京贸易"
    example["consignee"]["address"] = [f"line {n}" for n in range(14)]
    example.pop("agreement")
    expected = [f.to_dict() for f in validate(example)]
    src = tmp_path / "c.json"
    src.write_text(json.dumps(example, ensure_ascii=False), encoding="utf-8")
    cli = subprocess.run(
        [sys.executable, "-m", "eur1pdf.cli", "validate", str(src), "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1
    assert json.loads(cli.stdout) == expected
    with TestClient(create_app()) as client:
        answer = client.post("/v1/validate", json=example)
    assert answer.status_code == 200 and answer.json()["findings"] == expected
    assert {f["code"] for f in expected} >= {"text.missing_glyph", "fit.overflow", "agreement.missing"}


def test_fill_json_findings_on_stderr_and_allow_errors_heading(example, tmp_path):
    example["origin"] = "Germany"
    src, out = tmp_path / "c.json", tmp_path / "c.pdf"
    src.write_text(json.dumps(example), encoding="utf-8")
    cli = [sys.executable, "-m", "eur1pdf.cli", "fill", str(src), "-o", str(out)]
    refused = subprocess.run([*cli, "--format", "json"], capture_output=True, text=True)
    assert refused.returncode == 1 and not out.exists()
    assert "box4.member_state" in {f["code"] for f in json.loads(refused.stderr)}
    draft = subprocess.run([*cli, "--draft", "--allow-errors"], capture_output=True, text=True)
    assert draft.returncode == 0 and out.exists()
    assert "draft made despite 1 error(s)" in draft.stderr and "error: box 4" in draft.stderr
