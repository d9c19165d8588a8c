"""Data overlay + blank form -> the finished document, with pikepdf.

Each output page is built by hand as two Form XObjects drawn one over the
other (``/Bg`` the blank face, ``/Data`` the overlay). pikepdf's
``add_overlay`` would pick random resource names and break byte-for-byte
reproducibility; naming them ourselves keeps the output deterministic, and a
blank face used by several pages (split certificates) is stored once.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pikepdf

from .drawing import Page
from .printer import IDENTITY, format_matrix

PRODUCER = "eur1pdf"


@lru_cache(maxsize=16)
def _blank_bytes(path: str, mtime_ns: int) -> bytes:
    return Path(path).read_bytes()


def read_blank(path: Path) -> bytes:
    """The blank form's bytes, read once per process (and again if the file changes)."""
    return _blank_bytes(str(path), path.stat().st_mtime_ns)


def pdf_date(day: dt.date) -> str:
    return f"D:{day:%Y%m%d}000000Z"


def compose(
    overlay: bytes,
    pages: Sequence[Page],
    blank: bytes | None,
    face_index: dict[str, int],
    title: str,
    issue_date: dt.date | None,
    data_matrix: Sequence[float] | None = None,
    watermark: bytes | None = None,
) -> bytes:
    """Stack each overlay page on its blank face (or alone when ``blank`` is None).

    ``data_matrix`` (a b c d e f, PDF points) moves the data layer alone, as
    a printer profile asks (:mod:`eur1pdf.printer`); the blank face stays put.
    ``issue_date`` None leaves the document dates out. ``watermark`` (a
    one-page PDF) is drawn over every page inside the optional-content group
    "Watermark", so it is a layer viewers and comparisons can recognise.
    """
    out = pikepdf.new()
    data_pdf = pikepdf.open(io.BytesIO(overlay))
    blank_pdf = pikepdf.open(io.BytesIO(blank)) if blank is not None else None
    backgrounds: dict[str, pikepdf.Object] = {}
    marks_form = ocg = None
    if watermark is not None:
        with pikepdf.open(io.BytesIO(watermark)) as marks_pdf:
            marks_form = out.copy_foreign(marks_pdf.pages[0].as_form_xobject())
        ocg = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("Watermark")))
        out.Root.OCProperties = pikepdf.Dictionary(
            OCGs=pikepdf.Array([ocg]),
            D=pikepdf.Dictionary(ON=pikepdf.Array([ocg]), Order=pikepdf.Array([ocg])),
        )
    for number, page in enumerate(pages):
        data_form = out.copy_foreign(data_pdf.pages[number].as_form_xobject())
        xobjects = pikepdf.Dictionary(Data=data_form)
        content = b"q /Data Do Q\n"
        if data_matrix is not None and tuple(data_matrix) != IDENTITY:
            content = b"q " + format_matrix(tuple(data_matrix)) + b" /Data Do Q\n"  # type: ignore[arg-type]
        if blank_pdf is not None:
            if page.face not in backgrounds:
                source = blank_pdf.pages[face_index[page.face]]
                backgrounds[page.face] = out.copy_foreign(source.as_form_xobject())
            xobjects.Bg = backgrounds[page.face]
            content = b"q /Bg Do Q\n" + content
        resources = pikepdf.Dictionary(XObject=xobjects)
        if marks_form is not None:
            xobjects.Watermark = marks_form
            resources.Properties = pikepdf.Dictionary(Watermark=ocg)
            content += b"/OC /Watermark BDC q /Watermark Do Q EMC\n"
        page_dict = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, round(page.width, 4), round(page.height, 4)]),
            Resources=resources,
            Contents=out.make_stream(content),
        )
        out.pages.append(pikepdf.Page(page_dict))
    info = pikepdf.Dictionary(
        Title=pikepdf.String(title),
        Producer=pikepdf.String(PRODUCER),
        Creator=pikepdf.String(PRODUCER),
    )
    if issue_date is not None:
        stamp = pdf_date(issue_date)
        info.CreationDate = pikepdf.String(stamp)
        info.ModDate = pikepdf.String(stamp)
    out.docinfo = out.make_indirect(info)
    buffer = io.BytesIO()
    out.save(
        buffer,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
    return buffer.getvalue()
