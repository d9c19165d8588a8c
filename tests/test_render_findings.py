"""Render errors as registered findings: what the service answers when a certificate cannot be printed.

A certificate can follow every rule and still not be printable: a value too
long for its box (``fit.overflow``), more goods than box 8 holds (the same
code, box 8), a character the box's font lacks (``text.missing_glyph``).
These codes are registered like the rules', so ``eur1pdf codes`` and the
README list them, and :func:`findings_from_render_error` makes the findings.
"""

from __future__ import annotations

import pytest

from eur1pdf import FitError, GoodsOverflowError, MissingGlyphError
from eur1pdf.rules import RULES, codes_markdown, findings_from_render_error

from .conftest import fill


def _refusal(data: dict, kind: type[Exception]) -> FitError | MissingGlyphError:
    with pytest.raises(kind) as info:
        fill(data, overlay_only=True)
    assert isinstance(info.value, FitError | MissingGlyphError)
    return info.value


def test_render_codes_are_registered_and_listed():
    for code in ("fit.overflow", "text.missing_glyph"):
        assert RULES[code].severity == "error" and RULES[code].box is None
        assert f"| `{code}` | error | — |" in codes_markdown()


def test_text_too_long_for_its_box(example):
    example["exporter"]["address"] = ["a long address line that goes on"] * 20
    exc = _refusal(example, FitError)
    (finding,) = findings_from_render_error(exc)
    assert finding.to_dict() == {
        "severity": "error",
        "code": "fit.overflow",
        "box": 1,
        "field": "exporter",
        "message": str(exc),
    }
    assert str(exc).startswith("box 1 (exporter): ")


def test_goods_overflow_names_box_8(example):
    item = {**example["items"][0], "description": "Ball bearings of hardened steel, assorted sizes " * 3}
    example["items"] = [item] * 80
    exc = _refusal(example, GoodsOverflowError)
    (finding,) = findings_from_render_error(exc)
    assert (finding.code, finding.severity, finding.box, finding.field) == (
        "fit.overflow",
        "error",
        "8",
        "items",
    )
    assert finding.message == str(exc) and "--on-overflow split" in finding.message


def test_missing_glyph_names_the_field_and_its_box(example):
    example["consignee"]["address"][1] = "東京都"
    exc = _refusal(example, MissingGlyphError)
    (finding,) = findings_from_render_error(exc)
    assert (finding.code, finding.severity, finding.box, finding.field) == (
        "text.missing_glyph",
        "error",
        "3",
        "consignee.address[1]",
    )
    assert finding.message == str(exc) and "U+6771" in finding.message and "transliterate" in str(exc)
    assert str(finding) == f"error: box 3, consignee.address[1]: {exc} [text.missing_glyph]"
