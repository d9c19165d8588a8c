"""Certificate + layout -> the data drawables of every page.

Each data field of the layout gets its lines from :mod:`eur1pdf.placement.field_sources`,
fitted into its rectangle (wrapped, shrunk down to the minimum size), or an
error that names the box and says how many lines were needed and how many fit.
"""

from __future__ import annotations

from collections.abc import Iterator

from eur1pdf.certificate.model import ITEM_FIELD_BOXES, Certificate
from eur1pdf.errors import FitError
from eur1pdf.layouts.geometry import font_for, mm_to_pt
from eur1pdf.layouts.prepared import PreparedField, PreparedLayout
from eur1pdf.layouts.schema import Face, Layout
from eur1pdf.placement.drawables import Line, Page, TextRun, text_block
from eur1pdf.placement.field_sources import Issuance, field_box, source_field, source_lines
from eur1pdf.placement.goods import place_goods
from eur1pdf.placement.qr_code import qr_image
from eur1pdf.placement.text import check_glyphs, fit, needed_and_capacity, wrap_paragraphs

LINK_HINT = (
    "; the verification link ({chars} characters) must fit the layout's qr.link on one line: "
    "shorten the verify_url template (a short host and path; the digest is needed)"
)
RULE_WIDTH_PT = 0.4  # the rule between a list's entries (box 10's invoices)
FITTED_MAX_ENTRIES = 4096  # fitted field texts kept per layout: a batch's repeated exporters, countries…


FieldItems = tuple[TextRun | Line, ...]  # a field's lines of text (and the rules between its entries)


class FittedTexts(dict[tuple[PreparedField, tuple[str, ...]], FieldItems]):
    """A layout's fitted field texts (field, its paragraphs) -> runs, kept with the prepared layout."""

    def remember(self, key: tuple[PreparedField, tuple[str, ...]], runs: FieldItems) -> None:
        """Keep a field's fitted runs for its text, within the bound (full, it starts again)."""
        if len(self) >= FITTED_MAX_ENTRIES:
            self.clear()
        self[key] = runs


def _describe(box_number: str | None, field_path: str) -> str:
    return f"box {box_number} ({field_path})" if box_number else field_path


def place_field(
    cert: Certificate, layout: PreparedLayout, prepared: PreparedField, issuance: Issuance | None = None
) -> FieldItems:
    """A field's runs for the certificate's text.

    The runs depend on the layout, the field and its text alone, and a batch
    prints the same exporter, countries and declaration on certificate after
    certificate: they are fitted once and kept with the prepared layout (a
    bounded memo). Runs are frozen values, safe to share.
    """
    paragraphs = source_lines(cert, prepared.field.source, issuance)
    if not paragraphs:
        return ()
    fitted = layout.derived(FittedTexts, FittedTexts)
    key = (prepared, tuple(paragraphs))
    runs = fitted.get(key)
    if runs is None:
        runs = tuple(_fit_field(layout.layout, prepared, paragraphs))
        fitted.remember(key, runs)
    return runs


def _fit_field(layout: Layout, prepared: PreparedField, paragraphs: list[str]) -> list[TextRun | Line]:
    if prepared.field.separator == "rule" and len(paragraphs) > 1:
        return _fit_with_rules(layout, prepared, paragraphs)
    return list(_fit_text(layout, prepared, paragraphs))


def _fit_text(layout: Layout, prepared: PreparedField, paragraphs: list[str]) -> list[TextRun]:
    field, box_number, rect = prepared.field, prepared.box_number, prepared.rect
    path = source_field(field.source)
    font = font_for(layout, field.font)
    for text in paragraphs:
        check_glyphs(font, text, path)
    style = layout.style
    max_size = field.size or style.data_size
    min_size = min(field.min_size or style.data_min_size, max_size)
    width, height = mm_to_pt(rect.w), mm_to_pt(rect.h)
    fitted = fit(font, paragraphs, width, height, max_size, min_size, style.leading, field.max_lines)
    if fitted is None:
        needed, capacity = needed_and_capacity(
            font, paragraphs, width, height, min_size, style.leading, field.max_lines
        )
        where = _describe(box_number or field_box(path), path)
        hint = LINK_HINT.format(chars=len(paragraphs[0])) if field.source == "verification.link" else ""
        raise FitError(
            f"{where}: {needed} lines needed, {capacity} fit (at the minimum size {min_size:g} pt){hint}",
            box=box_number,
            field=path,
        )
    return text_block(
        fitted.lines,
        font,
        fitted.size,
        style.leading,
        rect,
        layout.height_mm,
        field.align,
        box=box_number,
        field=path,
    )


def _fit_with_rules(layout: Layout, prepared: PreparedField, paragraphs: list[str]) -> list[TextRun | Line]:
    """A list's entries (box 10's invoices) with a thin rule in a line of its own between two:
    an entry that wraps onto a second line is not read as two."""
    gap = "\u00a0"  # a line that takes the room of the rule, in every font
    spaced = [part for entry in paragraphs for part in (gap, entry)][1:]
    runs = _fit_text(layout, prepared, spaced)
    out: list[TextRun | Line] = []
    left, right = mm_to_pt(prepared.rect.x), mm_to_pt(prepared.rect.right)
    entry_lines = [
        len(wrap_paragraphs(run.font, [p], run.size, right - left)) for p in spaced for run in runs[:1]
    ]
    index = 0
    for k, count in enumerate(entry_lines):
        for run in runs[index : index + count]:
            if k % 2 and isinstance(run, TextRun):  # the odd parts are the gaps
                middle = run.y + run.size * 0.3  # about the middle of a lower-case letter
                out.append(
                    Line(left, middle, left + (right - left) * 0.4, middle, RULE_WIDTH_PT, box=run.box)
                )
            else:
                out.append(run)
        index += count
    return out


def place_face(
    cert: Certificate,
    layout: Layout,
    face_name: str,
    face: Face,
    sheet: int,
    issuance: Issuance | None = None,
) -> Page:
    page = Page(mm_to_pt(layout.width_mm), mm_to_pt(layout.height_mm), face_name, sheet)
    prepared = layout.prepared
    for field in prepared.face_of(face).fields:  # the box fields in box order, then the face's
        page.items += place_field(cert, prepared, field, issuance)
    if face.goods is not None:
        page.items += place_goods(cert.items, layout, face)
    if face.qr is not None and issuance is not None and issuance.final and issuance.marks and issuance.link:
        page.items.append(qr_image(issuance.link, face.qr, layout.height_mm))
    return page


def text_fields(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    """Every text of the input with its field path, e.g. ('exporter.address[1]', 'Basel')."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from text_fields(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from text_fields(item, f"{path}[{i}]")


def check_certificate_glyphs(cert: Certificate, layout: Layout, canonical: bytes | None = None) -> None:
    """Refuse a character the data font lacks, naming the exact field, before drawing.

    ``canonical``: the certificate's canonical JSON when already made (it holds
    every text, and JSON's own characters are ASCII), so it is not serialised twice.
    """
    font = font_for(layout, "data")
    everything = canonical.decode("utf-8") if canonical is not None else cert.model_dump_json()
    if font.characters.issuperset(everything):  # the common case, checked in one pass
        return
    for path, text in text_fields(cert.model_dump(mode="json", by_alias=True, exclude={"form", "agreement"})):
        check_glyphs(font, text, path, _item_box(path) or field_box(path))


def all_drawable(layout: Layout, canonical: bytes) -> bool:
    """Whether the data font draws every character of a certificate's canonical JSON (one pass)."""
    return font_for(layout, "data").characters.issuperset(canonical.decode("utf-8"))


def _item_box(path: str) -> str | None:
    return ITEM_FIELD_BOXES.get(path.rsplit(".", 1)[-1]) if path.startswith("items[") else None


def place_certificate(
    cert: Certificate,
    layout: Layout,
    sheets: list[int] | None = None,
    issuance: Issuance | None = None,
    canonical: bytes | None = None,
    glyphs_checked: bool = False,
) -> list[Page]:
    """One page of data per face of the requested sheets, in print order.

    ``canonical``: the canonical JSON of the certificate (or of the whole it is a part of).
    ``glyphs_checked``: the caller has checked the glyphs of the whole this certificate is a part
    of (:func:`check_certificate_glyphs`): the parts of a split are not checked again each.
    """
    if not glyphs_checked:
        check_certificate_glyphs(cert, layout, canonical)
    return [
        place_face(cert, layout, name, face, sheet.number, issuance)
        for sheet, name, face in layout.pages(sheets)
    ]
