"""The bundled example against its golden PDF, compared by content.

Refresh after an intended change with ``EUR1PDF_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and look at the new file before committing it.
"""

from __future__ import annotations

import json
import os

import pytest

from eur1pdf.golden import compare, report
from eur1pdf.layouts import BUILTIN_DIR, parse_layout

from .conftest import ROOT, fill

GOLDEN = ROOT / "golden" / "eur1-ch-mx.pdf"
EXAMPLES = ["eur1-ch-mx", "eur-med-ch-ma", "eur1-quad-ch-in", "eur1-cn-ch-cn"]
CASES = [(name, mode) for name in EXAMPLES for mode in ("full", "overlay")]


@pytest.mark.parametrize("name, mode", CASES)
def test_examples_match_golden(name, mode):
    data = json.loads((ROOT / "examples" / f"{name}.json").read_text(encoding="utf-8"))
    actual = fill(data, overlay_only=(mode == "overlay"))
    golden = ROOT / "golden" / (f"{name}.pdf" if mode == "full" else f"{name}-overlay.pdf")
    if os.environ.get("EUR1PDF_UPDATE_GOLDEN") == "1":
        golden.write_bytes(actual)
    assert golden.exists(), f"no golden file: run EUR1PDF_UPDATE_GOLDEN=1 pytest {__file__}"
    diffs = compare(actual, golden, tolerance_pt=0.5)
    assert not diffs, report(diffs)


def shifted_layout(dy_mm: float):
    import tomllib

    text = (BUILTIN_DIR / "eur1.toml").read_text(encoding="utf-8")
    text = text.replace('box = "8"\ntop = 7.0', f'box = "8"\ntop = {7.0 + dy_mm}')
    return parse_layout(tomllib.loads(text), "shifted.toml")


def test_comparator_catches_a_changed_character(example):
    changed = dict(example, transport="Air freight ZRH-MEX, AWB 724-12345676")
    diffs = compare(fill(changed), GOLDEN)
    # box 6 is printed on the certificate, the copy and the application
    assert [(d.page, d.kind) for d in diffs] == [
        (1, "text_changed"),
        (3, "text_changed"),
        (4, "text_changed"),
    ]
    assert "'724-12345675' changed to '724-12345676'" in str(diffs[0])


def test_comparator_catches_a_move_beyond_tolerance_and_ignores_one_within(example):
    from eur1pdf import FillOptions, render

    moved = render(example, FillOptions(sheets=(1,)), layout=shifted_layout(0.25))  # 0.71 pt
    base = fill(example, sheets=(1,))
    diffs = compare(moved, base)
    assert diffs and {d.kind for d in diffs} == {"moved", "line_removed", "line_added"}
    assert any("'Ball' moved by (+0.00, +0.71) pt" in str(d) for d in diffs)
    within = render(example, FillOptions(sheets=(1,)), layout=shifted_layout(0.1))  # 0.28 pt
    assert compare(within, base) == []


@pytest.mark.parametrize("other", [{"issue_date": "2027-01-02"}])
def test_comparator_ignores_dates_and_ids(example, other):
    a = fill(example)
    b = fill(dict(example, **other))
    assert a != b
    assert compare(a, b) == []
