"""The clerk's page (/app) over HTTP, without a browser: sign-in and the session cookie's flags,
CSRF refusals, scopes, every form and agreement, the read-only final, JSON import and export,
each key's own list, and cancelling a final with a reason."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eur1pdf.certificate.digest import canonical_bytes, digest_of
from eur1pdf.certificate.model import certificate_from_data
from eur1pdf.layouts import layout_names
from eur1pdf.rules.agreements import agreements
from eur1pdf.service.app import ServerConfig, create_app
from eur1pdf.service.keys import keys_from_text
from eur1pdf.service.webapp.formdata import data_from_fields, fields_from_data
from eur1pdf.service.webapp.grid import grid_css, regions
from eur1pdf.service.webapp.session import COOKIE

pytestmark = pytest.mark.slow  # the service with its worker processes; previews rendered

CLERK, READER = "webapp-clerk-key-0123", "webapp-reader-key-0123"
OFFICER = "webapp-officer-key-0123"
KEYS = f"clerk:issue,finalize,read:{CLERK};reader:read:{READER};officer:issue,finalize,cancel,read:{OFFICER}"


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("webapp") / "registry.db"
    config = ServerConfig(
        registry_url=f"sqlite:///{db}", public_url="http://testserver", api_keys=tuple(keys_from_text(KEYS))
    )
    with TestClient(create_app(config)) as client:
        yield client


def signed_in(app: TestClient, key: str = CLERK) -> TestClient:
    client = TestClient(app.app, base_url="http://testserver")
    answer = client.post("/app/sign-in", data={"key": key}, follow_redirects=False)
    assert answer.status_code == 303, re.findall(r"class=\"(?:alert|finding)[^>]*>(.*?)</", answer.text)
    return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match[1]


def save(client: TestClient, data: dict, action: str = "save") -> str:
    csrf = csrf_of(client.get("/app/import").text)
    fields = fields_from_data(data) | {"csrf": csrf, "action": action}
    answer = client.post("/app/edit", data=fields, follow_redirects=False)
    assert answer.status_code == 303, re.findall(r"class=\"(?:alert|finding)[^>]*>(.*?)</", answer.text)
    return answer.headers["location"].split("/")[3].split("?")[0]


def test_sign_in_sets_a_strict_http_only_cookie(app):
    assert "Sign in" in app.get("/app").text
    refused = app.post("/app/sign-in", data={"key": "not-a-key-0123456789"}, follow_redirects=False)
    assert refused.status_code == 401 and COOKIE not in refused.headers.get("set-cookie", "")
    behind_tls = app.post(
        "/app/sign-in", data={"key": CLERK}, headers={"X-Forwarded-Proto": "https"}, follow_redirects=False
    )
    assert "Secure" in behind_tls.headers["set-cookie"]
    app.cookies.clear()
    answer = app.post("/app/sign-in", data={"key": CLERK}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert answer.status_code == 303 and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/app" in cookie and "Secure" not in cookie
    page = app.get("/app")
    assert "Sign out (clerk)" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    app.cookies.clear()


def test_a_forged_or_foreign_cookie_is_no_session(app):
    client = signed_in(app)
    value = client.cookies[COOKIE]
    body, mac = value.split(".")
    forged = TestClient(app.app)
    forged.cookies.set(COOKIE, body[:-2] + "xx." + mac, path="/app")
    assert "Sign in" in forged.get("/app").text
    assert forged.get("/app/new", follow_redirects=False).status_code == 303


def test_every_post_needs_the_sessions_csrf_token(app):
    client, other = signed_in(app), signed_in(app)
    data: dict[str, str] = {}
    assert client.post("/app/check", data={"form": "eur1"}).status_code == 403
    assert client.post("/app/check", data={"csrf": csrf_of(other.get("/app/import").text)}).status_code == 403
    assert client.post("/app/sign-out", data=data).status_code == 403
    ok = client.post("/app/check", data={"csrf": csrf_of(client.get("/app/import").text), "form": "eur1"})
    assert ok.status_code == 200 and 'hx-swap-oob="true"' in ok.text
    assert (
        client.post(
            "/app/sign-in", data={"key": CLERK}, headers={"Origin": "https://evil.example"}
        ).status_code
        == 403
    )


def test_sign_out_ends_the_session(app):
    client = signed_in(app)
    answer = client.post(
        "/app/sign-out", data={"csrf": csrf_of(client.get("/app/import").text)}, follow_redirects=False
    )
    assert answer.status_code == 303 and "Max-Age=0" in answer.headers["set-cookie"]
    client.cookies.clear()
    assert "Sign in" in client.get("/app").text


def test_new_offers_only_the_forms_the_agreement_allows(app):
    client = signed_in(app)
    for key, row in agreements().items():
        page = client.get(f"/app/new?agreement={key}").text
        offered = set(re.findall(r'name="form" value="([^"]+)"', page))
        assert offered == (set(row.forms) if row.certificate else set()), key


@pytest.mark.parametrize("form", layout_names())
def test_every_form_is_laid_out_from_its_layout(app, form):
    client = signed_in(app)
    key = next(row.key for row in agreements().values() if form in row.forms)
    page = client.get(f"/app/new?agreement={key}&form={form}").text
    for region in regions(form):
        assert f'id="box-{region.key}"' in page
    assert ('name="cumulation"' in page) == form.startswith("eur-med")
    labels = set(re.findall(r'<label[^>]* for="([^"]+)"', page))
    controls = set(re.findall(r'<(?:input|select|textarea) id="([^"]+)"', page))
    assert controls and controls <= labels  # every field has its label
    assert ".region-8" in grid_css(form) and client.get(f"/app/static/form/{form}.css").status_code == 200


def test_box_8_rows_are_added_moved_and_removed(app, example):
    client = signed_in(app)
    csrf = csrf_of(client.get("/app/import").text)
    fields = fields_from_data(example) | {"csrf": csrf}
    added = client.post("/app/edit", data=fields | {"action": "add_item"}).text
    form = added[added.index('<form id="editor"') :]
    first = re.search(r'type="submit" name="action" value="([^"]+)"', form)
    assert first is not None and first[1] == "check"  # Enter in a field checks, it never moves an item
    assert 'name="items[3].description"' in added
    moved = client.post("/app/edit", data=fields | {"action": "down:0"}).text
    assert moved.index("Cylindrical roller") < moved.index("Ball bearings")
    removed = client.post("/app/edit", data=fields | {"action": "remove:1"}).text
    assert "Cylindrical roller" not in removed and 'name="items[2].description"' not in removed


def test_import_export_and_the_read_only_final(app, example):
    client = signed_in(app)
    csrf = csrf_of(client.get("/app/import").text)
    opened = client.post("/app/import", data={"csrf": csrf, "json": json.dumps(example)})
    assert opened.status_code == 200 and "Präzisionsteile Müller AG" in opened.text
    assert client.post("/app/import", data={"csrf": csrf, "json": "{oops"}).status_code == 422
    wrong = client.post("/app/import", data={"csrf": csrf, "json": '{"exporter": "Acme <b>"}'})
    assert wrong.status_code == 422 and "exporter: an object" in wrong.text  # not a 500
    unknown = fields_from_data({**example, "form": "<zz>"}) | {"csrf": csrf}
    for path, fields in (("/app/check", unknown), ("/app/edit", unknown | {"action": "add_item"})):
        answer = client.post(path, data=fields)  # the page was laid out from no layout: a 500
        assert answer.status_code == 422 and "unknown form &#x27;&lt;zz&gt;&#x27;" in answer.text
    exported = client.post("/app/edit", data=fields_from_data(example) | {"csrf": csrf, "action": "export"})
    digest = digest_of(canonical_bytes(certificate_from_data(example)))
    assert digest_of(canonical_bytes(certificate_from_data(exported.json()))) == digest

    example["serial"] = "W 100.001"
    certificate_id = save(client, example, "finalize")
    page = client.get(f"/app/c/{certificate_id}").text
    assert '<fieldset class="certificate" disabled>' in page and "Save as provisional" not in page
    assert "Download the final PDF" in page and 'value="add_item"' not in page
    stored = client.get(f"/app/c/{certificate_id}/export.json").json()
    assert digest_of(canonical_bytes(certificate_from_data(stored))) != digest  # its own serial
    fields = fields_from_data(stored) | {"csrf": csrf, "action": "save", "id": certificate_id}
    assert client.post("/app/edit", data=fields).status_code == 409
    pdf = client.get(f"/app/c/{certificate_id}/pdf")
    assert (
        pdf.headers["content-type"] == "application/pdf"
        and "W-100.001.pdf" in pdf.headers["content-disposition"]
    )


def test_rule_errors_keep_it_provisional_and_a_reader_cannot_save(app, example):
    client = signed_in(app)
    example["serial"] = "W 100.002"
    example["items"][0]["hs_code"] = "84"
    certificate_id = save(client, example)
    page = client.get(f"/app/c/{certificate_id}").text
    assert (
        "box8.hs_digits" in page
        and 'id="finalize" type="submit" name="action" value="finalize" class="primary" disabled' in page
    )
    csrf = csrf_of(page)
    refused = client.post(
        "/app/edit",
        data=fields_from_data(example) | {"csrf": csrf, "action": "finalize", "id": certificate_id},
    )
    assert refused.status_code == 422 and "breaks rules" in refused.text
    reader = signed_in(app, READER)
    token = csrf_of(reader.get("/app/import").text)
    assert (
        reader.post(
            "/app/edit", data=fields_from_data(example) | {"csrf": token, "action": "save"}
        ).status_code
        == 403
    )
    assert "Save as provisional" not in reader.get(f"/app/c/{certificate_id}").text


def listed_ids(client: TestClient, who: str = "") -> set[str]:
    page = client.get("/app" + (f"?who={who}" if who else "")).text
    return set(re.findall(r'<a href="/app/c/([A-Za-z0-9_-]+)">', page))


def test_each_key_lists_its_own_certificates_and_may_ask_for_all(app, example):
    clerk, officer, reader = signed_in(app), signed_in(app, OFFICER), signed_in(app, READER)
    example["serial"] = "W 200.001"
    by_clerk = save(clerk, example)
    example["serial"] = "W 200.002"
    by_officer = save(officer, example)
    assert by_clerk in listed_ids(clerk) and by_officer not in listed_ids(clerk)
    assert by_officer in listed_ids(officer) and by_clerk not in listed_ids(officer)
    mine = clerk.get("/app").text
    assert (
        "Certificates made with the key clerk" in mine and 'aria-current="page" class="current">Mine<' in mine
    )
    assert '<th scope="col">Created by</th>' not in mine
    everyone = clerk.get("/app?who=all").text
    assert {by_clerk, by_officer} <= listed_ids(clerk, "all") and "Every key&#x27;s certificates" in everyone
    assert '<th scope="col">Created by</th>' in everyone and '<td class="by">officer</td>' in everyone
    assert (
        listed_ids(reader, "mine") == set()
        and "The key reader made none yet." in reader.get("/app?who=mine").text
    )
    assert {by_clerk, by_officer} <= listed_ids(reader)  # it issues nothing: every key's by default
    assert listed_ids(clerk, "nonsense") == listed_ids(clerk)  # anything else: the key's own


def test_cancel_needs_the_reason_the_scope_and_the_csrf_token(app, example):
    clerk, officer = signed_in(app), signed_in(app, OFFICER)
    example["serial"] = "W 200.003"
    certificate_id = save(officer, example, "finalize")
    page = officer.get(f"/app/c/{certificate_id}").text
    assert "Cancel certificate" in page and f'action="/app/c/{certificate_id}/cancel"' in page
    assert "Cancel certificate" not in clerk.get(f"/app/c/{certificate_id}").text  # no scope cancel
    url, reason = f"/app/c/{certificate_id}/cancel", "Goods not originating: wrong supplier declaration"
    assert officer.post(url, data={"reason": reason}).status_code == 403  # no CSRF token
    assert (
        officer.post(url, data={"reason": reason, "csrf": csrf_of(clerk.get("/app").text)}).status_code == 403
    )
    refused = clerk.post(url, data={"reason": reason, "csrf": csrf_of(clerk.get("/app").text)})
    assert refused.status_code == 403 and "does not have the scope &#x27;cancel&#x27;" in refused.text
    token = csrf_of(page)
    blank = officer.post(url, data={"reason": "  \n ", "csrf": token})
    assert blank.status_code == 422 and "give the reason" in blank.text and "<details" in blank.text
    assert "status-final" in officer.get(f"/app/c/{certificate_id}").text  # still final

    example["serial"] = "W 200.004"
    provisional = save(officer, example)
    not_final = officer.post(f"/app/c/{provisional}/cancel", data={"reason": reason, "csrf": token})
    assert not_final.status_code == 409 and "only a final is cancelled" in not_final.text

    done = officer.post(url, data={"reason": reason, "csrf": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/app/c/{certificate_id}?done=cancelled"
    page = officer.get(done.headers["location"]).text
    assert "status-cancelled" in page and "verification page now says CANCELLED" in page
    assert f"Reason: {reason}." in page and '<fieldset class="certificate" disabled>' in page
    assert "Cancel certificate" not in page and "Save as provisional" not in page and "Finalize" not in page
    again = officer.post(url, data={"reason": "again", "csrf": token})
    assert again.status_code == 409 and "was cancelled" in again.text
    fields = fields_from_data(example) | {"csrf": token, "action": "save", "id": certificate_id}
    assert officer.post("/app/edit", data=fields).status_code == 409  # read-only for good
    stored = app.get(f"/v1/registry/{certificate_id}", headers={"X-API-Key": READER}).json()
    assert [(entry["action"], entry["key_name"]) for entry in stored["audit"]][-1] == ("cancelled", "officer")
    verify = f"/verify/W%20200.003?d={stored['digest']}"
    verified = app.get(verify, headers={"Accept": "application/json"}).json()
    assert verified["status"] == "cancelled" and verified["cancel_reason"] == reason
    assert "CANCELLED" in app.get(verify).text


def test_form_fields_and_data_round_trip(example):
    assert data_from_fields(fields_from_data(example)) == data_from_fields(
        fields_from_data(data_from_fields(fields_from_data(example)))
    )


def test_box_8_capacity_says_when_the_items_split(example):
    from eur1pdf.service.webapp.checking import capacity_text, check

    cn = json.loads((Path(__file__).parent.parent / "examples" / "eur1-cn-ch-cn.json").read_text("utf-8"))
    assert capacity_text(cn, check(cn)) == "4 of 50 items"
    cn["items"] = cn["items"] * 15
    assert (
        capacity_text(cn, check(cn))
        == "60 of 50 items; box 8 cannot hold them all: will split into 2 certificates"
    )
    example["items"] = example["items"] * 30
    checked = check(example)
    assert "will split into" in capacity_text(example, checked)
    assert "fit.overflow" in {f.code for f in checked.findings}


def test_a_fault_of_ours_is_an_html_page_logged_and_counted(
    app, example, monkeypatch, internal_error_allowed
):
    """The page's own application had no catch-all: a bug answered Starlette's bare text, missed the
    service's log and the internal-error count the tests watch; a busy worker's 503 answered JSON."""
    from eur1pdf.errors import internal_error_count
    from eur1pdf.service.webapp import checking

    client = signed_in(app)
    client = TestClient(
        app.app, base_url="http://testserver", raise_server_exceptions=False, cookies=client.cookies
    )
    csrf = csrf_of(client.get("/app/import").text)

    def broken(data):
        raise RuntimeError("a bug")

    monkeypatch.setattr(checking, "check", broken)
    before = internal_error_count()
    answer = client.post("/app/check", data=fields_from_data(example) | {"csrf": csrf})
    assert (
        answer.status_code == 500 and "<h1>Internal error</h1>" in answer.text and "a bug" not in answer.text
    )
    assert internal_error_count() == before + 1
