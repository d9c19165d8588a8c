"""The registry over HTTP (/v1/registry, /verify): the life cycle on SQLite and PostgreSQL, scopes
and the audit trail's key names, refusals (403, 409, 422), the verification answers, the rate limit,
and 20 simultaneous finalizations against a real ``eur1pdf serve``."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from eur1pdf.errors import Eur1pdfError
from eur1pdf.finish.verify import verify
from eur1pdf.service.app import ServerConfig, create_app
from eur1pdf.service.keys import KeyRing, keys_from_file, keys_from_text
from eur1pdf.service.ratelimit import TokenBuckets
from tests.conftest import qr_codes as _qr_codes

from .conftest import cli
from .registry_db import database
from .registry_server import AUDITOR, CLERK, KEYS, OFFICER, running_server

pytestmark = pytest.mark.slow  # the service over HTTP and real databases

PUBLIC = "https://eur1.example/check"
AS_CLERK, AS_OFFICER, AS_AUDITOR = ({"X-API-Key": key} for key in (CLERK, OFFICER, AUDITOR))
JSON = {"Accept": "application/json"}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


def app_client(db_url: str, **config) -> TestClient:
    config.setdefault("api_keys", tuple(keys_from_text(KEYS)))
    return TestClient(create_app(ServerConfig(registry_url=db_url, public_url=PUBLIC, **config)))


@pytest.fixture
def client(db_url) -> Iterator[TestClient]:
    with app_client(db_url) as opened:
        yield opened


def issued(client: TestClient, data: dict) -> dict:
    """Create and finalize: the final record."""
    created = client.post("/v1/registry", json=data, headers=AS_CLERK)
    assert created.status_code == 201, created.text
    final = client.post(f"/v1/registry/{created.json()['id']}/finalize", headers=AS_OFFICER)
    assert final.status_code == 200, final.text
    return final.json()


def test_life_cycle(client, example):
    created = client.post("/v1/registry", json=example, headers=AS_CLERK)
    assert (
        created.status_code == 201 and created.headers["location"] == f"/v1/registry/{created.json()['id']}"
    )
    body = created.json()
    assert (body["status"], body["serial"], body["findings"]) == ("provisional", "A 123.456", [])
    record_id = body["id"]
    draft = client.get(f"/v1/registry/{record_id}/pdf", headers=AS_AUDITOR)
    assert draft.headers["content-type"] == "application/pdf" and verify(draft.content).status == "draft"
    example["transport"] = "Sea freight"
    replaced = client.put(f"/v1/registry/{record_id}", json=example, headers=AS_CLERK)
    assert replaced.status_code == 200 and replaced.json()["data"]["transport"] == "Sea freight"

    final = client.post(f"/v1/registry/{record_id}/finalize", headers=AS_OFFICER).json()
    link = f"{PUBLIC}/verify/A%20123.456?d={final['digest']}"
    assert final["status"] == "final" and final["verify_link"] == link
    pdf = client.get(f"/v1/registry/{record_id}/pdf", headers=AS_AUDITOR).content
    assert pdf == client.get(f"/v1/registry/{record_id}/pdf", headers=AS_CLERK).content  # the same bytes
    assert _qr_codes(pdf) == [link] * len(_qr_codes(pdf)) and _qr_codes(pdf)

    refused = client.put(f"/v1/registry/{record_id}", json=example, headers=AS_CLERK)
    assert refused.status_code == 409 and "is final" in refused.json()["message"]
    assert refused.json()["findings"] == []
    again = client.post(f"/v1/registry/{record_id}/finalize", headers=AS_OFFICER)
    assert again.status_code == 409 and "cannot be finalized again" in again.json()["message"]
    assert client.post(f"/v1/registry/{record_id}/cancel", json={}, headers=AS_OFFICER).status_code == 400
    blank = client.post(f"/v1/registry/{record_id}/cancel", json={"reason": " "}, headers=AS_OFFICER)
    assert blank.status_code == 400 and "reason" in blank.json()["message"]
    cancelled = client.post(
        f"/v1/registry/{record_id}/cancel", json={"reason": "wrong consignee"}, headers=AS_OFFICER
    )
    assert (
        cancelled.json()["status"] == "cancelled" and cancelled.json()["cancel_reason"] == "wrong consignee"
    )
    twice = client.post(f"/v1/registry/{record_id}/cancel", json={"reason": "again"}, headers=AS_OFFICER)
    assert twice.status_code == 409 and "was cancelled" in twice.json()["message"]
    assert client.get(f"/v1/registry/{record_id}/pdf", headers=AS_AUDITOR).content == pdf

    shown = client.get(f"/v1/registry/{record_id}", headers=AS_AUDITOR).json()
    trail = [(entry["action"], entry["key_name"]) for entry in shown["audit"]]
    assert trail == [
        ("created", "clerk"),
        ("replaced", "clerk"),
        ("finalized", "officer"),
        ("cancelled", "officer"),
    ]
    listed = client.get("/v1/registry", params={"status": "cancelled"}, headers=AS_AUDITOR).json()
    assert [entry["id"] for entry in listed] == [record_id] and "data" not in listed[0]
    assert listed[0]["created_by"] == "clerk"  # who created it, not who changed it last
    mine = client.get("/v1/registry", params={"created_by": "clerk"}, headers=AS_AUDITOR).json()
    assert [entry["id"] for entry in mine] == [record_id]
    assert client.get("/v1/registry", params={"created_by": "officer"}, headers=AS_AUDITOR).json() == []
    nul = client.get("/v1/registry", params={"created_by": "a\x00b"}, headers=AS_AUDITOR)
    assert nul.status_code == 422  # refused before PostgreSQL sees a NUL


def test_rule_errors_stop_the_final_with_422_and_the_findings(client, example):
    example["items"][0]["hs_code"] = "84"
    created = client.post("/v1/registry", json=example, headers=AS_CLERK).json()
    assert created["status"] == "provisional"  # a provisional certificate may still be wrong
    assert any(f["code"] == "box8.hs_digits" for f in created["findings"])
    refused = client.post(f"/v1/registry/{created['id']}/finalize", headers=AS_OFFICER)
    assert refused.status_code == 422 and refused.json()["message"] == "the certificate breaks rules"
    assert [f for f in refused.json()["findings"] if f["code"] == "box8.hs_digits"]
    assert client.get(f"/v1/registry/{created['id']}", headers=AS_AUDITOR).json()["status"] == "provisional"
    broken = client.post("/v1/registry", json={"form": "eur1"}, headers=AS_CLERK)
    assert broken.status_code == 422 and broken.json()["findings"][0]["code"] == "input.invalid"
    for odd in ("a%00b", "x" * 70):  # never a 500, PostgreSQL's refusal of NUL included
        assert client.get(f"/v1/registry/{odd}", headers=AS_AUDITOR).status_code == 404
        assert client.get(f"/verify/{odd}?d=%00", headers=JSON).status_code == 404
        assert client.get(f"/verify/{odd}/preview.png?d=0").status_code == 404
    unknown = client.get("/v1/registry/nope", headers=AS_AUDITOR)
    assert unknown.status_code == 404 and unknown.json() == {
        "message": "no certificate nope in the registry",
        "findings": [],
    }


def test_a_serial_is_issued_once(client, example):
    first = issued(client, example)
    second = client.post("/v1/registry", json=example, headers=AS_CLERK).json()
    refused = client.post(f"/v1/registry/{second['id']}/finalize", headers=AS_OFFICER)
    assert refused.status_code == 409
    assert "serial A 123.456 was already issued" in refused.json()["message"]
    assert first["id"] in refused.json()["message"]  # the API's callers may know the id that holds it


def test_scopes_and_keys(client, example):
    assert client.post("/v1/registry", json=example).status_code == 401
    assert client.post("/v1/registry", json=example, headers={"X-API-Key": "wrong"}).status_code == 401
    denied = client.post("/v1/registry", json=example, headers=AS_AUDITOR)
    assert denied.status_code == 403 and denied.json()["message"] == (
        "the API key 'auditor' does not have the scope 'issue'"
    )
    record_id = client.post(
        "/v1/registry", json=example, headers={"Authorization": f"Bearer {CLERK}"}
    ).json()["id"]
    assert client.post(f"/v1/registry/{record_id}/finalize", headers=AS_CLERK).status_code == 403
    cancel = client.post(f"/v1/registry/{record_id}/cancel", json={"reason": "x"}, headers=AS_CLERK)
    assert cancel.status_code == 403
    assert client.get(f"/v1/registry/{record_id}", headers=AS_AUDITOR).status_code == 200
    assert client.post("/v1/validate", json=example, headers=AS_AUDITOR).status_code == 200  # any key
    assert client.get("/healthz").status_code == 200
    assert client.get("/verify/A%20123.456", headers=JSON).status_code == 404  # no key needed


def test_the_older_single_key_has_every_scope(db_url, example):
    with app_client(db_url, api_keys=(), api_key="the-single-key") as client:
        headers = {"X-API-Key": "the-single-key"}
        final = issued_with(client, example, headers)
        trail = client.get(f"/v1/registry/{final['id']}", headers=headers).json()["audit"]
        assert {entry["key_name"] for entry in trail} == {"api-key"}
    with app_client(db_url, api_keys=()) as client:  # no keys at all: everyone, as "anonymous"
        created = client.post("/v1/registry", json=example).json()
        trail = client.get(f"/v1/registry/{created['id']}").json()["audit"]
        assert [entry["key_name"] for entry in trail] == ["anonymous"]


def issued_with(client: TestClient, data: dict, headers: dict) -> dict:
    created = client.post("/v1/registry", json=data, headers=headers).json()
    return client.post(f"/v1/registry/{created['id']}/finalize", headers=headers).json()


def test_the_verification_answers(client, example):
    final = issued(client, example)
    path = f"/verify/A%20123.456?d={final['digest']}"
    valid = client.get(path, headers=JSON)
    answer = valid.json()
    assert valid.status_code == 200 and answer["status"] == "valid" and answer["serial"] == "A 123.456"
    certificate = answer["certificate"]
    assert certificate["exporter"]["name"] == "Präzisionsteile Müller AG"
    assert certificate["trade"] == {"from": "Switzerland", "to": "Mexico"}
    assert [item["gross_mass"] for item in certificate["goods"]] == ["1250 kg", "860 kg", "412.5 kg"]
    assert answer["preview"] == f"{PUBLIC}/verify/A%20123.456/preview.png?d={final['digest']}"

    page = client.get(path)
    assert page.headers["content-type"].startswith("text/html") and "VALID" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for secret in (final["id"], "clerk", "officer", "api-key", "sqlite", "postgresql", "<script"):
        assert secret not in page.text and secret not in valid.text
    assert "Gross mass" in page.text and "1250 kg" in page.text and "Importadora del Norte" in page.text

    preview = client.get(f"/verify/A%20123.456/preview.png?d={final['digest']}")
    assert preview.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(preview.content)).size == (827, 1170)
    assert client.get("/verify/A%20123.456/preview.png?d=0").status_code == 404

    wrong = client.get("/verify/A%20123.456?d=" + "0" * 64, headers=JSON).json()
    assert wrong["status"] == "does_not_match" and "certificate" not in wrong
    assert "DOES NOT MATCH" in client.get("/verify/A%20123.456?d=00").text
    missing = client.get("/verify/Z%20999?d=00", headers=JSON)
    assert missing.status_code == 404 and missing.json()["status"] == "not_found"
    assert "NOT FOUND" in client.get("/verify/Z%20999").text

    client.post(
        f"/v1/registry/{final['id']}/cancel", json={"reason": "goods not originating"}, headers=AS_OFFICER
    )
    cancelled = client.get(path, headers=JSON).json()
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "goods not originating"
    page = client.get(path).text
    assert "CANCELLED" in page and "goods not originating" in page
    assert client.get("/static/verify.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/..%2Fapp.py").status_code == 404


def test_the_verification_page_is_rate_limited(tmp_path, example):
    with app_client(f"sqlite:///{tmp_path / 'r.db'}", verify_burst=3, verify_per_minute=6) as client:
        statuses = [client.get("/verify/X", headers=JSON).status_code for _ in range(3)]
        assert statuses == [404] * 3
        limited = client.get("/verify/X", headers=JSON)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "10"
        assert "too many verification requests" in limited.json()["message"]
        page = client.get("/verify/X")
        assert page.status_code == 429 and "TRY AGAIN SHORTLY" in page.text
        assert client.post("/v1/validate", json=example, headers=AS_AUDITOR).status_code == 200  # not limited


def test_token_buckets_refill_per_client():
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, burst=2, clock=lambda: now[0])
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0.0  # another client has its own bucket
    now[0] = 1.0
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0
    assert TokenBuckets.retry_after(0.2) == "1"


def test_keys_from_the_environment_and_a_file(tmp_path):
    keys = keys_from_text(" reader:read:" + "k" * 16 + " ; writer:issue,finalize:with:colon-0123456789 ;")
    ring = KeyRing(keys)
    found = ring.find("with:colon-0123456789")
    assert found is not None and found.name == "writer" and found.scopes == {"issue", "finalize"}
    assert ring.find("k" * 15) is None
    for text, message in [
        ("a:read", "write name:scope,scope:KEY"),
        ("a:read:short", "at least 16 characters"),
        ("a:delete:" + "k" * 16, "scope 'delete' is not one of issue, finalize, cancel, read, others"),
        ("bad name:read:" + "k" * 16, "is not usable"),
    ]:
        with pytest.raises(Eur1pdfError, match=message):
            keys_from_text(text)
    with pytest.raises(Eur1pdfError, match="given twice"):
        KeyRing(keys_from_text(f"a:read:{'k' * 16};a:read:{'j' * 16}"))
    digest = hashlib.sha256(b"file-key-0123456789").hexdigest()
    path = tmp_path / "keys.toml"
    path.write_text(f'[[keys]]\nname = "desk"\nscopes = ["read", "cancel"]\nsha256 = "{digest}"\n')
    (key,) = keys_from_file(path)
    assert KeyRing([key]).find("file-key-0123456789") == key and key.scopes == {"read", "cancel"}
    path.write_text('[[keys]]\nname = "desk"\nscopes = ["read"]\nsecret = "plain"\n')
    with pytest.raises(Eur1pdfError, match="give exactly name, scopes and sha256"):
        keys_from_file(path)


def test_serve_refuses_bad_registry_options(tmp_path):
    run = cli("serve", "--public-url", "ftp://x.example", "--db", str(tmp_path / "r.db"))
    assert run.returncode == 2 and "--public-url: give the base as https://host" in run.stderr
    settings = tmp_path / "settings.toml"
    settings.write_text('api_keys_file = "missing.toml"\n')
    run = cli("serve", "--config", str(settings), "--db", str(tmp_path / "r.db"))
    assert run.returncode == 1 and "missing.toml: cannot read the API keys file" in run.stderr
    run = subprocess.run(
        [sys.executable, "-m", "eur1pdf.cli", "serve", "--db", str(tmp_path / "r.db")],
        env={"EUR1PDF_API_KEYS": "x:read:short", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and "at least 16 characters" in run.stderr


@pytest.mark.slow
def test_twenty_simultaneous_finalizations_give_one_final(db_url, tmp_path, example):
    with running_server(db_url, tmp_path) as server:
        created = httpx.post(f"{server}/v1/registry", json=example, headers=AS_CLERK, timeout=60).json()

        async def finalize_all() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=server, headers=AS_OFFICER, timeout=120) as http:
                return await asyncio.gather(
                    *(http.post(f"/v1/registry/{created['id']}/finalize") for _ in range(20))
                )

        responses = asyncio.run(finalize_all())
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [409] * 19, [r.text for r in responses if r.status_code not in (200, 409)]
        record = httpx.get(f"{server}/v1/registry/{created['id']}", headers=AS_AUDITOR).json()
        assert [e["action"] for e in record["audit"]] == ["created", "finalized"]
        other = copy.deepcopy(example)
        again = httpx.post(f"{server}/v1/registry", json=other, headers=AS_CLERK, timeout=60).json()
        taken = httpx.post(f"{server}/v1/registry/{again['id']}/finalize", headers=AS_OFFICER, timeout=60)
        assert taken.status_code == 409 and "already issued" in taken.json()["message"]


def test_serving_beyond_loopback_without_keys_is_refused(tmp_path):
    """Found by review: without keys every caller holds every scope; beyond this machine that would
    let anyone finalize and cancel certificates."""
    from tests.conftest import cli

    env = {k: v for k, v in os.environ.items() if k not in ("EUR1PDF_API_KEYS", "EUR1PDF_CONFIG")}
    db = f"sqlite:///{tmp_path / 'r.db'}"
    result = cli("serve", "--host", "0.0.0.0", "--port", "9", "--db", db, env=env, timeout=60)
    assert result.returncode == 2 and "without an API key" in result.stderr


def test_the_rate_limiter_never_forgets_a_busy_client_when_full(monkeypatch):
    """Found by review: full of clients, every bucket was dropped (the busy one's too)."""
    from eur1pdf.service import ratelimit

    monkeypatch.setattr(ratelimit, "MAX_CLIENTS", 50)
    ticks = iter(range(10**6))
    limiter = ratelimit.TokenBuckets(per_minute=1, burst=2, clock=lambda: next(ticks) * 1e-6)
    assert limiter.take("busy") == 0 and limiter.take("busy") == 0 and limiter.take("busy") > 0
    for n in range(200):  # rotating addresses, each spending its whole burst
        limiter.take(f"other-{n}")
        limiter.take(f"other-{n}")
        assert limiter.take("busy") > 0, "the busy client's bucket survives the rotation"
    assert len(limiter.buckets) <= 50


# two clerks who finalize their own work, an officer who finalizes and cancels every key's, and one without
OWN_KEYS = (
    "ana:issue,finalize,cancel,read:ana-key-0123456789;bo:issue,finalize,cancel,read:bo-key-0123456789;"
    "chief:finalize,cancel,read,others:chief-key-0123456789;desk:finalize,cancel,read:desk-key-0123456789"
)
AS = {name: {"X-API-Key": f"{name}-key-0123456789"} for name in ("ana", "bo", "chief", "desk")}


def test_a_key_changes_only_its_own_certificates_unless_it_holds_others(db_url, example):
    """Review: any key with issue replaced, and any with finalize finalized, another key's certificate."""
    with app_client(db_url, api_keys=tuple(keys_from_text(OWN_KEYS))) as client:
        anas = client.post("/v1/registry", json=example, headers=AS["ana"]).json()["id"]
        example["transport"] = "Changed by bo"
        replaced = client.put(f"/v1/registry/{anas}", json=example, headers=AS["bo"])
        assert replaced.status_code == 403 and "created by another key" in replaced.json()["message"]
        assert "ana" not in replaced.json()["message"]  # who created it is the scope read's to tell
        for name in ("bo", "desk"):  # finalize without "others": only its own
            refused = client.post(f"/v1/registry/{anas}/finalize", headers=AS[name])
            assert refused.status_code == 403 and "scope 'others'" in refused.json()["message"]
        final = client.post(f"/v1/registry/{anas}/finalize", headers=AS["chief"])
        assert final.status_code == 200 and final.json()["data"]["transport"] != "Changed by bo"
        cancel = client.post(f"/v1/registry/{anas}/cancel", json={"reason": "x"}, headers=AS["bo"])
        assert cancel.status_code == 403
        trail = client.get(f"/v1/registry/{anas}", headers=AS["bo"]).json()["audit"]
        assert [(e["action"], e["key_name"]) for e in trail] == [("created", "ana"), ("finalized", "chief")]
        by_chief = client.post(f"/v1/registry/{anas}/cancel", json={"reason": "wrong"}, headers=AS["chief"])
        assert by_chief.status_code == 200 and by_chief.json()["status"] == "cancelled"

        example["serial"] = "B 1"  # its own: replaced, finalized and cancelled by the same key
        bos = client.post("/v1/registry", json=example, headers=AS["bo"]).json()["id"]
        assert client.put(f"/v1/registry/{bos}", json=example, headers=AS["bo"]).status_code == 200
        assert client.post(f"/v1/registry/{bos}/finalize", headers=AS["bo"]).status_code == 200
        own = client.post(f"/v1/registry/{bos}/cancel", json={"reason": "mine"}, headers=AS["bo"])
        assert own.status_code == 200


def test_a_key_without_read_gets_back_no_data(db_url, example):
    """What a change answers: the record with its data and audit trail to a key that may read it,
    the record without them to one that may not (it issues, or cancels, blind)."""
    keys = "w:issue:w-key-0123456789;v:cancel,others:v-key-0123456789;f:finalize,others:f-key-0123456789"
    with app_client(db_url, api_keys=tuple(keys_from_text(keys))) as client:
        by_w = {"X-API-Key": "w-key-0123456789"}
        record_id = client.post("/v1/registry", json=example, headers=by_w).json()["id"]
        replaced = client.put(f"/v1/registry/{record_id}", json=example, headers=by_w).json()
        final = client.post(f"/v1/registry/{record_id}/finalize", headers={"X-API-Key": "f-key-0123456789"})
        cancelled = client.post(
            f"/v1/registry/{record_id}/cancel",
            json={"reason": "x"},
            headers={"X-API-Key": "v-key-0123456789"},
        )
        for answer in (replaced, final.json(), cancelled.json()):
            assert answer["id"] == record_id and "data" not in answer and "audit" not in answer
        assert cancelled.json()["status"] == "cancelled"
