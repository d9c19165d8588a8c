"""Pre-flight: what a render would refuse (a character the font lacks, a value that does not fit
its box, box 8 too small for the items), found by placing the data without drawing a PDF.

``validate`` adds these findings to the rules' own, so that a certificate ``validate`` calls
fit to fill is one ``fill`` fills. Every field is placed on its own, so every field that does
not fit is reported, not only the first.
"""

from __future__ import annotations

from collections.abc import Iterator

from eur1pdf.certificate.model import Certificate
from eur1pdf.errors import FitError, MissingGlyphError
from eur1pdf.layouts.geometry import font_for
from eur1pdf.layouts.schema import Layout
from eur1pdf.placement.fields import place_field, text_fields
from eur1pdf.placement.goods import place_goods
from eur1pdf.placement.text import check_glyphs
from eur1pdf.rules.findings import MISSING_GLYPH, Finding, box_of_field, findings_from_render_error

__all__ = ["placement_findings"]


def _glyph_findings(cert: Certificate, layout: Layout) -> list[Finding]:
    """One finding per text with a character the data font lacks (every one, not the first)."""
    font = font_for(layout, "data")
    if font.characters.issuperset(cert.model_dump_json()):  # the common case, checked in one pass
        return []
    found: list[Finding] = []
    for path, text in text_fields(cert.model_dump(mode="json", by_alias=True, exclude={"form", "agreement"})):
        try:
            check_glyphs(font, text, path, box_of_field(path))
        except MissingGlyphError as exc:
            found += findings_from_render_error(exc)
    return found


def _placed_findings(cert: Certificate, layout: Layout) -> Iterator[Finding]:
    """Every field and box 8 of every face placed on its own: what does not fit, or cannot be drawn."""
    prepared = layout.prepared
    for _, _, face in layout.pages():
        for field in prepared.face_of(face).fields:
            try:
                place_field(cert, prepared, field)
            except (FitError, MissingGlyphError) as exc:
                yield from findings_from_render_error(exc)
        if face.goods is not None:
            try:
                place_goods(cert.items, layout, face)
            except FitError as exc:
                yield from findings_from_render_error(exc)


def placement_findings(cert: Certificate, layout: Layout, will_split: bool = False) -> list[Finding]:
    """What a render of ``cert`` on ``layout`` would refuse, as findings (none: it can be filled).

    ``will_split``: the items are spread over as many certificates as box 8 needs
    (``on_overflow="split"``), so each part is placed, not the whole.
    """
    from eur1pdf.plan import plan_certificates  # plan imports the placement; rules are imported first

    found = _glyph_findings(cert, layout)
    glyph_fields = [f.field or "" for f in found]
    try:
        parts = plan_certificates(cert, layout, "split" if will_split else "error")
    except FitError as exc:  # an item too long for box 8 even alone
        return found + findings_from_render_error(exc)
    seen: set[tuple[str, str | None, str]] = set()
    for part in parts:
        for finding in _placed_findings(part, layout):
            # a missing glyph is already reported on the input field (exporter.name, not exporter)
            known = finding.code == MISSING_GLYPH.code and any(
                path.startswith(finding.field or "") for path in glyph_fields
            )
            key = (finding.code, finding.field, finding.message)  # the parts of a split repeat fields
            if not known and key not in seen:
                seen.add(key)
                found.append(finding)
    return found
