"""eur1pdf declare from the command line, from Python and over HTTP; the declaration's schema."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import eur1pdf
from tests.declaration_samples import content_streams, invoice, stamp_words

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "declarations"
NAMES = ["pem", "canada", "uk", "rex"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eur1pdf", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        cwd=ROOT,
    )


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def invoice_file(tmp_path: Path) -> Path:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(invoice(pages=(15,)))
    return path


@pytest.mark.slow
def test_cli_stamps_prints_the_text_and_refuses_with_findings(tmp_path, invoice_file):
    out = tmp_path / "out.pdf"
    done = run("declare", str(invoice_file), str(EXAMPLES / "pem.json"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "declaration.non_originating" in done.stderr
    assert "authorisationNoCH/ZH/1234" in "".join(stamp_words(out.read_bytes(), 0)[0].split())
    text = run("declare", "--text", str(EXAMPLES / "rex.json"))
    assert text.returncode == 0 and text.stdout.startswith("L'exportateur Brosserie Léman SA")
    gcc = tmp_path / "gcc.json"
    gcc.write_text(json.dumps({**example("pem"), "agreement": "EFTA-GCC"}), encoding="utf-8")
    refused = run("declare", str(invoice_file), str(gcc), "-o", str(tmp_path / "no.pdf"), "--format", "json")
    assert refused.returncode == 1 and not (tmp_path / "no.pdf").exists()
    assert json.loads(refused.stderr)[0]["code"] == "declaration.not_allowed"
    at = run("declare", str(invoice_file), str(EXAMPLES / "uk.json"), "-o", str(out), "--at", "20,230")
    assert at.returncode == 0, at.stderr
    assert run("declare", str(invoice_file), "-o", str(out)).returncode == 2  # usage: the data is missing
    missing = run("declare", str(tmp_path / "nope.pdf"), str(EXAMPLES / "uk.json"), "-o", str(out))
    assert missing.returncode == 2 and "nope.pdf" in missing.stderr


def test_python_api_is_exported():
    result = eur1pdf.declare(invoice(), example("canada"))
    assert result.pdf.startswith(b"%PDF") and result.placement["page"] == 1
    assert "DeclareResult" in eur1pdf.__all__ and "declare" in eur1pdf.__all__


def test_schema_is_published_and_the_examples_follow_it():
    from eur1pdf.declaration.model import schema_text

    published = (ROOT / "docs" / "declaration.schema.json").read_text(encoding="utf-8")
    assert published == schema_text(), (
        "regenerate with: eur1pdf schema --declaration > docs/declaration.schema.json"
    )
    schema = json.loads(published)
    for name in NAMES:
        jsonschema.validate(example(name), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**example("pem"), "orign": "x"}, schema)


def _serving(**config):
    """The app with its lifespan: stamping runs in the rendering workers, as in a real server."""
    from fastapi.testclient import TestClient

    from eur1pdf.service.app import ServerConfig, create_app

    return TestClient(create_app(ServerConfig(workers=1, max_body_bytes=2_000_000, **config)))


@pytest.fixture(scope="module")
def client():
    with _serving() as serving:
        yield serving


@pytest.mark.slow
def test_http_multipart_and_json(client):
    original = invoice(pages=(30, 8))
    files = {"invoice": ("invoice.pdf", original, "application/pdf")}
    answer = client.post("/v1/declarations", files=files, data={"declaration": json.dumps(example("uk"))})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert json.loads(answer.headers["x-eur1pdf-placement"])["page"] == 2
    assert answer.headers["x-eur1pdf-retention-years"] == "3"
    assert content_streams(answer.content)[0] == content_streams(original)[0]
    body = {"invoice_pdf_base64": base64.b64encode(original).decode(), "declaration": example("rex")}
    as_json = client.post("/v1/declarations", json=body)
    assert as_json.status_code == 200 and "CHREX1234567890" in stamp_words(as_json.content, 1)[0]


@pytest.mark.slow
def test_http_refusals_are_findings(client):
    body = {
        "invoice_pdf_base64": base64.b64encode(invoice()).decode(),
        "declaration": {**example("pem"), "agreement": "EFTA-GCC"},
    }
    refused = client.post("/v1/declarations", json=body)
    assert refused.status_code == 422 and refused.json()["findings"][0]["code"] == "declaration.not_allowed"
    bad = client.post("/v1/declarations", json={**body, "declaration": {**example("pem"), "orign": 1}})
    assert bad.status_code == 422 and bad.json()["findings"][0]["field"] == "orign"
    broken = client.post(
        "/v1/declarations", json={**body, "declaration": example("pem"), "invoice_pdf_base64": "JVBERi0="}
    )
    assert broken.status_code == 400 and "PDF" in broken.json()["message"]
    text = client.post("/v1/declarations/text", json=example("canada"))
    assert text.status_code == 200 and "Swiss preferential origin" in text.text
    assert (
        client.post("/v1/declarations", content=b"x", headers={"content-type": "text/plain"}).status_code
        == 415
    )


@pytest.mark.slow
def test_http_bodies_are_read_as_certificates_are(client):
    """A key given twice, a 5000-digit number, bytes that are not UTF-8: each a 422 naming the
    problem (a plain json.loads kept the last key, and raised on the number: a 500)."""
    declaration = json.dumps(example("canada"))
    assert '"agreement"' in declaration
    twice = declaration[:-1] + ', "agreement": "EFTA-CA"}'
    long_number = declaration[:-1] + ', "x": ' + "9" * 5000 + "}"
    pdf = base64.b64encode(invoice()).decode()
    for text in (twice, long_number):
        envelope = f'{{"invoice_pdf_base64": "{pdf}", "declaration": {text}}}'
        for path, body in (("/v1/declarations/text", text), ("/v1/declarations", envelope)):
            answer = client.post(path, content=body.encode(), headers={"Content-Type": "application/json"})
            assert answer.status_code == 422, (path, answer.status_code, answer.text[:300])
            assert answer.json()["findings"], answer.text[:300]
    for path in ("/v1/declarations/text", "/v1/declarations"):
        answer = client.post(path, content=b"\xff\xfe{}", headers={"Content-Type": "application/json"})
        assert answer.status_code == 422 and "UTF-8" in answer.text, answer.text[:300]
    files = {"invoice": ("invoice.pdf", invoice(), "application/pdf")}
    answer = client.post("/v1/declarations", files=files, data={"declaration": twice})
    assert answer.status_code == 422 and "twice" in answer.text


@pytest.mark.slow
def test_http_stamping_has_a_real_deadline():
    """Stamping runs in a worker process: past the server's timeout the client gets 503 at once (a
    thread under anyio's fail_after ran on to its end, and the answer came when it did)."""
    pdf = base64.b64encode(invoice(pages=(30, 8))).decode()
    body = {"invoice_pdf_base64": pdf, "declaration": example("uk")}
    with _serving(timeout_s=0.001) as hurried:
        answer = hurried.post("/v1/declarations", json=body)
    assert answer.status_code == 503 and "longer than" in answer.json()["message"], answer.text
