"""`eur1pdf serve`: the real server in a subprocess, talked to over loopback with httpx."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from eur1pdf import FillOptions, render
from eur1pdf.certificate.model import certificate_from_data
from eur1pdf.rules import validate

from .conftest import EXAMPLE, cli
from .registry_server import serving

pytestmark = pytest.mark.slow

KEY = "test-key-8f2c1e"
VERIFY_URL = "https://verify.example.org/eur1/{serial}?d={digest}"
AUTH = {"X-API-Key": KEY}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """A running `eur1pdf serve` with an API key and a verification link (and a registry of its own,
    not the user's default one); its base URL."""
    folder = tmp_path_factory.mktemp("registry")
    env = dict(os.environ, EUR1PDF_TEST_KEY=KEY)
    args = ["--workers", "2", "--db", str(folder / "registry.db"), "--api-key-env", "EUR1PDF_TEST_KEY"]
    args += ["--verify-url", VERIFY_URL, "--log-level", "warning"]
    with serving(args, env, folder) as url:
        yield url


@pytest.fixture
def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_pdf_is_the_same_as_fill_makes(server, example, tmp_path):
    response = httpx.post(
        f"{server}/v1/certificates",
        params={"mode": "final", "sheets": "1"},
        json=example,
        headers=AUTH,
        timeout=60,
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    out = tmp_path / "fill.pdf"
    run = cli("fill", str(EXAMPLE), "-o", str(out), "--final", "--sheets", "1", "--verify-url", VERIFY_URL)
    assert run.returncode == 0, run.stderr
    assert response.content == out.read_bytes()


def test_rule_breach_is_422_with_the_findings_validate_gives(server, example):
    example["items"][0]["hs_code"] = "84"
    response = httpx.post(f"{server}/v1/certificates", json=example, headers=AUTH, timeout=60)
    assert response.status_code == 422
    expected = [f.to_dict() for f in validate(certificate_from_data(copy.deepcopy(example)))]
    assert response.json()["findings"] == expected
    assert any(f["code"] == "box8.hs_digits" and f["field"] == "items[0].hs_code" for f in expected)
    check = httpx.post(f"{server}/v1/validate", json=example, headers=AUTH, timeout=60).json()
    assert check == {"valid": False, "findings": expected}


def test_contract_violations_and_fit_errors_are_422_with_field_and_box(server, example):
    example["colour"] = "red"
    body = httpx.post(f"{server}/v1/certificates", json=example, headers=AUTH, timeout=60).json()
    assert body["findings"][0]["field"] == "colour" and body["findings"][0]["code"] == "input.invalid"
    del example["colour"]
    example["exporter"]["address"] = ["a long address line that goes on"] * 20
    response = httpx.post(f"{server}/v1/certificates", json=example, headers=AUTH, timeout=60)
    assert response.status_code == 422
    (finding,) = response.json()["findings"]
    assert (finding["code"], finding["box"], finding["field"]) == ("fit.overflow", 1, "exporter")


def test_the_api_key_is_required(server, example):
    for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}):
        response = httpx.post(f"{server}/v1/certificates", json=example, headers=headers, timeout=60)
        assert response.status_code == 401 and "API key" in response.json()["message"]
    assert httpx.get(f"{server}/v1/layouts", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}  # for load balancers, no key


def test_an_oversized_body_is_413(server):
    big = b'{"form": "' + b"x" * 2_000_000 + b'"}'
    response = httpx.post(
        f"{server}/v1/certificates",
        content=big,
        headers={**AUTH, "content-type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413 and "over the limit" in response.json()["message"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b" " * 100_000

    response = httpx.post(
        f"{server}/v1/certificates", content=chunks(), headers={**AUTH, "content-type": "application/json"}
    )
    assert response.status_code == 413


def test_bad_requests_say_what_and_leak_nothing(server, example):
    cases = [
        ("/v1/certificates", {"printer": "nope"}, example, 400, "printer 'nope' is not configured"),
        ("/v1/certificates", {"sheets": "x"}, example, 400, "sheets"),
        ("/v1/certificates", {"mode": "maybe"}, example, 422, ""),
        ("/v1/preview", {"dpi": "300"}, example, 422, ""),
        ("/v1/preview", {"page": "9"}, example, 422, "the document has 5 page(s)"),
        ("/v1/certificates", {"sheets": "7"}, example, 400, "no sheet 7"),
    ]
    for path, params, body, status, text in cases:
        response = httpx.post(f"{server}{path}", params=params, json=body, headers=AUTH, timeout=60)
        assert response.status_code == status, (path, params, response.text)
        assert text in response.text and "Traceback" not in response.text and "/eur1pdf/" not in response.text
    raw = httpx.post(
        f"{server}/v1/certificates",
        content=b"{not json",
        headers={**AUTH, "content-type": "application/json"},
    )
    assert raw.status_code == 422 and "Traceback" not in raw.text


def test_secrets_cannot_come_from_a_request(server, example):
    """Signing and locking are server configuration: unknown query parameters change nothing."""
    params = {
        "sheets": "1",
        "sign": "/etc/passwd",
        "lock_password": "x",
        "verify_url": "https://evil/{digest}",
    }
    response = httpx.post(f"{server}/v1/certificates", params=params, json=example, headers=AUTH, timeout=60)
    assert response.content == render(example, FillOptions(sheets=(1,)))


def test_layouts_and_their_geometry(server):
    names = [entry["name"] for entry in httpx.get(f"{server}/v1/layouts", headers=AUTH).json()]
    assert {"eur1", "eur-med", "eur1-cn", "eur1-quad"} <= set(names)
    geometry = httpx.get(f"{server}/v1/layouts/eur1", headers=AUTH).json()
    assert "8" in geometry["boxes"]
    assert httpx.get(f"{server}/v1/layouts/..%2Fetc", headers=AUTH).status_code == 404


def test_preview_is_a_png_of_the_page(server, example, tmp_path):
    response = httpx.post(
        f"{server}/v1/preview", params={"page": 2, "dpi": 50}, json=example, headers=AUTH, timeout=60
    )
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    path = tmp_path / "p.png"
    path.write_bytes(response.content)
    with Image.open(path) as image:
        width, height = image.size
        assert abs(width - 595.276 * 50 / 72) <= 1 and abs(height - 841.89 * 50 / 72) <= 1


def test_two_hundred_parallel_requests_are_all_answered_correctly(server, example):
    certs = []
    for n in range(200):
        cert = copy.deepcopy(example)
        cert["serial"] = f"P {n:03d}.000"
        certs.append(cert)

    async def send_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=server, headers=AUTH, timeout=120, limits=limits) as client:
            return await asyncio.gather(
                *(client.post("/v1/certificates", params={"sheets": "1"}, json=c) for c in certs)
            )

    responses = asyncio.run(send_all())
    assert [r.status_code for r in responses] == [200] * 200
    options = FillOptions(sheets=(1,))
    assert all(r.content == render(c, options) for r, c in zip(responses, certs, strict=True))


def test_the_openapi_document_finds_no_server_error(server, tmp_path):
    """schemathesis generates requests from /openapi.json (bounded): no answer is a 5xx."""
    pytest.importorskip("schemathesis")  # a test extra: installed by the README's test command and CI
    # its command, run by this interpreter (the scripts folder need not be on PATH)
    command = [
        sys.executable,
        "-c",
        "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
    ]
    run = subprocess.run(
        [
            *command,
            "run",
            f"{server}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "8",  # per operation (17): the run's time counts against CI's 15 minutes
            "--header",
            f"X-API-Key: {KEY}",
            "--request-timeout",
            "60",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        cwd=tmp_path,  # schemathesis keeps a cache folder where it runs
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    # 6 stateless operations, 7 of the registry, the verification page and its preview, and the two
    # of declarations (POST /v1/declarations, /v1/declarations/text)
    assert "/v1/certificates" in run.stdout and "Tested: 17" in run.stdout, run.stdout[-3000:]


def test_preview_from_the_command_line(tmp_path):
    out = tmp_path / "page.png"
    run = cli("preview", str(EXAMPLE), "-o", str(out), "--page", "2", "--dpi", "36", "--draft")
    assert run.returncode == 0, run.stderr
    with Image.open(out) as image:
        width, height = image.size
        assert abs(width - 595.276 / 2) <= 1 and abs(height - 841.89 / 2) <= 1
    run = cli("preview", str(EXAMPLE), "-o", str(out), "--page", "99")
    assert run.returncode == 2 and "the document has 5 page(s)" in run.stderr


# ----------------------------------------------------------------- in-process app: limits and failures


def _slow_or_real(data, options, preview):
    """A job that sleeps when asked to (forked workers see this module as the test set it up)."""
    if isinstance(data, dict) and data.get("slow"):
        time.sleep(2.0)
        return 200, "application/json", b"{}"
    from eur1pdf.service import workers as workers_module

    return workers_module._render_job_real(data, options, preview)


def _app_client(monkeypatch, **config):
    from fastapi.testclient import TestClient

    from eur1pdf.service import workers as workers_module
    from eur1pdf.service.app import ServerConfig, create_app

    monkeypatch.setattr(workers_module, "_render_job_real", workers_module._render_job, raising=False)
    monkeypatch.setattr(workers_module, "_render_job", _slow_or_real)
    return TestClient(create_app(ServerConfig(**config)))


def test_work_in_hand_is_bounded_and_slow_jobs_time_out(monkeypatch, example):
    with _app_client(monkeypatch, workers=1, queue_per_worker=1, timeout_s=0.5) as client:
        slow = client.post("/v1/certificates", json={"slow": True})
        assert slow.status_code == 503 and "longer than 0.5 s" in slow.json()["message"]
        busy = client.post("/v1/certificates", json=example)  # the slow job still holds the only slot
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        deadline = time.monotonic() + 20  # the slot comes back when the slow job ends, not before
        while (
            status := client.post("/v1/certificates", json=example, params={"sheets": "1"}).status_code
        ) == 503:
            assert time.monotonic() < deadline, "the slot never came back"
            time.sleep(0.3)
        assert status == 200


def test_a_killed_worker_is_replaced(monkeypatch, example):
    import multiprocessing
    import signal

    with _app_client(monkeypatch, workers=1) as client:
        assert client.post("/v1/certificates", json=example, params={"sheets": "1"}).status_code == 200
        for child in multiprocessing.active_children():
            os.kill(child.pid, signal.SIGKILL)  # the out-of-memory killer, say
        time.sleep(0.5)
        statuses = [client.post("/v1/certificates", json=example, params={"sheets": "1"}).status_code]
        statuses += [client.post("/v1/certificates", json=example, params={"sheets": "1"}).status_code]
        assert statuses[-1] == 200 and set(statuses) <= {200, 503}, statuses


def test_an_empty_api_key_is_refused(tmp_path):
    from eur1pdf.service.app import ServerConfig, create_app

    with pytest.raises(ValueError, match="empty API key"):
        create_app(ServerConfig(api_key=""))
    run = subprocess.run(
        [sys.executable, "-m", "eur1pdf.cli", "serve", "--api-key-env", "EUR1PDF_EMPTY"],
        env=dict(os.environ, EUR1PDF_EMPTY=""),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "EUR1PDF_EMPTY is empty" in run.stderr
