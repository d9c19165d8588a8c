"""Finals as PDF/A-3b: what the PDF/A validator we can run here (PDFBox preflight, PDF/A-1b
only) does not check for part 3, checked on the files themselves; and preflight itself,
where Debian's libpdfbox2-java is installed (.ci/run installs it)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
import pytest

from eur1pdf import FillOptions, load_certificate, render
from eur1pdf.finish.lock import sign
from eur1pdf.options import OptionsError
from eur1pdf.pdf.archival import xmp_date

from .conftest import NOW, PASSPHRASE, ROOT, cli

LINK = "https://verify.example.org/eur1/{serial}?d={digest}"
EXAMPLES = {path.stem: path for path in sorted((ROOT / "examples").glob("*.json"))}
FORMS = ["eur1-ch-mx", "eur-med-ch-ma", "eur1-quad-ch-in", "eur1-cn-ch-cn"]
NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}
PREFLIGHT_JARS = [
    "preflight",
    "pdfbox2",
    "fontbox2",
    "xmpbox",
    "commons-logging",
    "javax.activation",
    "jaxb-api",
]
# PDF/A-1 forbids what PDF/A-3 allows: attachments, layers, transparency; and it asks for CIDSet
PART_1_ONLY = ("1.2.9", "1.4.7", "1.4.8", "4.1.2", "7.11.2")


def final(stem: str, **options) -> bytes:
    return render(load_certificate(EXAMPLES[stem]), FillOptions(final=True, verify_url=LINK, **options))


def _xmp_values(pdf: pikepdf.Pdf) -> dict[str, str]:
    root = ElementTree.fromstring(pdf.Root.Metadata.read_bytes())
    found = {}
    for tag in ("pdfaid:part", "pdfaid:conformance", "pdf:Producer", "xmp:CreatorTool", "xmp:CreateDate",
                "xmp:ModifyDate", "xmp:MetadataDate", "dc:title/rdf:Alt/rdf:li"):  # fmt: skip
        element = root.find(f".//{tag}", NS)
        if element is not None:
            found[tag] = element.text or ""
    return found


def _check_in_step(data: bytes) -> None:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        xmp, info = _xmp_values(pdf), pdf.docinfo
        assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("3", "B")
        assert xmp["dc:title/rdf:Alt/rdf:li"] == str(info.Title)
        assert xmp["pdf:Producer"] == str(info.Producer)
        assert xmp["xmp:CreatorTool"] == str(info.Creator)
        assert xmp["xmp:CreateDate"] == xmp_date(str(info.CreationDate))
        assert xmp["xmp:ModifyDate"] == xmp["xmp:MetadataDate"] == xmp_date(str(info.ModDate))


@pytest.mark.parametrize("stem", FORMS)
def test_final_is_pdfa_3b(stem):
    data = final(stem)
    _check_in_step(data)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/Encrypt" not in pdf.trailer
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and intent.DestOutputProfile.N == 3
        assert intent.DestOutputProfile.read_bytes()[36:40] == b"acsp", "an ICC profile"
        (spec,) = pdf.Root.AF
        assert spec.AFRelationship == "/Source" and spec.UF == "certificate.json"
        assert spec.EF.F.Subtype == "/application/json" and "/ModDate" in spec.EF.F.Params
        assert spec.objgen == pdf.Root.Names.EmbeddedFiles.Names[1].objgen
        layers = pdf.Root.OCProperties.D
        assert str(layers.Name) and "/AS" not in layers
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor
            for form in page.Resources.XObject.values():
                for font in form.get("/Resources", {}).get("/Font", {}).values():
                    assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor


def test_pdfa_choice():
    with pikepdf.open(io.BytesIO(final("eur1-ch-mx", pdfa=False, sheets=(1,)))) as pdf:
        assert "/OutputIntents" not in pdf.Root and b"pdfaid" not in pdf.Root.Metadata.read_bytes()
    locked = final("eur1-ch-mx", lock_password="owner", sheets=(1,))
    with pikepdf.open(io.BytesIO(locked)) as pdf:
        assert pdf.is_encrypted and "/OutputIntents" not in pdf.Root, "a locked final is simply not PDF/A"
    with pytest.raises(OptionsError, match="PDF/A forbids encryption"):
        FillOptions(final=True, pdfa=True, lock_password="owner")
    with pytest.raises(OptionsError, match="for final certificates"):
        FillOptions(draft=True, pdfa=True)


def test_cli_pdfa_with_lock_is_an_error(tmp_path):
    env = {**os.environ, "EUR1PDF_TEST_OWNER": "x"}
    flags = ["--final", "--pdfa", "--lock", "--lock-password-env", "EUR1PDF_TEST_OWNER"]
    result = cli("fill", str(EXAMPLES["eur1-ch-mx"]), "-o", str(tmp_path / "o.pdf"), *flags, env=env)
    assert result.returncode == 1 and "--pdfa: PDF/A forbids encryption" in result.stderr


@pytest.mark.slow
def test_signed_final_keeps_xmp_in_step(signing_key):
    _, p12 = signing_key
    signed = sign(
        final("eur1-ch-mx", sheets=(1,)), p12, PASSPHRASE, reason="r", location="l", signing_time=NOW
    )
    _check_in_step(signed)
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        assert str(pdf.docinfo.ModDate).startswith(f"D:{NOW:%Y%m%d%H%M%S}")
        assert b"pdfaExtension" in pdf.Root.Metadata.read_bytes()
    from eur1pdf.finish.lock import signature_status

    (status,) = signature_status(signed)
    assert status.intact and status.valid and not status.modified_after_signing


def _preflight() -> list[str] | None:
    jars = [Path("/usr/share/java") / f"{name}.jar" for name in PREFLIGHT_JARS]
    if shutil.which("java") is None or not all(jar.exists() for jar in jars):
        return None
    return ["java", "-cp", ":".join(map(str, jars)), "org.apache.pdfbox.preflight.Validator_A1b"]


@pytest.mark.slow
@pytest.mark.parametrize("stem", FORMS)
def test_preflight_finds_nothing_but_part_1_rules(stem, tmp_path):
    command = _preflight()
    if command is None:
        pytest.skip("PDFBox preflight not installed (apt-get install libpdfbox2-java libactivation-java ...)")
    path = tmp_path / f"{stem}.pdf"
    path.write_bytes(final(stem))
    output = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=120).stdout
    errors = re.findall(r"^(\d+(?:\.\d+)+) : (.*)$", output, re.MULTILINE)
    assert errors, output  # it ran and reported (PDF/A-1 forbids attachments: never valid A-1b)
    others = [f"{code} {text}" for code, text in errors if code not in PART_1_ONLY and "CIDSet" not in text]
    assert others == []
