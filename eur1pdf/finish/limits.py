"""What ``verify`` reads at most: a hostile file is refused by these, before it costs time or memory.

Every limit is far above what eur1pdf makes (the README's limits table, in
the Reliability section, gives them with the measured worst case), so a
genuine certificate never meets one; a file beyond one is refused with a
message naming the limit, and nothing larger than it is ever read,
inflated or rendered.
"""

from __future__ import annotations

import zlib
from decimal import Decimal

import pikepdf

MAX_FILE_BYTES = 10_000_000  # refused unopened
MAX_PAGES = 100
MAX_PAGE_SIDE_PT = 4 * 1191  # four times the long side of A3 (420 mm)
MAX_OBJECTS = 100_000
MAX_ATTACHMENT_BYTES = 1_000_000  # as the certificate file itself (the input limit)
MAX_METADATA_BYTES = 1_000_000  # the XMP packet, and each entry of the document information
MAX_DEPTH = 64  # nesting of arrays and dictionaries inside one object, walked in the comparison
MAX_PAGE_CONTENT_FACTOR = 1  # content a page may hold, inflated, beyond the re-made page's, before
# the box of a difference is looked for (a text extraction of the file)
CONTENT_SLACK_BYTES = 64_000


class LimitExceeded(ValueError):
    """The file is beyond one of the limits; the message names it."""


def check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise LimitExceeded(f"the file has {size:,} bytes, more than verify reads ({MAX_FILE_BYTES:,})")


def check_document(pdf: pikepdf.Pdf) -> None:
    """Objects, pages and page boxes within the limits, before anything is walked or rendered."""
    objects = len(pdf.objects)
    if objects > MAX_OBJECTS:
        raise LimitExceeded(f"the file has {objects:,} objects, more than verify reads ({MAX_OBJECTS:,})")
    pages = len(pdf.pages)
    if pages > MAX_PAGES:
        raise LimitExceeded(f"the file has {pages} pages, more than verify checks ({MAX_PAGES})")
    for number, page in enumerate(pdf.pages, start=1):
        for box in ("/MediaBox", "/CropBox"):
            sides = _box_sides(page.obj.get(box) if box in page.obj else page.mediabox)
            if sides is None or max(sides) > MAX_PAGE_SIDE_PT:
                raise LimitExceeded(
                    f"page {number}: the {box[1:]} is not a page box of at most {MAX_PAGE_SIDE_PT} pt a side"
                )


def _box_sides(box: object) -> tuple[float, float] | None:
    if not isinstance(box, pikepdf.Array) or len(box) != 4:
        return None
    values = [box[i] for i in range(4)]
    if not all(isinstance(v, int | Decimal | float) and not isinstance(v, bool) for v in values):
        return None
    x0, y0, x1, y1 = (float(v) for v in values)
    return abs(x1 - x0), abs(y1 - y0)


def inflate(raw: bytes, limit: int, what: str) -> bytes:
    """``raw`` inflated (zlib), refused as soon as it passes ``limit`` bytes: never a bomb in memory."""
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise LimitExceeded(f"{what} cannot be read ({exc})") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise LimitExceeded(f"{what} holds more than {limit:,} bytes")
    return data


def stream_data(stream: pikepdf.Stream, limit: int, what: str) -> bytes:
    """A stream's data, decoded only when unfiltered or Flate, and never beyond ``limit`` bytes."""
    declared = stream.stream_dict.get("/Length")
    if isinstance(declared, int) and declared > MAX_FILE_BYTES:
        raise LimitExceeded(f"{what} is longer than the file")
    raw = stream.read_raw_bytes()
    filters = stream.stream_dict.get("/Filter")
    if filters is None or (isinstance(filters, pikepdf.Array) and len(filters) == 0):
        if len(raw) > limit:
            raise LimitExceeded(f"{what} holds more than {limit:,} bytes")
        return raw
    if filters == pikepdf.Name.FlateDecode or (
        isinstance(filters, pikepdf.Array) and list(filters) == [pikepdf.Name.FlateDecode]
    ):
        if "/DecodeParms" in stream.stream_dict:
            raise LimitExceeded(f"{what} has decoding parameters eur1pdf never writes")
        return inflate(raw, limit, what)
    raise LimitExceeded(f"{what} has a filter eur1pdf never writes ({filters})")
