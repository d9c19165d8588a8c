"""Placement snapshots: what each built-in form's example places, page by page, kept as JSON.

Placement decides every position on the certificate before any PDF byte is
written; a snapshot of its output (text runs with their text, position to
0.01 pt, font and size; lines and shapes) shows a change to placement as a
readable diff, in a fraction of a second per form, without rendering.

An intended change: ``EUR1PDF_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_placement_snapshot.py``,
then review ``git diff tests/snapshots/`` and commit the new files with the change.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from eur1pdf.certificate.digest import canonical_bytes
from eur1pdf.certificate.model import load_certificate
from eur1pdf.layouts import get_layout
from eur1pdf.placement.drawables import Page, TextRun
from eur1pdf.placement.field_sources import Issuance
from eur1pdf.placement.fields import place_certificate
from eur1pdf.placement.text import FontMetrics

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("EUR1PDF_UPDATE_SNAPSHOTS") == "1"
EXAMPLES = {
    "eur1": "examples/eur1-ch-mx.json",
    "eur-med": "examples/eur-med-ch-ma.json",
    "eur1-quad": "examples/eur1-quad-ch-in.json",
    "eur1-cn": "examples/eur1-cn-ch-cn.json",
    "eur1-tri": "examples/eur1-tri-ch-uk.json",
    "eur-med-tri": "examples/eur-med-tri-ch-tn.json",
}
DIFF_LINES = 120  # the first lines of a failing diff are shown; the rest is counted


def placed_pages(example: Path) -> list[Page]:
    """The data pages of ``example``'s whole set, as :func:`eur1pdf.api.render` places them (unmarked).

    The one place this module calls placement: adapt it here when placement's entry point changes.
    """
    cert = load_certificate(example)
    layout = get_layout(cert.form)
    return place_certificate(cert, layout, None, Issuance(final=False, link=None), canonical_bytes(cert))


def _plain(value: Any) -> Any:
    """A drawable's field as JSON: positions to 0.01 pt, fonts by name, pixels by hash."""
    if isinstance(value, float):
        return round(value, 2) + 0.0  # + 0.0: -0.0 is written as 0.0
    if isinstance(value, FontMetrics):
        return value.name
    if isinstance(value, bytes):
        return "sha256:" + hashlib.sha256(value).hexdigest()[:16]
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return drawable(value)
    return value


def drawable(item: Any) -> dict[str, Any]:
    """One drawable as a flat dictionary: its type, then its fields in declaration order."""
    if isinstance(item, TextRun):
        fields = item._asdict()
    else:
        fields = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    return {"type": type(item).__name__, **{key: _plain(value) for key, value in fields.items()}}


def snapshot_text(form: str, example: str, pages: list[Page]) -> str:
    """The snapshot file's text: one drawable per line, so that a diff shows what moved."""
    lines = ["{", f'  "form": {json.dumps(form)},', f'  "example": {json.dumps(example)},', '  "pages": [']
    for n, page in enumerate(pages):
        head = {
            "face": page.face,
            "sheet": page.sheet,
            "width": _plain(page.width),
            "height": _plain(page.height),
        }
        lines.append("    {" + json.dumps(head)[1:-1] + ', "items": [')
        items = [json.dumps(drawable(item), ensure_ascii=False) for item in page.items]
        lines += [f"      {text}," for text in items[:-1]] + [f"      {text}" for text in items[-1:]]
        lines.append("    ]}" + ("," if n < len(pages) - 1 else ""))
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def _diff(expected: str, actual: str, path: Path) -> str:
    diff = list(
        difflib.unified_diff(
            expected.splitlines(),
            actual.splitlines(),
            f"{path.name} (snapshot)",
            "placed now",
            lineterm="",
            n=2,
        )
    )
    shown = "\n".join(diff[:DIFF_LINES])
    more = f"\n... {len(diff) - DIFF_LINES} more diff lines" if len(diff) > DIFF_LINES else ""
    return shown + more


@pytest.mark.parametrize("form", list(EXAMPLES))
def test_placement_matches_its_snapshot(form: str) -> None:
    example = EXAMPLES[form]
    actual = snapshot_text(form, example, placed_pages(ROOT / example))
    json.loads(actual)  # the snapshot is valid JSON, whatever the text placed
    path = SNAPSHOTS / f"placement-{form}.json"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(
            f"no snapshot {path}: create it with EUR1PDF_UPDATE_SNAPSHOTS=1 python -m pytest {__file__}"
        )
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        pytest.fail(
            f"placement of {example} differs from {path}:\n{_diff(expected, actual, path)}\n"
            "if the change is intended: EUR1PDF_UPDATE_SNAPSHOTS=1 python -m pytest "
            "tests/test_placement_snapshot.py, review git diff tests/snapshots/, commit",
            pytrace=False,
        )


def test_snapshot_covers_every_page_and_text_of_the_example() -> None:
    """A snapshot that lost its pages or runs would still match itself: check the content too."""
    pages = placed_pages(ROOT / EXAMPLES["eur1"])
    layout = get_layout("eur1")
    assert [(page.sheet, page.face) for page in pages] == [(s.number, name) for s, name, _ in layout.pages()]
    snapshot = json.loads(snapshot_text("eur1", EXAMPLES["eur1"], pages))
    texts = " ".join(
        item["text"] for page in snapshot["pages"] for item in page["items"] if item["type"] == "TextRun"
    )
    data = json.loads((ROOT / EXAMPLES["eur1"]).read_text(encoding="utf-8"))
    assert data["exporter"]["name"] in texts
    first = next(item for item in snapshot["pages"][0]["items"] if item["type"] == "TextRun")
    assert set(first) >= {"text", "x", "y", "font", "size"}
    assert first["font"].startswith("Liberation")


def test_a_moved_run_shows_in_the_diff() -> None:
    """The failure message names what moved, to 0.01 pt."""
    pages = placed_pages(ROOT / EXAMPLES["eur1"])
    before = snapshot_text("eur1", "x", pages)
    page = pages[0]
    index, run = next((n, item) for n, item in enumerate(page.items) if isinstance(item, TextRun))
    page.items[index] = run._replace(x=run.x + 0.01)
    diff = _diff(before, snapshot_text("eur1", "x", pages), Path("placement-eur1.json"))
    assert diff.count("\n-      ") == 1 and diff.count("\n+      ") == 1
