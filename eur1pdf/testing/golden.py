"""Compare two PDFs by content: text runs, lines, shapes, images, watermarks, page sizes.

Byte comparison breaks on anything volatile (dates, IDs, compression); a
visual comparison hides what moved. Reading both files back with pdfplumber
and comparing what a person sees — each word with its position, font and
size, each line, rectangle and curve, each image's box — within a tolerance
tells exactly what changed, and where the form's layout is known, in which
box: "sheet 1, box 8: 'Ball' moved 0.71 pt down".

The marks of an eur1pdf document (DRAFT, ORIGINAL, COPY: the Form XObject
``/Watermark``, shown in the page's marked-content sequence ``/Watermark``,
a final's inside the optional-content group of that name) are read
separately, so a missing watermark is reported as such and never as a
cascade of changed words. The blank form (``/Blank``) and the data
(``/Data``, drawn in the page's own content) are compared together, word
by word and shape by shape, each difference named by page and box.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
import pikepdf

from eur1pdf.layouts.geometry import PT_PER_MM

_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")
_WATERMARK_BLOCK = re.compile(rb"(?:/OC /Watermark BDC|/Watermark BMC) q /Watermark Do Q EMC\n?")
PdfSource = bytes | str | Path


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    top: float
    font: str
    size: float


@dataclass(frozen=True)
class Shape:
    kind: str  # line, rect, curve, image
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass
class PageContent:
    width: float
    height: float
    words: list[Word] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)
    watermark: str = ""  # the text of the watermark layer, if any


@dataclass(frozen=True)
class Difference:
    page: int  # 1-based; 0 for the document
    kind: str  # page_count, page_size, text_changed, text_added, text_removed, moved, font,
    # <shape>_added, <shape>_removed, watermark
    message: str
    where: str = ""  # "sheet 1, box 8" when the layout is known

    def __str__(self) -> str:
        place = f"page {self.page}" if self.page else "document"
        if self.where:
            place += f" ({self.where})"
        return f"{place}: {self.message}"


def _read(pdf: PdfSource) -> bytes:
    return bytes(pdf) if isinstance(pdf, bytes | bytearray) else Path(pdf).read_bytes()


def _split_layers(data: bytes) -> tuple[bytes, bytes | None]:
    """The document without its watermark layer, and the watermark layer alone (or None)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        found = False
        marks = pikepdf.new()
        for page in pdf.pages:
            content = page.Contents.read_bytes() if "/Contents" in page else b""
            has_mark = bool(_WATERMARK_BLOCK.search(content))
            found |= has_mark
            stripped = _WATERMARK_BLOCK.sub(b"", content)
            if stripped != content:
                page.Contents = pdf.make_stream(stripped)
            mark_resources = pikepdf.Dictionary()
            if has_mark:
                form = marks.copy_foreign(page.Resources.XObject["/Watermark"])
                mark_resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Watermark=form))
            marks.pages.append(
                pikepdf.Page(
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Page,
                        MediaBox=pikepdf.Array(
                            list(page.MediaBox)
                        ),  # a copy: the box belongs to the other PDF
                        Resources=mark_resources,
                        Contents=marks.make_stream(b"q /Watermark Do Q\n" if has_mark else b""),
                    )
                )
            )
        if not found:
            return data, None
        without, alone = io.BytesIO(), io.BytesIO()
        pdf.save(without)
        marks.save(alone)
        return without.getvalue(), alone.getvalue()


def extract(pdf: PdfSource) -> list[PageContent]:
    """What a reader sees on each page, positions in pt from the top-left."""
    body, marks = _split_layers(_read(pdf))
    pages = []
    with pdfplumber.open(io.BytesIO(body)) as doc:
        for page in doc.pages:
            content = PageContent(float(page.width), float(page.height))
            for w in page.extract_words(extra_attrs=["fontname", "size"], keep_blank_chars=False):
                font = _SUBSET_PREFIX.sub("", w["fontname"])
                content.words.append(Word(w["text"], w["x0"], w["top"], font, round(w["size"], 2)))
            for kind, objs in (("line", page.lines), ("rect", page.rects), ("curve", page.curves),
                               ("image", page.images)):  # fmt: skip
                for o in objs:
                    content.shapes.append(Shape(kind, o["x0"], o["top"], o["x1"], o["bottom"]))
            content.words.sort(key=lambda w: (round(w.top, 1), w.x0))
            content.shapes.sort(key=lambda s: (s.kind, round(s.top, 1), round(s.x0, 1)))
            pages.append(content)
    if marks is not None:
        with pdfplumber.open(io.BytesIO(marks)) as doc:
            for content, page in zip(pages, doc.pages, strict=True):
                content.watermark = "".join(c["text"] for c in page.chars if c["size"] > 30)
    return pages


# --------------------------------------------------------------------------- where


@dataclass
class _Locator:
    """Names the box a point lies in, page by page, from the layout the PDF was made with."""

    faces: list[tuple[int, dict[str, tuple[float, float, float, float]]]]

    @classmethod
    def for_pdf(cls, data: bytes, layout=None) -> _Locator | None:
        from eur1pdf.layouts import get_layout

        sheets = None
        if layout is None:
            try:
                with pikepdf.open(io.BytesIO(data)) as pdf:
                    options = json.loads(str(pdf.docinfo.get("/Eur1pdfOptions", "{}")))
                layout = get_layout(options["layout"]) if "layout" in options else None
                sheets = options.get("sheets")
            except Exception:  # a foreign PDF: compare without box names
                return None
        if layout is None:
            return None
        faces = []
        for sheet, _, face in layout.pages(sheets):
            boxes = {
                number: tuple(v * PT_PER_MM for v in (b.x, b.y, b.x + b.w, b.y + b.h))
                for number, b in face.boxes.items()
            }
            faces.append((sheet.number, boxes))
        return cls(faces)

    def where(self, page: int, x: float, y: float) -> str:
        if not self.faces:
            return ""
        sheet, boxes = self.faces[(page - 1) % len(self.faces)]
        for number, (x0, top, x1, bottom) in boxes.items():
            if x0 <= x <= x1 and top <= y <= bottom:
                return f"sheet {sheet}, box {number}"
        return f"sheet {sheet}"


def _movement(dx: float, dy: float) -> str:
    parts = []
    if abs(dy) >= 0.005:
        parts.append(f"{abs(dy):.2f} pt {'down' if dy > 0 else 'up'}")
    if abs(dx) >= 0.005:
        parts.append(f"{abs(dx):.2f} pt {'right' if dx > 0 else 'left'}")
    return "moved " + " and ".join(parts) + f" (by {dx:+.2f}, {dy:+.2f} pt)"


# --------------------------------------------------------------------------- compare


def _distance(a: Word, b: Word) -> float:
    return abs(a.x0 - b.x0) + abs(a.top - b.top)


def _compare_words(n: int, a: list[Word], e: list[Word], tol: float, at) -> list[Difference]:
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
            diffs.append(Difference(n, "moved", f"{we.text!r} {_movement(dx, dy)}", at(n, we.x0, we.top)))
        if wa.font != we.font or abs(wa.size - we.size) > 0.01:
            message = f"{we.text!r}: {we.font} {we.size:g} pt became {wa.font} {wa.size:g} pt"
            diffs.append(Difference(n, "font", message, at(n, we.x0, we.top)))
    extra = [w for words in by_text.values() for w in words]
    for we in lost:
        near = [
            w for w in extra if abs(w.top - we.top) <= max(tol, 2.0) and abs(w.x0 - we.x0) <= max(tol, 2.0)
        ]
        if near:
            wa = near[0]
            extra.remove(wa)
            message = f"text {we.text!r} changed to {wa.text!r}"
            diffs.append(Difference(n, "text_changed", message, at(n, we.x0, we.top)))
        else:
            message = f"text {we.text!r} at ({we.x0:.1f}, {we.top:.1f}) removed"
            diffs.append(Difference(n, "text_removed", message, at(n, we.x0, we.top)))
    for wa in extra:
        message = f"text {wa.text!r} at ({wa.x0:.1f}, {wa.top:.1f}) added"
        diffs.append(Difference(n, "text_added", message, at(n, wa.x0, wa.top)))
    return diffs


def _near(o: Shape, s: Shape, tol: float) -> bool:
    return (
        o.kind == s.kind
        and abs(o.x0 - s.x0) <= tol
        and abs(o.x1 - s.x1) <= tol
        and abs(o.top - s.top) <= tol
        and abs(o.bottom - s.bottom) <= tol
    )


def _describe(s: Shape) -> str:
    name = "image (e.g. the QR code)" if s.kind == "image" else s.kind
    return f"{name} ({s.x0:.1f}, {s.top:.1f})-({s.x1:.1f}, {s.bottom:.1f})"


def _compare_shapes(n: int, a: list[Shape], e: list[Shape], tol: float, at) -> list[Difference]:
    unmatched = list(a)
    diffs = []
    for s in e:
        hit = next((o for o in unmatched if _near(o, s, tol)), None)
        if hit is None:
            diffs.append(Difference(n, f"{s.kind}_removed", f"{_describe(s)} missing", at(n, s.x0, s.top)))
        else:
            unmatched.remove(hit)
    for o in unmatched:
        diffs.append(Difference(n, f"{o.kind}_added", f"{_describe(o)} added", at(n, o.x0, o.top)))
    return diffs


def compare(
    actual: PdfSource, expected: PdfSource, tolerance_pt: float = 0.5, layout=None
) -> list[Difference]:
    """Differences between two PDFs' content; empty when equal within the tolerance.

    Creation dates, document IDs and the producer are not content and are
    never compared. ``layout`` names boxes in the report; by default it is
    read from the expected PDF's eur1pdf metadata.
    """
    actual_bytes, expected_bytes = _read(actual), _read(expected)
    pa, pe = extract(actual_bytes), extract(expected_bytes)
    locator = _Locator.for_pdf(expected_bytes, layout)

    def at(page: int, x: float, y: float) -> str:
        return locator.where(page, x, y) if locator else ""

    diffs: list[Difference] = []
    if len(pa) != len(pe):
        diffs.append(Difference(0, "page_count", f"{len(pa)} pages, expected {len(pe)}"))
    for n, (a, e) in enumerate(zip(pa, pe, strict=False), start=1):
        if abs(a.width - e.width) > tolerance_pt or abs(a.height - e.height) > tolerance_pt:
            message = f"page size {a.width:.1f} x {a.height:.1f} pt, expected {e.width:.1f} x {e.height:.1f}"
            diffs.append(Difference(n, "page_size", message))
        if a.watermark != e.watermark:
            message = (
                f"watermark {e.watermark!r} missing"
                if not a.watermark
                else f"watermark {a.watermark!r}, expected {e.watermark or 'none'!r}"
            )
            diffs.append(Difference(n, "watermark", message))
        diffs += _compare_words(n, a.words, e.words, tolerance_pt, at)
        diffs += _compare_shapes(n, a.shapes, e.shapes, tolerance_pt, at)
    return diffs


def report(diffs: list[Difference]) -> str:
    """The differences as text for a terminal or a test failure."""
    if not diffs:
        return "no differences"
    return f"{len(diffs)} difference(s):\n" + "\n".join(f"  {d}" for d in diffs)


def visual_diff(actual: PdfSource, expected: PdfSource, out_dir: str | Path, dpi: int = 100) -> list[Path]:
    """A PNG per differing page: the actual page greyed, the differing pixels in red."""
    import pypdfium2
    from PIL import Image, ImageChops

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    docs = [pypdfium2.PdfDocument(_read(p)) for p in (actual, expected)]
    for number in range(min(len(docs[0]), len(docs[1]))):
        a, e = (d[number].render(scale=dpi / 72).to_pil().convert("RGB") for d in docs)
        if a.size != e.size:
            e = e.resize(a.size)
        delta = ImageChops.difference(a, e).convert("L").point(lambda v: 255 if v > 40 else 0)
        if delta.getbbox() is None:
            continue
        shown = Image.blend(a.convert("L").convert("RGB"), Image.new("RGB", a.size, "white"), 0.6)
        shown.paste(Image.new("RGB", a.size, (220, 0, 0)), mask=delta)
        path = out_dir / f"page-{number + 1}.png"
        shown.save(path)
        written.append(path)
    return written
