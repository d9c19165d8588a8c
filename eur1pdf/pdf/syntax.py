"""Internal (the PDF writer): PDF syntax as bytes, the objects and the file around them.

eur1pdf writes its documents itself, from objects it prepared once per
process (the blank form, the marks, the font subsets) and the few objects
each certificate adds. Handing every certificate to a general PDF library
(reportlab to draw, pikepdf to merge and save) cost 15 ms of the 17 a
certificate took; formatting the same objects here costs well under one.
pikepdf still reads PDFs (a user's blank form, verification, golden
comparison) and rewrites them where the whole document must change
(locking, signing).

Everything here is plain PDF 1.7: a classic cross-reference table, no object
streams, and a trailer ID derived from the content (same input, same bytes).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
FAST = 1  # what each certificate compresses: level 6 took 1 ms more per certificate for 2 KB less
SMALL = 9  # what is compressed once per process (blank form, marks, font subsets)


@lru_cache(maxsize=16384)
def num(value: float) -> bytes:
    """A number as PDF writes it: at most 3 decimals, no trailing zeros, no exponent.

    Remembered: baselines, column edges and sizes come back on every certificate.
    """
    if value == int(value):
        return b"%d" % value
    text = b"%.3f" % value
    text = text.rstrip(b"0").rstrip(b".")
    return b"0" if text == b"-0" else text


def nums(values: Iterable[float]) -> bytes:
    return b" ".join(num(v) for v in values)


@lru_cache(maxsize=4096)
def name(text: str) -> bytes:
    """A name object; characters outside the regular set are #-escaped."""
    out = bytearray(b"/")
    for byte in text.encode("utf-8"):
        if 0x21 <= byte <= 0x7E and byte not in b"#()<>[]{}/%":
            out.append(byte)
        else:
            out += b"#%02X" % byte
    return bytes(out)


def text_string(text: str) -> bytes:
    """A text string: a literal for printable ASCII, else UTF-16BE with a byte-order mark."""
    if text.isascii() and text.isprintable():
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("ascii") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def ref(number: int) -> bytes:
    return b"%d 0 R" % number


def dictionary(entries: Mapping[str, bytes | None]) -> bytes:
    """``<< /Key value ... >>`` from already-serialised values (None: left out)."""
    body = b" ".join(name(key) + b" " + value for key, value in entries.items() if value is not None)
    return b"<< " + body + b" >>"


def array(values: Iterable[bytes]) -> bytes:
    return b"[" + b" ".join(values) + b"]"


def stream(
    entries: Mapping[str, bytes | None], data: bytes, compress: bool = True, level: int = FAST
) -> bytes:
    """A stream object's body; ``compress`` Flate-encodes the data (unless it is tiny) at ``level``."""
    entries = dict(entries)
    if compress and len(data) > 64:
        data = zlib.compress(data, level)
        entries["Filter"] = b"/FlateDecode"
    entries["Length"] = b"%d" % len(data)
    return dictionary(entries) + b"\nstream\n" + data + b"\nendstream"


class Body:
    """Numbered objects serialised one after the other, with their offsets.

    Object ``first`` + i is ``objects[i]``. A body made once (the blank
    form's objects) is reused as bytes in every document that starts with
    it; only the offsets move with what comes before.
    """

    def __init__(self, first: int = 1) -> None:
        self.first = first
        self.chunks: list[bytes] = []
        self.offsets: list[int] = []
        self.size = 0

    @property
    def next_number(self) -> int:
        return self.first + len(self.offsets)

    def add(self, body: bytes) -> int:
        number = self.next_number
        chunk = b"%d 0 obj\n" % number + body + b"\nendobj\n"
        self.offsets.append(self.size)
        self.chunks.append(chunk)
        self.size += len(chunk)
        return number

    def extend(self, other: Body) -> None:
        """Append a body whose numbering continues this one."""
        if other.first != self.next_number:
            raise ValueError(f"body starts at object {other.first}, expected {self.next_number}")
        self.offsets += [self.size + offset for offset in other.offsets]
        self.chunks += other.chunks
        self.size += other.size

    def frozen(self) -> Body:
        """The same objects as one bytes chunk (cheap to append to every document)."""
        copy = Body(self.first)
        copy.chunks = [b"".join(self.chunks)]
        copy.offsets = list(self.offsets)
        copy.size = self.size
        return copy


def document(body: Body, root: int, info: int | None) -> bytes:
    """Header, objects, cross-reference table and trailer; the ID hashes the objects."""
    if body.first != 1:
        raise ValueError("a document's objects are numbered from 1")
    data = b"".join(body.chunks)
    file_id = hashlib.md5(data).hexdigest().upper().encode("ascii")
    start = len(HEADER)
    xref = [b"xref\n0 %d\n" % (len(body.offsets) + 1), b"0000000000 65535 f \n"]
    xref += [b"%010d 00000 n \n" % (start + offset) for offset in body.offsets]
    trailer = dictionary(
        {
            "Size": b"%d" % (len(body.offsets) + 1),
            "Root": ref(root),
            "Info": ref(info) if info is not None else None,
            "ID": b"[<" + file_id + b"> <" + file_id + b">]",
        }
    )
    return b"".join(
        [HEADER, data, *xref, b"trailer\n", trailer, b"\nstartxref\n%d\n%%%%EOF\n" % (start + len(data))]
    )


def rect(values: Sequence[float]) -> bytes:
    return array(num(v) for v in values)
