"""Compare two PDFs by content: text runs, lines, shapes, page sizes.

Byte comparison breaks on anything volatile (dates, IDs, compression); a
visual comparison hides what moved. Reading both files back with pdfplumber
and comparing what a person sees — each word with its position, font and
size, each line and rectangle — within a tolerance tells exactly what changed
("page 1: 'Mexico' moved by (0.0, 0.8) pt").
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber

_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    top: float
    font: str
    size: float


@dataclass(frozen=True)
class Stroke:
    kind: str  # line, rect, curve
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass
class PageContent:
    width: float
    height: float
    words: list[Word] = field(default_factory=list)
    strokes: list[Stroke] = field(default_factory=list)


@dataclass(frozen=True)
class Difference:
    page: int  # 1-based
    kind: str  # page_count, page_size, text_changed, text_added, text_removed, moved, font, stroke_*
    message: str

    def __str__(self) -> str:
        return f"page {self.page}: {self.message}" if self.page else self.message


def _open(pdf: bytes | str | Path):
    if isinstance(pdf, bytes | bytearray):
        return pdfplumber.open(io.BytesIO(pdf))
    return pdfplumber.open(str(pdf))


def extract(pdf: bytes | str | Path) -> list[PageContent]:
    """What a reader sees on each page, positions in pt from the top-left."""
    pages = []
    with _open(pdf) as doc:
        for page in doc.pages:
            content = PageContent(float(page.width), float(page.height))
            for w in page.extract_words(extra_attrs=["fontname", "size"], keep_blank_chars=False):
                font = _SUBSET_PREFIX.sub("", w["fontname"])
                content.words.append(Word(w["text"], w["x0"], w["top"], font, round(w["size"], 2)))
            for kind, objs in (("line", page.lines), ("rect", page.rects), ("curve", page.curves)):
                for o in objs:
                    content.strokes.append(Stroke(kind, o["x0"], o["top"], o["x1"], o["bottom"]))
            content.words.sort(key=lambda w: (round(w.top, 1), w.x0))
            content.strokes.sort(key=lambda s: (s.kind, round(s.top, 1), round(s.x0, 1)))
            pages.append(content)
    return pages


def _distance(a: Word, b: Word) -> float:
    return abs(a.x0 - b.x0) + abs(a.top - b.top)


def _compare_words(n: int, a: list[Word], e: list[Word], tol: float) -> list[Difference]:
    """Match each expected word to the nearest actual word with the same text.

    Matching by text and proximity, not by reading order, keeps one moved
    block from turning into a cascade of "removed"/"added" words elsewhere.
    """
    diffs: list[Difference] = []
    by_text: dict[str, list[Word]] = {}
    for w in a:
        by_text.setdefault(w.text, []).append(w)
    lost: list[Word] = []
    for we in e:
        candidates = by_text.get(we.text)
        if not candidates:
            lost.append(we)
            continue
        wa = min(candidates, key=lambda w: _distance(w, we))
        candidates.remove(wa)
        dx, dy = wa.x0 - we.x0, wa.top - we.top
        if abs(dx) > tol or abs(dy) > tol:
            diffs.append(Difference(n, "moved", f"{we.text!r} moved by ({dx:+.2f}, {dy:+.2f}) pt"))
        if wa.font != we.font or abs(wa.size - we.size) > 0.01:
            diffs.append(
                Difference(n, "font", f"{we.text!r}: {we.font} {we.size:g} pt -> {wa.font} {wa.size:g} pt")
            )
    extra = [w for words in by_text.values() for w in words]
    for we in lost:
        near = [
            w for w in extra if abs(w.top - we.top) <= max(tol, 2.0) and abs(w.x0 - we.x0) <= max(tol, 2.0)
        ]
        if near:
            wa = near[0]
            extra.remove(wa)
            diffs.append(Difference(n, "text_changed", f"text {we.text!r} changed to {wa.text!r}"))
        else:
            diffs.append(
                Difference(n, "text_removed", f"text {we.text!r} at ({we.x0:.1f}, {we.top:.1f}) removed")
            )
    for wa in extra:
        diffs.append(Difference(n, "text_added", f"text {wa.text!r} at ({wa.x0:.1f}, {wa.top:.1f}) added"))
    return diffs


def _compare_strokes(n: int, a: list[Stroke], e: list[Stroke], tol: float) -> list[Difference]:
    unmatched = list(a)
    diffs = []
    for s in e:
        hit = next(
            (
                o
                for o in unmatched
                if o.kind == s.kind
                and abs(o.x0 - s.x0) <= tol
                and abs(o.x1 - s.x1) <= tol
                and abs(o.top - s.top) <= tol
                and abs(o.bottom - s.bottom) <= tol
            ),
            None,
        )
        if hit is None:
            diffs.append(
                Difference(
                    n,
                    f"{s.kind}_removed",
                    f"{s.kind} ({s.x0:.1f}, {s.top:.1f})-({s.x1:.1f}, {s.bottom:.1f}) missing",
                )
            )
        else:
            unmatched.remove(hit)
    for o in unmatched:
        diffs.append(
            Difference(
                n, f"{o.kind}_added", f"{o.kind} ({o.x0:.1f}, {o.top:.1f})-({o.x1:.1f}, {o.bottom:.1f}) added"
            )
        )
    return diffs


def compare(
    actual: bytes | str | Path, expected: bytes | str | Path, tolerance_pt: float = 0.5
) -> list[Difference]:
    """Differences between two PDFs' content; empty when equal within the tolerance.

    Creation dates, document IDs and the producer are not content and are
    never compared.
    """
    pa, pe = extract(actual), extract(expected)
    diffs: list[Difference] = []
    if len(pa) != len(pe):
        diffs.append(Difference(0, "page_count", f"{len(pa)} pages, expected {len(pe)}"))
    for n, (a, e) in enumerate(zip(pa, pe, strict=False), start=1):
        if abs(a.width - e.width) > tolerance_pt or abs(a.height - e.height) > tolerance_pt:
            diffs.append(
                Difference(
                    n,
                    "page_size",
                    f"page size {a.width:.1f}x{a.height:.1f} pt, expected {e.width:.1f}x{e.height:.1f}",
                )
            )
        diffs += _compare_words(n, a.words, e.words, tolerance_pt)
        diffs += _compare_strokes(n, a.strokes, e.strokes, tolerance_pt)
    return diffs


def report(diffs: list[Difference]) -> str:
    """The differences as text for a terminal or a test failure."""
    if not diffs:
        return "no differences"
    return f"{len(diffs)} difference(s):\n" + "\n".join(f"  {d}" for d in diffs)
