"""What pdfium would parse of an invoice page, measured before it reads the page.

pdfium parses every operator of a page before eur1pdf sees the first object,
a form XObject each time the page (or another form) draws it, and the glyph
procedures of a Type 3 font the page writes with. A small flate stream can
hold a million paths, and a form drawn ten times by a form drawn ten times
multiplies them: a 26 kB invoice held the server's process for seconds and
hundreds of megabytes. So the page's contents, every form as many times as
it is drawn, and every Type 3 glyph procedure once (pdfium keeps a font's
glyphs) are counted in decoded bytes against ``max_content_bytes``
(data/invoice_limits.toml). Each stream is decoded a chunk at a time within
the cap (:mod:`eur1pdf.pdf.decoding`), so nothing larger is ever held; the
``Do`` operators are then found by qpdf's content tokenizer, which reads
names, comments, strings and inline images as pdfium does (a pattern over
the bytes missed ``/F#6d0 Do``, ``/Fm0 %…`` and a NUL between name and
operator, and counted ``Do`` inside strings).
"""

from __future__ import annotations

import re
import warnings
import zlib
from collections import Counter
from dataclasses import dataclass, field

import pikepdf

from eur1pdf.declaration.free_area import LIMITS
from eur1pdf.errors import Eur1pdfError
from eur1pdf.pdf.decoding import DECODERS, TooLarge, decoded

MAX_FORM_DEPTH = 16  # forms drawn in forms, as a blank form may have (pdf/blank_limits.toml)
#: the operator ``Do`` as a token of the bytes (not in a name; a string's "Do" counts too: this
#: count only bounds what qpdf's tokenizer reads)
DO_TOKEN = re.compile(rb"(?<![^\s\x00()<>\[\]{}%])Do(?![^\s\x00()<>\[\]{}/%])")
#: what a form costs pdfium each time it is drawn, besides its contents (an empty form drawn a
#: million times is a million objects)
DRAW_BYTES = 64
Key = tuple[int, int]  # an indirect object's number and generation
#: resources and the object that holds them (a direct dictionary is known by its holder)
Scope = tuple[object, Key]


class PageRefused(Eur1pdfError):
    """The page would cost pdfium more than an invoice page may; the message says which page and why."""


@dataclass
class _Drawing:
    """The count for one page: which page, each form's cost once known, the forms being counted."""

    number: int
    cost: dict[tuple[Key, Key], int] = field(default_factory=dict)  # (form, its resources' key)
    open_forms: set[Key] = field(default_factory=set)
    glyph_fonts: set[Key] = field(default_factory=set)  # Type 3 fonts already counted
    visits: int = 0
    page_resources: object = None  # where pdfium looks a name up that the resources in use lack
    scratch: pikepdf.Pdf = field(default_factory=pikepdf.new)  # holds decoded bytes for the tokenizer

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

    def visit(self) -> None:
        """A form or glyph procedure read: at most as many as the objects a page may show."""
        self.visits += 1
        if self.visits > LIMITS["max_page_objects"]:
            raise self.refuse(f"it draws more than {LIMITS['max_page_objects']:,} forms and glyph procedures")


def check_page_drawing(page: pikepdf.Page, number: int) -> None:
    """:class:`PageRefused` when the page's contents, the forms they draw and the Type 3 glyphs they
    use decode to more than ``max_content_bytes``, nest forms deeper than 16, draw a form inside
    itself or do not decode."""
    drawing = _Drawing(number)
    try:
        contents = page.obj.get("/Contents")
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        text = b"\n".join(_decoded(s, drawing) for s in streams if isinstance(s, pikepdf.Stream))
        scope = (_resources(page.obj), page.obj.objgen)
        drawing.page_resources = scope[0]
        drawing.within(len(text) + _drawn_cost(text, scope, drawing, depth=1))
    finally:
        drawing.scratch.close()


def _drawn_cost(text: bytes, scope: Scope, drawing: _Drawing, depth: int) -> int:
    """Bytes pdfium parses for what ``text`` draws with ``scope``'s resources: each form as often as
    drawn, each Type 3 font's glyph procedures once."""
    resources, _ = scope
    total = _glyph_cost(resources, scope, drawing, depth) if isinstance(resources, pikepdf.Dictionary) else 0
    forms = _forms_in_scope(resources, drawing)
    if not forms:
        return total
    names, unread = _drawn_names(text, drawing)
    for name, times in names.items():
        if name in forms:
            total = drawing.within(total + times * _form_cost(forms[name], scope, drawing, depth))
    if unread:  # draws qpdf's tokenizer lost in damaged content, which pdfium may still make
        dearest = max(_form_cost(form, scope, drawing, depth) for form in forms.values())
        total = drawing.within(total + unread * dearest)
    return total


def _forms_in_scope(resources: object, drawing: _Drawing) -> dict[str, pikepdf.Stream]:
    """The form XObjects a name can draw here: the resources' own, then the page's, where pdfium
    looks a name up when the resources in use do not have it."""
    forms: dict[str, pikepdf.Stream] = {}
    for where in (drawing.page_resources, resources):  # the resources' own names win
        xobjects = where.get("/XObject") if isinstance(where, pikepdf.Dictionary) else None
        if isinstance(xobjects, pikepdf.Dictionary):
            for name, xobject in xobjects.items():
                if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form":
                    forms[name] = xobject
                else:
                    forms.pop(name, None)
    return forms


def _drawn_names(text: bytes, drawing: _Drawing) -> tuple[Counter[str], int]:
    """How often each name is drawn (``/Name Do``: the last name before ``Do``, as pdfium takes
    it), read by qpdf's tokenizer; and how many ``Do`` of the bytes it did not read (damaged
    content it gave up on, which pdfium reads on)."""
    in_bytes = len(DO_TOKEN.findall(text))
    if in_bytes == 0:
        return Counter(), 0
    if in_bytes * DRAW_BYTES > LIMITS["max_content_bytes"]:  # refused before reading every operator
        raise drawing.too_large()
    stream = pikepdf.Stream(drawing.scratch, text)
    try:
        with warnings.catch_warnings(record=True) as complaints:  # qpdf's, about damaged content
            warnings.simplefilter("always")
            found = pikepdf.parse_content_stream(stream, "Do")
    except pikepdf.PdfError:
        raise drawing.refuse("its contents cannot be read as PDF content") from None
    names = Counter(
        str(instruction.operands[-1])
        for instruction in found
        if instruction.operands and isinstance(instruction.operands[-1], pikepdf.Name)
    )
    unread = max(0, in_bytes - len(found)) if complaints else 0
    return names, unread


def _form_cost(form: pikepdf.Stream, outer: Scope, drawing: _Drawing, depth: int) -> int:
    """Bytes pdfium parses to draw ``form`` once: its contents and what they draw."""
    if depth > MAX_FORM_DEPTH:
        raise drawing.refuse(f"it draws forms inside forms more than {MAX_FORM_DEPTH} deep")
    key = form.objgen
    own = form.get("/Resources")
    scope = (own, key) if isinstance(own, pikepdf.Dictionary) else outer  # else those it is drawn with
    memo = (key, _scope_key(scope))
    if memo in drawing.cost:
        return drawing.cost[memo]
    if key in drawing.open_forms:
        raise drawing.refuse(f"a form draws itself (object {key[0]} {key[1]})")
    drawing.visit()
    drawing.open_forms.add(key)
    text = _decoded(form, drawing)
    cost = drawing.within(DRAW_BYTES + len(text) + _drawn_cost(text, scope, drawing, depth + 1))
    drawing.open_forms.discard(key)
    drawing.cost[memo] = cost
    return cost


def _glyph_cost(resources: pikepdf.Dictionary, scope: Scope, drawing: _Drawing, depth: int) -> int:
    """The glyph procedures of the Type 3 fonts in ``resources`` not counted yet (once per font)."""
    fonts = resources.get("/Font")
    if not isinstance(fonts, pikepdf.Dictionary):
        return 0
    total = 0
    for font in fonts.values():
        if not isinstance(font, pikepdf.Dictionary) or font.get("/Subtype") != "/Type3":
            continue
        if font.is_indirect:  # a direct font belongs to these resources alone: counted with them
            if font.objgen in drawing.glyph_fonts:
                continue
            drawing.glyph_fonts.add(font.objgen)
        own = font.get("/Resources")
        glyph_scope = (own, font.objgen) if isinstance(own, pikepdf.Dictionary) else scope
        procedures = font.get("/CharProcs")
        for procedure in procedures.values() if isinstance(procedures, pikepdf.Dictionary) else ():
            if isinstance(procedure, pikepdf.Stream):
                drawing.visit()
                text = _decoded(procedure, drawing)
                total = drawing.within(total + len(text) + _drawn_cost(text, glyph_scope, drawing, depth + 1))
    return total


def _scope_key(scope: Scope) -> Key:
    resources, holder = scope
    if isinstance(resources, pikepdf.Object) and resources.is_indirect:
        return resources.objgen
    return holder


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
