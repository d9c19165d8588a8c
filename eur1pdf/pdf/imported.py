"""Internal (the PDF writer): a user's blank form (a PDF of the official stock) as objects of our documents.

pikepdf reads the file once per process and turns each page into a Form
XObject; the objects reachable from those forms are then serialised with
new numbers, so every certificate simply appends the same bytes
(:mod:`eur1pdf.pdf.document`). pikepdf does the parsing and the unparsing of each
value; this module only walks the graph and renumbers.
"""

from __future__ import annotations

import io
from decimal import Decimal
from functools import lru_cache

import pikepdf

from eur1pdf.pdf.syntax import Body, array, dictionary, stream


def _value(obj: object, number_of, queue: list) -> bytes:
    """One value, indirect references replaced by the new numbers.

    pikepdf hands numbers, booleans and null back as Python values.
    """
    if obj is None:
        return b"null"
    if isinstance(obj, bool):
        return b"true" if obj else b"false"
    if isinstance(obj, int):
        return b"%d" % obj
    if isinstance(obj, float | Decimal):  # every digit kept (a 0.0004 matrix must not become 0)
        text = format(Decimal(str(obj)), "f")
        return (text.rstrip("0").rstrip(".") if "." in text else text).encode("ascii") or b"0"
    assert isinstance(obj, pikepdf.Object)
    if obj.is_indirect:
        return b"%d 0 R" % number_of(obj, queue)
    return _direct(obj, number_of, queue)


def _direct(obj: pikepdf.Object, number_of, queue: list) -> bytes:
    if isinstance(obj, pikepdf.Dictionary):
        return dictionary({str(key)[1:]: _value(item, number_of, queue) for key, item in obj.items()})
    if isinstance(obj, pikepdf.Array):
        return array(_value(item, number_of, queue) for item in obj)
    return obj.unparse()


def _body(obj: pikepdf.Object, number_of, queue: list) -> bytes:
    """An indirect object's body; streams keep their encoded data (compressed if they were not)."""
    if not isinstance(obj, pikepdf.Stream):
        return _direct(obj, number_of, queue)
    entries = {str(key)[1:]: _value(item, number_of, queue) for key, item in obj.stream_dict.items()}
    entries.pop("Length", None)
    if "Filter" in entries:
        raw = obj.read_raw_bytes()
        entries["Length"] = b"%d" % len(raw)
        return dictionary(entries) + b"\nstream\n" + raw + b"\nendstream"
    return stream(entries, obj.read_raw_bytes())


@lru_cache(maxsize=8)
def foreign_forms(pdf_bytes: bytes, first: int) -> tuple[Body, tuple[int, ...]]:
    """Each page of ``pdf_bytes`` as a Form XObject; objects numbered from ``first``.

    Returns the objects and, per page, the number of its form.
    """
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    forms = [pdf.make_indirect(page.as_form_xobject()) for page in pdf.pages]
    numbers: dict[tuple[int, int], int] = {}

    def number_of(obj: pikepdf.Object, queue: list) -> int:
        key = obj.objgen
        if key not in numbers:
            numbers[key] = first + len(numbers)
            queue.append(obj)
        return numbers[key]

    queue: list = []
    page_numbers = tuple(number_of(form, queue) for form in forms)
    body = Body(first)
    done = 0
    while done < len(queue):  # breadth first: numbers are handed out in the order written
        obj = queue[done]
        done += 1
        body.add(_body(obj, number_of, queue))
    pdf.close()
    return body.frozen(), page_numbers
