"""What pdfium would parse of an invoice page, measured before it reads the page.

pdfium parses every operator of a page before eur1pdf sees the first object,
and a form XObject each time the page (or another form) draws it. A small
flate stream can hold a million paths, and a form drawn ten times by a form
drawn ten times multiplies them: a 26 kB invoice held the server's process
for seconds and hundreds of megabytes. So the page's contents, and every
form as many times as it is drawn, are counted in decoded bytes against
``max_content_bytes`` (data/invoice_limits.toml); each stream is decoded a
chunk at a time within the cap (:mod:`eur1pdf.pdf.decoding`), so nothing
larger than the cap is ever held.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field

import pikepdf

from eur1pdf.declaration.free_area import LIMITS
from eur1pdf.errors import Eur1pdfError
from eur1pdf.pdf.decoding import DECODERS, TooLarge, decoded

#: ``/Name Do``: a content stream drawing the XObject its resources call Name
DRAWN = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s*Do(?![^\s/\[\]()<>{}%])")
MAX_FORM_DEPTH = 16  # forms drawn in forms, as a blank form may have (pdf/blank_limits.toml)


class PageRefused(Eur1pdfError):
    """The page would cost pdfium more than an invoice page may; the message says which page and why."""


@dataclass
class _Drawing:
    """The count for one page: which page, each form's cost once known, the forms being counted."""

    number: int
    cost: dict[tuple[int, int], int] = field(default_factory=dict)
    open_forms: set[tuple[int, int]] = field(default_factory=set)

    def refuse(self, why: str) -> PageRefused:
        return PageRefused(f"the invoice's page {self.number}: {why}")

    def too_large(self) -> PageRefused:
        return self.refuse(
            f"its contents are over {LIMITS['max_content_bytes']:,} bytes decoded "
            "(each form counted as often as it is drawn), or do not decode"
        )

    def within(self, size: int) -> int:
        if size > LIMITS["max_content_bytes"]:
            raise self.too_large()
        return size


def check_page_drawing(page: pikepdf.Page, number: int) -> None:
    """:class:`PageRefused` when the page's contents and the forms they draw decode to more than
    ``max_content_bytes``, nest forms deeper than 16, draw a form inside itself or do not decode."""
    drawing = _Drawing(number)
    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    text = b"\n".join(_decoded(stream, drawing) for stream in streams if isinstance(stream, pikepdf.Stream))
    drawing.within(len(text) + _drawn_cost(text, _resources(page.obj), drawing, depth=1))


def _drawn_cost(text: bytes, resources: object, drawing: _Drawing, depth: int) -> int:
    """Bytes pdfium parses for the forms ``text`` draws (named in ``resources``), each time drawn."""
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return 0
    total = 0
    for name, times in Counter(DRAWN.findall(text)).items():
        form = xobjects.get("/" + name.decode("latin-1"))
        if isinstance(form, pikepdf.Stream) and form.get("/Subtype") == "/Form":
            total = drawing.within(total + times * _form_cost(form, resources, drawing, depth))
    return total


def _form_cost(form: pikepdf.Stream, outer: object, drawing: _Drawing, depth: int) -> int:
    """Bytes pdfium parses to draw ``form`` once: its contents and the forms it draws."""
    if depth > MAX_FORM_DEPTH:
        raise drawing.refuse(f"it draws forms inside forms more than {MAX_FORM_DEPTH} deep")
    key = form.objgen
    own = form.get("/Resources")
    if key in drawing.cost and isinstance(own, pikepdf.Dictionary):
        return drawing.cost[key]
    if key in drawing.open_forms:
        raise drawing.refuse(f"a form draws itself (object {key[0]} {key[1]})")
    drawing.open_forms.add(key)
    text = _decoded(form, drawing)
    resources = own if isinstance(own, pikepdf.Dictionary) else outer  # else those it is drawn with
    cost = drawing.within(len(text) + _drawn_cost(text, resources, drawing, depth + 1))
    drawing.open_forms.discard(key)
    drawing.cost[key] = cost
    return cost


def _decoded(stream: pikepdf.Stream, drawing: _Drawing) -> bytes:
    given = stream.get("/Filter")
    names = [] if given is None else [given] if isinstance(given, pikepdf.Name) else given
    if not isinstance(names, list | pikepdf.Array) or len(names) > 4:
        raise drawing.refuse("a content stream's /Filter is not one to four names")
    filters = [(str(name)[1:], 1) for name in names]
    if any(name not in DECODERS for name, _ in filters):
        raise drawing.refuse("a content stream uses a filter eur1pdf does not read")
    try:
        return decoded(stream.read_raw_bytes(), filters, LIMITS["max_content_bytes"])
    except (TooLarge, ValueError, zlib.error):
        raise drawing.too_large() from None


def _resources(page: pikepdf.Dictionary) -> object:
    """The page's /Resources, inherited from its page tree when it has none of its own."""
    node: object = page
    for _ in range(64):  # a page tree is not deeper; a loop in /Parent is not followed forever
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if "/Resources" in node:
            return node.get("/Resources")
        node = node.get("/Parent")
    return None
