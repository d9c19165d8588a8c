"""The rules of instruction 1.4, 1.5, 1.7 and 2.2-2.3 for declarations, per agreement class."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from eur1pdf.declaration.model import declaration_from_data
from eur1pdf.declaration.rules import check_declaration
from eur1pdf.declaration.table import declaration_terms, wordings
from eur1pdf.declaration.wording import declaration_text
from eur1pdf.errors import InputError
from eur1pdf.rules.agreements import agreements
from eur1pdf.rules.findings import RULES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "declarations"


def load(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def codes(data: dict) -> dict[str, str]:
    """code -> severity of the findings (the first of each code)."""
    found: dict[str, str] = {}
    for f in check_declaration(declaration_from_data(data)):
        found.setdefault(f.code, f.severity)
    return found


def errors(data: dict) -> set[str]:
    return {c for c, s in codes(data).items() if s == "error"}


def plain(**changes) -> dict:
    """A simple PEM declaration under the value limit, changed as asked."""
    data = load("pem")
    data.update(approved_exporter=None, eur_med=False, cumulation=None)
    data["document"]["currency"] = "CHF"
    data["items"][0]["value"] = "9000.00"
    data.update(changes)
    return data


def test_every_agreement_of_the_annex_table_has_terms_and_its_wording_exists():
    assert set(agreements()) <= set(declaration_terms())
    for terms in declaration_terms().values():
        if terms.allowed:
            wording = wordings()[terms.wording]
            assert wording["source"] and isinstance(wording["confirmed"], bool)
            assert any(lang in wording for lang in terms.languages), terms.key


@pytest.mark.parametrize("name", ["pem", "canada", "uk", "rex"])
def test_the_examples_have_no_errors(name):
    assert not errors(load(name))


def test_value_under_and_over_the_chf_limit():
    assert not errors(plain())
    over = plain()
    over["items"][0]["value"] = "10300.01"
    assert errors(over) == {"declaration.value_limit"}
    at = plain()
    at["items"][0]["value"] = "10300"
    assert not errors(at)


def test_an_approved_exporter_has_no_value_limit():
    data = plain(approved_exporter="CH/ZH/1234")
    data["items"][0]["value"] = "250000"
    assert not errors(data)


def test_the_invoice_currency_decides_the_limit():
    data = plain(agreement="EFTA-CO")
    data["document"]["currency"] = "USD"
    data["items"][0]["value"] = "8500"
    assert not errors(data)
    data["items"][0]["value"] = "8600"
    assert errors(data) == {"declaration.value_limit"}
    data["document"]["currency"] = "EUR"  # 8,600 EUR is over the EUR 6,000 limit
    assert errors(data) == {"declaration.value_limit"}
    data["document"]["currency"] = "JPY"
    assert codes(data).get("declaration.limit_currency") == "warning"


def test_central_america_limit_is_eur_6000():
    data = plain(agreement="EFTA-CAS")
    data["document"]["currency"] = "EUR"
    data["items"][0]["value"] = "6000.01"
    assert errors(data) == {"declaration.value_limit"}


@pytest.mark.parametrize(
    "agreement", ["EFTA-SG", "EFTA-KR", "EFTA-CA", "EFTA-HK", "EFTA-PH", "EFTA-ID", "EFTA-EC"]
)
def test_footnote_12_agreements_have_no_value_limit(agreement):
    data = plain(agreement=agreement)
    data["items"][0]["value"] = "9999999"
    assert not errors(data)


@pytest.mark.parametrize("agreement", ["EFTA-KR", "EFTA-CA", "EFTA-SG"])
def test_footnote_12_english_text_carries_the_approved_exporters_number(agreement):
    """The Korea, Canada and Singapore texts (as the partners' customs quote them) have the clause."""
    data = plain(agreement=agreement, language="en")
    clause = "covered by this document (customs authorization No CH/ZH/1234) declares"
    assert clause not in declaration_text(declaration_from_data(data)).plain()
    data["approved_exporter"] = "CH/ZH/1234"
    assert clause in declaration_text(declaration_from_data(data)).plain()


def test_a_number_the_wording_cannot_print_is_a_warning_not_silence():
    """Canada's French wording has no place for the approved exporter's number: said, not dropped."""
    data = plain(agreement="EFTA-CA", language="fr", approved_exporter="CH/ZH/1234")
    assert codes(data).get("declaration.authorisation_not_printed") == "warning"
    assert "CH/ZH/1234" not in declaration_text(declaration_from_data(data)).plain()
    data["language"] = "en"
    assert "declaration.authorisation_not_printed" not in codes(data)
    assert "CH/ZH/1234" in declaration_text(declaration_from_data(data)).plain()


def test_ecuador_any_value_by_declaration():
    data = plain(agreement="EFTA-EC", language="es")
    data["items"][0]["value"] = "1000000"
    assert not errors(data)
    assert "origen preferencial Swiss" in declaration_text(declaration_from_data(data)).plain()


@pytest.mark.parametrize("agreement", ["CH-JP", "CH-CN", "EFTA-IN"])
def test_japan_china_india_need_an_approved_exporter(agreement):
    data = plain(agreement=agreement)
    assert "declaration.approved_exporter_required" in errors(data)
    data["approved_exporter"] = "CH/BE/77"
    assert not errors(data)
    assert (
        "approved exporter authorisation No CH/BE/77" in declaration_text(declaration_from_data(data)).plain()
    )


def test_gcc_is_refused():
    found = check_declaration(declaration_from_data(plain(agreement="EFTA-GCC")))
    assert [f.code for f in found] == ["declaration.not_allowed"]
    assert "EUR.1" in found[0].message


def test_eur_med_cumulation_mention():
    data = load("pem")
    text = declaration_text(declaration_from_data(data)).plain()
    assert "cumulation applied with EU, Norway" in text
    data["cumulation"] = {"applied_with": []}
    assert "no cumulation applied" in declaration_text(declaration_from_data(data)).plain()
    data["cumulation"] = None
    assert errors(data) == {"declaration.cumulation"}
    data["eur_med"] = False
    data["cumulation"] = {"applied_with": ["EU"]}
    assert errors(data) == {"declaration.cumulation"}
    assert "declaration.cumulation" in errors(
        {**plain(agreement="EFTA-MX"), "eur_med": True, "cumulation": {"applied_with": []}}
    )


def test_uk_electronic_signature_only_for_the_uk():
    uk = load("uk")
    assert not errors(uk)
    assert (
        "Signed electronically: UJ-SIG-2026-0310-7781" in declaration_text(declaration_from_data(uk)).plain()
    )
    assert errors({**uk, "agreement": "PEM"}) == {"declaration.signature"}
    no_code = copy.deepcopy(uk)
    no_code["signing"]["code"] = None
    assert errors(no_code) == {"declaration.signature"}


def test_mixed_pem_origins_per_item():
    data = plain(origin=None)
    data["items"] = [
        {"position": "1", "description": "Bearings", "value": "100", "origin": "Swiss"},
        {"position": "2", "description": "Seals", "value": "100", "origin": "EU"},
        {"position": "3", "description": "Pallet", "value": "10", "originating": False},
    ]
    assert not errors(data)
    text = declaration_text(declaration_from_data(data)).plain()
    assert "these products are of (see each item below) preferential origin" in text
    assert "item 1: Swiss" in text and "item 2: EU" in text
    assert "not covered by this declaration): 3" in text
    same = copy.deepcopy(data)
    same["items"][1]["origin"] = "Swiss"
    assert errors(same) == {"declaration.origin"}  # one origin: in the text
    data["agreement"] = "EFTA-MX"  # a reference to items only for mixed PEM origins
    assert errors(data) == {"declaration.origin"}


def test_non_originating_items_are_marked_and_warned():
    data = load("pem")
    found = codes(data)
    assert found["declaration.non_originating"] == "warning"
    assert "(not covered by this declaration): 2" in declaration_text(declaration_from_data(data)).plain()


def test_retention_period_korea_and_india_five_years():
    assert declaration_terms()["EFTA-KR"].retention_years == 5
    assert declaration_terms()["EFTA-IN"].retention_years == 5
    assert declaration_terms()["PEM"].retention_years == 3


def test_retrospective_within_two_years_of_import():
    data = plain(retrospective={"import_date": "2024-01-16"})  # the declaration is dated 2026-01-15
    assert not errors(data)
    data["retrospective"] = {"import_date": "2024-01-14"}
    assert errors(data) == {"declaration.retrospective_late"}


def test_rex_with_and_without_number():
    rex = load("rex")
    text = declaration_text(declaration_from_data(rex)).plain()
    assert "(Numéro d'exportateur enregistré CHREX1234567890)" in text
    assert "critère d'origine satisfait est W 9603, Cumul Suisse." in text
    swiss_without = {**rex, "rex_number": None}
    assert errors(swiss_without) == {"declaration.rex_number"}
    foreign = {**swiss_without, "exporter": {**rex["exporter"], "country": "Viet Nam"}}
    assert not errors(foreign)  # under CHF 10,300 without registration (2.4)
    english = declaration_text(declaration_from_data({**foreign, "language": "en"})).plain()
    assert english.startswith("The exporter Brosserie Léman SA") and "Registered Exporter" not in english


def test_rex_origin_criterion_and_cumulation_mentions():
    rex = load("rex")
    rex["items"][0]["origin_criterion"] = "W9603"
    assert errors(rex) == {"declaration.origin_criterion"}
    rex["items"][0]["origin_criterion"] = "P"
    assert not errors(rex)
    rex["rex_cumulation"] = "Swiss cumul"
    assert errors(rex) == {"declaration.rex_cumulation"}


def test_rex_replacement_statement():
    rex = load("rex")
    rex["kind"] = "replacement_statement"
    assert errors(rex) == {"declaration.replacement"}
    rex["replacement"] = {
        "original_date": "2026-03-01",
        "original_reference": "SoO VN-4411",
        "consignee": {"name": "Brosses SARL", "address": ["1 rue Haute", "Lyon"], "country": "France"},
    }
    assert not errors(rex)
    text = declaration_text(declaration_from_data(rex)).plain()
    assert text.startswith("Attestation de remplacement\n")
    assert "Remplace la déclaration d'origine établie le 01.03.2026 (SoO VN-4411)" in text
    assert "Destinataire : Brosses SARL, 1 rue Haute, Lyon, France" in text


def test_statement_and_declaration_are_not_mixed_up():
    assert errors({**load("rex"), "kind": "invoice_declaration"}) >= {"declaration.kind"}
    assert "declaration.kind" in errors({**plain(), "kind": "statement_on_origin"})


def test_language_must_be_one_of_the_agreement():
    assert errors(plain(agreement="CH-JP", approved_exporter="X", language="fr")) == {"declaration.language"}
    german = declaration_text(declaration_from_data(plain(language="de"))).plain()
    assert "präferenzbegünstigte Ursprungswaren Swiss sind" in german


def test_unknown_agreement_and_field_are_named():
    assert [f.code for f in check_declaration(declaration_from_data(plain(agreement="PEMM")))] == [
        "agreement.unknown"
    ]
    with pytest.raises(InputError) as exc:
        declaration_from_data({**plain(), "orign": "Swiss"})
    assert "orign" in str(exc.value)


def test_every_declaration_code_is_registered_and_in_the_readme():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    declaration_codes = [c for c in RULES if c.startswith("declaration.")]
    assert len(declaration_codes) >= 15
    for code in declaration_codes:
        assert f"`{code}`" in readme


def test_the_terms_table_in_the_docs_is_the_data():
    from eur1pdf.declaration.table import terms_markdown

    doc = (Path(__file__).resolve().parent.parent / "docs" / "declarations.md").read_text(encoding="utf-8")
    block = doc.split("<!-- declaration-terms:start -->\n")[1].split("\n<!-- declaration-terms:end -->")[0]
    assert block == terms_markdown()


def _failing_cases() -> list[dict]:
    """One input (at least) per declaration rule; placement: tests/test_declaration_stamp.py."""
    over = plain()
    over["items"][0]["value"] = "20000"
    yen = plain()
    yen["document"]["currency"] = "JPY"
    rex = load("rex")
    bad_criterion = copy.deepcopy(rex)
    bad_criterion["items"][0]["origin_criterion"] = "X"
    return [
        plain(agreement="EFTA-GCC"),
        over,
        yen,
        plain(agreement="CH-CN"),
        plain(language="es"),
        plain(origin=None, agreement="EFTA-MX"),
        load("pem"),
        {**plain(), "eur_med": True},
        {**plain(), "signing": {"method": "electronic", "code": "X"}},
        {**plain(), "signing": {"method": "handwritten"}},
        plain(retrospective={"import_date": "2020-01-01"}),
        {**rex, "rex_number": None},
        bad_criterion,
        {**rex, "rex_cumulation": "x"},
        {**rex, "kind": "replacement_statement"},
        {**plain(), "kind": "statement_on_origin"},
        plain(agreement="EFTA-CA", language="fr", approved_exporter="CH/ZH/1234"),
    ]


def test_every_declaration_rule_has_a_failing_case():
    seen = {code for case in _failing_cases() for code in codes(case)}
    wanted = {code for code in RULES if code.startswith("declaration.")} - {"declaration.placement"}
    assert wanted <= seen, wanted - seen
    unsigned = codes({**plain(), "signing": {"method": "handwritten"}})
    assert unsigned["declaration.signatory"] == "warning" and not errors({**plain(), "signing": {}})
