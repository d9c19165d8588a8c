"""Checks: a certificate against its form and its agreement, as findings.

Rules read the agreement table (data/agreements.toml) and the form's layout;
no agreement is named in code. "Advised" rules of the instruction are
warnings. The codes, severities and boxes the checks report are registered in
:mod:`eur1pdf.rules.findings`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from eur1pdf.certificate.model import Certificate
from eur1pdf.errors import LayoutError, did_you_mean
from eur1pdf.layouts import get_layout, layout_names
from eur1pdf.layouts.schema import Layout
from eur1pdf.placement.field_sources import exports_from_switzerland
from eur1pdf.rules.agreements import Agreement, agreements, is_group, member_state, names_the_union
from eur1pdf.rules.findings import (
    AGREEMENT_GENERAL,
    AGREEMENT_MISSING,
    AGREEMENT_UNKNOWN,
    CONSIGNEE,
    COUNTRY_CODE,
    CRITERION,
    CRITERION_MISSING,
    CUMULATION_MISSING,
    CUMULATION_REFUSED,
    DECLARED_AFTER,
    DESTINATION_FORMAT,
    ENDORSED_BEFORE,
    FORM_UNKNOWN,
    GENERAL_AGREEMENT,
    HS_DIGITS,
    HS_MISSING,
    INVOICE_ADVISED,
    INVOICE_REQUIRED,
    MASS_MISSING,
    MASS_UNIT,
    MAX_ITEMS,
    MEMBER_STATE_4,
    MEMBER_STATE_5,
    NO_CERTIFICATE,
    SAME_PARTIES,
    SHEET3_CIRCUMSTANCES,
    SHEET3_DOCUMENTS,
    SHEET3_PRE_EXAMINATION,
    STATEMENT_EXPIRED,
    TRANSPORT,
    WRONG_FORM,
    Finding,
    box_sort_key,
)

__all__ = ["CHECKS", "check", "validate"]

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
    elif cert.form not in a.forms and layout is not None:  # an unknown form: form.unknown says so
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
        if said and statement.until is not None and cert.issue_date > statement.until:
            yield STATEMENT_EXPIRED(
                "remarks",
                f"{a.name}: {statement.text!r} is written in box 7 only until {statement.until:%d.%m.%Y} "
                f"(issue date {cert.issue_date:%d.%m.%Y}); remove it",
            )


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


def _prints(layout: Layout | None, source: str) -> bool:
    """The form prints ``source`` somewhere (unknown form: assume it does, like the built-ins)."""
    if layout is None:
        return True
    return any(f.source == source for _, _, face in layout.pages() for f in face.fields)


@check
def _application(cert: Certificate, layout: Layout | None, a: Agreement | None) -> Iterator[Finding]:
    """Sheet 3's reverse: the Swiss customs' standard wordings (instruction 1.3.4) serve Swiss exports only;
    from anywhere else the exporter says how the goods obtained their origin and on what documents."""
    app = cert.application
    if exports_from_switzerland(cert):
        pre = app.pre_examination if app else None
        if cert.retrospective and pre is None:
            yield SHEET3_PRE_EXAMINATION(
                "application.pre_examination",
                "a certificate issued retrospectively must be pre-examined (instruction 1.3.4): give "
                "application.pre_examination.office (the customs district directorate or chamber of "
                "commerce)",
            )
        return
    country = cert.exporter.country or "a country not given in exporter.country"
    where = f"the exporter is in {country}, not Switzerland: the Swiss standard wording does not apply"
    if _prints(layout, "application.circumstances") and not (app and app.circumstances):
        yield SHEET3_CIRCUMSTANCES(
            "application.circumstances",
            f"{where}; give application.circumstances: e.g. goods wholly obtained in {country} with the "
            "maker's name and address, or the processing that gave them their origin",
        )
    if _prints(layout, "application.supporting_documents") and not (app and app.supporting_documents):
        yield SHEET3_DOCUMENTS(
            "application.supporting_documents",
            f"{where}; give application.supporting_documents: the nature and references of the documents "
            "the certificate rests on (e.g. supplier's declarations)",
        )


def validate(
    cert: Certificate, layout: Layout | None = None, will_split: bool = False, *, placement: bool = True
) -> list[Finding]:
    """Every finding for ``cert``: errors first, then warnings, each in box order.

    ``will_split``: the items are to be spread over several certificates, so
    the per-certificate item limit is kept by the split itself, and each part
    is placed on its own. ``placement``: also place the data as a render would
    (:mod:`eur1pdf.rules.preflight`), so every reason a render could refuse the
    certificate is a finding; a render, which places the data anyway, passes False.
    """
    findings: list[Finding] = []
    if layout is None:
        try:
            layout = get_layout(cert.form)
        except LayoutError:
            findings.append(
                FORM_UNKNOWN(
                    "form",
                    f"unknown form {cert.form!r} (known: {', '.join(layout_names())})"
                    + did_you_mean(cert.form, layout_names()),
                )
            )
    agreement, about_agreement = _agreement_of(cert)
    findings += about_agreement
    for fn in CHECKS:
        findings.extend(fn(cert, layout, agreement))
    if will_split:
        findings = [f for f in findings if f.code != MAX_ITEMS.code]
    if placement and layout is not None:
        from eur1pdf.rules.preflight import placement_findings  # the placement, only when asked for

        findings += placement_findings(cert, layout, will_split)
    order = {"error": 0, "warning": 1}
    return sorted(findings, key=lambda f: (order[f.severity], box_sort_key(f.box)))


def _agreement_of(cert: Certificate) -> tuple[Agreement | None, list[Finding]]:
    """The certificate's agreement row, or None with the finding that says why there is none."""
    known = ", ".join(agreements())
    if cert.agreement is None:
        return None, [
            AGREEMENT_MISSING(
                "agreement",
                f"no agreement given: name the agreement the origin rests on ({known}), or "
                f"{GENERAL_AGREEMENT!r} to check the general EUR.1 rules only",
            )
        ]
    if cert.agreement == GENERAL_AGREEMENT:
        return None, [
            AGREEMENT_GENERAL(
                "agreement",
                f"agreement {GENERAL_AGREEMENT!r}: only the general EUR.1 rules are checked; name the "
                f"agreement ({known}) to check its own (form, HS digits, box 7 statements …)",
            )
        ]
    agreement = agreements().get(cert.agreement)
    if agreement is None:
        return None, [
            AGREEMENT_UNKNOWN(
                "agreement",
                f"unknown agreement {cert.agreement!r} (known: {known})"
                + did_you_mean(cert.agreement, [*agreements(), GENERAL_AGREEMENT]),
            )
        ]
    return agreement, []
