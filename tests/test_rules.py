"""The rules engine against the agreement table and every finding code.

Three tables drive this module:

* the agreement table itself (``agreements()``): for every row a certificate
  built from the row's data passes, and every requirement of the row, when
  broken, gives its finding;
* ``FAILING``: for every rule code of ``RULES`` at least one certificate that
  breaks exactly that rule, with the finding's severity, box, field and words;
* ``ACCEPTED``: certificates near a rule's edge that must give no finding.

No PDF is rendered: ``validate`` works on the model.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from eur1pdf.certificate.model import certificate_from_data
from eur1pdf.errors import InputError
from eur1pdf.rules import RULES, Finding, findings_from_input_error, validate
from eur1pdf.rules import checks as rules
from eur1pdf.rules.agreements import Agreement, DatedStatement, agreements

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# One example per form; each validates with no finding.
BASES = {
    "eur1": "eur1-ch-mx.json",  # EFTA-MX
    "eur-med": "eur-med-ch-ma.json",  # PEM
    "eur1-quad": "eur1-quad-ch-in.json",  # EFTA-IN
    "eur1-cn": "eur1-cn-ch-cn.json",  # CH-CN
    "eur1-tri": "eur1-tri-ch-uk.json",  # CH-UK, sheet 3 in German
    "eur-med-tri": "eur-med-tri-ch-tn.json",  # PEM, sheet 3 in French
}
# The agreement keys of the input contract (certificate-json.md) and those the
# annex marks "no certificate" (agreements.md).
CONTRACT_KEYS = {
    "PEM", "EFTA-OPT", "CH-JP", "EFTA-CA", "EFTA-CL", "EFTA-CO", "EFTA-HK", "EFTA-MX", "EFTA-PH",
    "EFTA-PE", "EFTA-KR", "EFTA-SACU", "EFTA-SG", "CH-CN", "EFTA-GCC", "EFTA-CAS", "EFTA-EC", "CH-UK",
    "EFTA-ID", "EFTA-IN",
}  # fmt: skip
NO_CERTIFICATE = {"EFTA-CA", "EFTA-HK", "EFTA-PH", "EFTA-KR", "EFTA-SG", "EFTA-EC", "EFTA-ID"}
HS_SAMPLE = "8482100000"  # cut to the number of digits a row asks for


# --------------------------------------------------------------------------- helpers


@cache
def _base_text(form: str) -> str:
    return (EXAMPLES / BASES[form]).read_text(encoding="utf-8")


def base(form: str) -> dict:
    """A fresh copy of the example certificate for ``form``."""
    return json.loads(_base_text(form))


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def patch(data: dict, changes: dict[str, Any]) -> dict:
    """Set values by path (``items[2].hs_code``, ``trade.from``); returns ``data``."""
    for path, value in changes.items():
        steps = [int(i) if i else name for name, i in _STEP.findall(path)]
        target = data
        for step in steps[:-1]:
            target = target[step]
        target[steps[-1]] = copy.deepcopy(value)
    return data


def items(n: int, **item: Any) -> list[dict]:
    one = {"description": "Ball bearings, steel, 40 mm", "gross_mass": "10 kg", **item}
    return [dict(one, marks=f"PM {i + 1}") for i in range(n)]


def check(data: dict, will_split: bool = False) -> list[Finding]:
    """The rules alone (the placement has tests of its own: test_preflight.py)."""
    return validate(certificate_from_data(data), will_split=will_split, placement=False)


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


def assert_readable(message: str) -> None:
    """A sentence a clerk understands: no Python internals, no JSON, one line."""
    assert 15 <= len(message) <= 400, message
    assert " " in message and "\n" not in message, message
    for internal in ("None", "Item(", "Certificate(", "{", "}", "Traceback", "<"):
        assert internal not in message, f"{internal!r} in {message!r}"
    assert not any(code in message for code in RULES), message


def no_findings(findings: list[Finding]) -> None:
    assert findings == [], "\n".join(map(str, findings))


# --------------------------------------------------------------------------- the table itself


def test_table_has_every_contract_key():
    assert set(agreements()) == CONTRACT_KEYS


def test_rows_without_certificate_are_the_annex_ones():
    assert {k for k, a in agreements().items() if not a.certificate} == NO_CERTIFICATE
    for key in NO_CERTIFICATE:
        assert agreements()[key].reason, key


@pytest.mark.parametrize("key", sorted(CONTRACT_KEYS))
def test_row_is_consistent(key):
    a = agreements()[key]
    if not a.certificate:
        return
    assert a.forms and set(a.forms) <= set(BASES), a.forms
    if a.destination_pattern:
        assert a.destination_example and re.match(a.destination_pattern, a.destination_example)
    for s in a.statements:
        # a statement's finding must be a rule of RULES, with that rule's box and severity
        assert s.code in RULES, s.code
        assert RULES[s.code].box == "7" and RULES[s.code].severity == s.severity


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_box_matches_its_code(code):
    r = RULES[code]
    assert r.severity in ("error", "warning")
    m = re.match(r"box(\d+)\.", code)
    assert r.box == (m.group(1) if m else None)
    assert r.summary


# --------------------------------------------------------------------------- 1. every row


def row_certificate(a: Agreement, form: str) -> dict:
    """The example of ``form`` adapted to everything the row asks for."""
    data = base(form)
    data["form"] = form
    data["agreement"] = a.key
    data["cumulation"] = {"applied_with": []} if form in ("eur-med", "eur-med-tri") else None
    criteria = a.origin_criteria or [None]
    n = a.max_items or len(data["items"])  # the most items the row allows
    data["items"] = [
        dict(
            data["items"][i % len(data["items"])],
            hs_code=HS_SAMPLE[: a.hs_digits] if a.hs_digits else None,  # no HS code unless asked for
            origin_criterion=criteria[i % len(criteria)],  # every allowed criterion in turn
        )
        for i in range(n)
    ]
    if a.consignee != "required":
        data["consignee"] = None  # box 3 is optional unless the row makes it mandatory
    if a.transport != "when_known":
        data["transport"] = None  # box 6 is optional unless the row asks for it
    if a.invoice:
        assert data["invoices"]
    if a.destination_example:
        data["destination"] = a.destination_example
    if a.country_codes:  # codes the row accepts besides names, in boxes 2, 4 and 5
        data["trade"]["to"] = a.country_codes[0]
        data["destination"] = a.country_codes[-1]
    day = dt.date.fromisoformat(data["issue_date"])
    data["remarks"] = [s.text for s in a.statements if s.applies(day, form)]  # and none past its date
    return data


ROW_FORMS = [(k, f) for k, a in agreements().items() if a.certificate for f in a.forms]


@pytest.mark.parametrize(("key", "form"), ROW_FORMS, ids=[f"{k}-{f}" for k, f in ROW_FORMS])
def test_row_certificate_passes(key, form):
    findings = check(row_certificate(agreements()[key], form))
    assert [f for f in findings if f.severity == "error"] == []


@pytest.mark.parametrize(
    ("key", "form"),
    [pytest.param(k, f, id=f"{k}-{f}") for k, f in ROW_FORMS],
)
def test_row_certificate_has_no_warning_either(key, form):
    no_findings(check(row_certificate(agreements()[key], form)))


@pytest.mark.parametrize("key", sorted(NO_CERTIFICATE))
def test_row_without_certificate_fails(key):
    a = agreements()[key]
    data = patch(base("eur1"), {"agreement": key})
    (f,) = check(data)
    assert (f.severity, f.code, f.box, f.field) == ("error", "agreement.no_certificate", None, "agreement")
    assert a.reason in f.message and a.name in f.message
    assert "origin declaration on the invoice" in f.message
    assert_readable(f.message)


def row_requirements():
    """For every row, each requirement it states, broken: (changes, code, severity, field)."""
    for key, a in agreements().items():
        if not a.certificate:
            continue
        other = next(f for f in ("eur1", "eur1-quad", "eur1-cn") if f not in a.forms)
        yield key, {"form": other}, "agreement.form", "error", "form", {}
        if a.hs_digits:
            sev = a.hs_severity
            short = HS_SAMPLE[: a.hs_digits - 1]
            yield key, {"items[0].hs_code": short}, "box8.hs_digits", sev, "items[0].hs_code", {}
            yield key, {"items[0].hs_code": None}, "box8.hs_missing", sev, "items[0].hs_code", {}
            if a.hs_exact:
                long = HS_SAMPLE[: a.hs_digits + 2]
                yield key, {"items[0].hs_code": long}, "box8.hs_digits", sev, "items[0].hs_code", {}
        if a.origin_criteria:
            field_ = "items[0].origin_criterion"
            yield key, {field_: None}, "box8.origin_criterion_missing", "error", field_, {}
            yield key, {field_: "XX"}, "box8.origin_criterion", "error", field_, {}
        if a.max_items:
            yield key, {"items": items(a.max_items + 1)}, "box8.max_items", "error", "items", {"hs": True}
        if a.invoice == "required":
            yield key, {"invoices": []}, "box10.invoice_required", "error", "invoices", {}
        else:
            yield key, {"invoices": []}, "box10.invoice_advised", "warning", "invoices", {}
        if a.consignee == "required":
            yield key, {"consignee": None}, "box3.consignee_required", "error", "consignee", {}
        if a.transport == "when_known":
            yield key, {"transport": None}, "box6.transport_when_known", "warning", "transport", {}
        if a.destination_pattern:
            bare = a.destination_example.split("/")[-1]
            yield key, {"destination": bare}, "box5.destination_format", "warning", "destination", {}
        for s in a.statements:
            day = (s.until or s.since).isoformat()
            changes = {"remarks": [], "issue_date": day, "declaration.date": day}
            if s.forms:
                changes["form"] = s.forms[0]
                changes["cumulation"] = None
            yield key, changes, s.code, s.severity, "remarks", {}


ROW_REQUIREMENTS = list(row_requirements())


@pytest.mark.parametrize(
    ("key", "changes", "code", "severity", "field_", "extra"),
    ROW_REQUIREMENTS,
    ids=[f"{r[0]}-{r[2]}-{i}" for i, r in enumerate(ROW_REQUIREMENTS)],
)
def test_row_requirement_broken(key, changes, code, severity, field_, extra):
    a = agreements()[key]
    data = row_certificate(a, a.forms[0])
    if extra.get("hs"):  # generated items: give them what the row asks of each item
        changes = dict(changes, items=[
            dict(it, hs_code=HS_SAMPLE[: a.hs_digits] if a.hs_digits else None,
                 origin_criterion=(a.origin_criteria or [None])[0])
            for it in changes["items"]
        ])  # fmt: skip
    findings = check(patch(data, changes))
    assert codes(findings) == {code}, "\n".join(map(str, findings))
    f = findings[0]
    assert (f.severity, f.box, f.field) == (severity, RULES[code].box, field_)
    if code != "box10.invoice_advised" or a.invoice == "advised":
        assert a.name in f.message
    assert_readable(f.message)


# --------------------------------------------------------------------------- 2. every rule code


@dataclass(frozen=True)
class Case:
    id: str
    form: str  # which example to start from (see BASES)
    changes: dict[str, Any]
    code: str
    severity: str
    box: str | None
    field: str | None
    says: tuple[str, ...] = ()  # words the message must contain (the offending value first)
    will_split: bool = False
    table: dict[str, dict[str, Any]] = field(default_factory=dict)  # rows changed for this case


MX, MED, QUAD, CN = "eur1", "eur-med", "eur1-quad", "eur1-cn"
GCC = {"agreement": "EFTA-GCC", "items[0].origin_criterion": None}
PEM_EUR1_2025 = {
    "agreement": "PEM",
    "issue_date": "2025-06-01",
    "declaration.date": "2025-06-01",
    "remarks": [],
}

FAILING = [
    # the certificate as a whole
    Case("form-unknown", MX, {"form": "eur2"}, "form.unknown", "error", None, "form",
         ("'eur2'", "eur1-cn", "unknown form")),
    Case("agreement-unknown", MX, {"agreement": "EFTA-XX"}, "agreement.unknown", "error", None,
         "agreement", ("'EFTA-XX'", "EFTA-MX", "unknown agreement")),
    Case("agreement-no-certificate", MX, {"agreement": "EFTA-CA"}, "agreement.no_certificate", "error",
         None, "agreement", ("EFTA–Canada", "origin declaration on the invoice")),
    Case("CH-JP-on-eur1", MX, {"agreement": "CH-JP"}, "agreement.form", "error", None, "form",
         ("Switzerland–Japan", "eur1-quad", "'eur1'")),
    Case("CH-CN-on-eur1-quad", QUAD, {"agreement": "CH-CN"}, "agreement.form", "error", None, "form",
         ("Switzerland–China", "eur1-cn", "'eur1-quad'")),
    Case("EFTA-IN-on-eur1-cn", CN, {"agreement": "EFTA-IN", "items[2].origin_criterion": "WO"},
         "agreement.form", "error", None, "form", ("EFTA–India", "eur1-quad", "'eur1-cn'")),
    # box 2
    Case("same-parties", MX, {"trade.to": "Switzerland"}, "box2.same_parties", "error", "2", "trade",
         ("'Switzerland'", "both sides")),
    Case("same-parties-case", MX, {"trade.to": "SWITZERLAND"}, "box2.same_parties", "error", "2", "trade",
         ("'SWITZERLAND'",)),
    Case("box2-code-from", MX, {"trade.from": "CH"}, "box2.country_code", "warning", "2", "trade.from",
         ("'CH'", "in full")),
    Case("box2-code-to", MX, {"trade.to": "MX"}, "box2.country_code", "warning", "2", "trade.to",
         ("'MX'",)),
    Case("box2-GB-not-CH-UK", MX, {"trade.to": "GB"}, "box2.country_code", "warning", "2", "trade.to",
         ("'GB'",)),
    # box 3
    Case("CN-transport", CN, {"transport": None}, "box6.transport_when_known", "warning", "6", "transport",
         ("box 6",)),
    Case("CN-consignee", CN, {"consignee": None}, "box3.consignee_required", "error", "3", "consignee",
         ("Switzerland–China", "consignee", "box 3")),
    # boxes 4 and 5
    Case("origin-Germany", MX, {"origin": "Germany"}, "box4.member_state", "error", "4", "origin",
         ("'Germany'", "EU/Germany", "box 4")),
    Case("destination-Allemagne", MX, {"destination": "Allemagne"}, "box5.member_state", "error", "5",
         "destination", ("'Allemagne'", "EU/Germany", "box 5")),
    Case("box4-member-state-code", MX, {"origin": "DE"}, "box4.member_state", "error", "4", "origin",
         ("'DE'",)),
    Case("box4-code", MX, {"origin": "CH"}, "box4.country_code", "warning", "4", "origin", ("'CH'",)),
    Case("box5-GB-not-CH-UK", MX, {"destination": "GB"}, "box5.country_code", "warning", "5",
         "destination", ("'GB'", "in full")),
    Case("GCC-bare-destination", QUAD, {**GCC, "destination": "Saudi Arabia"}, "box5.destination_format",
         "warning", "5", "destination", ("'Saudi Arabia'", "'GCC/Saudi Arabia'", "EFTA–Gulf")),
    # box 7
    Case("EUR-MED-no-cumulation", MED, {"cumulation": None}, "box7.cumulation_missing", "error", "7",
         "cumulation", ("cumulation applied with", "no cumulation applied")),
    Case("eur1-cumulation", MX, {"cumulation": {"applied_with": ["EU"]}}, "box7.cumulation_not_allowed",
         "error", "7", "cumulation", ("EUR-MED", "remove")),
    Case("eur1-quad-cumulation", QUAD, {"cumulation": {"applied_with": []}},
         "box7.cumulation_not_allowed", "error", "7", "cumulation", ("EUR-MED",)),
    Case("PEM-eur1-2025-no-REVISED-RULES", MX, PEM_EUR1_2025, "box7.revised_rules", "warning", "7",
         "remarks", ("REVISED RULES", "31.12.2025")),
    Case("PEM-eur1-last-day", MX, {**PEM_EUR1_2025, "issue_date": "2025-12-31",
                                   "declaration.date": "2025-12-31"},
         "box7.revised_rules", "warning", "7", "remarks", ("REVISED RULES",)),
    Case("PEM-REVISED-RULES-after-2025", MX, {**PEM_EUR1_2025, "remarks": ["REVISED RULES"],
                                              "issue_date": "2026-01-01", "declaration.date": "2026-01-01"},
         "box7.statement_expired", "warning", "7", "remarks", ("'REVISED RULES'", "31.12.2025", "remove")),
    # No row of the real table uses the generic box 7 statement (the EFTA–Mexico
    # textile statement cannot be seen from the data): a row is given one here.
    Case("statement-missing", MX, {}, "box7.statement", "error", "7", "remarks",
         ("EFTA–Mexico", "textile"),
         table={"EFTA-MX": {"statements": [DatedStatement(
             text="TEXTILES APPENDIX 2(a)",
             why="box 7 must carry the textile statement of Appendix 2(a) to Annex I")]}}),
    # box 8
    Case("MX-hs-84", MX, {"items[0].hs_code": "84"}, "box8.hs_digits", "error", "8", "items[0].hs_code",
         ("item 1: EFTA–Mexico requires the 4-digit (or longer) HS code in box 8; got '84'",)),
    Case("CL-hs-848", QUAD, {"agreement": "EFTA-CL", "items[1].hs_code": "848"}, "box8.hs_digits",
         "error", "8", "items[1].hs_code", ("item 2", "EFTA–Chile", "'848'")),
    Case("CN-hs-4-digits", CN, {"items[2].hs_code": "9102"}, "box8.hs_digits", "error", "8",
         "items[2].hs_code", ("item 3: Switzerland–China requires the 6-digit HS code", "'9102'")),
    Case("CN-hs-8-digits", CN, {"items[0].hs_code": "8482.10.00"}, "box8.hs_digits", "error", "8",
         "items[0].hs_code", ("'8482.10.00'", "6-digit")),
    Case("IN-hs-4-digits", QUAD, {"items[3].hs_code": "1905"}, "box8.hs_digits", "error", "8",
         "items[3].hs_code", ("item 4", "EFTA–India requires", "'1905'")),
    Case("GCC-hs-advised", QUAD, {**GCC, "destination": "GCC/Qatar", "items[1].hs_code": "1806"},
         "box8.hs_digits", "warning", "8", "items[1].hs_code", ("EFTA–Gulf", "advises", "'1806'")),
    Case("MX-hs-missing", MX, {"items[1].hs_code": None}, "box8.hs_missing", "error", "8",
         "items[1].hs_code", ("item 2", "EFTA–Mexico", "none given")),
    Case("GCC-hs-missing-advised", QUAD, {**GCC, "destination": "GCC/Oman", "items[0].hs_code": None},
         "box8.hs_missing", "warning", "8", "items[0].hs_code", ("item 1", "advises")),
    Case("IN-criterion-missing", QUAD, {"items[3].origin_criterion": None},
         "box8.origin_criterion_missing", "error", "8", "items[3].origin_criterion",
         ("item 4", "EFTA–India", "WO, PSR")),
    Case("CN-criterion-missing", CN, {"items[0].origin_criterion": None}, "box8.origin_criterion_missing",
         "error", "8", "items[0].origin_criterion", ("item 1", "Switzerland–China")),
    Case("IN-criterion-WP", QUAD, {"items[1].origin_criterion": "WP"}, "box8.origin_criterion", "error",
         "8", "items[1].origin_criterion", ("item 2: 'WP'", "EFTA–India", "WO, PSR")),
    Case("CN-51-items", CN, {"items": items(51, hs_code="848210", origin_criterion="PSR")},
         "box8.max_items", "error", "8", "items", ("at most 50", "got 51", "split")),
    # box 9
    Case("mass-missing", MX, {"items[2].gross_mass": None}, "box9.gross_mass_missing", "error", "9",
         "items[2].gross_mass", ("item 3", "gross mass")),
    Case("mass-no-unit", MX, {"items[0].gross_mass": "1250"}, "box9.unit", "error", "9",
         "items[0].gross_mass", ("item 1: '1250'", "unit")),
    Case("mass-unit-only", QUAD, {"items[1].gross_mass": "kg"}, "box9.unit", "error", "9",
         "items[1].gross_mass", ("item 2: 'kg'",)),
    # box 10
    Case("CN-no-invoice", CN, {"invoices": []}, "box10.invoice_required", "error", "10", "invoices",
         ("Switzerland–China requires", "box 10")),
    Case("MX-no-invoice", MX, {"invoices": []}, "box10.invoice_advised", "warning", "10", "invoices",
         ("no invoice reference", "box 10")),
    Case("IN-no-invoice", QUAD, {"invoices": []}, "box10.invoice_advised", "warning", "10", "invoices",
         ("EFTA–India advises",)),
    Case("no-agreement", MX, {"agreement": None}, "agreement.missing", "error", None, "agreement",
         ("no agreement given", "EFTA-MX", "'GENERAL'")),
    Case("general-agreement", MX, {"agreement": "GENERAL"}, "agreement.general", "warning", None,
         "agreement", ("general EUR.1 rules", "EFTA-MX")),
    # sheet 3 reverse: the Swiss standard wordings serve Swiss exports only
    Case("French-exporter-no-circumstances", MX,
         {"exporter.country": "France", "application.supporting_documents": "Supplier's declaration 14"},
         "sheet3.circumstances", "error", None, "application.circumstances",
         ("France", "not Switzerland", "application.circumstances")),
    Case("French-exporter-no-documents", MX,
         {"exporter.country": "France", "application.circumstances": "Wholly obtained in France"},
         "sheet3.supporting_documents", "error", None, "application.supporting_documents",
         ("France", "application.supporting_documents")),
    Case("retrospective-without-pre-examination", MX, {"retrospective": True}, "sheet3.pre_examination",
         "error", None, "application.pre_examination", ("retrospectively", "1.3.4")),
    # boxes 11 and 12
    Case("endorsed-before-declaration", MX,
         {"endorsement": {"office": "Basel", "date": "2026-11-21", "reference": "26CH123"}},
         "box11.endorsement_date", "error", "11", "endorsement.date", ("21.11.2026", "22.11.2026")),
    Case("declared-after-issue", MX, {"declaration.date": "2026-11-23"}, "box12.date_after_issue",
         "error", "12", "declaration.date", ("23.11.2026", "22.11.2026")),
]  # fmt: skip


def _table_with(changes: dict[str, dict[str, Any]]) -> dict[str, Agreement]:
    table = dict(agreements())
    for key, update in changes.items():
        table[key] = table[key].model_copy(update=update)
    return table


@pytest.mark.parametrize("case", FAILING, ids=[c.id for c in FAILING])
def test_rule_fires(case, monkeypatch):
    if case.table:
        table = _table_with(case.table)
        monkeypatch.setattr(rules, "agreements", lambda: table)
    findings = check(patch(base(case.form), case.changes), will_split=case.will_split)
    assert codes(findings) == {case.code}, "\n".join(map(str, findings))
    f = findings[0]
    assert (f.severity, f.box, f.field) == (case.severity, case.box, case.field)
    assert f.box == RULES[case.code].box
    for words in case.says:
        assert words in f.message, f"{words!r} not in {f.message!r}"
    assert_readable(f.message)


def test_every_rule_has_a_failing_case():
    """A new rule without a row in FAILING fails here (input.invalid: see below; the render
    codes fit.overflow and text.missing_glyph: tests/test_render_findings.py)."""
    tested = {c.code for c in FAILING}
    assert tested <= set(RULES)
    untested = {code for code in set(RULES) - tested if not code.startswith("declaration.")}  # see below
    assert untested == {"input.invalid", "fit.overflow", "text.missing_glyph"}
    # declaration.*: tests/test_declaration_rules.py::test_every_declaration_rule_has_a_failing_case


@pytest.mark.parametrize(
    ("changes", "field_", "box"),
    [
        ({"consigne": {"name": "Importadora"}}, "consigne", None),
        ({"exporter.adress": ["Industriestrasse 12"]}, "exporter.adress", "1"),
        ({"items[2].weight": "412.5 kg"}, "items[2].weight", "8"),
        ({"declaration.signature": "A. Muster"}, "declaration.signature", "12"),
    ],
    ids=["top-level", "box1", "box8", "box12"],
)
def test_input_invalid(changes, field_, box):
    with pytest.raises(InputError) as info:
        certificate_from_data(patch(base(MX), changes))
    (f,) = findings_from_input_error(info.value.problems)
    assert (f.severity, f.code, f.box, f.field) == ("error", "input.invalid", box, field_)
    assert "unknown field" in f.message
    assert_readable(f.message)


def test_input_invalid_keeps_every_problem():
    data = patch(base(MX), {"consigne": {"name": "x"}, "items[0].weight": "1 kg", "issue_date": "22.11.2026"})
    with pytest.raises(InputError) as info:
        certificate_from_data(data)
    found = findings_from_input_error(info.value.problems)
    assert {(f.code, f.field, f.box) for f in found} == {
        ("input.invalid", "consigne", None),
        ("input.invalid", "items[0].weight", "8"),
        ("input.invalid", "issue_date", None),
    }


# --------------------------------------------------------------------------- member states


MEMBER_STATES = {
    "Austria": ["Autriche", "Österreich", "AUSTRIA"],
    "Belgium": ["Belgique", "Belgien"],
    "Bulgaria": ["Bulgarie", "Bulgarien"],
    "Croatia": ["Croatie", "Kroatien"],
    "Cyprus": ["Chypre", "Zypern"],
    "Czechia": ["Czech Republic", "République tchèque", "Tschechien"],
    "Denmark": ["Danemark", "Dänemark"],
    "Estonia": ["Estonie", "Estland"],
    "Finland": ["Finlande", "Finnland"],
    "France": ["Frankreich"],
    "Germany": ["Allemagne", "Deutschland", "germany"],
    "Greece": ["Grèce", "Griechenland"],
    "Hungary": ["Hongrie", "Ungarn"],
    "Ireland": ["Irlande", "Irland"],
    "Italy": ["Italie", "Italien"],
    "Latvia": ["Lettonie", "Lettland"],
    "Lithuania": ["Lituanie", "Litauen"],
    "Luxembourg": ["Luxemburg"],
    "Malta": ["Malte"],
    "Netherlands": ["Pays-Bas", "Niederlande", "The Netherlands", "Holland"],
    "Poland": ["Pologne", "Polen"],
    "Portugal": [],
    "Romania": ["Roumanie", "Rumänien"],
    "Slovakia": ["Slovaquie", "Slowakei"],
    "Slovenia": ["Slovénie", "Slowenien"],
    "Spain": ["Espagne", "Spanien"],
    "Sweden": ["Suède", "Schweden"],
}
SPELLINGS = [(state, name) for state, others in MEMBER_STATES.items() for name in [state, *others]]
BOXES_4_5 = [("4", "origin"), ("5", "destination")]


def test_twenty_seven_member_states():
    assert len(MEMBER_STATES) == 27


@pytest.mark.parametrize(("box", "field_"), BOXES_4_5)
@pytest.mark.parametrize(("state", "name"), SPELLINGS, ids=[n for _, n in SPELLINGS])
def test_member_state_is_an_error(box, field_, state, name):
    findings = check(patch(base(MX), {field_: name}))
    (f,) = findings
    assert (f.code, f.severity, f.box, f.field) == (f"box{box}.member_state", "error", box, field_)
    assert repr(name) in f.message and f"EU/{state}" in f.message and f"box {box}" in f.message
    assert_readable(f.message)


UNION = ["EU", "European Union", "UE", "CE", "EU/Germany", "UE/Allemagne", "EU/Deutschland",
         "Union européenne", "Europäische Union", "EG"]  # fmt: skip
NOT_MEMBERS = ["Norway", "Iceland", "Liechtenstein", "United Kingdom", "Türkiye", "Mexico"]


@pytest.mark.parametrize(("box", "field_"), BOXES_4_5)
@pytest.mark.parametrize("name", UNION + NOT_MEMBERS)
def test_union_and_non_members_pass(box, field_, name):
    no_findings(check(patch(base(MX), {field_: name})))


# --------------------------------------------------------------------------- edges that pass


CH_UK = {"agreement": "CH-UK"}
ACCEPTED = [
    # sheet 3: another exporting country that states both parts; Swiss names in any language
    ("French-exporter-states-both", MX, {
        "exporter.country": "France",
        "application.circumstances": "Wholly obtained in France by Roulements Martin SA, Lyon",
        "application.supporting_documents": "Manufacturer's declaration RM-2026-031",
    }),
    ("Schweiz-in-German", MX, {"exporter.country": "Schweiz", "application": None}),
    ("Suisse-in-the-address", MX, {"exporter.country": None, "exporter.address": ["1204 Genève", "SUISSE"]}),
    ("retrospective-pre-examined", MX, {
        "retrospective": True, "application.pre_examination": {"office": "Handelskammer beider Basel"},
    }),
    ("MX-hs-longer", MX, {"items[0].hs_code": "8482.10"}),
    ("MX-hs-dotted-4", MX, {"items[0].hs_code": "84.82"}),
    ("CL-hs-6", QUAD, {"agreement": "EFTA-CL", "items[0].hs_code": "848210"}),
    ("CN-hs-dotted-6", CN, {"items[0].hs_code": "8482.10"}),
    ("CN-WP", CN, {"items[0].origin_criterion": "WP"}),
    ("CN-WO-PSR", CN, {"items[0].origin_criterion": "WO", "items[1].origin_criterion": "PSR"}),
    ("IN-WO", QUAD, {"items[1].origin_criterion": "WO"}),
    ("MX-criterion-ignored", MX, {"items[0].origin_criterion": "WO"}),
    ("CN-50-items", CN, {"items": items(50, hs_code="848210", origin_criterion="PSR")}),
    ("mass-kg", MX, {"items[0].gross_mass": "1250 kg"}),
    ("mass-kg-no-space", MX, {"items[0].gross_mass": "1250kg"}),
    ("mass-litres", MX, {"items[0].gross_mass": "40 l"}),
    ("mass-m3", MX, {"items[0].gross_mass": "3.4 m3"}),
    ("mass-apostrophe", MX, {"items[0].gross_mass": "1'250 kg"}),
    ("mass-comma", MX, {"items[0].gross_mass": "1,250.5 kg"}),
    ("GCC-Saudi-Arabia", QUAD, {**GCC, "destination": "GCC/Saudi Arabia"}),
    ("GCC-UAE", QUAD, {**GCC, "destination": "GCC/United Arab Emirates"}),
    ("CH-UK-box2-GB", MX, {**CH_UK, "trade.to": "GB", "destination": "United Kingdom"}),
    ("CH-UK-box2-UK", MX, {**CH_UK, "trade.to": "UK", "destination": "United Kingdom"}),
    ("CH-UK-box4-GB", MX, {**CH_UK, "origin": "GB", "destination": "United Kingdom"}),
    ("CH-UK-box5-UK", MX, {**CH_UK, "trade.to": "United Kingdom", "destination": "UK"}),
    ("CH-UK-box5-GB", MX, {**CH_UK, "trade.to": "UK", "destination": "GB"}),
    ("PEM-eur1-2025-REVISED-RULES", MX, {**PEM_EUR1_2025, "remarks": ["REVISED RULES"]}),
    ("PEM-eur1-2025-revised-rules-lower", MX, {**PEM_EUR1_2025, "remarks": ["Revised rules"]}),
    ("PEM-eur1-2025-REVISED-RULES-in-a-sentence", MX,
     {**PEM_EUR1_2025, "remarks": ["REVISED RULES applied"]}),
    ("GCC-box2-group", QUAD, {**GCC, "trade.to": "GCC", "destination": "GCC/Oman"}),
    ("PEM-eur1-2026-02-01", MX, {**PEM_EUR1_2025, "issue_date": "2026-02-01"}),
    ("PEM-eur1-2026-01-01", MX, {**PEM_EUR1_2025, "issue_date": "2026-01-01"}),
    ("PEM-eur-med-2025", MED, {"issue_date": "2025-06-01", "declaration.date": "2025-06-01",
                               "remarks": []}),
    ("EUR-MED-no-cumulation-applied", MED, {"cumulation": {"applied_with": []}}),
    ("declared-on-issue-day", MX, {"declaration.date": "2026-11-22"}),
    ("declared-before-issue", MX, {"declaration.date": "2026-11-20"}),
    ("no-declaration", MX, {"declaration": None}),
    ("endorsed-same-day", MX, {"endorsement": {"office": "Basel", "date": "2026-11-22",
                                               "reference": "26CH123"}}),
    ("endorsed-later", MX, {"endorsement": {"office": "Basel", "date": "2026-11-25",
                                            "reference": "26CH123"}}),
    ("CN-will-split-51", CN, {"items": items(51, hs_code="848210", origin_criterion="PSR")}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("form", "changes"),
    [
        pytest.param(form, changes, id=id_)
        for id_, form, changes in ACCEPTED
    ],
)  # fmt: skip
def test_accepted(form, changes):
    will_split = len(changes.get("items", [])) > 50
    no_findings(check(patch(base(form), changes), will_split=will_split))


def test_will_split_drops_only_max_items():
    data = patch(base(CN), {"items": items(51, hs_code="848210", origin_criterion="PSR"), "invoices": []})
    assert codes(check(data)) == {"box8.max_items", "box10.invoice_required"}
    assert codes(check(data, will_split=True)) == {"box10.invoice_required"}


def test_gcc_bare_destination_only_warns():
    """'Saudi Arabia' in box 5 is advice (warning), never an error."""
    findings = check(patch(base(QUAD), {**GCC, "destination": "Saudi Arabia"}))
    assert [f.severity for f in findings] == ["warning"]


def test_findings_sorted_errors_first_then_by_box():
    data = patch(base(CN), {
        "invoices": [], "consignee": None, "items[0].hs_code": "84", "trade.from": "CH",
        "declaration.date": "2026-12-01", "destination": "Deutschland",
    })  # fmt: skip
    findings = check(data)
    keys = [(f.severity != "error", int(f.box or 0)) for f in findings]
    assert keys == sorted(keys)
    assert codes(findings) == {
        "box3.consignee_required", "box5.member_state", "box8.hs_digits", "box10.invoice_required",
        "box12.date_after_issue", "box2.country_code",
    }  # fmt: skip


@pytest.mark.parametrize("example", sorted(BASES.values()))
def test_examples_are_clean(example):
    no_findings(check(json.loads((EXAMPLES / example).read_text(encoding="utf-8"))))


def test_revised_rules_window_is_the_table_date():
    (s,) = agreements()["PEM"].statements
    assert s.until == dt.date(2025, 12, 31) and s.text == "REVISED RULES" and s.forms == ["eur1", "eur1-tri"]
