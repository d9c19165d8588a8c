"""``declare``: a declaration's data and the user's invoice in, the stamped invoice out.

The library function behind ``eur1pdf declare``, ``eur1pdf.declare`` and
``POST /v1/declarations``: validate, check the rules, make the text, stamp,
record what was declared in the file's metadata (the retention period
among it: the exporter keeps a copy that long, instruction 1.4).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eur1pdf.declaration.model import Declaration, Placement, declaration_from_data
from eur1pdf.declaration.rules import check_declaration, retention_years
from eur1pdf.declaration.wording import DeclarationText, declaration_text
from eur1pdf.rules.findings import DECL_PLACEMENT, MISSING_GLYPH, Finding, RuleViolation

if TYPE_CHECKING:
    from eur1pdf.declaration.stamp import Stamped

# Findings after which there is no wording to print: no such agreement, no declaration, no such language.
NO_WORDING = {"agreement.unknown", "declaration.not_allowed", "declaration.language"}


@dataclass(frozen=True)
class DeclareResult:
    """The stamped PDF, where the declaration went, the findings (warnings) and the metadata written."""

    pdf: bytes
    findings: list[Finding]
    placement: dict[str, Any]
    metadata: dict[str, Any]


def checked(
    data: Declaration | dict[str, Any], allow_errors: bool = False
) -> tuple[Declaration, list[Finding]]:
    """The validated declaration and its findings; errors raise :class:`RuleViolation` unless allowed."""
    decl = declaration_from_data(data)
    findings = check_declaration(decl)
    no_text = any(f.code in NO_WORDING for f in findings)  # nothing to print, even for a draft
    if (no_text or not allow_errors) and any(f.severity == "error" for f in findings):
        raise RuleViolation(findings)
    return decl, findings


def text_of(data: Declaration | dict[str, Any]) -> DeclarationText:
    """The declaration's wording alone, for an ERP that prints it itself (``declare --text``)."""
    decl, _ = checked(data)
    return declaration_text(decl)


def metadata(decl: Declaration, text: DeclarationText) -> dict[str, Any]:
    """What the output records about the declaration (in the PDF's document information)."""
    return {
        "kind": decl.kind,
        "agreement": decl.agreement,
        "language": text.language,
        "wording": text.wording,
        "wording_confirmed": text.confirmed,
        "retention_years": retention_years(decl),
        "document": decl.document.number,
        "date": decl.date.isoformat(),
    }


def _check_glyphs(text: DeclarationText) -> None:
    """A character the stamp's font lacks is refused before anything is drawn (as for certificates)."""
    from eur1pdf.declaration.layout import fonts

    missing = fonts()[0].missing(text.plain().replace("\n", " ")) + fonts()[1].missing("".join(text.heading))
    if missing:
        chars = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in dict.fromkeys(missing))
        raise RuleViolation(
            [MISSING_GLYPH(None, f"the declaration's font has no glyph for {chars}: transliterate")]
        )


def covered(original: bytes, stamped: Stamped) -> list[Finding]:
    """A warning when a declaration placed by the user covers what the page shows."""
    from eur1pdf.declaration.free_area import MM, Rect, TooManyObjects, read_page

    x, y = stamped.x_mm * MM, stamped.y_mm * MM
    rect = Rect(x, y, x + stamped.width_mm * MM, y + stamped.height_mm * MM)
    try:
        taken = read_page(original, stamped.page - 1).taken
    except TooManyObjects as exc:  # the user's own placement stands: say it was not checked
        return [DECL_PLACEMENT("placement", f"not checked for what it covers: {exc}")]
    hits = [box for box in taken if box.overlaps(rect)]
    if not hits:
        return []
    return [
        DECL_PLACEMENT(
            "placement",
            f"the declaration at {stamped.x_mm:g},{stamped.y_mm:g} mm on page {stamped.page} covers "
            f"{len(hits)} object(s) of the page: choose another position, or leave it to eur1pdf",
        )
    ]


def declare(
    invoice: bytes | str | Path,
    data: Declaration | dict[str, Any],
    *,
    placement: Placement | dict[str, Any] | None = None,
    allow_errors: bool = False,
) -> DeclareResult:
    """Stamp the declaration onto ``invoice`` (PDF bytes or a path); placement: the data's, else found."""
    from eur1pdf.declaration.stamp import save, stamp  # pikepdf and fontTools: only when stamping

    pdf_bytes = invoice if isinstance(invoice, bytes) else Path(invoice).read_bytes()
    decl, findings = checked(data, allow_errors)
    where = placement if placement is not None else decl.placement
    if isinstance(where, dict):
        where = Placement.model_validate(where)
    text = declaration_text(decl)
    _check_glyphs(text)
    pdf, stamped = stamp(pdf_bytes, text, where)
    if where is not None:
        findings = [*findings, *covered(pdf_bytes, stamped)]
    meta = metadata(decl, text)
    pdf.docinfo["/Eur1pdfDeclaration"] = json.dumps(meta, sort_keys=True, ensure_ascii=False)
    pdf.docinfo["/Eur1pdfRetentionYears"] = str(meta["retention_years"])
    return DeclareResult(save(pdf), findings, stamped.to_dict(), meta)
