"""The declaration stamped onto the user's own PDF (invoice, delivery note, CN22/CN23).

The user's pages stay as they are: the declaration is a new content stream
added to one page (the page's own streams are wrapped in ``q``/``Q`` by two
new streams around them, so their bytes do not change) with its font added
to a copy of the page's resources; or it goes on a page added at the end.
The file is saved without recompressing or rewriting any stream, with an ID
made from the content, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import math
import zlib
from dataclasses import dataclass

import pikepdf

from eur1pdf.declaration.free_area import LIMITS, MM, PageContent, Rect, free_rectangles, read_page
from eur1pdf.declaration.layout import MIN_WIDTH, Block, fitting_block, fonts, layout
from eur1pdf.declaration.model import Placement
from eur1pdf.declaration.page_limits import check_page_drawing
from eur1pdf.declaration.wording import DeclarationText
from eur1pdf.errors import Eur1pdfError
from eur1pdf.pdf.fonts import embeddable, encode, font_program
from eur1pdf.placement.text import FontMetrics

FONT_NAMES = ("/Eur1pdfDecl0", "/Eur1pdfDecl1")  # regular, bold: names no page of ours uses
FRAME_GRAY = 0.45


class StampError(Eur1pdfError):
    """The invoice PDF cannot be read or stamped (encrypted, broken, no such page)."""


@dataclass(frozen=True)
class Stamped:
    """Where the declaration went: the page (1-based), added or not, its rectangle in mm from the top-left."""

    page: int
    added_page: bool
    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float
    font_size: float

    def to_dict(self) -> dict[str, float | int | bool]:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def open_invoice(data: bytes) -> pikepdf.Pdf:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise StampError("the invoice PDF is encrypted: give eur1pdf an unencrypted copy") from None
    except pikepdf.PdfError as exc:
        raise StampError(f"the invoice is not a readable PDF ({exc})") from None
    if len(pdf.pages) == 0:
        raise StampError("the invoice PDF has no pages")
    _check_invoice_limits(pdf)
    return pdf


def _check_invoice_limits(pdf: pikepdf.Pdf) -> None:
    """Pages and page sizes within data/invoice_limits.toml, before any page is read (a huge page
    makes a huge grid of free cells); a box that is not four numbers is a clear error too."""
    if len(pdf.pages) > LIMITS["max_pages"]:
        raise StampError(f"the invoice has {len(pdf.pages):,} pages, more than {LIMITS['max_pages']:,}")
    for number, page in enumerate(pdf.pages, start=1):
        try:
            _, _, width, height = _page_box(page)
            rotate = int(page.obj.get("/Rotate", 0))
        except (TypeError, ValueError, pikepdf.PdfError):
            message = f"the invoice's page {number} has a page box or /Rotate that is not numbers"
            raise StampError(message) from None
        if not (math.isfinite(width) and math.isfinite(height) and rotate % 90 == 0):
            raise StampError(f"the invoice's page {number} has an unreadable page box or /Rotate")
        if max(width, height) > LIMITS["max_page_side_pt"]:
            raise StampError(
                f"the invoice's page {number} is {width / MM:.0f} x {height / MM:.0f} mm, larger than "
                f"an invoice page may be ({LIMITS['max_page_side_pt'] / MM:.0f} mm a side)"
            )
    check_page_drawing(pdf.pages[-1], len(pdf.pages))  # the page searched for free space


def _page_box(page: pikepdf.Page) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in page.cropbox)
    return min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0)


A4 = (595.0, 842.0)
Place = tuple[int, Rect, Block, tuple[float, float]]


def choose_place(data: bytes, pdf: pikepdf.Pdf, text: DeclarationText, placement: Placement | None) -> Place:
    """The page index (len(pages): a page to add), the rectangle, the block that fits there and the
    size of the page (of the page to add: the last page's, or A4 when that is too small, e.g. a CN22)."""
    _, _, width, height = _page_box(pdf.pages[-1])
    if placement is not None:
        index = (placement.page or len(pdf.pages)) - 1
        if not 0 <= index < len(pdf.pages):
            raise StampError(
                f"placement.page: the invoice has {len(pdf.pages)} page(s), not {placement.page}"
            )
        check_page_drawing(pdf.pages[index], index + 1)  # read to warn of what the stamp covers
        block = layout(text, placement.width_mm * MM, 9.0)
        x, y = placement.x_mm * MM, placement.y_mm * MM
        _, _, page_width, page_height = _page_box(pdf.pages[index])
        if x + block.width > page_width or y + block.height > page_height:
            raise StampError(
                f"placement: the declaration ({block.width / MM:.0f} x {block.height / MM:.0f} mm) "
                f"does not fit on page {index + 1} at {placement.x_mm:g},{placement.y_mm:g} mm"
            )
        return index, Rect(x, y, x + block.width, y + block.height), block, (page_width, page_height)
    index = len(pdf.pages) - 1
    if int(pdf.pages[index].obj.get("/Rotate", 0)) % 360 == 0:
        content = read_page(data, index)
        content = PageContent(content.width, content.height, content.taken + _annotations(pdf.pages[index]))
        found = _largest_fit(content, text)
        if found is not None:
            return index, *found, (width, height)
    for size in ((width, height), A4):
        found = _largest_fit(PageContent(*size, ()), text)
        if found is not None:
            return len(pdf.pages), *found, size
    raise StampError("the declaration does not fit even on an empty A4 page")


def _annotations(page: pikepdf.Page) -> tuple[Rect, ...]:
    """The rectangles of the page's annotations (form fields, links, stamps): not page content, but
    shown on it, so taken too."""
    x0, y0, _, height = _page_box(page)
    boxes = []
    for annot in page.obj.get("/Annots", pikepdf.Array()):
        rect = annot.get("/Rect") if isinstance(annot, pikepdf.Dictionary) else None
        if rect is not None and len(rect) == 4:
            ax0, ay0, ax1, ay1 = (float(v) for v in rect)
            top = y0 + height - max(ay0, ay1)
            boxes.append(Rect(min(ax0, ax1) - x0, top, max(ax0, ax1) - x0, top + abs(ay1 - ay0)))
    return tuple(boxes)


def _largest_fit(content: PageContent, text: DeclarationText) -> tuple[Rect, Block] | None:
    """The largest free rectangle the declaration fits in, the block placed at its top-left."""
    tried: dict[tuple[int, int], Block | None] = {}
    for area in free_rectangles(content, MIN_WIDTH):
        key = (round(area.width), round(area.height))
        if key not in tried:
            tried[key] = fitting_block(text, area.width, area.height)
        block = tried[key]
        if block is not None:
            return Rect(area.x0, area.top, area.x0 + block.width, area.top + block.height), block
    return None


def _content(block: Block, rect: Rect, box: tuple[float, float, float, float]) -> bytes:
    """The declaration's operators: a thin frame and its lines, in the page's own coordinates."""
    x0, y0, _, height = box
    left, top = x0 + rect.x0, y0 + height - rect.top
    regular, bold = fonts()
    ops = [b"q", b"%.2f G 0.5 w" % FRAME_GRAY]
    ops.append(b"%.2f %.2f %.2f %.2f re S" % (left, top - block.height, block.width, block.height))
    ops.append(b"0 g BT")
    for line in block.lines:
        if not line.text:
            continue
        font = bold if line.bold else regular
        ops.append(b"%s %.1f Tf" % (FONT_NAMES[line.bold].encode(), block.size))
        ops.append(b"1 0 0 1 %.2f %.2f Tm %s Tj" % (left + 2 * MM, top - line.y, encode(font, line.text)))
    ops.append(b"ET Q")
    return b"\n".join(ops) + b"\n"


def _font_object(pdf: pikepdf.Pdf, font: FontMetrics, text: str) -> pikepdf.Object:
    """A Type0 font (Identity-H, TrueType outlines) subset to ``text``, as eur1pdf's writer makes them."""
    base, data, glyphs, to_unicode = embeddable(font, text)
    program = font_program(font)
    widths: list[int | pikepdf.Array] = []
    for gid in sorted(glyphs):
        widths += [gid, pikepdf.Array([program.widths.get(gid, 0)])]
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name("/" + base),
        Flags=4,
        FontBBox=pikepdf.Array([round(v) for v in program.tables.bbox]),
        ItalicAngle=round(program.tables.italic_angle),
        Ascent=round(program.tables.ascent),
        Descent=round(program.tables.descent),
        CapHeight=round(program.tables.cap_height),
        StemV=program.tables.stem_v,
        FontFile2=_stream(pdf, data, Length1=len(data)),
    )
    cid = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name("/" + base),
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=1000,
        W=pikepdf.Array(widths),
        CIDToGIDMap=pikepdf.Name.Identity,
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type0,
            BaseFont=pikepdf.Name("/" + base),
            Encoding=pikepdf.Name("/Identity-H"),
            DescendantFonts=pikepdf.Array([pdf.make_indirect(cid)]),
            ToUnicode=_stream(pdf, to_unicode),
        )
    )


def _stream(pdf: pikepdf.Pdf, data: bytes, **extra: int) -> pikepdf.Stream:
    """A Flate stream compressed here (the save does not recompress anything)."""
    stream = pikepdf.Stream(pdf, zlib.compress(data, 9))
    stream.Filter = pikepdf.Name.FlateDecode
    for key, value in extra.items():
        stream[f"/{key}"] = value
    return stream


def _add_resources(pdf: pikepdf.Pdf, page: pikepdf.Page, block: Block) -> None:
    """The page's resources copied (they may be shared with other pages), with our two fonts added."""
    regular, bold = fonts()
    old = page.obj.get("/Resources")
    resources = (
        pikepdf.Dictionary({k: v for k, v in old.items()}) if old is not None else pikepdf.Dictionary()
    )
    old_fonts = resources.get("/Font")
    font_dict = (
        pikepdf.Dictionary({k: v for k, v in old_fonts.items()})
        if old_fonts is not None
        else pikepdf.Dictionary()
    )
    for name, font, bold_line in ((FONT_NAMES[0], regular, False), (FONT_NAMES[1], bold, True)):
        used = "".join(line.text for line in block.lines if line.bold == bold_line)
        font_dict[name] = _font_object(pdf, font, used)
    resources["/Font"] = font_dict
    page.obj.Resources = resources


def stamp(data: bytes, text: DeclarationText, placement: Placement | None) -> tuple[pikepdf.Pdf, Stamped]:
    """The invoice with the declaration added (the caller adds metadata and saves)."""
    pdf = open_invoice(data)
    index, rect, block, size = choose_place(data, pdf, text, placement)
    added = index == len(pdf.pages)
    if added:
        pdf.add_blank_page(page_size=size)
    page = pdf.pages[index]
    box = _page_box(page)
    _add_resources(pdf, page, block)
    if not added:
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
        page.contents_add(pikepdf.Stream(pdf, b"Q\n"))
    page.contents_add(_stream(pdf, _content(block, rect, box)))
    where = Stamped(
        index + 1, added, rect.x0 / MM, rect.top / MM, block.width / MM, block.height / MM, block.size
    )
    return pdf, where


def save(pdf: pikepdf.Pdf) -> bytes:
    """The stamped file: no stream decoded or recompressed, an ID from the content."""
    out = io.BytesIO()
    pdf.save(
        out,
        deterministic_id=True,
        compress_streams=False,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        object_stream_mode=pikepdf.ObjectStreamMode.preserve,
    )
    return out.getvalue()


__all__ = ["StampError", "Stamped", "save", "stamp"]
