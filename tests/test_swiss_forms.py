"""The forms Swiss exporters buy (issue 19, item 12): the ordinary EUR.1 and EUR-MED with German,
French and Italian labels, as built-in layouts chosen by the agreement table.

Each form's whole set is rendered and read back with pdfplumber; the labels must be the
quadrilingual form's German, French and Italian (with "Ausführer"), and no English.
"""

from __future__ import annotations

import json

import pytest

from eur1pdf import get_layout, validate
from eur1pdf.artwork.blank import blank_path, build_blank
from eur1pdf.rules.agreements import agreements

from .conftest import ROOT, box_rect_pt, fill, open_pdf, text_in

EXAMPLES = {"eur1-tri": "eur1-tri-ch-uk.json", "eur-med-tri": "eur-med-tri-ch-tn.json"}
FORMS = sorted(EXAMPLES)
TITLE = (
    "WARENVERKEHRSBESCHEINIGUNG",
    "CERTIFICAT DE CIRCULATION DES MARCHANDISES",
    "CERTIFICATO DI CIRCOLAZIONE DELLE MERCI",
)
# each box's label starts with its German words, then French and Italian ones
LABELS = {
    "1": ("Ausführer (Name, vollständige Anschrift, Staat)", "Exportateur (nom", "Esportatore (nome"),
    "2": ("Bescheinigung für den Präferenzverkehr zwischen", "Certificat utilisé", "Certificato utilizzato"),
    "3": ("Empfänger (Name", "Destinataire (nom", "Destinatario (nome"),
    "4": ("Ursprungsstaat", "Pays d'origine", "Paese d'origine"),
    "5": ("Bestimmungsstaat", "Pays de destination", "Paese di destinazione"),
    "6": ("Angaben über die Beförderung", "Informations relatives au transport", "Informazioni riguardanti"),
    "7": ("Bemerkungen", "Observations", "Osservazioni"),
    "8": ("Laufende Nummer", "N° d'ordre", "Numero d'ordine"),
    "9": ("Rohgewicht (kg)", "Masse brute (kg)", "Massa lorda (kg)"),
    "10": ("Rechnungen", "Factures", "Fatture"),
    "11": ("SICHTVERMERK DER ZOLLBEHÖRDE", "VISA DE LA DOUANE", "VISTO DELLA DOGANA"),
    "12": ("ERKLÄRUNG DES AUSFÜHRERS", "DÉCLARATION DE L'EXPORTATEUR", "DICHIARAZIONE DELL'ESPORTATORE"),
}
ENGLISH = ("Exporter", "Consignee", "Remarks", "Gross mass", "CUSTOMS ENDORSEMENT", "DECLARATION BY THE")


def example_for(form: str) -> dict:
    return json.loads((ROOT / "examples" / EXAMPLES[form]).read_text(encoding="utf-8"))


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("form", FORMS)
def test_the_example_validates_and_renders_the_whole_set(form):
    data = example_for(form)
    assert data["form"] == form
    assert validate(data) == []
    with open_pdf(fill(data)) as pdf:
        assert len(pdf.pages) == 5  # sheet 1 front and notes, sheet 2, sheet 3 front and declaration
        texts = [" ".join(page.extract_text().split()) for page in pdf.pages]
    for page in (0, 2, 3):
        assert data["exporter"]["name"] in texts[page]
    assert "ANMERKUNGEN / NOTES / NOTE" in texts[1]
    assert "KOPIE" in texts[2] and "ANTRAG AUF EINE WARENVERKEHRSBESCHEINIGUNG" in texts[3]
    assert "ERKLÄRUNG DES AUSFÜHRERS / DÉCLARATION DE L'EXPORTATEUR /" in texts[4]


@pytest.mark.parametrize("form", FORMS)
def test_every_label_is_in_the_three_languages_and_none_in_english(form):
    layout = get_layout(form)
    with open_pdf(blank_path(layout).read_bytes()) as pdf:
        front = pdf.pages[0]
        whole = " ".join(front.extract_text().split())
        for line in TITLE:
            assert line in whole
        for number, words in LABELS.items():
            in_box = squeeze(text_in(front, box_rect_pt(layout, number)))
            assert in_box.startswith(squeeze(f"{number}. {words[0]}")), (number, in_box[:60])
            for word in words[1:]:
                assert squeeze(word) in in_box, (number, word)
        for page in pdf.pages:
            text = page.extract_text()
            assert not any(english in text for english in ENGLISH), form
            assert "Exporteur" not in text  # the official German term is "Ausführer"


def test_the_eur_med_form_has_its_cumulation_check_boxes_in_three_languages():
    layout = get_layout("eur-med-tri")
    with open_pdf(blank_path(layout).read_bytes()) as pdf:
        box7 = text_in(pdf.pages[0], box_rect_pt(layout, "7"))
        assert "EUR-MED" in pdf.pages[0].extract_text()
    for words in (
        "Kumulierung angewandt mit",
        "Cumul appliqué avec",
        "Cumulo applicato con",
        "Keine Kumulierung angewandt",
        "Aucun cumul appliqué",
        "Nessun cumulo applicato",
    ):
        assert words in box7
    data = example_for("eur-med-tri")
    with open_pdf(fill(data, sheets=(1,), overlay_only=True)) as pdf:
        box7 = text_in(pdf.pages[0], box_rect_pt(layout, "7"))
    # as on the English EUR-MED: the countries on the dotted line of the ticked "cumulation applied with"
    assert box7.split() == ["EU", "X"]


@pytest.mark.parametrize("form", FORMS)
def test_committed_blank_is_what_the_layout_draws(form):
    layout = get_layout(form)
    assert blank_path(layout).read_bytes() == build_blank(layout), (
        f"blank_forms/{form}.pdf is stale: run `eur1pdf blank {form} -o blank_forms/{form}.pdf`"
    )


def test_the_agreements_allow_them_where_they_allow_the_ordinary_form():
    for key, a in agreements().items():
        assert ("eur1" in a.forms) == ("eur1-tri" in a.forms), key
        assert ("eur-med" in a.forms) == ("eur-med-tri" in a.forms), key


def test_an_agreement_that_asks_for_the_quadrilingual_form_refuses_the_trilingual_one():
    data = example_for("eur1-tri")
    data.update(agreement="CH-JP", destination="Japan")
    data["trade"]["to"] = "Japan"
    (finding,) = [f for f in validate(data) if f.severity == "error"]
    assert (finding.code, finding.field) == ("agreement.form", "form")
    assert "eur1-quad" in finding.message and "'eur1-tri'" in finding.message
