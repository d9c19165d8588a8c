"""Sheet 3's reverse (issue 19, item 2): the Swiss standard wordings in the certificate's language,
for exports from Switzerland only; the pre-examination rubric for retrospective issue.

Every check reads the rendered reverse of sheet 3 back with pdfplumber.
"""

from __future__ import annotations

import pytest

from eur1pdf import validate
from eur1pdf.layouts.geometry import PT_PER_MM
from eur1pdf.placement.field_sources import wordings
from eur1pdf.rules import RuleViolation

from .conftest import fill, open_pdf

LANGUAGES = ("en", "fr", "de", "it")


def reverse_text(data: dict) -> str:
    """The text of sheet 3's reverse (sheet 3 alone: front, reverse), one space between words."""
    with open_pdf(fill(data, sheets=(3,))) as pdf:
        assert len(pdf.pages) == 2
        return " ".join(pdf.pages[1].extract_text().split())


def standard(language: str) -> tuple[str, str]:
    w = wordings()["application"][language]
    return w["circumstances"], w["supporting_documents"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_standard_wording_follows_the_language(example, language):
    example["language"] = language
    text = reverse_text(example)
    for part in standard(language):
        assert part in text, (language, part)
    for other in LANGUAGES:
        if other != language:
            assert not any(part in text for part in standard(other)), (language, other)


def test_without_a_language_the_wording_is_english(example):
    example.pop("language", None)
    assert all(part in reverse_text(example) for part in standard("en"))


@pytest.mark.parametrize("country", ["Switzerland", "Schweiz", "SUISSE", "Svizzera"])
def test_a_swiss_exporter_gets_the_standard_wording(example, country):
    example["exporter"]["country"] = country
    example["application"] = None
    example["language"] = "it"
    assert validate(example) == []
    assert all(part in reverse_text(example) for part in standard("it"))


def test_a_french_exporter_without_circumstances_is_refused_with_the_field_named(example):
    example["exporter"]["country"] = "France"
    example["application"] = {"circumstances": None, "supporting_documents": None}
    findings = {f.field: f for f in validate(example)}
    assert set(findings) == {"application.circumstances", "application.supporting_documents"}
    circumstances = findings["application.circumstances"]
    assert (circumstances.severity, circumstances.code) == ("error", "sheet3.circumstances")
    assert "France" in circumstances.message and "application.circumstances" in circumstances.message
    assert findings["application.supporting_documents"].code == "sheet3.supporting_documents"
    with pytest.raises(RuleViolation) as caught:
        fill(example, sheets=(3,))
    assert "application.circumstances" in str(caught.value)


def test_a_french_exporter_prints_what_it_states_and_no_standard_wording(example):
    example["exporter"]["country"] = "France"
    example["language"] = "fr"
    example["application"] = {
        "circumstances": "Produits entièrement obtenus en France par Roulements Martin SA, Lyon",
        "supporting_documents": "Déclaration du fabricant RM-2026-031",
    }
    assert validate(example) == []
    text = reverse_text(example)
    assert "Produits entièrement obtenus en France par Roulements Martin SA, Lyon" in text
    assert "Déclaration du fabricant RM-2026-031" in text
    assert not any(part in text for language in LANGUAGES for part in standard(language))


def test_a_french_exporter_draft_leaves_the_parts_empty(example):
    example["exporter"]["country"] = "France"
    example["application"] = None
    with open_pdf(fill(example, sheets=(3,), draft=True, allow_errors=True)) as pdf:
        text = " ".join(pdf.pages[1].extract_text().split())
    assert not any(part in text for language in LANGUAGES for part in standard(language))


PRE = {"office": "Handelskammer beider Basel", "date": "2026-11-20", "reference": "VP-2026-4411"}


@pytest.mark.parametrize(
    ("language", "heading", "office"),
    [
        ("en", "PRE-EXAMINATION", "Pre-examined by: Handelskammer beider Basel"),
        ("fr", "EXAMEN PRÉALABLE", "Examen préalable effectué par: Handelskammer beider Basel"),
        ("de", "VORPRÜFUNG", "Vorgeprüft durch: Handelskammer beider Basel"),
        ("it", "ESAME PRELIMINARE", "Esame preliminare effettuato da: Handelskammer beider Basel"),
    ],
)
def test_retrospective_issue_shows_the_pre_examination_rubric(example, language, heading, office):
    example.update(retrospective=True, language=language)
    example["application"] = {"pre_examination": PRE}
    assert validate(example) == []
    with open_pdf(fill(example, sheets=(3,))) as pdf:
        reverse = pdf.pages[1]
        text = " ".join(reverse.extract_text().split())
        assert heading in text and office in text and "20.11.2026" in text and "VP-2026-4411" in text
        # below the signature, above the footnote
        (word,) = [w for w in reverse.extract_words() if w["text"] == heading.split()[0]]
        assert 219 * PT_PER_MM < word["top"] < 275 * PT_PER_MM


def test_retrospective_without_pre_examination_is_refused_and_a_draft_shows_the_empty_rubric(example):
    example["retrospective"] = True
    (finding,) = validate(example)
    assert (finding.code, finding.field) == ("sheet3.pre_examination", "application.pre_examination")
    with open_pdf(fill(example, sheets=(3,), draft=True, allow_errors=True)) as pdf:
        assert "PRE-EXAMINATION" in pdf.pages[1].extract_text()


def test_no_rubric_when_not_retrospective_and_not_given(example):
    text = reverse_text(example)
    assert not any(heading in text for heading in ("PRE-EXAMINATION", "EXAMEN PRÉALABLE", "VORPRÜFUNG"))


def test_the_swiss_form_prints_its_rubric_once_with_the_office_in_it(example):
    example.update(form="eur1-tri", agreement="CH-UK", retrospective=True, language="de")
    example["trade"]["to"] = example["destination"] = "United Kingdom"
    example["items"] = [dict(item, hs_code=None) for item in example["items"]]
    example["application"] = {"pre_examination": {"office": "Handelskammer beider Basel"}}
    assert validate(example) == []
    text = reverse_text(example)
    assert text.count("VORPRÜFUNG") == 1  # the printed rubric's heading; the data adds none
    assert "VORPRÜFUNG / EXAMEN PRÉALABLE / ESAME PRELIMINARE" in text
    assert "Vorgeprüft durch: Handelskammer beider Basel" in text
    assert all(part in text for part in standard("de"))
