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
import threading
import zlib
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


def _prepared_forms(pdf_bytes: bytes) -> tuple[pikepdf.Pdf, list[pikepdf.Object]]:
    return _prepared_forms_in_thread(pdf_bytes, threading.get_ident())


@lru_cache(maxsize=32)
def _prepared_forms_in_thread(pdf_bytes: bytes, thread: int) -> tuple[pikepdf.Pdf, list[pikepdf.Object]]:
    """Each page of a PDF as a compressed Form XObject, made once per process.

    ``as_form_xobject`` gives the page's content uncompressed; the blank
    form's guilloche would then be compressed again for every certificate,
    which was the largest cost of composing. Blank forms and marks layers are
    the same bytes object for every certificate (read or made once), so
    keying on the bytes costs one hash per process. One copy per thread:
    a pikepdf document must not be used by two threads at once.
    """
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    forms = []
    for page in pdf.pages:
        forms.append(pdf.make_indirect(_compressed(page.as_form_xobject())))
    return pdf, forms


def _compressed(form: pikepdf.Object) -> pikepdf.Object:
    """The form with its content Flate-compressed here.

    qpdf's own compression on save (``compress_streams``) took 6 ms of the
    10 ms a certificate spent in pikepdf; zlib on the few streams that need
    it takes a fraction of a millisecond.
    """
    form.write(zlib.compress(form.read_bytes(), 6), filter=pikepdf.Name.FlateDecode)
    return form


XMP_NAMESPACE = "https://eur1pdf.invalid/ns/1.0/"


def _write_xmp(pdf: pikepdf.Pdf, metadata: dict[str, str], title: str) -> None:
    """The same payload in XMP, without the editing dates pikepdf would add (determinism)."""
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        xmp.register_xml_namespace(XMP_NAMESPACE, "eur1pdf")
        xmp["dc:title"] = title
        for key, value in metadata.items():
            xmp[f"{{{XMP_NAMESPACE}}}{key}"] = value


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
    watermark_pages: Sequence[int | None] | None = None,
    metadata: dict[str, str] | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    """Stack each overlay page on its blank face (or alone when ``blank`` is None).

    ``data_matrix`` (a b c d e f, PDF points) moves the data layer alone, as
    a printer profile asks (:mod:`eur1pdf.printer`); the blank face stays put.
    ``issue_date`` None leaves the document dates out. ``watermark`` (a PDF)
    is drawn over the pages inside the optional-content group "Watermark", so
    it is a layer viewers and comparisons can recognise: its page
    ``watermark_pages[n]`` over output page n (all: its first page).
    ``metadata`` goes into the document info and the XMP packet (keys without
    the slash); ``attachment`` (name, bytes) is embedded as a file.
    """
    out = pikepdf.new()
    data_pdf = pikepdf.open(io.BytesIO(overlay))
    blank_forms = _prepared_forms(blank)[1] if blank is not None else None
    backgrounds: dict[str, pikepdf.Object] = {}
    marks_forms: list[pikepdf.Object] = []
    ocg = None
    if watermark is not None:
        marks_forms = [out.copy_foreign(form) for form in _prepared_forms(watermark)[1]]
        ocg = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("Watermark")))
        out.Root.OCProperties = pikepdf.Dictionary(
            OCGs=pikepdf.Array([ocg]),
            D=pikepdf.Dictionary(ON=pikepdf.Array([ocg]), Order=pikepdf.Array([ocg])),
        )
    for number, page in enumerate(pages):
        data_form = out.copy_foreign(_compressed(data_pdf.pages[number].as_form_xobject()))
        xobjects = pikepdf.Dictionary(Data=data_form)
        content = b"q /Data Do Q\n"
        if data_matrix is not None and tuple(data_matrix) != IDENTITY:
            content = b"q " + format_matrix(tuple(data_matrix)) + b" /Data Do Q\n"  # type: ignore[arg-type]
        if blank_forms is not None:
            if page.face not in backgrounds:
                backgrounds[page.face] = out.copy_foreign(blank_forms[face_index[page.face]])
            xobjects.Bg = backgrounds[page.face]
            content = b"q /Bg Do Q\n" + content
        resources = pikepdf.Dictionary(XObject=xobjects)
        mark = (watermark_pages[number] if watermark_pages is not None else 0) if marks_forms else None
        if mark is not None:
            xobjects.Watermark = marks_forms[mark]
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
    for key, value in (metadata or {}).items():
        info[f"/{key}"] = pikepdf.String(value)
    out.docinfo = out.make_indirect(info)
    if metadata:
        _write_xmp(out, metadata, title)
    if attachment is not None:
        name, data = attachment
        stamp_date = pdf_date(issue_date) if issue_date is not None else None
        spec = pikepdf.AttachedFileSpec(
            out,
            data,
            description="certificate data (canonical JSON)",
            filename=name,
            mime_type="application/json",
            creation_date=stamp_date or "",
            mod_date=stamp_date or "",
        )
        out.attachments[name] = spec
    buffer = io.BytesIO()
    out.save(
        buffer,
        deterministic_id=True,
        # Every large stream is compressed already (_compressed, reportlab's fonts); qpdf's
        # compress_streams would spend 7 ms per certificate passing them through zlib again.
        compress_streams=False,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
    return buffer.getvalue()
