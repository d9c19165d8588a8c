"""The file as a reader sees it against the document made again: object by object.

eur1pdf writes the same bytes from the same data and options, so a genuine
certificate's objects equal, one for one, those of the document
:mod:`eur1pdf.finish.remake` makes again. Both object graphs are walked in
parallel from the trailer's ``/Root`` and ``/Info`` (the file in its last
revision, as every viewer shows it): names, numbers, strings, arrays,
dictionaries and streams, whose data is compared as stored (compressed), so
nothing is ever inflated. Nothing here knows how eur1pdf structures a
page: any difference is one.

Ignored are only what is no content (``/ID``, the ``/Encrypt`` entry: the
trailer is not walked beyond ``/Root`` and ``/Info``) and what a signature
legitimately adds: an ``/AcroForm`` holding only signature fields, an
invisible (zero-area) signature widget among a page's annotations,
``/Perms``, ``/DSS`` and the ``/Extensions`` that declare them; and, in a
signed file only, the modification date and producer the signing tool
stamps into the document information and the XMP packet.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pikepdf

from eur1pdf.finish.limits import MAX_DEPTH, MAX_METADATA_BYTES, MAX_OBJECTS, LimitExceeded, stream_data

SIGNATURE_ROOT_KEYS = {"/AcroForm", "/Perms", "/DSS", "/Extensions"}
SIGNATURE_EXTENSIONS = {"/ESIC", "/ADBE"}
SIGNATURE_ACROFORM_KEYS = {"/Fields", "/SigFlags"}
# what an invisible signature field (merged with its widget) holds: nothing that acts or draws
# (no /A, /AA, /AP, /Kids); pyHanko writes /F /FT /P /Rect /Subtype /T /Type /V
SIGNATURE_WIDGET_KEYS = {
    "/Type",
    "/Subtype",
    "/FT",
    "/T",
    "/Rect",
    "/F",
    "/P",
    "/V",
    "/Lock",
    "/SV",
    "/Parent",
}
SIGNING_INFO_KEYS = {"/ModDate", "/Producer"}  # stamped by the signing tool (pyHanko)
SIGNING_XMP_KEYS = {
    "{http://ns.adobe.com/xap/1.0/}ModifyDate",
    "{http://ns.adobe.com/xap/1.0/}MetadataDate",
    "{http://ns.adobe.com/pdf/1.3/}Producer",
}
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


@dataclass(frozen=True)
class Difference:
    """One place where the file differs: ``page`` 1-based (None: the document), ``where`` the path."""

    page: int | None
    where: str
    what: str

    def __str__(self) -> str:
        place = f"page {self.page}" if self.page else "document"
        return f"{place}: {self.where}: {self.what}"


def _kind(value: Any) -> str:
    if isinstance(value, pikepdf.Stream):
        return "stream"
    for kind, types in (
        ("dictionary", pikepdf.Dictionary),
        ("array", pikepdf.Array),
        ("name", pikepdf.Name),
        ("string", pikepdf.String),
        ("boolean", bool),
        ("number", int | Decimal | float),
    ):
        if isinstance(value, types):
            return kind
    return "null" if value is None else type(value).__name__


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _objgen(value: Any) -> tuple[int, int]:
    objgen = getattr(value, "objgen", (0, 0))
    return objgen if isinstance(objgen, tuple) else (0, 0)


def is_signature_field(field: Any) -> bool:
    """A signature field or widget (``/FT /Sig`` on itself or its parent)."""
    if not isinstance(field, pikepdf.Dictionary):
        return False
    parent = field.get("/Parent")
    return field.get("/FT") == pikepdf.Name.Sig or (
        isinstance(parent, pikepdf.Dictionary) and parent.get("/FT") == pikepdf.Name.Sig
    )


def _invisible_signature_widget(annot: Any) -> bool:
    """A signature's widget that shows and does nothing: zero width or height, no action or
    appearance of its own."""
    if not is_signature_field(annot) or annot.get("/Subtype") != pikepdf.Name.Widget:
        return False
    if not set(annot.keys()) <= SIGNATURE_WIDGET_KEYS:
        return False
    rect = annot.get("/Rect")
    if not isinstance(rect, pikepdf.Array) or len(rect) != 4:
        return False
    values = [rect[i] for i in range(4)]
    if not all(_kind(v) == "number" for v in values):
        return False
    return values[0] == values[2] or values[1] == values[3]


def _harmless_signature_entry(key: str, value: Any) -> bool:
    """A catalog entry a signature adds, holding nothing shown."""
    if key == "/AcroForm":
        if not isinstance(value, pikepdf.Dictionary) or not set(value.keys()) <= SIGNATURE_ACROFORM_KEYS:
            return False
        fields = value.get("/Fields")
        return isinstance(fields, pikepdf.Array) and all(
            is_signature_field(f) and set(f.keys()) <= SIGNATURE_WIDGET_KEYS for f in fields
        )
    if key == "/Extensions":
        return isinstance(value, pikepdf.Dictionary) and set(value.keys()) <= SIGNATURE_EXTENSIONS
    return key in ("/Perms", "/DSS")


def xmp_properties(metadata: Any) -> dict[str, str]:
    """The properties of an XMP packet (attributes and elements of ``rdf:Description``), as text."""
    if not isinstance(metadata, pikepdf.Stream):
        raise LimitExceeded("the XMP metadata is not a stream")
    data = stream_data(metadata, MAX_METADATA_BYTES, "the XMP metadata")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise LimitExceeded("the XMP metadata declares entities")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise LimitExceeded(f"the XMP metadata is not XML ({exc})") from None
    found: dict[str, str] = {}
    for description in root.iter(f"{_RDF}Description"):
        for name, text in description.attrib.items():
            if name != f"{_RDF}about":
                found[name] = text
        for element in description:
            resource = element.get(f"{_RDF}resource")
            found[element.tag] = resource if resource is not None else "".join(element.itertext()).strip()
    return found


def xmp_shape(metadata: pikepdf.Stream) -> list[str]:
    """Every element and attribute name of the packet, with the text of all but the
    signing tool's stamps: two packets of the same shape say the same thing."""
    data = stream_data(metadata, MAX_METADATA_BYTES, "the XMP metadata")
    root = ElementTree.fromstring(data)  # already parsed once by xmp_properties: well-formed
    shape = []
    for element in root.iter():
        text = "" if element.tag in SIGNING_XMP_KEYS else (element.text or "").strip()
        attributes = sorted((k, "" if k in SIGNING_XMP_KEYS else v) for k, v in element.attrib.items())
        shape.append(f"{element.tag}|{text}|{attributes}")
    return sorted(shape)  # the order of properties says nothing (a locked file's information is re-sorted)


MAX_WHERE = 400  # characters of the path that names a difference (a chain of objects is shortened)


class _Walk:
    """The parallel walk; ``signed``: the file carries a signature (its stamps are allowed)."""

    def __init__(self, found: pikepdf.Pdf, made: pikepdf.Pdf, signed: bool):
        self.signed = signed
        self.pages = {p.obj.objgen: n for n, p in enumerate(found.pages, start=1)}
        self.made_pages = {p.obj.objgen: n for n, p in enumerate(made.pages, start=1)}
        self.seen: set[tuple[tuple[int, int], tuple[int, int]]] = set()
        self.stack: list[tuple[Any, Any, str, int | None, int]] = []
        self.differences: list[Difference] = []

    def run(self, found: pikepdf.Pdf, made: pikepdf.Pdf) -> list[Difference]:
        self.stack.append((found.trailer.get("/Info"), made.trailer.get("/Info"), "/Info", None, 0))
        self.stack.append((found.trailer.get("/Root"), made.trailer.get("/Root"), "/Root", None, 0))
        while self.stack and len(self.differences) < 50:
            self.step(*self.stack.pop())
        return self.differences

    def differ(self, page: int | None, where: str, what: str) -> None:
        self.differences.append(Difference(page, where, what))

    def step(self, a: Any, b: Any, where: str, page: int | None, depth: int) -> None:
        pair = (_objgen(a), _objgen(b))
        if pair[0] != (0, 0):
            if pair in self.seen:
                return
            self.seen.add(pair)
            if len(self.seen) > 2 * MAX_OBJECTS:
                raise LimitExceeded("the comparison met more objects than the file may hold")
            # nesting is counted inside one object: a user's blank may hold long chains of
            # indirect objects (its own limits bound them), walked here without recursion
            depth = 0
            if len(where) > MAX_WHERE:
                where = f"{where[: MAX_WHERE // 2]}…{where[-MAX_WHERE // 4 :]}"
            if pair[0] in self.pages:
                page = self.pages[pair[0]]
                if self.made_pages.get(pair[1]) != page:
                    self.differ(page, where, "a page where the certificate has another object")
                    return
        if depth > MAX_DEPTH:
            raise LimitExceeded(f"{where}: nested more than {MAX_DEPTH} deep")
        kind, expected = _kind(a), _kind(b)
        if kind != expected:
            self.differ(page, where, f"{_article(kind)} where the certificate has {_article(expected)}")
        elif kind in ("name", "boolean", "null"):
            if a != b:
                self.differ(page, where, f"{a} where the certificate has {b}")
        elif kind == "number":
            if Decimal(str(a)) != Decimal(str(b)):
                self.differ(page, where, f"{a} where the certificate has {b}")
        elif kind == "string":
            if bytes(a) != bytes(b):
                self.differ(page, where, "a text that differs from the certificate's")
        elif kind == "array":
            self.array(a, b, where, page, depth)
        elif kind in ("dictionary", "stream"):
            self.dictionary(a, b, where, page, depth)
        else:
            self.differ(page, where, f"an object of unknown type {kind}")

    def array(self, a: Any, b: Any, where: str, page: int | None, depth: int) -> None:
        if where.endswith("/Annots") and self.signed:  # only a signed file may carry a signature's widget
            a = [x for x in a if not _invisible_signature_widget(x)]
        if len(a) != len(b):
            self.differ(page, where, f"{len(a)} entries where the certificate has {len(b)}")
            return
        for i in reversed(range(len(a))):
            self.stack.append((a[i], b[i], f"{where}[{i}]", page, depth + 1))

    def dictionary(self, a: Any, b: Any, where: str, page: int | None, depth: int) -> None:
        if isinstance(a, pikepdf.Stream):
            if where == "/Root/Metadata" and self.signed:
                self.metadata(a, b)
                return
            if a.read_raw_bytes() != b.read_raw_bytes():
                self.differ(page, where, "a stream whose data differs from the certificate's")
            a, b = a.stream_dict, b.stream_dict
        keys_a, keys_b = set(a.keys()) - {"/Length"}, set(b.keys()) - {"/Length"}
        extra = keys_a - keys_b
        if where == "/Root" and self.signed:
            harmless = {k for k in extra & SIGNATURE_ROOT_KEYS if _harmless_signature_entry(k, a[k])}
            extra -= harmless
            keys_a -= harmless
        if where == "/Info" and self.signed:
            extra -= SIGNING_INFO_KEYS
            keys_a, keys_b = keys_a - SIGNING_INFO_KEYS, keys_b - SIGNING_INFO_KEYS
        if (
            self.signed
            and "/Annots" in extra
            and len([x for x in a["/Annots"] if not _invisible_signature_widget(x)]) == 0
        ):
            extra.discard("/Annots")
            keys_a.discard("/Annots")
        for key in sorted(extra | (keys_b - keys_a)):
            self.differ(page, f"{where}/{key[1:]}", "added" if key in extra else "missing")
        for key in sorted(keys_a & keys_b, reverse=True):
            self.stack.append((a[key], b[key], f"{where}/{key[1:]}", page, depth + 1))

    def metadata(self, a: pikepdf.Stream, b: pikepdf.Stream) -> None:
        """In a signed file: the XMP packet as a whole, but for the signing tool's stamps (a second
        description or a repeated property is a difference, not a value that wins)."""
        if set(a.stream_dict.keys()) - {"/Length"} != set(b.stream_dict.keys()) - {"/Length"}:
            self.differ(None, "/Root/Metadata", "the XMP stream's dictionary differs from the certificate's")
        found, made = xmp_properties(a), xmp_properties(b)
        for key in sorted((set(found) | set(made)) - SIGNING_XMP_KEYS):
            if found.get(key) != made.get(key):
                self.differ(None, f"/Root/Metadata {key}", "differs from the certificate's XMP metadata")
        if xmp_shape(a) != xmp_shape(b):
            self.differ(None, "/Root/Metadata", "the XMP packet holds other entries than the certificate's")


def compare_documents(found: pikepdf.Pdf, made: pikepdf.Pdf, signed: bool) -> list[Difference]:
    """Where ``found`` (the file) differs from ``made`` (the document made again); empty when equal.

    Raises :class:`LimitExceeded` for a file too large or too deep to walk.
    """
    return _Walk(found, made, signed).run(found, made)
