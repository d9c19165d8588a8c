"""Findings: a certificate checked against its form and its agreement.

Each rule has a stable code (``box8.hs_digits``), a severity, the box it
concerns and a one-line summary; the README's table of codes is generated
from these definitions (``eur1pdf codes``). Rules read the agreement
table (data/agreements.toml) and the form's layout; no agreement is named in
code. "Advised" rules of the instruction are warnings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from eur1pdf.certificate.model import Certificate
from eur1pdf.errors import Eur1pdfError, LayoutError
from eur1pdf.layouts import get_layout, layout_names
from eur1pdf.layouts.schema import Layout
from eur1pdf.rules.agreements import Agreement, agreements, is_group, member_state, names_the_union


@dataclass(frozen=True)
class Finding:
    """One rule broken (error) or advice not followed (warning)."""

    severity: str  # error | warning
    code: str
    box: str | None
    field: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"box {self.box}" if self.box else "certificate"
        field = f", {self.field}" if self.field else ""
        return f"{self.severity}: {where}{field}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    box: str | None
    summary: str

    def __call__(self, field: str | None, message: str, severity: str | None = None) -> Finding:
        return Finding(severity or self.severity, self.code, self.box, field, message)


RULES: dict[str, Rule] = {}


def rule(code: str, severity: str, box: str | None, summary: str) -> Rule:
    RULES[code] = Rule(code, severity, box, summary)
    return RULES[code]


FORM_UNKNOWN = rule("form.unknown", "error", None, "the form names no known layout")
AGREEMENT_UNKNOWN = rule(
    "agreement.unknown", "error", None, "the agreement key is not in the agreement table"
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

_MEASURE = re.compile(r"\d(?:[\d'’ .,]*\d)?\s*[^\W\d_]", re.UNICODE)
_CODE = re.compile(r"^[A-Z]{2,3}$")

Check = Callable[[Certificate, Layout | None, Agreement | None], Iterator[Finding]]
CHECKS: list[Check] = []


def check(fn: Check) -> Check:
    CHECKS.append(fn)
    return fn


@check
def _agreement(cert: Certificate, layout: Layout | None, a: Agreement | None) -> Iterator[Finding]:
    if a is None:
        return
    if not a.certificate:
        yield NO_CERTIFICATE("agreement", f"{a.reason}; issue an origin declaration on the invoice instead")
    elif cert.form not in a.forms:
        allowed = " or ".join(a.forms)
        yield WRONG_FORM("form", f"{a.name} requires the form {allowed}; got {cert.form!r}")


@check
def _parties(cert: Certificate, layout: Layout | None, a: Agreement | None) -> Iterator[Finding]:
    if cert.trade.from_.casefold() == cert.trade.to.casefold():
        yield SAME_PARTIES("trade", f"box 2 names {cert.trade.to!r} on both sides")
    accepted = set(a.country_codes) if a else set()
    for box, field, value in (
        ("2", "trade.from", cert.trade.from_),
        ("2", "trade.to", cert.trade.to),
        ("4", "origin", cert.origin),
        ("5", "destination", cert.destination),
    ):
        head = value.split("/")[0].strip()
        known = names_the_union(head) or is_group(head) or member_state(head)  # the last: its own error
        if _CODE.match(head) and head not in accepted and not known:
            yield COUNTRY_CODE[box](field, f"write the country out in full, not the code {head!r}")
    for rule_, field, value in (
        (MEMBER_STATE_4, "origin", cert.origin),
        (MEMBER_STATE_5, "destination", cert.destination),
    ):
        state = member_state(value)
        if state is not None:
            yield rule_(
                field,
                f"{value!r} is an EU member state: enter the European Union (e.g. 'EU' or 'EU/{state}') "
                f"in box {rule_.box}",
            )


@check
def _consignee_and_destination(
    cert: Certificate, layout: Layout | None, a: Agreement | None
) -> Iterator[Finding]:
    if a is None or not a.certificate:
        return
    if a.consignee == "required" and cert.consignee is None:
        yield CONSIGNEE("consignee", f"{a.name} requires the consignee in box 3")
    if a.transport == "when_known" and not cert.transport:
        yield TRANSPORT("transport", f"{a.name}: give the transport details in box 6 when they are known")
    if a.destination_pattern and not re.match(a.destination_pattern, cert.destination):
        yield DESTINATION_FORMAT(
            "destination", f"{a.name}: write box 5 as {a.destination_example!r}; got {cert.destination!r}"
        )


def _prints_cumulation(layout: Layout) -> bool:
    """A form has a cumulation statement when its layout has the check boxes for it (prepared once)."""
    return layout.prepared.prints_cumulation


@check
def _box7(cert: Certificate, layout: Layout | None, a: Agreement | None) -> Iterator[Finding]:
    if layout is not None:
        if _prints_cumulation(layout) and cert.cumulation is None:
            yield CUMULATION_MISSING(
                "cumulation",
                f"{layout.title}: box 7 must say 'cumulation applied with …' or 'no cumulation applied'; "
                "give cumulation.applied_with (an empty list for none)",
            )
        if not _prints_cumulation(layout) and cert.cumulation is not None:
            yield CUMULATION_REFUSED(
                "cumulation", f"{layout.title} has no cumulation statement (only EUR-MED has); remove it"
            )
    if a is None:
        return
    remarks = [r.casefold() for r in cert.remarks]
    for statement in a.statements:
        said = any(statement.text.casefold() in r for r in remarks)
        if statement.applies(cert.issue_date, cert.form) and not said:
            yield Finding(statement.severity, statement.code, "7", "remarks", f"{a.name}: {statement.why}")


@check
def _goods(cert: Certificate, layout: Layout | None, a: Agreement | None) -> Iterator[Finding]:
    for i, item in enumerate(cert.items):
        n = i + 1
        if a is not None and a.certificate and a.hs_digits:
            size = f"{a.hs_digits}-digit" if a.hs_exact else f"{a.hs_digits}-digit (or longer)"
            verb = "advises" if a.hs_severity == "warning" else "requires"
            if not item.hs_code:
                yield HS_MISSING(
                    f"items[{i}].hs_code",
                    f"item {n}: {a.name} {verb} the {size} HS code in box 8; none given",
                    a.hs_severity,
                )
            else:
                digits = len(item.hs_code.replace(".", ""))
                wrong = digits != a.hs_digits if a.hs_exact else digits < a.hs_digits
                if wrong:
                    yield HS_DIGITS(
                        f"items[{i}].hs_code",
                        f"item {n}: {a.name} {verb} the {size} HS code in box 8; got {item.hs_code!r}",
                        a.hs_severity,
                    )
        if a is not None and a.certificate and a.origin_criteria:
            allowed = ", ".join(a.origin_criteria)
            if not item.origin_criterion:
                yield CRITERION_MISSING(
                    f"items[{i}].origin_criterion",
                    f"item {n}: {a.name} requires the origin criterion ({allowed}) in box 8",
                )
            elif item.origin_criterion not in a.origin_criteria:
                yield CRITERION(
                    f"items[{i}].origin_criterion",
                    f"item {n}: {item.origin_criterion!r} is not an origin criterion of {a.name} "
                    f"(use {allowed})",
                )
        if not item.gross_mass:
            yield MASS_MISSING(
                f"items[{i}].gross_mass", f"item {n}: give the gross mass (kg) or other measure in box 9"
            )
        elif not _MEASURE.search(item.gross_mass):
            yield MASS_UNIT(
                f"items[{i}].gross_mass",
                f"item {n}: {item.gross_mass!r} needs a number and its unit, e.g. '1250 kg' or '40 l'",
            )
    if a is not None and a.certificate and a.max_items and len(cert.items) > a.max_items:
        yield MAX_ITEMS(
            "items",
            f"{a.name} allows at most {a.max_items} items per certificate; got {len(cert.items)} "
            "(split them over several certificates: --on-overflow split)",
        )


@check
def _invoices_and_dates(cert: Certificate, layout: Layout | None, a: Agreement | None) -> Iterator[Finding]:
    if not cert.invoices:
        if a is not None and a.certificate and a.invoice == "required":
            yield INVOICE_REQUIRED("invoices", f"{a.name} requires the invoices (number and date) in box 10")
        else:
            who = f"{a.name} advises" if a is not None and a.invoice == "advised" else "customs recommend"
            yield INVOICE_ADVISED("invoices", f"no invoice reference in box 10: {who} giving one")
    d = cert.declaration
    if d is not None and d.date > cert.issue_date:
        yield DECLARED_AFTER(
            "declaration.date",
            f"the exporter's declaration is dated {d.date:%d.%m.%Y}, "
            f"after the issue date {cert.issue_date:%d.%m.%Y}",
        )
    e = cert.endorsement
    if e is not None and d is not None and e.date < d.date:
        yield ENDORSED_BEFORE(
            "endorsement.date",
            f"customs endorsement dated {e.date:%d.%m.%Y}, "
            f"before the exporter's declaration of {d.date:%d.%m.%Y}",
        )


INPUT_INVALID = rule(
    "input.invalid", "error", None, "the input does not follow the certificate format (field named)"
)


def validate(cert: Certificate, layout: Layout | None = None, will_split: bool = False) -> list[Finding]:
    """Every finding for ``cert``: errors first, then warnings, each in box order.

    ``will_split``: the items are to be spread over several certificates, so
    the per-certificate item limit is kept by the split itself.
    """
    findings: list[Finding] = []
    if layout is None:
        try:
            layout = get_layout(cert.form)
        except LayoutError:
            findings.append(
                FORM_UNKNOWN("form", f"unknown form {cert.form!r} (known: {', '.join(layout_names())})")
            )
    agreement = None
    if cert.agreement is not None:
        agreement = agreements().get(cert.agreement)
        if agreement is None:
            known = ", ".join(agreements())
            findings.append(
                AGREEMENT_UNKNOWN("agreement", f"unknown agreement {cert.agreement!r} (known: {known})")
            )
    for fn in CHECKS:
        findings.extend(fn(cert, layout, agreement))
    if will_split:
        findings = [f for f in findings if f.code != MAX_ITEMS.code]
    order = {"error": 0, "warning": 1}
    return sorted(findings, key=lambda f: (order[f.severity], _box_key(f.box)))


def findings_from_input_error(problems: list) -> list[Finding]:
    """Contract violations (unknown field, wrong type …) as findings, for one report."""
    return [
        INPUT_INVALID(p.field, p.message)
        if p.box is None
        else Finding("error", INPUT_INVALID.code, p.box, p.field, p.message)
        for p in problems
    ]


def _box_key(box: str | None) -> int:
    return int(box) if box and box.isdigit() else 0


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
    for r in sorted(RULES.values(), key=lambda r: (_box_key(r.box), r.code)):
        lines.append(f"| `{r.code}` | {r.severity} | {r.box or '—'} | {r.summary} |")
    return "\n".join(lines)
