"""The registry under pressure: simultaneous finalizations, a process killed mid-finalization,
on SQLite and PostgreSQL. Nothing lost, nothing doubled (issue 18, item 4)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pikepdf
import pytest
import sqlalchemy as sa

from eur1pdf import FillOptions, render
from eur1pdf.certificate.digest import digest_of
from eur1pdf.plan import CERTIFICATE_ATTACHMENT
from eur1pdf.service.registry import Conflict, Registry, verify_url_template
from eur1pdf.service.registry.schema import audit, certificates, issued_serials

from .conftest import ROOT
from .registry_db import database

PUBLIC = verify_url_template("https://registry.example")

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    with database(request.param, tmp_path) as url:
        Registry(url).close()  # migrated once, before the crowd opens it
        yield url


def meeting_renderer(barrier: threading.Barrier) -> Callable[[Mapping[str, Any], FillOptions], bytes]:
    """Renders, then waits for every other finalization: all reach the database at the same moment."""

    def render_then_meet(data: Mapping[str, Any], options: FillOptions) -> bytes:
        pdf = render(dict(data), options)
        barrier.wait(timeout=60)
        return pdf

    return render_then_meet


def finalize_at_once(url: str, certificate_ids: list[str]) -> list[str]:
    """Finalize each id from its own thread and registry (its own connection); what each got."""
    barrier = threading.Barrier(len(certificate_ids))

    def attempt(number: int) -> str:
        with Registry(url, migrate=False, renderer=meeting_renderer(barrier)) as own:
            try:
                return own.finalize(certificate_ids[number], f"key-{number}", PUBLIC).status
            except Conflict as refused:
                return refused.reason

    with ThreadPoolExecutor(len(certificate_ids)) as pool:
        return list(pool.map(attempt, range(len(certificate_ids))))


def test_twenty_finalizations_of_one_certificate_make_one_final(db_url, example):
    with Registry(db_url) as registry:
        record = registry.create(example, "clerk")
        outcomes = finalize_at_once(db_url, [record.id] * 20)
        assert outcomes.count("final") == 1, outcomes
        assert all("cannot be finalized again" in o for o in outcomes if o != "final")
        finalized = [e for e in registry.audit(record.id) if e.action == "finalized"]
        assert len(finalized) == 1 and finalized[0].key_name == f"key-{outcomes.index('final')}"
        pdf = registry.final_pdf(record.id)
        assert attached_digest(pdf) == registry.get(record.id).digest


def test_two_certificates_with_one_serial_finalized_at_once_make_one_final(db_url, example):
    with Registry(db_url) as registry:
        for round_number in range(3):
            serial = f"R {round_number}"
            pair = [registry.create({**example, "serial": serial}, "clerk").id for _ in range(2)]
            outcomes = finalize_at_once(db_url, pair)
            assert sorted(o == "final" for o in outcomes) == [False, True], outcomes
            assert any(f"serial {serial} was already issued" in o for o in outcomes)
            statuses = sorted(registry.get(i).status for i in pair)
            assert statuses == ["final", "provisional"]
            assert registry.by_serial(serial) is not None


def test_data_replaced_while_the_final_is_made_is_not_finalized(db_url, example):
    with Registry(db_url) as registry:
        record = registry.create(example, "clerk")

        def render_while_replaced(data: Mapping[str, Any], options: FillOptions) -> bytes:
            registry.replace(record.id, {**example, "transport": "changed meanwhile"}, "other clerk")
            return render(dict(data), options)

        finalizing = Registry(db_url, migrate=False, renderer=render_while_replaced)
        with finalizing, pytest.raises(Conflict, match="was replaced while it was being finalized"):
            finalizing.finalize(record.id, "clerk", PUBLIC)
        assert registry.get(record.id).status == "provisional"
        assert registry.finalize(record.id, "clerk", PUBLIC).data["transport"] == "changed meanwhile"


CHILD = """
import json, sys
from eur1pdf.service.registry import Registry, verify_url_template
data = json.load(open(sys.argv[2], encoding="utf-8"))
with Registry(sys.argv[1], migrate=False) as registry:
    for number in range(100000):
        record = registry.create({**data, "serial": f"{sys.argv[3]} {number}"}, "loop")
        registry.finalize(record.id, "loop", verify_url_template("https://registry.example"))
"""


def finalize_until_killed(url: str, prefix: str, finals: int, delay: float) -> None:
    """A child process finalizing in a loop, SIGKILLed ``delay`` s after the ``finals``-th final."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(ROOT / "examples" / "eur1-ch-mx.json"), prefix],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    with Registry(url, migrate=False) as registry:
        deadline = time.monotonic() + 60
        while registry.count(status="final") < finals and time.monotonic() < deadline:
            assert child.poll() is None, "the finalization loop stopped on its own"
            time.sleep(0.01)
    time.sleep(delay)  # somewhere inside a later finalization
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL


def test_killed_during_a_finalization_loop_leaves_no_half_certificate(db_url):
    for round_number, delay in enumerate((0.0, 0.013, 0.029, 0.047)):
        finalize_until_killed(db_url, f"K{round_number}", 5 * (round_number + 1), delay)
        with Registry(db_url) as reopened:  # a restart: open again, migrations and all
            check_nothing_half(reopened)
    with Registry(db_url) as reopened:
        assert reopened.count(status="final") >= 20


def check_nothing_half(registry: Registry) -> None:
    """Every record is provisional or final, and a final has all of it: PDF, serial, audit row."""
    with registry.engine.connect() as connection:
        rows = connection.execute(sa.select(certificates)).all()
        issued = dict(
            connection.execute(sa.select(issued_serials.c.certificate_id, issued_serials.c.serial)).all()
        )
        finalized = {
            r.certificate_id
            for r in connection.execute(sa.select(audit).where(audit.c.action == "finalized"))
        }
    assert rows
    for row in rows:
        assert row.status in ("provisional", "final"), row.status
        if row.status == "final":
            assert issued[row.id] == row.serial and row.id in finalized and row.finalized_at is not None
            assert attached_digest(row.final_pdf) == row.digest == digest_of(row.data.encode("utf-8"))
        else:
            assert row.final_pdf is None and row.id not in issued and row.id not in finalized


def attached_digest(pdf: bytes) -> str:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return digest_of(document.attachments[CERTIFICATE_ATTACHMENT].get_file().read_bytes())


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_instances_starting_together_on_an_empty_database_all_open_it(kind, tmp_path):
    with database(kind, tmp_path) as url:
        barrier = threading.Barrier(6)

        def start(number: int) -> int:
            barrier.wait(timeout=30)
            with Registry(url) as registry:
                return registry.count()

        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(start, range(6))) == [0] * 6


def test_an_in_memory_registry_keeps_its_data_between_calls(example):
    with Registry("sqlite://") as registry:
        record = registry.create(example, "clerk")
        assert registry.finalize(record.id, "clerk", PUBLIC).status == "final"
        assert registry.by_serial("A 123.456") == registry.get(record.id)
