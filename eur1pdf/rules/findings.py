"""Findings and the rule registry: every code eur1pdf reports, with its severity and box.

Each rule has a stable code (``box8.hs_digits``), a severity, the box it
concerns and a one-line summary; the README's table of codes is generated
from these definitions (``eur1pdf codes``). The registry is complete on
import: every code, whether a check of :mod:`eur1pdf.rules.checks`, the
contract (``input.invalid``) or a render (``fit.overflow``) reports it, is
declared here, so the table never depends on which modules were loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from eur1pdf.errors import Eur1pdfError, FitError, MissingGlyphError, Problem


@dataclass(frozen=True)
class Finding:
    """One rule broken (error) or advice not followed (warning)."""

    severity: str  # error | warning
    code: str
    box: str | None
    field: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON data: ``box`` a number ("7" -> 7), or None for the whole certificate."""
        data = asdict(self)
        data["box"] = int(self.box) if self.box and self.box.isdigit() else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """A finding read back from :meth:`to_dict` (a number as box) or an older record (a string)."""
        box = data.get("box")
        return cls(
            data["severity"], data["code"], None if box is None else str(box), data["field"], data["message"]
        )

    def __str__(self) -> str:
        whole = "declaration" if self.code.startswith("declaration.") else "certificate"
        where = f"box {self.box}" if self.box else whole
        field = f", {self.field}" if self.field else ""
        return f"{self.severity}: {where}{field}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class Rule:
    """A registered code: its severity, its box (None: the certificate, or the box named per finding)."""

    code: str
    severity: str
    box: str | None
    summary: str

    def __call__(
        self, field: str | None, message: str, severity: str | None = None, *, box: str | None = None
    ) -> Finding:
        """A finding of this rule; ``box`` for the rules without a box of their own (input, render)."""
        return Finding(severity or self.severity, self.code, self.box if box is None else box, field, message)


RULES: dict[str, Rule] = {}


def rule(code: str, severity: str, box: str | None, summary: str) -> Rule:
    """Register a code (once, at import) so it is in ``eur1pdf codes`` and the README's table."""
    RULES[code] = Rule(code, severity, box, summary)
    return RULES[code]


GENERAL_AGREEMENT = "GENERAL"  # the agreement key for the general EUR.1 rules only (no agreement's own)

FORM_UNKNOWN = rule("form.unknown", "error", None, "the form names no known layout")
AGREEMENT_UNKNOWN = rule(
    "agreement.unknown", "error", None, "the agreement key is not in the agreement table"
)
AGREEMENT_MISSING = rule(
    "agreement.missing",
    "error",
    None,
    f"no agreement: name one (eur1pdf agreements), or {GENERAL_AGREEMENT!r} for the general rules only",
)
AGREEMENT_GENERAL = rule(
    "agreement.general",
    "warning",
    None,
    f"agreement {GENERAL_AGREEMENT!r}: only the general EUR.1 rules are checked, no agreement's own",
)
NO_CERTIFICATE = rule(
    "agreement.no_certificate",
    "error",
    None,
    "the agreement provides only the origin declaration on the invoice",
)
WRONG_FORM = rule(
    "agreement.form", "error", None, "the agreement requires another form (e.g. CH-CN: EUR.1 CN)"
)
SAME_PARTIES = rule("box2.same_parties", "error", "2", "box 2 names the same country twice")
CONSIGNEE = rule("box3.consignee_required", "error", "3", "the agreement makes box 3 (consignee) mandatory")
TRANSPORT = rule(
    "box6.transport_when_known", "warning", "6", "the agreement asks for box 6 (transport) when known"
)
MEMBER_STATE_4 = rule(
    "box4.member_state", "error", "4", "an EU member state instead of the EU (EU/Germany is accepted)"
)
MEMBER_STATE_5 = rule(
    "box5.member_state", "error", "5", "an EU member state instead of the EU (EU/Germany is accepted)"
)
COUNTRY_CODE = {
    box: rule(
        f"box{box}.country_code",
        "warning",
        box,
        "a country code where the name is expected (GB/UK accepted for CH-UK)",
    )
    for box in ("2", "4", "5")
}
DESTINATION_FORMAT = rule(
    "box5.destination_format", "warning", "5", "box 5 not written as the agreement asks (GCC/<country>)"
)
CUMULATION_MISSING = rule(
    "box7.cumulation_missing", "error", "7", "EUR-MED: the cumulation statement is missing"
)
CUMULATION_REFUSED = rule(
    "box7.cumulation_not_allowed", "error", "7", "a cumulation statement on a form without one"
)
HS_MISSING = rule(
    "box8.hs_missing", "error", "8", "the agreement asks for the HS code of each item (advised: warning)"
)
HS_DIGITS = rule(
    "box8.hs_digits", "error", "8", "the HS code has not the number of digits the agreement asks for"
)
CRITERION_MISSING = rule(
    "box8.origin_criterion_missing", "error", "8", "the agreement asks for the origin criterion of each item"
)
CRITERION = rule(
    "box8.origin_criterion", "error", "8", "the origin criterion is not one the agreement allows"
)
MAX_ITEMS = rule("box8.max_items", "error", "8", "more items than the agreement allows on one certificate")
MASS_MISSING = rule("box9.gross_mass_missing", "error", "9", "an item has no gross mass or other measure")
MASS_UNIT = rule(
    "box9.unit", "error", "9", "the gross mass or measure has no number with a unit (kg, l, m3 …)"
)
INVOICE_REQUIRED = rule(
    "box10.invoice_required", "error", "10", "the agreement makes box 10 (invoices) mandatory"
)
INVOICE_ADVISED = rule(
    "box10.invoice_advised", "warning", "10", "no invoice reference: recommended (advised by some agreements)"
)
ENDORSED_BEFORE = rule(
    "box11.endorsement_date",
    "error",
    "11",
    "the customs endorsement is dated before the exporter's declaration",
)
DECLARED_AFTER = rule(
    "box12.date_after_issue", "error", "12", "the exporter's declaration is dated after the issue date"
)
STATEMENT_MISSING = rule(
    "box7.statement", "error", "7", "a statement the agreement asks for in box 7 is missing"
)
rule(
    "box7.revised_rules",
    "warning",
    "7",
    "PEM: REVISED RULES in box 7 when the revised rules apply (until 31.12.2025)",
)
SHEET3_CIRCUMSTANCES = rule(
    "sheet3.circumstances",
    "error",
    None,
    "sheet 3 reverse: an export from outside Switzerland must state the circumstances (no standard wording)",
)
SHEET3_DOCUMENTS = rule(
    "sheet3.supporting_documents",
    "error",
    None,
    "sheet 3 reverse: an export from outside Switzerland must name the supporting documents",
)
SHEET3_PRE_EXAMINATION = rule(
    "sheet3.pre_examination",
    "error",
    None,
    "sheet 3 reverse: a Swiss certificate issued retrospectively needs the pre-examination (1.3.4)",
)
STATEMENT_EXPIRED = rule(
    "box7.statement_expired",
    "warning",
    "7",
    "a box 7 statement given after the date it applies until (REVISED RULES after 31.12.2025)",
)

INPUT_INVALID = rule(
    "input.invalid", "error", None, "the input does not follow the certificate format (field named)"
)
FIT_OVERFLOW = rule(
    "fit.overflow",
    "error",
    None,
    "a value does not fit its box at the smallest font size, or box 8 cannot hold the items (box named)",
)
MISSING_GLYPH = rule(
    "text.missing_glyph",
    "error",
    None,
    "a character has no glyph in the font of its box (field and box named): transliterate it",
)

# Origin declarations on the invoice and REX statements on origin (eur1pdf declare; instruction 1.4,
# 1.5, 2.2, 2.3): no box of a form, the field named in each finding.
DECL_NOT_ALLOWED = rule(
    "declaration.not_allowed", "error", None, "the agreement provides no origin declaration (GCC: EUR.1 only)"
)
DECL_VALUE_LIMIT = rule(
    "declaration.value_limit",
    "error",
    None,
    "the originating products are worth more than the agreement's limit and no approved exporter is named",
)
DECL_LIMIT_CURRENCY = rule(
    "declaration.limit_currency",
    "warning",
    None,
    "no value limit is known in the invoice's currency: check the customs list of limits",
)
DECL_APPROVED_ONLY = rule(
    "declaration.approved_exporter_required",
    "error",
    None,
    "only approved exporters may make out the declaration under this agreement (Japan, China, India)",
)
DECL_LANGUAGE = rule(
    "declaration.language", "error", None, "the wording is not available in that language for the agreement"
)
DECL_NUMBER_NOT_PRINTED = rule(
    "declaration.authorisation_not_printed",
    "warning",
    None,
    "the wording in this language has no place for the approved exporter's number: it is not printed",
)
DECL_ORIGIN = rule(
    "declaration.origin",
    "error",
    None,
    "the origin is missing, or given per item where the agreement needs it in the text",
)
DECL_NON_ORIGINATING = rule(
    "declaration.non_originating",
    "warning",
    None,
    "non-originating items: they are marked under the declaration (check the invoice marks them too)",
)
DECL_CUMULATION = rule(
    "declaration.cumulation",
    "error",
    None,
    "EUR-MED declaration without cumulation mention, or a mention where the agreement has none (1.4.2)",
)
DECL_SIGNATURE = rule(
    "declaration.signature",
    "error",
    None,
    "the signature is not one the agreement allows (electronic or code: the United Kingdom only)",
)
DECL_SIGNATORY = rule(
    "declaration.signatory", "warning", None, "no signatory's name is printed under the declaration"
)
DECL_RETROSPECTIVE = rule(
    "declaration.retrospective_late",
    "error",
    None,
    "a retrospective declaration presented more than two years after the import (1.7)",
)
DECL_REX_NUMBER = rule(
    "declaration.rex_number",
    "error",
    None,
    "a REX statement without the registered exporter's number (mandatory for Swiss exporters)",
)
DECL_REX_CRITERION = rule(
    "declaration.origin_criterion",
    "error",
    None,
    "REX: the origin criterion must be P, or W and the HS heading",
)
DECL_REX_CUMULATION = rule(
    "declaration.rex_cumulation", "error", None, "REX: the cumulation mention is not one of footnote 16"
)
DECL_REPLACEMENT = rule(
    "declaration.replacement",
    "error",
    None,
    "a replacement statement needs the replaced statement's date and the consignee (2.3.2)",
)
DECL_KIND = rule(
    "declaration.kind", "error", None, "a REX statement for an agreement, or a declaration for the GSP"
)
DECL_PLACEMENT = rule(
    "declaration.placement",
    "warning",
    None,
    "the declaration placed at the position given covers text, lines or images of the page",
)


def box_sort_key(box: str | None) -> int:
    """Boxes in the order of the form; findings about the whole certificate first."""
    return int(box) if box and box.isdigit() else 0


def findings_from_input_error(problems: Iterable[Problem]) -> list[Finding]:
    """Contract violations (unknown field, wrong type …) as findings, for one report."""
    return [INPUT_INVALID(p.field, p.message, box=p.box) for p in problems]


def findings_from_render_error(exc: FitError | MissingGlyphError) -> list[Finding]:
    """What cannot be printed (too long, a character the font lacks) as findings, for one report.

    The certificate follows its rules but a render refused it: the service
    answers with these findings like with the rules' own.
    """
    if isinstance(exc, FitError):
        return [FIT_OVERFLOW(exc.field, str(exc), box=exc.box or box_of_field(exc.field))]
    return [MISSING_GLYPH(exc.field, str(exc), box=box_of_field(exc.field))]


def box_of_field(path: str | None) -> str | None:
    """The box an input field is printed in (``items[2].hs_code`` -> "8", ``consignee.name`` -> "3")."""
    from eur1pdf.certificate.model import ITEM_FIELD_BOXES  # the model is not needed to load the rules
    from eur1pdf.placement.field_sources import field_box

    if path is None:
        return None
    if path.startswith("items["):
        return ITEM_FIELD_BOXES.get(path.rsplit(".", 1)[-1]) or field_box(path)
    return field_box(path)


class RuleViolation(Eur1pdfError):
    """The certificate breaks rules of its form or agreement: nothing is made."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.severity == "error"]
        lines = [f"{len(errors)} rule(s) broken:"] + [f"  {f}" for f in errors]
        super().__init__("\n".join(lines))


def codes_markdown() -> str:
    """The table of finding codes for the README, generated from the rules above."""
    lines = ["| code | severity | box | meaning |", "|---|---|---|---|"]
    for r in sorted(RULES.values(), key=lambda r: (box_sort_key(r.box), r.code)):
        lines.append(f"| `{r.code}` | {r.severity} | {r.box or '—'} | {r.summary} |")
    return "\n".join(lines)
