"""The golden toolkit and the project's own golden suite.

The suite: every built-in form x draft / final x full / overlay-only, the
split-overflow case and the plain EUR.1 example, compared by content through
the project's own pytest plug-in (``pdf_golden``). After an intended change:
``pytest tests/test_golden.py --update-golden``, look at the new files, commit.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tomllib

import pikepdf
import pytest

from eur1pdf import FillOptions, render
from eur1pdf.layouts import BUILTIN_DIR, parse_layout, read_raw
from eur1pdf.testing.golden import compare, extract, report, visual_diff

from .conftest import ROOT

pytestmark = pytest.mark.slow

EXAMPLES = {
    "eur1": "eur1-ch-mx",
    "eur-med": "eur-med-ch-ma",
    "eur1-quad": "eur1-quad-ch-in",
    "eur1-cn": "eur1-cn-ch-cn",
}
TEMPLATE = "https://verify.example.org/eur1/{serial}?d={digest}"
MODES = {"draft": FillOptions(draft=True), "final": FillOptions(final=True, verify_url=TEMPLATE)}


def data_for(name: str) -> dict:
    return json.loads((ROOT / "examples" / f"{name}.json").read_text(encoding="utf-8"))


def options(mode: str, overlay: bool) -> FillOptions:
    base = MODES[mode]
    return FillOptions(draft=base.draft, final=base.final, verify_url=base.verify_url, overlay_only=overlay)


@pytest.mark.parametrize("overlay", [False, True], ids=["full", "overlay"])
@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("form", sorted(EXAMPLES))
def test_forms_match_their_golden(pdf_golden, form, mode, overlay):
    name = EXAMPLES[form] + ("-final" if form == "eur1" and mode == "final" else "")
    pdf = render(data_for(name), options(mode, overlay))
    pdf_golden.check(pdf, f"{form}-{mode}-{'overlay' if overlay else 'full'}")


def test_split_overflow_matches_its_golden(pdf_golden):
    data = data_for("eur1-cn-ch-cn")
    data["items"] = [dict(data["items"][i % 4], marks=f"SPM {i + 1}") for i in range(60)]
    pdf_golden.check(render(data, FillOptions(on_overflow="split", sheets=(1,))), "eur1-cn-split")


def test_plain_example_matches_its_golden(pdf_golden):
    pdf_golden.check(render(data_for("eur1-ch-mx")), "eur1-ch-mx")


# --------------------------------------------------------------------------- the comparator


@pytest.fixture(scope="module")
def base() -> bytes:
    return render(data_for("eur1-ch-mx-final"), FillOptions(final=True, verify_url=TEMPLATE, sheets=(1,)))


def variant(changes: dict, data: str = "eur1-ch-mx-final", **opts) -> bytes:
    """The same certificate through a changed copy of the EUR.1 layout (dotted keys)."""
    raw = read_raw(BUILTIN_DIR / "eur1.toml")
    for dotted, value in changes.items():
        *path, key = dotted.split(".")
        node = raw
        for part in path:
            node = node[part]
        node[key] = value
    layout = parse_layout(raw, "variant.toml")
    kwargs = {"final": True, "verify_url": TEMPLATE, "sheets": (1,), **opts}
    return render(data_for(data), FillOptions(**kwargs), layout=layout)


def goods_top(delta_pt: float) -> dict:
    return {"faces.certificate.goods.top": 7.0 + delta_pt * 25.4 / 72}


def test_catches_a_run_moved_by_0_6_pt_and_names_the_box(base):
    diffs = compare(variant(goods_top(0.6)), base)
    moved = [d for d in diffs if d.kind == "moved"]
    assert moved and all(d.where.startswith("sheet 1, box ") for d in moved)
    assert any(
        str(d) == "page 1 (sheet 1, box 8): 'Ball' moved 0.60 pt down (by +0.00, +0.60 pt)" for d in moved
    )


def test_ignores_a_move_within_the_tolerance(base):
    assert compare(variant(goods_top(0.3)), base) == []


def test_catches_one_changed_character(base):
    data = data_for("eur1-ch-mx-final")
    data["transport"] = data["transport"].replace("12345675", "12345676")
    changed = render(data, FillOptions(final=True, verify_url=TEMPLATE, sheets=(1,)))
    texts = [d for d in compare(changed, base) if d.kind.startswith("text")]
    assert "page 1 (sheet 1, box 6): text '724-12345675' changed to '724-12345676'" in [str(d) for d in texts]
    # The only other change: the verification link in the top margin, whose digest covers box 6;
    # right-aligned, it moves with its width, so it reads as one link removed and one added.
    assert {d.where for d in texts} == {"sheet 1, box 6", "sheet 1"}
    assert sorted(d.kind for d in texts if d.where == "sheet 1") == ["text_added", "text_removed"]


def test_catches_a_missing_end_line_in_box_8(base):
    diffs = compare(variant({}, end_mark="stars"), base)
    removed = [d for d in diffs if d.kind == "line_removed"]
    assert removed and all(d.where == "sheet 1, box 8" for d in removed)
    # The end line is the horizontal one; the strike through the unused space starts lower now.
    ends = [d for d in removed if _horizontal(d.message)]
    assert len(ends) == 1 and ends[0].message.endswith("missing")
    assert any(d.kind == "text_added" and "*****" in d.message for d in diffs)


def _horizontal(message: str) -> bool:
    """'line (x0, y)-(x1, y) missing': both ends at one height."""
    import re

    numbers = [float(n) for n in re.findall(r"-?\d+\.\d+", message)]
    return len(numbers) == 4 and numbers[1] == numbers[3] and numbers[0] != numbers[2]


def test_catches_a_missing_watermark(base):
    unmarked = render(data_for("eur1-ch-mx-final"), FillOptions(sheets=(1,)))
    diffs = [d for d in compare(unmarked, base) if d.kind == "watermark"]
    assert [str(d) for d in diffs] == [
        "page 1: watermark 'ORIGINAL' missing",
        "page 2: watermark 'ORIGINAL' missing",
    ]
    draft = render(data_for("eur1-ch-mx-final"), FillOptions(draft=True, sheets=(1,)))
    assert "watermark 'DRAFT', expected 'ORIGINAL'" in report(compare(draft, base))


def test_catches_a_moved_qr_code(base):
    diffs = compare(variant({"faces.certificate.qr.x": 182.0}), base)
    kinds = sorted(d.kind for d in diffs if d.kind.startswith("image"))
    assert kinds == ["image_added", "image_removed"]
    assert all(d.where == "sheet 1" for d in diffs if d.kind.startswith("image"))  # in no box


def test_ignores_creation_date_and_document_id():
    data = data_for("eur1-ch-mx")
    a = render(data)
    with pikepdf.open(io.BytesIO(a)) as pdf:
        pdf.docinfo["/CreationDate"] = "D:20300101000000Z"
        pdf.docinfo["/ModDate"] = "D:20300101000000Z"
        pdf.docinfo["/Producer"] = "another producer"
        pdf.trailer.ID = pikepdf.Array([pikepdf.String(b"\x01" * 16), pikepdf.String(b"\x02" * 16)])
        out = io.BytesIO()
        pdf.save(out)
    b = out.getvalue()
    with pikepdf.open(io.BytesIO(a)) as first, pikepdf.open(io.BytesIO(b)) as second:
        assert first.trailer.ID[0] != second.trailer.ID[0]
    assert compare(a, b) == []
    assert compare(b, a) == []


def test_page_count_and_size(base):
    whole = render(data_for("eur1-ch-mx-final"), FillOptions(final=True, verify_url=TEMPLATE))
    assert [d.kind for d in compare(whole, base) if d.page == 0] == ["page_count"]


def test_extract_reads_the_watermark_layer_apart(base):
    pages = extract(base)
    assert [p.watermark for p in pages] == ["ORIGINAL", "ORIGINAL"]
    assert not any(w.text == "ORIGINAL" for p in pages for w in p.words)


def test_visual_diff_marks_the_differing_page(tmp_path, base):
    pages = visual_diff(variant(goods_top(2.0)), base, tmp_path)
    assert [p.name for p in pages] == ["page-1.png"]
    from PIL import Image

    image = Image.open(pages[0]).convert("RGB")
    raw = image.tobytes()
    red = sum(1 for i in range(0, len(raw), 3) if raw[i] > 200 and raw[i + 1] < 40 and raw[i + 2] < 40)
    assert red > 100


def test_cli_compare(tmp_path, base):
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(base)
    b.write_bytes(variant(goods_top(0.6)))
    run = [sys.executable, "-m", "eur1pdf.cli", "golden", "compare"]
    same = subprocess.run([*run, str(a), str(a)], capture_output=True, text=True)
    assert same.returncode == 0 and same.stdout.strip() == "no differences"
    differs = subprocess.run(
        [*run, str(b), str(a), "--diff-dir", str(tmp_path / "png")], capture_output=True, text=True
    )
    assert differs.returncode == 1
    assert "(sheet 1, box 8): 'Ball' moved 0.60 pt down" in differs.stdout
    assert (tmp_path / "png" / "page-1.png").exists()


# --------------------------------------------------------------------------- the plug-in in a user's project

USER_TEST = """
from eur1pdf import FillOptions, load_certificate, render

def test_certificate(pdf_golden):
    cert = load_certificate({example!r})
    pdf_golden.check(render(cert, FillOptions(sheets=(1,), overlay_only=True)), "mexico")
"""


def test_plugin_in_a_users_project(pytester):
    pytester.makepyfile(test_user=USER_TEST.format(example=str(ROOT / "examples" / "eur1-ch-mx.json")))
    missing = pytester.runpytest("-p", "no:cacheprovider")
    missing.assert_outcomes(failed=1)
    assert "pytest --update-golden" in missing.stdout.str()
    pytester.runpytest("--update-golden").assert_outcomes(passed=1)
    assert (pytester.path / "golden" / "mexico.pdf").exists()
    pytester.runpytest().assert_outcomes(passed=1)
    golden = pytester.path / "golden" / "mexico.pdf"
    cert = json.loads((ROOT / "examples" / "eur1-ch-mx.json").read_text(encoding="utf-8"))
    cert["destination"] = "Mexico City"
    golden.write_bytes(render(cert, FillOptions(sheets=(1,), overlay_only=True)))
    changed = pytester.runpytest()
    changed.assert_outcomes(failed=1)
    assert "text 'Mexico' at" in changed.stdout.str() or "'Mexico'" in changed.stdout.str()
    assert "differs from" in changed.stdout.str()


def test_plugin_is_registered_for_installed_projects():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    entry = tomllib.loads(text)["project"]["entry-points"]["pytest11"]
    assert entry == {"eur1pdf": "eur1pdf.testing.pytest_plugin"}
