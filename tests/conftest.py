"""Shared helpers: the example certificate, rendering, reading PDFs back."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pdfplumber
import pytest

from eur1pdf import FillOptions, get_layout, render
from eur1pdf.layouts.geometry import PT_PER_MM

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "eur1-ch-mx.json"


@pytest.fixture
def example() -> dict:
    """A fresh copy of the bundled example's data, free to modify."""
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def eur1():
    return get_layout("eur1")


def fill(data: dict, **options) -> bytes:
    return render(copy.deepcopy(data), FillOptions(**options))


def box_rect_pt(layout, number: str, face: str = "certificate") -> tuple[float, float, float, float]:
    """(x0, top, x1, bottom) in pt from the page's top-left, as pdfplumber measures."""
    x, y, w, h = layout.faces[face].boxes[number].rect
    return (x * PT_PER_MM, y * PT_PER_MM, (x + w) * PT_PER_MM, (y + h) * PT_PER_MM)


def inside(obj: dict, rect: tuple[float, float, float, float], tol: float = 0.01) -> bool:
    x0, top, x1, bottom = rect
    return (
        obj["x0"] >= x0 - tol
        and obj["x1"] <= x1 + tol
        and obj["top"] >= top - tol
        and obj["bottom"] <= bottom + tol
    )


def open_pdf(data: bytes):
    return pdfplumber.open(io.BytesIO(data))


def text_in(page, rect) -> str:
    """The words whose bounding box lies inside ``rect``, in reading order."""
    words = [w for w in page.extract_words() if inside(w, rect)]
    words.sort(key=lambda w: (round(w["top"]), w["x0"]))
    return " ".join(w["text"] for w in words)
