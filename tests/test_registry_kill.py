"""``kill -9`` of a real ``eur1pdf serve`` — the server and its rendering worker, the whole process
group — while two clients finalize certificates over HTTP, on SQLite and PostgreSQL.

After each kill, read straight from the database: every record is provisional or final (nothing
half-written), a final is whole (serial issued, audit row, stored PDF whose attached data and
metadata carry the record's digest), every final a client was told about is still final, and no
process of the killed server survives. The server restarted on the same database finalizes the
rest: at the end all are final, each under its own serial (issue 18, item 4, over HTTP; the
library-level kill test is in test_registry_concurrency.py).
"""

from __future__ import annotations

import io
import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pikepdf
import pytest
import sqlalchemy as sa

from eur1pdf.certificate.digest import digest_of
from eur1pdf.plan import CERTIFICATE_ATTACHMENT
from eur1pdf.service.registry import Registry
from eur1pdf.service.registry.schema import audit, certificates, issued_serials

from .conftest import ROOT
from .registry_db import database
from .registry_server import AUDITOR, CLERK, KEYS, OFFICER, free_port

pytestmark = pytest.mark.slow

CERTIFICATES = 30  # created first; the clients create more when they run out
AS_CLERK, AS_OFFICER, AS_AUDITOR = ({"X-API-Key": key} for key in (CLERK, OFFICER, AUDITOR))
KILLS = 3
CLIENTS = 2  # finalizing at once: several finalizations in flight when the kill comes
KILL_DELAY_S = (0.5, 3.0)  # after the clients start: inside some finalization, wherever it is


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


# ----------------------------------------------------------------------------- the server's processes


def process_groups() -> dict[int, tuple[int, str]]:
    """Every process on the machine: pid -> (process group, state letter; ``Z`` a zombie), from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, pgrp, …
        found[int(entry.name)] = (int(fields[2]), fields[0])
    return found


def living_in_group(group: int) -> set[int]:
    """The processes of ``group`` that still run (a zombie is dead, only not yet reaped)."""
    return {pid for pid, (pgrp, state) in process_groups().items() if pgrp == group and state != "Z"}


@dataclass
class Server:
    """``eur1pdf serve --workers 1`` on a registry, in a process group of its own."""

    db_url: str
    folder: Path
    port: int
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / f"serve-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        command = [sys.executable, "-m", "eur1pdf.cli", "serve", "--db", self.db_url]
        command += ["--port", str(self.port), "--public-url", self.url, "--workers", "1"]
        env = {**os.environ, "EUR1PDF_API_KEYS": KEYS, "PYTHONPATH": str(ROOT)}
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [*command, "--log-level", "warning"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                start_new_session=True,  # its own process group: the worker is in it too
            )
        deadline = time.monotonic() + 60
        while not self._healthy():
            assert self.process.poll() is None, f"the server stopped: {self.log.read_text()}"
            assert time.monotonic() < deadline, f"the server did not start: {self.log.read_text()}"
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill_group(self) -> set[int]:
        """SIGKILL the whole process group, as ``kill -9 -PGID``; the processes it held."""
        assert self.process is not None
        group = self.process.pid
        members = living_in_group(group)
        os.killpg(group, signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL
        self.process = None
        return members

    def stop(self) -> None:
        """The ordinary end (SIGTERM), or SIGKILL for a server still there when a test fails."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:  # pragma: no cover - a hang is the failure to report
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
            self.process = None


def no_process_survives(group: int, members: set[int]) -> None:
    """Neither the killed server nor its rendering worker runs on (waiting a moment for the kernel)."""
    assert group in members and len(members) >= 2, f"server and worker expected in the group: {members}"
    deadline = time.monotonic() + 10
    while living_in_group(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not living_in_group(group), f"processes of the killed server run on: {living_in_group(group)}"


# ----------------------------------------------------------------------------- the clients


@dataclass
class Clients:
    """Two client threads finalizing over HTTP the provisional certificates in ``pending``, one
    after another each; when ``top_up``, a client finding the queue empty creates one more (the
    server finalizes some 70 a second, the kill must still find work in flight). They stop when
    the server goes away under them, or when nothing is left."""

    url: str
    example: dict
    serials: Iterator[str]
    pending: deque[str]
    top_up: bool = True
    created: list[str] = field(default_factory=list)  # the ids the server answered 201 for
    final: set[str] = field(default_factory=set)  # the ids the server answered "final" for
    refused: list[str] = field(default_factory=list)
    killed_at: float = float("inf")
    interrupted: int = 0  # clients stopped by the server going away (not by running out of work)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(CLIENTS)]
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=120)
            assert not thread.is_alive(), "a client hangs"

    def _client(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as http:
            try:
                while (certificate_id := self._next(http)) is not None:
                    answer = http.post(f"/v1/registry/{certificate_id}/finalize", headers=AS_OFFICER)
                    if answer.status_code == 200 and answer.json()["status"] == "final":
                        with self.lock:
                            self.final.add(certificate_id)
                    else:
                        self._refused(f"finalize {certificate_id}", answer)
            except httpx.TransportError:  # the server was killed
                with self.lock:
                    self.interrupted += 1

    def _next(self, http: httpx.Client) -> str | None:
        with self.lock:
            if self.pending or not self.top_up:
                return self.pending.popleft() if self.pending else None
            serial = next(self.serials)
        created = http.post("/v1/registry", json={**self.example, "serial": serial}, headers=AS_CLERK)
        if created.status_code != 201 or created.json()["findings"]:
            self._refused(f"create {serial}", created)
            return None
        with self.lock:
            self.created.append(created.json()["id"])
        return created.json()["id"]

    def _refused(self, what: str, answer: httpx.Response) -> None:
        # a 503 only as the kill lands (the worker died a moment before the server) is no refusal
        if answer.status_code != 503 or time.monotonic() < self.killed_at:
            with self.lock:
                self.refused.append(f"{what}: {answer.status_code} {answer.text}")


def create_provisionals(url: str, example: dict, serials: Iterator[str], count: int) -> list[str]:
    with httpx.Client(base_url=url, headers=AS_CLERK, timeout=60) as http:
        answers = [http.post("/v1/registry", json={**example, "serial": next(serials)}) for _ in range(count)]
    assert all(a.status_code == 201 and a.json()["status"] == "provisional" for a in answers)
    return [answer.json()["id"] for answer in answers]


# ----------------------------------------------------------------------------- the database afterwards


@dataclass
class Contents:
    """The registry's records, all checked whole: its finals (id -> serial) and provisionals."""

    finals: dict[str, str]
    provisionals: set[str]

    @property
    def ids(self) -> set[str]:
        return self.finals.keys() | self.provisionals


def whole_records(db_url: str, public_url: str) -> Contents:
    """Open the registry as a restart would, and check every record in it."""
    with Registry(db_url) as registry, registry.engine.connect() as connection:
        rows = connection.execute(sa.select(certificates)).all()
        issued = dict(
            connection.execute(sa.select(issued_serials.c.certificate_id, issued_serials.c.serial)).all()
        )
        audited = {
            row.certificate_id
            for row in connection.execute(sa.select(audit).where(audit.c.action == "finalized"))
        }
    contents = Contents({}, set())
    for row in rows:
        assert row.status in ("provisional", "final"), (row.id, row.status)
        assert digest_of(row.data.encode("utf-8")) == row.digest
        if row.status == "provisional":
            assert row.final_pdf is None and row.id not in issued and row.id not in audited, row.id
            contents.provisionals.add(row.id)
            continue
        assert row.serial and issued.get(row.id) == row.serial and row.id in audited, row.id
        assert row.final_pdf is not None, row.id
        assert row.finalized_at is not None and row.verify_link.startswith(f"{public_url}/verify/")
        assert pdf_digests(bytes(row.final_pdf)) == (row.digest, row.digest), row.id
        contents.finals[row.id] = row.serial
    assert len(issued) == len(contents.finals)
    return contents


def pdf_digests(pdf: bytes) -> tuple[str, str]:
    """(digest of the attached certificate.json, the metadata's /Eur1pdfDigest) of a final PDF."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        attached = document.attachments[CERTIFICATE_ATTACHMENT].get_file().read_bytes()
        return digest_of(attached), str(document.docinfo["/Eur1pdfDigest"])


# ----------------------------------------------------------------------------- the test


def kill_while_finalizing(server: Server, clients: Clients, delay: float) -> Contents:
    """One round: the clients finalize, the server's group is SIGKILLed ``delay`` s later. Checks
    the processes and the database: nothing half, nothing answered for lost."""
    assert server.process is not None
    group = server.process.pid
    clients.start()
    time.sleep(delay)
    clients.killed_at = time.monotonic()
    members = server.kill_group()
    clients.join()
    assert not clients.refused, clients.refused
    assert clients.interrupted == CLIENTS, "both clients were at work when the kill came"
    no_process_survives(group, members)
    contents = whole_records(server.db_url, server.url)
    assert clients.final <= contents.finals.keys(), "a final the server answered for is gone"
    assert set(clients.created) <= contents.ids, "a certificate the server answered 201 for is gone"
    return contents


def test_kill_9_of_the_service_while_finalizing_leaves_every_record_whole(db_url, tmp_path, example):
    seed = random.randrange(2**32)
    randomness = random.Random(seed)
    delays = [round(randomness.uniform(*KILL_DELAY_S), 2) for _ in range(KILLS)]
    serials = (f"KILL {number:04d}" for number in itertools.count())
    server = Server(db_url, tmp_path, free_port())
    known: set[str] = set()  # every id the server answered 201 for
    try:
        server.start()
        known |= set(create_provisionals(server.url, example, serials, CERTIFICATES))
        for round_number, delay in enumerate(delays):
            if round_number:
                server.start()  # the same database, port and public URL
            provisionals = whole_records(db_url, server.url).provisionals
            clients = Clients(server.url, example, serials, deque(sorted(provisionals)))
            contents = kill_while_finalizing(server, clients, delay)
            known |= set(clients.created)
            unanswered = contents.ids - known  # created as the kill came, the answer never sent
            assert len(unanswered) <= CLIENTS and unanswered <= contents.provisionals, unanswered
            known |= contents.ids
        server.start()
        rest = deque(sorted(whole_records(db_url, server.url).provisionals))
        clients = Clients(server.url, example, serials, rest, top_up=False)
        clients.start()
        clients.join()
        assert not clients.refused and not clients.pending and not clients.interrupted, clients.refused
        with httpx.Client(base_url=server.url, headers=AS_AUDITOR, timeout=60) as http:
            served = {i: http.get(f"/v1/registry/{i}/pdf").content for i in sorted(known)[:5]}
    except AssertionError as failed:
        raise AssertionError(f"{failed} (kill delays {delays}, seed {seed})") from failed
    finally:
        server.stop()
    contents = whole_records(db_url, server.url)
    assert not contents.provisionals and contents.ids == known
    assert len(set(contents.finals.values())) == len(known), "a serial issued twice"
    with Registry(db_url, migrate=False) as registry:
        assert all(registry.final_pdf(i) == pdf for i, pdf in served.items())
