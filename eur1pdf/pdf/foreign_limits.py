"""Internal (the PDF writer): a user's blank form is held to limits before a byte of it is imported.

The blank (``--blank``) is a file from outside: a scan or an export of the
official stock, or anything else. Its pages become forms of every
certificate (:mod:`eur1pdf.pdf.imported`), so what they use is read by
eur1pdf, then by every viewer and printer, and by ``verify``. Before that,
everything the pages use (contents and resources, inherited ones included)
is walked once, iteratively and each object once (loops cannot hold it),
and refused beyond the limits of ``blank_limits.toml``: objects and pages,
page boxes, nesting inside an object, forms drawn in forms, filters, and the
size every stream decodes to (counted a chunk at a time, never held:
:mod:`eur1pdf.pdf.decoding`). A refusal names the blank, the page and the
object, so the user knows what to fix or re-export.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pikepdf

from eur1pdf.errors import Eur1pdfError
from eur1pdf.pdf.decoding import DECODERS, IMAGE_CODECS, TooLarge, decoded_size


@dataclass(frozen=True)
class BlankLimits:
    max_file_bytes: int
    max_pages: int
    max_objects: int
    min_page_side_pt: float
    max_page_side_pt: float
    max_user_unit: float
    max_depth: int
    max_form_depth: int
    max_filters: int
    max_content_bytes: int
    max_stream_bytes: int
    max_total_bytes: int
    max_image_pixels: int


LIMITS = BlankLimits(**tomllib.loads(Path(__file__).with_name("blank_limits.toml").read_text("utf-8")))
BOXES = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")
PREDICTORS = frozenset({1, 2, 10, 11, 12, 13, 14, 15})


class BlankRefused(Eur1pdfError):
    """The user's blank form is beyond a limit; the message names the blank, page and object."""


def check_blank_size(size: int, source: str) -> None:
    if size > LIMITS.max_file_bytes:
        raise BlankRefused(
            f"--blank {source}: the file has {size:,} bytes, more than a blank form may have "
            f"({LIMITS.max_file_bytes:,})"
        )


def check_blank(pdf: pikepdf.Pdf, source: str) -> None:
    """Every limit of ``blank_limits.toml``, for every page: :class:`BlankRefused` at the first one passed."""
    objects = len(pdf.objects)
    if objects > LIMITS.max_objects:
        raise BlankRefused(
            f"--blank {source}: {objects:,} objects, more than a blank may have ({LIMITS.max_objects:,})"
        )
    pages = len(pdf.pages)
    if pages > LIMITS.max_pages:
        raise BlankRefused(
            f"--blank {source}: {pages:,} pages, more than a blank may have ({LIMITS.max_pages})"
        )
    walk = _Walk(source)
    for number, page in enumerate(pdf.pages, start=1):
        walk.page, walk.page_object = number, page.obj.objgen
        _check_boxes(page, walk)
        walk.contents(page.obj.get("/Contents"))
        resources = _inherited(page.obj, "/Resources")
        walk.objects([resources])
        walk.forms_in(resources)
        _check_decodes(page, walk)


@dataclass
class _Walk:
    """The walk over a blank's pages: what was seen, what was decoded, where we are (for messages)."""

    source: str
    page: int = 0
    page_object: tuple[int, int] | None = None  # named when a page's own direct values are at fault
    decoded: int = 0

    def __post_init__(self) -> None:
        self.seen: set[tuple[int, int]] = set()
        self.depth_below: dict[tuple[int, int], int] = {}  # forms in forms, from each form seen

    def refuse(self, what: str, obj: tuple[int, int] | None = None) -> BlankRefused:
        where = f", object {obj[0]} {obj[1]}" if obj else ""
        return BlankRefused(f"--blank {self.source}: page {self.page}{where}: {what}")

    def contents(self, contents: object) -> None:
        """The page's content streams, decoded (a page becomes a form) within the content limit."""
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        if len(streams) > LIMITS.max_objects:
            raise self.refuse("more content streams than objects")
        left = LIMITS.max_content_bytes
        for stream in streams:
            if stream is None:
                continue
            if not isinstance(stream, pikepdf.Stream):
                raise self.refuse("its /Contents is not a content stream")
            left -= self.stream(stream, left, "the page's contents")
            self.seen.add(stream.objgen)
            self.objects([stream.stream_dict])

    def objects(self, roots: list[object]) -> None:
        """Every object reachable from ``roots``, each once: nesting, filters and decoded sizes."""
        Place = tuple[object, int, tuple[int, int] | None]  # an object, its depth, the object holding it
        stack: list[Place] = [(root, 0, self.page_object) for root in roots]
        while stack:
            obj, depth, owner = stack.pop()
            if not isinstance(obj, pikepdf.Object):
                continue
            if obj.is_indirect:
                if obj.objgen in self.seen:
                    continue
                self.seen.add(obj.objgen)
                depth, owner = 0, obj.objgen
            if depth > LIMITS.max_depth:
                raise self.refuse(f"arrays and dictionaries nested more than {LIMITS.max_depth} deep", owner)
            if isinstance(obj, pikepdf.Stream):
                self.stream(obj, LIMITS.max_stream_bytes, "a stream")
                children: Iterator[object] = iter(obj.stream_dict.values())
            elif isinstance(obj, pikepdf.Dictionary):
                children = iter(obj.values())
            elif isinstance(obj, pikepdf.Array):
                children = iter(obj)
            else:
                continue
            stack.extend((child, depth + 1, owner) for child in children)

    def stream(self, stream: pikepdf.Stream, cap: int, what: str) -> int:
        """The bytes ``stream`` decodes to, refused beyond ``cap`` or the blank's total."""
        key = stream.objgen
        entries = stream.stream_dict
        if "/F" in entries:
            raise self.refuse("a stream whose data is in another file (/F)", key)
        filters = self.filters(entries, key)
        if entries.get("/Subtype") == pikepdf.Name.Image:
            self.image(entries, key)
        elif any(name in IMAGE_CODECS for name, _ in filters):
            raise self.refuse("an image filter on a stream that is not an image", key)
        left = LIMITS.max_total_bytes - self.decoded
        try:
            size = decoded_size(stream.read_raw_bytes(), filters, min(cap, left))
        except TooLarge:
            if left < cap:
                raise self.refuse(
                    f"the blank's streams: more than {LIMITS.max_total_bytes:,} bytes once decoded", key
                ) from None
            raise self.refuse(f"{what}: more than {cap:,} bytes once decoded", key) from None
        self.decoded += size
        return size

    def filters(self, entries: pikepdf.Dictionary, key: tuple[int, int]) -> list[tuple[str, int]]:
        """The stream's filters as (name, LZW EarlyChange), each one eur1pdf can measure or an image codec."""
        given = entries.get("/Filter")
        names = [] if given is None else [given] if isinstance(given, pikepdf.Name) else given
        if not isinstance(names, list | pikepdf.Array) or len(names) > LIMITS.max_filters:
            raise self.refuse(f"/Filter is not a name or an array of at most {LIMITS.max_filters} names", key)
        parms = entries.get("/DecodeParms")
        given_parms = [parms] if not isinstance(parms, pikepdf.Array) else list(parms)
        if isinstance(parms, pikepdf.Array) and len(given_parms) != len(names):
            raise self.refuse("/DecodeParms does not match /Filter", key)
        chain: list[tuple[str, int]] = []
        for n, name in enumerate(names):
            text = str(name)[1:] if isinstance(name, pikepdf.Name) else ""
            if text not in DECODERS and text not in IMAGE_CODECS:
                raise self.refuse(f"a filter eur1pdf does not read ({name})", key)
            if chain and chain[-1][0] in IMAGE_CODECS:
                raise self.refuse(f"a filter after an image codec ({name})", key)
            chain.append((text, self.parameters(given_parms[n] if n < len(given_parms) else None, key)))
        return chain

    def parameters(self, parms: object, key: tuple[int, int]) -> int:
        """Decoding parameters checked (a predictor eur1pdf knows, sane sizes); LZW's EarlyChange."""
        if parms is None:
            return 1
        if not isinstance(parms, pikepdf.Dictionary):
            raise self.refuse("/DecodeParms is not a dictionary", key)
        bounds = {"/Predictor": (1, 15), "/Colors": (1, 32), "/BitsPerComponent": (1, 16),
                  "/Columns": (1, 1_000_000), "/EarlyChange": (0, 1)}  # fmt: skip
        for name, (low, high) in bounds.items():
            value = parms.get(name)
            if value is not None and not (isinstance(value, int) and low <= value <= high):
                raise self.refuse(f"/DecodeParms {name} is not a whole number from {low} to {high}", key)
        if parms.get("/Predictor", 1) not in PREDICTORS:
            raise self.refuse(f"/DecodeParms /Predictor {parms.get('/Predictor')} is no PDF predictor", key)
        early = parms.get("/EarlyChange", 1)
        return early if isinstance(early, int) else 1

    def image(self, entries: pikepdf.Dictionary, key: tuple[int, int]) -> None:
        width, height = entries.get("/Width"), entries.get("/Height")
        if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
            raise self.refuse("an image without a positive /Width and /Height", key)
        if width * height > LIMITS.max_image_pixels:
            raise self.refuse(
                f"an image of {width:,} x {height:,} pixels, more than {LIMITS.max_image_pixels:,}", key
            )

    def forms_in(self, resources: object) -> None:
        """Forms drawn in forms (tiling patterns, Type 3 glyphs) up to ``max_form_depth`` deep, no loop."""
        stack: list[tuple[tuple[int, int] | None, Iterator[pikepdf.Object], int]] = [
            (None, iter(_drawn_in(resources)), 0)
        ]
        path: set[tuple[int, int]] = set()
        while stack:
            key, children, below = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if key is not None:
                    self.depth_below[key] = below
                    path.discard(key)
                if stack:
                    parent = stack[-1]
                    stack[-1] = (parent[0], parent[1], max(parent[2], below + 1))
                continue
            child_key = child.objgen if child.is_indirect else None
            if child_key is not None and child_key in path:
                raise self.refuse("a form drawn inside itself (a loop of forms)", child_key)
            known = self.depth_below.get(child_key) if child_key is not None else None
            depth = len(stack) + (known or 0)  # of the deepest form under the child, the page being 0
            if depth > LIMITS.max_form_depth:
                raise self.refuse(f"forms drawn in forms more than {LIMITS.max_form_depth} deep", child_key)
            if known is not None:
                stack[-1] = (key, children, max(below, known + 1))
                continue
            if child_key is not None:
                path.add(child_key)
            stack.append((child_key, iter(_drawn_in(_resources_of(child))), 0))


def _check_decodes(page: pikepdf.Page, walk: _Walk) -> None:
    """The page's contents as the form they become (decoded within the limits just checked): a
    stream qpdf cannot decode (a filter parameter it refuses, damaged data) is refused here."""
    try:
        page.as_form_xobject().read_raw_bytes()
    except pikepdf.PdfError as exc:
        raise walk.refuse(f"its contents cannot be decoded ({exc})", walk.page_object) from None


def _inherited(page: pikepdf.Dictionary, name: str) -> object:
    """The page's entry, or its nearest parent's (qpdf has refused page trees with loops)."""
    node: object = page
    for _ in range(LIMITS.max_pages + LIMITS.max_depth):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if name in node:
            return node.get(name)
        node = node.get("/Parent")
    return None


def _resources_of(holder: pikepdf.Object) -> object:
    entries = holder.stream_dict if isinstance(holder, pikepdf.Stream) else holder
    return entries.get("/Resources")


def _drawn_in(resources: object) -> list[pikepdf.Object]:
    """What a content stream with these resources can draw that has its own content: forms,
    tiling patterns, Type 3 fonts."""
    if not isinstance(resources, pikepdf.Dictionary):
        return []
    found: list[pikepdf.Object] = []
    for kind in ("/XObject", "/Pattern", "/Font"):
        named = resources.get(kind)
        if not isinstance(named, pikepdf.Dictionary):
            continue
        for item in named.values():
            entries = item.stream_dict if isinstance(item, pikepdf.Stream) else item
            if not isinstance(entries, pikepdf.Dictionary):
                continue
            if (
                entries.get("/Subtype") == pikepdf.Name.Form
                or entries.get("/PatternType") == 1
                or entries.get("/Subtype") == pikepdf.Name.Type3
            ):
                found.append(item)
    return found


def _check_boxes(page: pikepdf.Page, walk: _Walk) -> None:
    """Every page box: four finite numbers, each side from min to max (times /UserUnit)."""
    unit = page.obj.get("/UserUnit", 1)
    if not _is_number(unit) or not 0 < float(unit) <= LIMITS.max_user_unit:
        raise walk.refuse(f"/UserUnit is not a number above 0 and at most {LIMITS.max_user_unit}")
    rotate = page.obj.get("/Rotate", 0)
    if not isinstance(rotate, int) or isinstance(rotate, bool) or rotate % 90:
        raise walk.refuse("/Rotate is not a multiple of 90")
    boxes: dict[str, object] = {"/MediaBox": page.mediabox, "/CropBox": page.cropbox}
    boxes.update({name: page.obj.get(name) for name in BOXES[2:] if name in page.obj})
    low, high = LIMITS.min_page_side_pt, LIMITS.max_page_side_pt
    for name, box in boxes.items():
        values = list(box) if isinstance(box, pikepdf.Array) else []
        if len(values) != 4 or not all(_is_number(v) for v in values):
            raise walk.refuse(f"the {name[1:]} is not four numbers")
        x0, y0, x1, y1 = (float(v) * float(unit) for v in values)
        sides = abs(x1 - x0), abs(y1 - y0)
        if not all(abs(v) <= 2 * high for v in (x0, y0, x1, y1)) or not all(low <= s <= high for s in sides):
            raise walk.refuse(
                f"the {name[1:]} [{x0:g} {y0:g} {x1:g} {y1:g}] is not a page of {low:g} to {high:g} pt a side"
            )


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float | Decimal)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )
