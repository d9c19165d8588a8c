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
    issue_date: dt.date,
) -> bytes:
    """Stack each overlay page on its blank face (or alone when ``blank`` is None)."""
    out = pikepdf.new()
    data_pdf = pikepdf.open(io.BytesIO(overlay))
    blank_pdf = pikepdf.open(io.BytesIO(blank)) if blank is not None else None
    backgrounds: dict[str, pikepdf.Object] = {}
    for number, page in enumerate(pages):
        data_form = out.copy_foreign(data_pdf.pages[number].as_form_xobject())
        xobjects = pikepdf.Dictionary(Data=data_form)
        content = b"q /Data Do Q\n"
        if blank_pdf is not None:
            if page.face not in backgrounds:
                source = blank_pdf.pages[face_index[page.face]]
                backgrounds[page.face] = out.copy_foreign(source.as_form_xobject())
            xobjects.Bg = backgrounds[page.face]
            content = b"q /Bg Do Q\n" + content
        page_dict = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, round(page.width, 4), round(page.height, 4)]),
            Resources=pikepdf.Dictionary(XObject=xobjects),
            Contents=out.make_stream(content),
        )
        out.pages.append(pikepdf.Page(page_dict))
    stamp = pdf_date(issue_date)
    out.docinfo = out.make_indirect(
        pikepdf.Dictionary(
            Title=pikepdf.String(title),
            Producer=pikepdf.String(PRODUCER),
            Creator=pikepdf.String(PRODUCER),
            CreationDate=pikepdf.String(stamp),
            ModDate=pikepdf.String(stamp),
        )
    )
    buffer = io.BytesIO()
    out.save(
        buffer,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
    return buffer.getvalue()
