"""Shared helpers: the example certificate, rendering, reading PDFs back."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, settings

from eur1pdf import FillOptions, get_layout, render
from eur1pdf.errors import FAIL_ON_INTERNAL, internal_error_count
from eur1pdf.layouts.geometry import PT_PER_MM

# Hypothesis budgets for every fuzzing module (test_hostile*.py): `ci` (a small, repeatable budget)
# by default, HYPOTHESIS_PROFILE=long for a local soak
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile(
    "long", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "eur1-ch-mx.json"
PASSPHRASE = b"key passphrase"
SIGNER_CN = "Test Exporter AG"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


# No "internal error" is reachable from input (issue 21): under the tests every top-level catch
# (the command line, render_many, the service's 500) raises what it caught again, here and in the
# commands, workers and servers the tests start (they inherit the environment).
os.environ.setdefault(FAIL_ON_INTERNAL, "1")


@pytest.fixture(autouse=True)
def _no_internal_error(request):
    """A test fails when a top-level catch of this process saw an internal error during it (one
    that swallowed the re-raise would otherwise pass unnoticed); ``internal_error_allowed`` lifts it."""
    before = internal_error_count()
    yield
    if "internal_error_allowed" not in request.fixturenames:
        assert internal_error_count() == before, "an internal error was reached (see the log above)"


@pytest.fixture
def internal_error_allowed(monkeypatch):
    """For the one test that shows how an internal error is reported: the catch answers, as for a user."""
    monkeypatch.delenv(FAIL_ON_INTERNAL, raising=False)


@pytest.fixture
def example() -> dict:
    """A fresh copy of the bundled example's data, free to modify."""
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def eur1():
    return get_layout("eur1")


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run the ``eur1pdf`` command in a fresh interpreter, as a user would; text output captured."""
    return subprocess.run(
        [sys.executable, "-m", "eur1pdf.cli", *args], capture_output=True, text=True, **kwargs
    )


def fill(data: dict, **options) -> bytes:
    return render(copy.deepcopy(data), FillOptions(**options))


def box_rect_pt(layout, number: str, face: str = "certificate") -> tuple[float, float, float, float]:
    """(x0, top, x1, bottom) in pt from the page's top-left, as pdfplumber measures."""
    x, y, w, h = layout.faces[face].boxes[number].rect
    return (x * PT_PER_MM, y * PT_PER_MM, (x + w) * PT_PER_MM, (y + h) * PT_PER_MM)


def inside(obj: dict, rect: tuple[float, float, float, float], tol: float = 0.01) -> bool:
    x0, top, x1, bottom = rect
    return (
        obj["x0"] >= x0 - tol
        and obj["x1"] <= x1 + tol
        and obj["top"] >= top - tol
        and obj["bottom"] <= bottom + tol
    )


def open_pdf(data: bytes):
    return pdfplumber.open(io.BytesIO(data))


def text_in(page, rect) -> str:
    """The words whose bounding box lies inside ``rect``, in reading order."""
    words = [w for w in page.extract_words() if inside(w, rect)]
    words.sort(key=lambda w: (round(w["top"]), w["x0"]))
    return " ".join(w["text"] for w in words)


@pytest.fixture(scope="module")
def signing_key(tmp_path_factory) -> tuple[x509.Certificate, object]:
    """A self-signed RSA 2048 certificate for CN "Test Exporter AG", valid around today, and its PKCS#12."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SIGNER_CN)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    p12 = tmp_path_factory.mktemp("keys") / "key.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer", key, cert, None, serialization.BestAvailableEncryption(PASSPHRASE)
        )
    )
    return cert, p12


def qr_codes(pdf: bytes, dpi: int = 150) -> list[str]:
    """Every QR code's payload, decoded from each page rendered at ``dpi`` (as a phone would read it)."""
    import pypdfium2
    import zxingcpp

    found: list[str] = []
    for page in pypdfium2.PdfDocument(pdf):
        image = page.render(scale=dpi / 72).to_pil()
        found += [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return found


# --------------------------------------------------------------------------- the browser tests'
# Debian's chromium driven by Playwright (never a browser download)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")  # a test extra
    deadline = time.monotonic() + 300  # apt may still be installing chromium on a fresh machine
    while not shutil.which(CHROMIUM) and time.monotonic() < deadline and os.environ.get("CI_NO_WAIT") is None:
        time.sleep(5)
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
