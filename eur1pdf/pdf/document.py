"""Internal (the PDF writer): data pages + blank form + marks -> the finished document's bytes.

Each output page draws three layers, one over the other, each in its own
marked-content sequence so viewers, ``eur1pdf verify`` and golden
comparisons can tell them apart: ``/Blank`` shows the blank face (the Form
XObject ``/Bg``), ``/Data`` holds the certificate's data drawn in the page's
own content stream (text extractors then read it line by line; inside a
form, pdfminer's layout analysis glued a whole address into one line), and
``/Watermark`` shows the marks (the Form XObject ``/Watermark``). A draft's
marks (DRAFT, the PROVISIONAL line) are plain page content that no layer
switch hides; a final's ORIGINAL / COPY lies in the optional-content group
"Watermark".

What does not change from one certificate to the next (the blank faces, the
marks, the optional-content group) is serialised once per process as a
:class:`Template`; a certificate adds its font subsets (cached by glyph set,
:mod:`eur1pdf.pdf.fonts`), its data, a QR image, pages, metadata and the
attached data. The fonts come first in every document, so the template's
references to them hold whatever subsets a certificate needs.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Hashable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field

from eur1pdf.pdf.archival import metadata_stream, write_output_intent
from eur1pdf.pdf.content import ContentWriter, image_object
from eur1pdf.pdf.fonts import OBJECTS_PER_FONT, font_objects
from eur1pdf.pdf.matrix import IDENTITY, Matrix, format_matrix
from eur1pdf.pdf.syntax import (
    FAST,
    SMALL,
    Body,
    array,
    dictionary,
    document,
    name,
    rect,
    ref,
    stream,
    text_string,
)
from eur1pdf.placement.drawables import Page
from eur1pdf.placement.text import FontMetrics

PRODUCER = "eur1pdf"
LAYERS_CONFIGURATION = "eur1pdf layers"  # the name of the optional-content configuration (PDF/A wants one)
TEMPLATE_CACHE_SIZE = 32

Background = Sequence[Page] | bytes  # the drawn blank set, or a user's PDF


def pdf_date(day: dt.date) -> str:
    return f"D:{day:%Y%m%d}000000Z"


def _form_object(bbox: Sequence[float], resources: bytes, content: bytes, level: int) -> bytes:
    entries = {"Type": b"/XObject", "Subtype": b"/Form", "BBox": rect(bbox), "Resources": resources}
    return stream(entries, content, level=level)


def _parts(body: Body, writer: ContentWriter, level: int = FAST) -> tuple[list[int], list[int]]:
    """Add the images and inner forms a layer uses; their object numbers."""
    images = [body.add(image_object(picture)) for picture in writer.images]
    forms = [body.add(_form_object(bbox, b"<< >>", content, level)) for content, bbox in writer.forms]
    return images, forms


def _form(
    page: Page,
    writer: ContentWriter,
    font_refs: Mapping[FontMetrics, int],
    parts: tuple[list[int], list[int]],
    level: int = FAST,
) -> bytes:
    """A page's layer as a Form XObject the size of the page."""
    resources = writer.resources(font_refs, *parts)
    return _form_object((0, 0, page.width, page.height), resources, writer.content(), level)


@dataclass(frozen=True)
class Template:
    """The objects every certificate of one kind shares, serialised once.

    ``fonts`` are objects 1 … 5·len(fonts) of every document (their subsets
    vary), ``body`` the objects after them: blank faces, marks, the
    optional-content group.
    """

    fonts: tuple[FontMetrics, ...]
    codepoints: Mapping[FontMetrics, frozenset[int]]
    body: Body
    faces: Mapping[int, int]  # blank page index -> form object
    marks: Mapping[int, int]  # marks page index -> form object
    ocg: int | None


def _build_template(
    background: Background | None,
    faces: tuple[int, ...],
    marks: Sequence[Page] | None,
    wanted: tuple[int, ...],
    switchable: bool,
) -> Template:
    drawn: Sequence[Page] = () if background is None or isinstance(background, bytes) else background
    drawn_faces = faces if drawn else ()
    static = [(drawn[i], ContentWriter()) for i in drawn_faces]
    static += [(marks[i], ContentWriter()) for i in wanted] if marks is not None else []
    codepoints: dict[FontMetrics, set[int]] = {}
    for page, writer in static:
        writer.draw(page.items)
        for font, used in writer.fonts.items():
            codepoints.setdefault(font, set()).update(used)
    fonts = tuple(sorted(codepoints, key=lambda f: f.name))
    font_refs = {font: 1 + OBJECTS_PER_FONT * n for n, font in enumerate(fonts)}
    body = Body(1 + OBJECTS_PER_FONT * len(fonts))
    face_forms: dict[int, int] = {}
    if isinstance(background, bytes):
        from eur1pdf.pdf.imported import foreign_forms  # pikepdf: imported for a user's --blank only

        foreign, numbers = foreign_forms(background, body.first)
        body.extend(foreign)
        face_forms = {i: numbers[i] for i in faces}
    writers = iter(static)
    for i in drawn_faces:
        page, writer = next(writers)
        face_forms[i] = body.add(_form(page, writer, font_refs, _parts(body, writer, SMALL), SMALL))
    mark_forms: dict[int, int] = {}
    for i in wanted:
        page, writer = next(writers)
        mark_forms[i] = body.add(_form(page, writer, font_refs, _parts(body, writer, SMALL), SMALL))
    ocg = None
    if wanted and switchable:
        ocg = body.add(dictionary({"Type": b"/OCG", "Name": text_string("Watermark")}))
    return Template(
        fonts, {f: frozenset(c) for f, c in codepoints.items()}, body.frozen(), face_forms, mark_forms, ocg
    )


class SharedTemplates(dict[Hashable, Template]):
    """A caller's store of templates, under its own names for a background and marks (a prepared
    layout keeps one: the objects are then serialised once per process and layout)."""


TemplateCache = MutableMapping[Hashable, Template]
_TEMPLATES_LOCK = threading.Lock()  # render_many may run on a thread pool


def template(
    background: Background | None,
    faces: tuple[int, ...],
    marks: Sequence[Page] | None,
    wanted: tuple[int, ...],
    cache: TemplateCache | None = None,
    key: Hashable = None,
    switchable: bool = False,
) -> Template:
    """The shared objects for this background, faces and marks.

    ``cache`` belongs to the caller, who knows what ``key`` (its name for this
    background and these marks) stands for: a prepared layout keeps one, so
    the objects are serialised once per process and layout; it holds at most
    ``TEMPLATE_CACHE_SIZE`` entries, the least recently used going first.
    ``switchable`` puts the marks in the optional-content group "Watermark".
    """
    if cache is None:
        return _build_template(background, faces, marks, wanted, switchable)
    full_key = (key, faces, wanted, switchable)
    with _TEMPLATES_LOCK:
        found = cache.get(full_key)
        if found is not None:
            cache[full_key] = cache.pop(full_key)  # most recently used last
            return found
    made = _build_template(background, faces, marks, wanted, switchable)
    with _TEMPLATES_LOCK:
        cache[full_key] = made
        while len(cache) > TEMPLATE_CACHE_SIZE:
            del cache[next(iter(cache))]
    return made


@dataclass(frozen=True)
class DocumentSpec:
    """Everything one document is made of, for :func:`compose`.

    ``pages``: the data pages, each stacked on its blank face (``background``
    through ``face_index``; none when ``background`` is None). ``data_matrix``
    (a b c d e f, PDF points) moves the data layer alone, as a printer profile
    asks; the blank face stays put. ``issue_date`` None leaves the document
    dates out. ``marks`` pages are drawn over the pages: page
    ``marks_pages[n]`` over output page n (all: the first); with
    ``marks_switchable`` in the optional-content group "Watermark", else as
    page content no viewer can hide. ``metadata`` goes into the document
    info and the XMP packet (keys without the slash); ``attachment`` (name,
    bytes) is embedded as the document's associated file. ``pdfa`` makes a
    PDF/A-3b document (:mod:`eur1pdf.pdf.archival`).
    """

    pages: Sequence[Page]
    title: str
    background: Background | None = None
    face_index: Mapping[str, int] = field(default_factory=dict)
    issue_date: dt.date | None = None
    data_matrix: Matrix | None = None
    marks: Sequence[Page] | None = None
    marks_pages: Sequence[int | None] | None = None
    marks_switchable: bool = False
    metadata: Mapping[str, str] | None = None
    attachment: tuple[str, bytes] | None = None
    template_cache: TemplateCache | None = None  # where the shared objects are kept (None: made anew)
    template_key: Hashable = None  # the caller's name for this background and these marks
    pdfa: bool = False


def compose(spec: DocumentSpec) -> bytes:
    """The document's bytes, written in phases: fonts and shared objects, pages, info and XMP,
    attachment, catalog (object numbers follow that order, so the output is deterministic)."""
    marks_pages = _marks_per_page(spec)
    faces = (
        tuple(sorted({spec.face_index[p.face] for p in spec.pages})) if spec.background is not None else ()
    )
    wanted = tuple(sorted({m for m in marks_pages if m is not None}))
    shared = template(
        spec.background,
        faces,
        spec.marks,
        wanted,
        spec.template_cache,
        spec.template_key,
        spec.marks_switchable,
    )
    writers = [ContentWriter().draw(page.items) for page in spec.pages]
    body = Body(1)
    font_refs = _write_fonts(body, shared, writers)
    pages_ref = _write_pages(body, spec, shared, writers, font_refs, marks_pages)
    stamp = pdf_date(spec.issue_date) if spec.issue_date is not None else None
    info, xmp = _write_info_and_xmp(body, spec, stamp)
    attached = _write_attachment(body, spec.attachment, stamp)
    intents = write_output_intent(body) if spec.pdfa else None
    root = _write_catalog(body, pages_ref, xmp, attached, shared.ocg, intents)
    return document(body, root, info)


def _marks_per_page(spec: DocumentSpec) -> list[int | None]:
    """Which marks page lies over each output page (None: no marks)."""
    if spec.marks is None:
        return [None] * len(spec.pages)
    if spec.marks_pages is None:
        return [0] * len(spec.pages)
    return list(spec.marks_pages)


def _write_fonts(body: Body, shared: Template, writers: Sequence[ContentWriter]) -> dict[FontMetrics, int]:
    """The fonts first (the template's, then those only the data uses), the template's objects
    between them: every document's first objects, so the template's references to them hold."""
    data_chars: dict[FontMetrics, set[int]] = {}
    for writer in writers:
        for font, cps in writer.fonts.items():
            data_chars.setdefault(font, set()).update(cps)
    extra = sorted((f for f in data_chars if f not in shared.codepoints), key=lambda f: f.name)
    none: frozenset[int] = frozenset()
    font_refs: dict[FontMetrics, int] = {}
    for fonts in (shared.fonts, extra):
        for font in fonts:
            font_refs[font] = body.next_number
            fixed = shared.codepoints.get(font, none)
            body.extend(font_objects(font, fixed, data_chars.get(font, ()), body.next_number))
        if fonts is shared.fonts:  # the template's objects follow its fonts
            body.extend(shared.body)
    return font_refs


def _page_content(data: bytes, matrix: bytes, blank: bool, marks: bool, switchable: bool) -> bytes:
    """A page's content: the blank face, the data (moved by the printer profile), the marks,
    each a marked-content sequence named after its layer."""
    content = b"/Blank BMC q /Bg Do Q EMC\n" if blank else b""
    content += b"/Data BMC q " + matrix + b"\n" + data + b"Q EMC\n"
    if marks:
        tag = b"/OC /Watermark BDC" if switchable else b"/Watermark BMC"
        content += tag + b" q /Watermark Do Q EMC\n"
    return content


def _write_pages(
    body: Body,
    spec: DocumentSpec,
    shared: Template,
    writers: Sequence[ContentWriter],
    font_refs: Mapping[FontMetrics, int],
    marks_pages: Sequence[int | None],
) -> int:
    """The page tree: each page shows its blank face, its data and its marks; the tree's number."""
    parts = [_parts(body, writer) for writer in writers]
    pages_ref = body.next_number
    kids = [pages_ref + 1 + 2 * n + 1 for n in range(len(spec.pages))]
    count = b"%d" % len(spec.pages)
    body.add(dictionary({"Type": b"/Pages", "Kids": array(ref(k) for k in kids), "Count": count}))
    matrix = b""
    if spec.data_matrix is not None and tuple(spec.data_matrix) != IDENTITY:
        matrix = format_matrix(spec.data_matrix) + b" "
    for n, (page, writer) in enumerate(zip(spec.pages, writers, strict=True)):
        shown: dict[str, bytes] = {}
        if spec.background is not None:
            shown["Bg"] = ref(shared.faces[spec.face_index[page.face]])
        mark = marks_pages[n]
        if mark is not None:
            shown["Watermark"] = ref(shared.marks[mark])
        properties = None
        if mark is not None and shared.ocg is not None:
            properties = dictionary({"Watermark": ref(shared.ocg)})
        data = writer.content()
        content = _page_content(data, matrix, "Bg" in shown, mark is not None, properties is not None)
        contents = body.add(stream({}, content))
        resources = writer.resources(font_refs, *parts[n], more_xobjects=shown, properties=properties)
        box = rect((0, 0, round(page.width, 4), round(page.height, 4)))
        body.add(
            dictionary(
                {
                    "Type": b"/Page",
                    "Parent": ref(pages_ref),
                    "MediaBox": box,
                    "Resources": resources,
                    "Contents": ref(contents),
                }
            )
        )
    return pages_ref


def _info_entries(spec: DocumentSpec, stamp: str | None) -> dict[str, str]:
    """The document information entries (keys without the slash), which the XMP packet repeats."""
    entries = {"Title": spec.title, "Producer": PRODUCER, "Creator": PRODUCER}
    if stamp is not None:
        entries["CreationDate"] = entries["ModDate"] = stamp
    entries.update(spec.metadata or {})
    return entries


def _write_info_and_xmp(body: Body, spec: DocumentSpec, stamp: str | None) -> tuple[int, int]:
    """The document information dictionary and the same entries as XMP."""
    entries = _info_entries(spec, stamp)
    info = body.add(dictionary({key: text_string(value) for key, value in entries.items()}))
    xmp = body.add(metadata_stream(entries, spec.pdfa))
    return info, xmp


def _write_attachment(
    body: Body, attachment: tuple[str, bytes] | None, stamp: str | None
) -> tuple[int, bytes] | None:
    """The attached file (the data the page was drawn from: AFRelationship /Source); its file
    specification's object number and the catalog's /Names entry for it."""
    if attachment is None:
        return None
    filename, data = attachment
    params = {"Size": b"%d" % len(data)}
    if stamp is not None:
        params["CreationDate"] = params["ModDate"] = text_string(stamp)
    kind = {"Type": b"/EmbeddedFile", "Subtype": name("application/json"), "Params": dictionary(params)}
    embedded = body.add(stream(kind, data))
    spec = body.add(
        dictionary(
            {
                "Type": b"/Filespec",
                "F": text_string(filename),
                "UF": text_string(filename),
                "Desc": text_string("certificate data (canonical JSON)"),
                "EF": dictionary({"F": ref(embedded), "UF": ref(embedded)}),
                "AFRelationship": b"/Source",
            }
        )
    )
    names = dictionary({"Names": array([text_string(filename), ref(spec)])})
    return spec, dictionary({"EmbeddedFiles": names})


def _write_catalog(
    body: Body,
    pages_ref: int,
    xmp: int,
    attached: tuple[int, bytes] | None,
    ocg: int | None,
    intents: bytes | None,
) -> int:
    """The catalog: pages, metadata, the attachment (also as the associated file, /AF), the
    layers' named configuration and, for PDF/A, the output intent."""
    oc_properties = None
    if ocg is not None:
        ocgs = array([ref(ocg)])
        default = {"Name": text_string(LAYERS_CONFIGURATION), "ON": ocgs, "Order": ocgs}
        oc_properties = dictionary({"OCGs": ocgs, "D": dictionary(default)})
    catalog = {
        "Type": b"/Catalog",
        "Pages": ref(pages_ref),
        "Metadata": ref(xmp),
        "Names": attached[1] if attached is not None else None,
        "AF": array([ref(attached[0])]) if attached is not None else None,
        "OCProperties": oc_properties,
        "OutputIntents": intents,
    }
    return body.add(dictionary(catalog))
