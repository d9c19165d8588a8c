"""`eur1pdf verify`: valid, unsigned, draft and tampered certificates, read back from the file."""

from __future__ import annotations

import io
import json
import os
import re

import pikepdf
import pytest
from cryptography.hazmat.primitives import serialization

import eur1pdf
from eur1pdf import FillOptions, render
from eur1pdf.finish.verify import NotACertificate, verify

from .conftest import PASSPHRASE, ROOT, SIGNER_CN, cli

pytestmark = pytest.mark.slow

TEMPLATE = "https://verify.example.org/eur1/{serial}?d={digest}"
FINAL_EXAMPLE = ROOT / "examples" / "eur1-ch-mx-final.json"


@pytest.fixture(scope="module")
def final_pdf() -> bytes:
    data = json.loads(FINAL_EXAMPLE.read_text(encoding="utf-8"))
    return render(data, FillOptions(final=True, verify_url=TEMPLATE))


def edit_first_printed_character(pdf_bytes: bytes) -> bytes:
    """Change one printed character of page 1, as a forger would (wherever the page's text is)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        page_objects = [pdf.pages[0].obj.Contents, *pdf.pages[0].Resources.XObject.values()]
        for stream in page_objects:
            raw = stream.read_bytes()
            # text is shown as glyph IDs, four hex digits each: make the first glyph a copy of the second
            found = re.search(rb"<([0-9A-F]{4})([0-9A-F]{4})", raw)
            if found and found.group(1) != found.group(2) and b"Tj" in raw:
                at = found.start(1)
                stream.write(raw[:at] + found.group(2) + raw[at + 4 :])
                out = io.BytesIO()
                pdf.save(out)
                return out.getvalue()
    raise AssertionError("no text with two different glyphs on page 1")


def test_untouched_final_is_checked_on_every_point(final_pdf):
    verdict = verify(final_pdf)
    assert verdict.status == "unsigned", verdict.reasons
    checks = " | ".join(verdict.checks)
    assert "QR code decoded at 150 dpi: https://verify.example.org/eur1/A%20123.456?d=" in checks
    assert "recomputed from the attached data" in checks
    assert "every object equals the document made again from the attached data" in checks
    assert "every page renders as the document made again" in checks


def test_changed_printed_character_is_tampered(final_pdf):
    verdict = verify(edit_first_printed_character(final_pdf))
    assert verdict.status == "tampered"
    assert re.match(r"page 1 \(sheet 1, box \d+\): ", verdict.reasons[0]), verdict.reasons
    # the glyph copied over the first changes that word; the words after it on the line move with it
    changed = r"page 1 \(sheet 1, box \d+\): text '.+' changed to '.+'"
    assert any(re.fullmatch(changed, reason) for reason in verdict.reasons)


def test_changed_attached_data_is_tampered(final_pdf):
    with pikepdf.open(io.BytesIO(final_pdf)) as pdf:
        raw = pdf.attachments["certificate.json"].get_file().read_bytes()
        forged = raw.replace(b"1250 kg", b"9250 kg")
        pdf.attachments["certificate.json"] = pikepdf.AttachedFileSpec(
            pdf, forged, filename="certificate.json"
        )
        out = io.BytesIO()
        pdf.save(out)
    verdict = verify(out.getvalue())
    assert verdict.status == "tampered"
    assert any(r.startswith("the attached data has digest") for r in verdict.reasons)
    assert any("9250" in r for r in verdict.reasons), "and the printed mass no longer matches it"
    assert any("box 9" in r for r in verdict.reasons), verdict.reasons


def test_draft_is_never_valid():
    data = json.loads(FINAL_EXAMPLE.read_text(encoding="utf-8"))
    verdict = verify(render(data, FillOptions(draft=True)))
    assert verdict.status == "draft" and not verdict.valid


def test_foreign_pdf_and_cli(final_pdf, tmp_path):
    blank = (ROOT / "blank_forms" / "eur1.pdf").read_bytes()
    with pytest.raises(NotACertificate):
        verify(blank)
    path = tmp_path / "f.pdf"
    path.write_bytes(final_pdf)

    def run(file):
        return cli("verify", str(file))

    result = run(path)
    assert result.returncode == 1 and "UNSIGNED" in result.stdout
    path.write_bytes(edit_first_printed_character(final_pdf))
    result = run(path)
    assert result.returncode == 1 and "TAMPERED" in result.stdout and "changed to" in result.stdout
    path.write_bytes(blank)
    assert run(path).returncode == 2


def test_locked_and_signed_final_is_valid_and_a_broken_signature_is_not(tmp_path, signing_key):
    cert, p12 = signing_key
    trust = tmp_path / "signer.pem"
    trust.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out = tmp_path / "signed.pdf"
    env = {**os.environ, "EUR1_KEY_PASS": PASSPHRASE.decode()}
    fill = ["fill", str(FINAL_EXAMPLE), "-o", str(out), "--final", "--verify-url", TEMPLATE, "--lock"]
    result = cli(*fill, "--sign", str(p12), "--sign-password-env", "EUR1_KEY_PASS", env=env)
    assert result.returncode == 0, result.stderr
    check = ["verify", str(out), "--trust", str(trust)]
    result = cli(*check)
    assert result.returncode == 0, result.stdout
    assert (
        "VALID" in result.stdout and f"signature by '{SIGNER_CN}' intact and valid, trusted" in result.stdout
    )
    with pikepdf.open(out) as pdf:
        assert not pdf.allow.modify_other and pdf.allow.print_highres, "locked against changes"
    # break the signature: one byte inside the signed range (a hex digit of the encrypted title)
    data = bytearray(out.read_bytes())
    at = data.index(b"<", data.index(b"/Title")) + 5
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    out.write_bytes(bytes(data))
    result = cli(*check)
    assert result.returncode == 1 and "TAMPERED" in result.stdout and "signature" in result.stdout


def test_passphrase_never_on_the_command_line(tmp_path, signing_key):
    _, p12 = signing_key
    out = str(tmp_path / "o.pdf")
    result = cli(
        "fill",
        str(FINAL_EXAMPLE),
        "-o",
        out,
        "--final",
        "--sign",
        str(p12),
        "--sign-password-env",
        "NO_SUCH_VARIABLE",
    )
    assert result.returncode == 2 and "NO_SUCH_VARIABLE is not set" in result.stderr
    assert not (tmp_path / "o.pdf").exists()


def test_a_user_blank_must_be_given_and_match(tmp_path):
    data = json.loads(FINAL_EXAMPLE.read_text(encoding="utf-8"))
    blank = ROOT / "blank_forms" / "eur1.pdf"
    pdf = render(data, FillOptions(final=True, verify_url=TEMPLATE), blank=blank)
    verdict = verify(pdf)
    assert verdict.status == "cannot-check" and "--blank" in verdict.reasons[0]
    assert verify(pdf, blank=blank).status == "unsigned"
    other = tmp_path / "other.pdf"
    other.write_bytes(blank.read_bytes() + b"\n% another file\n")
    verdict = verify(pdf, blank=other)
    assert verdict.status == "cannot-check" and "is not the blank form" in verdict.reasons[0]
    for unread in ("/dev/zero", tmp_path):  # refused unread (/dev/zero was read until memory ran out)
        verdict = verify(pdf, blank=unread)
        assert verdict.status == "cannot-check" and f"--blank {unread}: is a" in verdict.reasons[0]
    path = tmp_path / "on-blank.pdf"
    path.write_bytes(pdf)
    result = cli("verify", str(path), "--format", "json")
    assert result.returncode == 1 and json.loads(result.stdout)["verdict"] == "cannot-check"


def test_printer_adjustment_and_options_are_made_again():
    from eur1pdf.printer import PrinterProfile

    data = json.loads(FINAL_EXAMPLE.read_text(encoding="utf-8"))
    printer = PrinterProfile.model_validate({"offset_x_mm": 1.5, "layouts": {"eur1": {"scale_y": 1.004}}})
    options = FillOptions(final=True, verify_url=TEMPLATE, printer=printer, sheets=(1,), end_mark="stars")
    verdict = verify(render(data, options))
    assert verdict.status == "unsigned", verdict.reasons
    overlay = FillOptions(final=True, verify_url=TEMPLATE, overlay_only=True)
    assert verify(render(data, overlay)).status == "unsigned"


def test_trust_from_the_settings_file(tmp_path, signing_key):
    cert, p12 = signing_key
    (tmp_path / "root.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "site.toml").write_text('trust = ["root.pem"]\n', encoding="utf-8")
    out = tmp_path / "signed.pdf"
    env = {**os.environ, "EUR1_KEY_PASS": PASSPHRASE.decode()}
    fill = ["fill", str(FINAL_EXAMPLE), "-o", str(out), "--final", "--verify-url", TEMPLATE]
    assert cli(*fill, "--sign", str(p12), "--sign-password-env", "EUR1_KEY_PASS", env=env).returncode == 0
    result = cli("verify", str(out))
    assert result.returncode == 1 and "UNTRUSTED SIGNER" in result.stdout
    result = cli("verify", str(out), "--config", str(tmp_path / "site.toml"))
    assert result.returncode == 0 and "VALID" in result.stdout, result.stdout


def test_a_file_that_is_no_pdf_gets_a_message_without_memory_addresses(tmp_path):
    """Found by review: qpdf's message named the in-memory stream (<_io.BytesIO object at 0x…>)."""
    junk = tmp_path / "x.pdf"
    junk.write_bytes(b"hi")
    result = cli("verify", str(junk))
    assert result.returncode == 2 and "not a readable PDF (" in result.stderr
    assert " at 0x" not in result.stderr and "BytesIO" not in result.stderr


def test_a_final_made_by_another_version_cannot_be_checked_rather_than_tampered(final_pdf):
    """Found by review: after an upgrade every genuine final read TAMPERED; the version is recorded."""
    with pikepdf.open(io.BytesIO(final_pdf)) as pdf:
        options = json.loads(str(pdf.docinfo["/Eur1pdfOptions"]))
        assert options["version"] == eur1pdf.__version__
        options["version"] = "0.0.1"
        pdf.docinfo["/Eur1pdfOptions"] = json.dumps(options, sort_keys=True, separators=(",", ":"))
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False)
    verdict = verify(out.getvalue())
    assert verdict.status == "cannot-check", verdict.reasons
    assert any("eur1pdf 0.0.1" in reason for reason in verdict.reasons)
