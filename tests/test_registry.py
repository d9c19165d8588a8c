"""The certificate registry (eur1pdf.service.registry): the life cycle on SQLite and PostgreSQL,
the final PDF's bytes and QR code, refusals, the audit trail, migrations, restarts."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from eur1pdf import FillOptions, render
from eur1pdf.certificate.digest import digest_of
from eur1pdf.finish.verify import verify
from eur1pdf.plan import CERTIFICATE_ATTACHMENT
from eur1pdf.service.registry import (
    Conflict,
    InvalidRequest,
    NotFound,
    Registry,
    RuleErrors,
    current_revision,
    head_revision,
    verify_url_template,
)
from eur1pdf.service.registry.store import new_certificate_id
from tests.conftest import qr_codes as _qr_codes

from .conftest import cli
from .registry_db import database

pytestmark = pytest.mark.slow  # a database (SQLite files, PostgreSQL) and finals rendered and read back

PUBLIC = verify_url_template("https://registry.example/")
DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(params=DATABASES)
def db_url(request, tmp_path):
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def registry(db_url):
    with Registry(db_url) as opened:
        yield opened


def attached_digest(pdf: bytes) -> str:
    """The digest of the certificate data the PDF carries (what eur1pdf verify recomputes)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return digest_of(document.attachments[CERTIFICATE_ATTACHMENT].get_file().read_bytes())


def test_life_cycle(registry, example):
    created = registry.create(example, actor="clerk")
    assert (created.status, created.serial, created.findings) == ("provisional", "A 123.456", [])
    assert verify(registry.provisional_pdf(created.id)).status == "draft"
    example["transport"] = "Sea freight"
    replaced = registry.replace(created.id, example, actor="clerk-2")
    assert replaced.digest != created.digest and replaced.data["transport"] == "Sea freight"
    assert registry.by_serial("A 123.456") is None  # nothing issued yet

    final = registry.finalize(created.id, "officer", PUBLIC)
    assert final.status == "final" and final.finalized_at is not None
    pdf = registry.final_pdf(created.id)
    assert pdf == registry.final_pdf(created.id) == registry.pdf(created.id)
    link = f"https://registry.example/verify/A%20123.456?d={final.digest}"
    assert final.verify_link == link and set(_qr_codes(pdf)) == {link}
    assert attached_digest(pdf) == final.digest == replaced.digest
    assert verify(pdf).status == "unsigned"  # the content matches its digest; no key was given
    assert registry.by_serial("A 123.456") == final

    cancelled = registry.cancel(created.id, "  wrong consignee ", actor="operator")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "wrong consignee")
    assert registry.final_pdf(created.id) == pdf  # the issued bytes stay
    trail = [(e.action, e.key_name) for e in registry.audit(created.id)]
    assert trail == [
        ("created", "clerk"),
        ("replaced", "clerk-2"),
        ("finalized", "officer"),
        ("cancelled", "operator"),
    ]
    assert registry.audit(created.id)[-1].detail == {"reason": "wrong consignee"}


def test_a_final_is_frozen(registry, example):
    record = registry.finalize(registry.create(example, "clerk").id, "clerk", PUBLIC)
    with pytest.raises(
        Conflict, match=r"is final .* cannot be replaced; a final certificate is only ever cancelled"
    ):
        registry.replace(record.id, example, "clerk")
    with pytest.raises(Conflict, match="cannot be finalized again"):
        registry.finalize(record.id, "clerk", PUBLIC)
    with pytest.raises(Conflict, match="its PDF is the final one"):
        registry.provisional_pdf(record.id)
    registry.cancel(record.id, "typo in box 8", "clerk")
    with pytest.raises(Conflict, match=r"was cancelled .*\(typo in box 8\): it cannot be cancelled"):
        registry.cancel(record.id, "again", "clerk")
    assert [e.action for e in registry.audit(record.id)] == ["created", "finalized", "cancelled"]


def test_finalize_refuses_rule_errors_and_keeps_it_provisional(registry, example):
    example["trade"]["to"] = example["trade"]["from"]
    record = registry.create(example, "clerk")
    assert [f.code for f in record.findings] == ["box2.same_parties"]  # kept while provisional
    assert verify(registry.pdf(record.id)).status == "draft"  # a draft despite the error
    with pytest.raises(RuleErrors) as refused:
        registry.finalize(record.id, "clerk", PUBLIC)
    assert [f.code for f in refused.value.findings] == ["box2.same_parties"]
    assert registry.get(record.id).status == "provisional"
    assert [e.action for e in registry.audit(record.id)] == ["created"]


def test_finalize_needs_a_serial(registry, example):
    del example["serial"]
    record = registry.create(example, "clerk")
    with pytest.raises(RuleErrors) as refused:
        registry.finalize(record.id, "clerk", PUBLIC)
    assert [(f.code, f.field) for f in refused.value.findings] == [("input.invalid", "serial")]


def test_a_serial_is_issued_once(registry, example):
    first, second = registry.create(example, "a"), registry.create(example, "b")
    registry.finalize(first.id, "a", PUBLIC)
    with pytest.raises(Conflict, match=f"serial A 123.456 was already issued to certificate {first.id}"):
        registry.finalize(second.id, "b", PUBLIC)
    assert registry.get(second.id).status == "provisional"
    registry.cancel(first.id, "withdrawn", "a")  # a cancelled serial stays issued
    with pytest.raises(Conflict, match="already issued"):
        registry.finalize(second.id, "b", PUBLIC)
    example["serial"] = "A 123.457"
    registry.replace(second.id, example, "b")
    assert registry.finalize(second.id, "b", PUBLIC).status == "final"
    assert [r.id for r in registry.records(status="final")] == [second.id]
    assert registry.count() == 2 and len(registry.records(serial="A 123.456")) == 1


def test_refusals_name_the_problem(registry, example):
    with pytest.raises(NotFound, match="no certificate nope"):
        registry.get("nope")
    with pytest.raises(NotFound):
        registry.finalize("nope", "clerk", PUBLIC)
    with pytest.raises(RuleErrors) as invalid:
        registry.create({**example, "colour": "red"}, "clerk")
    assert {f.code for f in invalid.value.findings} == {"input.invalid"}
    assert registry.count() == 0  # nothing stored
    record = registry.create(example, "clerk")
    with pytest.raises(Conflict, match="is provisional: it cannot be cancelled; only a final is cancelled"):
        registry.cancel(record.id, "why", "clerk")
    with pytest.raises(InvalidRequest, match="needs a reason"):
        registry.cancel(record.id, " ", "clerk")
    with pytest.raises(InvalidRequest, match="actor"):
        registry.create(example, "")
    with pytest.raises(InvalidRequest, match="'on_overflow' is not one the registry keeps"):
        registry.create(example, "clerk", options={"on_overflow": "split"})


def test_options_are_kept_for_the_pdfs(registry, example):
    record = registry.create(example, "clerk", options={"sheets": [1], "end_mark": "stars"})
    assert record.options == {"end_mark": "stars", "sheets": [1]}
    expected = render(example, FillOptions(draft=True, allow_errors=True, sheets=(1,), end_mark="stars"))
    assert registry.pdf(record.id) == expected  # the draft is the library's draft of the stored data


def test_survives_a_restart(db_url, example):
    with Registry(db_url) as registry:
        record = registry.finalize(registry.create(example, "clerk").id, "clerk", PUBLIC)
        pdf = registry.final_pdf(record.id)
    with Registry(db_url) as reopened:
        assert reopened.get(record.id) == record
        assert reopened.final_pdf(record.id) == pdf
        assert current_revision(reopened.engine) == head_revision()


def test_migrations_make_the_schema_the_code_queries(registry):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from eur1pdf.service.registry.schema import metadata

    with registry.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


@pytest.mark.slow
def test_importing_eur1pdf_does_not_import_sqlalchemy():
    code = (
        "import sys, eur1pdf, eur1pdf.cli; "
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'alembic', 'psycopg'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_default_database_is_in_the_users_data_folder(monkeypatch, tmp_path):
    from eur1pdf.service.registry import database_url

    monkeypatch.delenv("EUR1PDF_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert database_url() == f"sqlite:///{tmp_path / 'eur1pdf' / 'registry.db'}"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url(str(Path("x.db"))) == "sqlite:///x.db"
    monkeypatch.setenv("EUR1PDF_DB", "sqlite:////elsewhere.db")
    assert database_url() == "sqlite:////elsewhere.db"


def test_export_is_every_record_with_its_audit_trail(registry, example, tmp_path):
    from eur1pdf.service.registry.export import export_to_file

    final = registry.finalize(registry.create(example, "clerk").id, "clerk", PUBLIC)
    registry.cancel(final.id, "withdrawn", "operator")
    provisional = registry.create({**example, "serial": "B 1"}, "clerk")
    assert export_to_file(registry, tmp_path / "backup.jsonl") == 2
    lines = [json.loads(line) for line in (tmp_path / "backup.jsonl").read_text("utf-8").splitlines()]
    assert [(line["id"], line["status"]) for line in lines] == [
        (final.id, "cancelled"),
        (provisional.id, "provisional"),
    ]
    pdf = registry.final_pdf(final.id)
    assert base64.b64decode(lines[0]["final_pdf"]["base64"]) == pdf
    assert lines[0]["final_pdf"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert [e["action"] for e in lines[0]["audit"]] == ["created", "finalized", "cancelled"]
    assert lines[0]["data"] == final.data and lines[0]["cancel_reason"] == "withdrawn"
    assert lines[1]["final_pdf"] is None and lines[1]["audit"][0]["key_name"] == "clerk"


@pytest.mark.slow
def test_operator_commands(db_url, example, tmp_path):
    with Registry(db_url) as registry:
        record = registry.finalize(registry.create(example, "clerk").id, "clerk", PUBLIC)
    listed = cli("registry", "list", "--db", db_url)
    assert listed.returncode == 0 and f"{record.id}  final" in listed.stdout, listed.stderr
    with Registry(db_url) as registry:
        other = registry.create(example, "officer")
    mine = cli("registry", "list", "--created-by", "clerk", "--db", db_url)
    assert mine.returncode == 0 and record.id in mine.stdout and other.id not in mine.stdout, mine.stderr
    assert mine.stdout.rstrip().endswith("1 of 1 certificate(s)") and "  clerk\n" in mine.stdout
    as_json = cli("registry", "list", "--created-by", "officer", "--json", "--db", db_url).stdout
    assert [json.loads(line)["id"] for line in as_json.splitlines()] == [other.id]
    shown = cli("registry", "show", record.id, "--db", db_url)
    assert "serial:    A 123.456" in shown.stdout and "finalized  by clerk" in shown.stdout
    cancelled = cli(
        "registry", "cancel", record.id, "--reason", "wrong box 8", "--actor", "ops", "--db", db_url
    )
    assert cancelled.returncode == 0 and "cancelled (serial A 123.456) by ops" in cancelled.stdout
    again = cli("registry", "cancel", record.id, "--reason", "x", "--db", db_url)
    assert again.returncode == 1 and "was cancelled" in again.stderr and "(wrong box 8)" in again.stderr
    exported = cli("db", "export", "--db", db_url, "--no-pdf")
    line = next(json.loads(text) for text in exported.stdout.splitlines() if record.id in text)
    assert line["status"] == "cancelled" and "base64" not in line["final_pdf"]
    assert line["audit"][-1]["key_name"] == "ops" and "2 certificate(s) exported" in exported.stderr
    upgraded = cli("db", "upgrade", "--db", db_url)
    assert (
        upgraded.returncode == 0
        and f"schema at revision {head_revision()} (already there)" in upgraded.stdout
    )


def test_ids_never_begin_with_a_dash():
    """One token_urlsafe id in 64 began with '-', and `registry show ID` took it for an option."""
    ids = [new_certificate_id() for _ in range(2000)]
    assert not [i for i in ids if i.startswith("-")] and len(set(ids)) == 2000
    assert all(len(i) == 22 for i in ids)


@pytest.mark.slow
def test_an_older_id_beginning_with_a_dash_goes_after_the_double_dash(db_url):
    with Registry(db_url):
        pass
    shown = cli("registry", "show", "--db", db_url, "--", "-Mj10XoWRabcdefghijklm")
    assert shown.returncode == 1 and "-Mj10XoWRabcdefghijklm" in shown.stderr, shown.stderr
    assert "required" not in shown.stderr


@pytest.mark.slow
def test_operator_commands_do_not_make_a_registry_by_mistake(tmp_path):
    missing = tmp_path / "typo.db"
    result = cli("registry", "list", "--db", f"sqlite:///{missing}")
    assert result.returncode == 2 and "no registry at" in result.stderr and not missing.exists()
    made = cli("db", "upgrade", "--db", str(missing))
    assert made.returncode == 0 and "from an empty database" in made.stdout and missing.exists()
