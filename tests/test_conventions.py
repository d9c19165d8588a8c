"""Issue 20, items 3, 4 and 6: the conventions a command line and an HTTP API are expected to keep.

``-`` for standard input and output, ``python -m eur1pdf``, ``-V``, the README's
exit codes, "did you mean", whole messages, a clear error for a missing extra,
a lazy ``import eur1pdf``; over HTTP one error body everywhere and /docs
without a CDN, open, with an Authorize button.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eur1pdf.errors import InputError, MissingExtraError, missing_extra

from .conftest import EXAMPLE

pytestmark = pytest.mark.slow  # each test runs the command line in a fresh interpreter

EXAMPLE_TEXT = Path(EXAMPLE).read_text(encoding="utf-8")


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "eur1pdf", *args], input=stdin, capture_output=True)


# --------------------------------------------------------------------------- the command line


def test_python_m_eur1pdf_and_dash_capital_v_print_the_version():
    import eur1pdf

    for flag in ("-V", "--version"):
        answer = run(flag)
        assert answer.returncode == 0 and answer.stdout.decode().strip() == f"eur1pdf {eur1pdf.__version__}"


def test_fill_reads_standard_input_and_writes_standard_output_the_same_pdf_as_files(tmp_path):
    piped = run("fill", "-", "-o", "-", stdin=EXAMPLE_TEXT.encode())
    assert piped.returncode == 0, piped.stderr
    assert run("fill", str(EXAMPLE), "-o", str(tmp_path / "file.pdf")).returncode == 0
    assert piped.stdout == (tmp_path / "file.pdf").read_bytes()  # nothing but the PDF on standard output


def test_validate_reads_standard_input():
    answer = run("validate", "-", "--format", "json", stdin=EXAMPLE_TEXT.encode())
    assert answer.returncode == 0 and json.loads(answer.stdout) == []
    broken = run("validate", "-", stdin=b'{"serial": 1')
    assert broken.returncode == 2 and b"<stdin>: invalid JSON at line 1" in broken.stderr


@pytest.mark.parametrize("command", ["fill", "validate"])
def test_a_missing_input_file_exits_2_as_the_readme_says(command, tmp_path):
    answer = run(command, str(tmp_path / "nosuch.json"), "-o", str(tmp_path / "out.pdf"))
    if command == "validate":
        answer = run(command, str(tmp_path / "nosuch.json"))
    assert answer.returncode == 2
    assert answer.stderr.decode().strip() == f"eur1pdf: error: {tmp_path / 'nosuch.json'}: file not found"


def test_usage_errors_exit_2_and_input_errors_exit_1(tmp_path):
    assert run("fill").returncode == 2
    assert run("no-such-command").returncode == 2
    data = json.loads(EXAMPLE_TEXT)
    data["exporter"]["name"] = ""
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    assert run("fill", str(tmp_path / "bad.json"), "-o", str(tmp_path / "bad.pdf")).returncode == 1


def test_a_control_character_in_json_gets_a_whole_sentence(tmp_path):
    (tmp_path / "tab.json").write_bytes(b'{"serial": "A\tB"}')
    answer = run("fill", str(tmp_path / "tab.json"), "-o", str(tmp_path / "tab.pdf"))
    message = answer.stderr.decode()
    assert answer.returncode == 1
    assert "Invalid control character U+0009 inside a string" in message
    assert "character at\n" not in message and not message.rstrip().endswith(" at")


def test_unknown_fields_agreements_forms_and_layouts_get_did_you_mean():
    import eur1pdf

    data = json.loads(EXAMPLE_TEXT)
    data["items"][0]["hs_cod"] = data["items"][0].pop("hs_code")
    with pytest.raises(InputError) as caught:
        eur1pdf.validate(data)
    assert "items[0].hs_cod / box 8: unknown field" in str(caught.value)
    assert "did you mean 'hs_code'?" in str(caught.value)

    data = json.loads(EXAMPLE_TEXT)
    data["agreement"] = data["agreement"].lower()
    data["form"] = "eur-1"
    messages = {f.code: f.message for f in eur1pdf.validate(data)}
    assert f"did you mean {json.loads(EXAMPLE_TEXT)['agreement']!r}?" in messages["agreement.unknown"]
    assert "did you mean 'eur1'?" in messages["form.unknown"]

    answer = run("layouts", "show", "eur-1")
    assert answer.returncode != 0 and b"did you mean 'eur1'?" in answer.stderr


def test_no_close_name_adds_nothing():
    from eur1pdf.errors import did_you_mean

    assert did_you_mean("zzzz", ["eur1", "eur-med"]) == ""


# --------------------------------------------------------------------------- slim by default


def test_import_eur1pdf_loads_nothing_heavy():
    code = "import sys, eur1pdf; print(sorted(m for m in sys.modules if m.split('.')[0] in WATCH))"
    watch = "{'pikepdf','fontTools','pydantic','pyhanko','fastapi','sqlalchemy','pdfplumber','eur1pdf'}"
    answer = subprocess.run([sys.executable, "-c", f"WATCH={watch}; {code}"], capture_output=True, text=True)
    assert answer.stdout.strip() == "['eur1pdf']", answer.stderr


EXTRAS_MODULES = (
    "pyhanko",
    "cryptography",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "pdfplumber",
)


@pytest.mark.parametrize("argv", [["-V"], ["--version"], ["fill", "--help"], ["validate", "--help"]])
def test_the_version_and_help_import_no_extra(argv):
    code = (
        f"import sys\nfrom eur1pdf.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {EXTRAS_MODULES!r} if m in sys.modules))"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert answer.stdout.strip().splitlines()[-1] == "[]", answer.stderr


def test_filling_never_imports_an_extra(tmp_path):
    code = (
        "import sys; from eur1pdf.cli import main; "
        f"rc = main(['fill', {str(EXAMPLE)!r}, '-o', {str(tmp_path / 'x.pdf')!r}]); "
        f"print(rc, sorted(m for m in {EXTRAS_MODULES!r} if m in sys.modules))"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert answer.stdout.strip().splitlines()[-1] == "0 []", answer.stderr


def test_the_pytest_plugin_loads_no_pdf_library(pytester):
    pytester.makepyfile(
        "import sys\n"
        "def test_nothing_loaded():\n"
        "    assert not {'pikepdf', 'pdfplumber', 'pydantic', 'fontTools'} & set(sys.modules)\n"
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_a_missing_extra_is_named_with_its_pip_command():
    error = missing_extra("eur1pdf serve", ModuleNotFoundError("No module named 'fastapi'", name="fastapi"))
    assert isinstance(error, MissingExtraError)
    assert str(error) == (
        "eur1pdf serve needs the [serve] extra (fastapi is not installed): pip install 'eur1pdf[serve]'"
    )
    assert missing_extra("x", ModuleNotFoundError("No module named 'nosuch'", name="nosuch")) is None


def test_signing_without_pyhanko_names_the_sign_extra(tmp_path):
    code = (
        "import sys; sys.modules['pyhanko'] = None\n"  # as if the [sign] extra were not installed
        "from eur1pdf.finish.lock import signature_status\n"
        "try:\n    signature_status(b'%PDF-1.7')\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert answer.stdout.strip() == (
        "MissingExtraError reading signatures needs the [sign] extra (pyhanko is not installed): "
        "pip install 'eur1pdf[sign]'"
    ), answer.stderr


# --------------------------------------------------------------------------- HTTP


@pytest.fixture
def client():
    from fastapi.testclient import TestClient

    from eur1pdf.service.app import ServerConfig, create_app

    return TestClient(create_app(ServerConfig(api_key="the-key", workers=1)))  # no lifespan: no workers


def test_a_body_without_content_type_gets_the_documented_body_and_no_echo(client):
    secret_name = "ACME SECRET EXPORTER GmbH"
    data = json.loads(EXAMPLE_TEXT)
    data["exporter"]["name"] = secret_name
    answer = client.post("/v1/validate", content=json.dumps(data), headers={"X-API-Key": "the-key"})
    assert answer.status_code == 422
    assert set(answer.json()) == {"message", "findings"} and answer.json()["findings"] == []
    assert "application/json" in answer.json()["message"]
    assert secret_name not in answer.text


def test_invalid_json_is_named_without_its_text(client):
    headers = {"X-API-Key": "the-key", "Content-Type": "application/json"}
    answer = client.post("/v1/validate", content=b'{"exporter": SECRET', headers=headers)
    assert answer.status_code == 422 and answer.json()["message"].startswith("the body is not valid JSON")
    assert "SECRET" not in answer.text


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("get", "/v1/layouts", {}, 401),
        ("get", "/no/such/path", {"X-API-Key": "the-key"}, 404),
        ("delete", "/v1/layouts", {"X-API-Key": "the-key"}, 405),
        ("get", "/v1/layouts/nosuch", {"X-API-Key": "the-key"}, 404),
    ],
)
def test_every_refusal_has_message_and_findings(client, method, path, headers, status):
    answer = client.request(method, path, headers=headers)
    assert answer.status_code == status
    assert set(answer.json()) == {"message", "findings"}, answer.text


def test_docs_are_open_served_from_the_package_and_offer_authorize(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("/docs/swagger-ui/swagger-ui-bundle.js", "/docs/swagger-ui/swagger-ui.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200
    assert client.get("/docs/swagger-ui/../app.py").status_code == 404
    assert client.get("/redoc").status_code in (401, 404)  # ReDoc only exists as a CDN script
    document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer" and schemes["apiKey"]["name"] == "X-API-Key"
    assert document["security"] == [{"bearer": []}, {"apiKey": []}]
    assert document["paths"]["/healthz"]["get"]["security"] == []
