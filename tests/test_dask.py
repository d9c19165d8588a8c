"""eur1pdf on a Dask cluster: ``render_many`` with a ``Client`` and ``eur1pdf batch --scheduler``.

Each test uses one LocalCluster of 2 worker processes, started here (as a user
would start theirs), and compares what it makes with a local run byte for
byte: the PDFs, the errors and findings of bad records, the files and the
manifest of a batch, and a batch interrupted and resumed on the cluster.
Speed is the benchmark's business (bench/cluster.py), not asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eur1pdf import FillOptions, get_layout, load_layout_file, render_many
from eur1pdf.bulk.batch import run_batch
from eur1pdf.bulk.dask_runner import ClusterError, auto_chunk_size, dask_client_of
from eur1pdf.bulk.manifest import read_manifest
from eur1pdf.layouts import BUILTIN_DIR

from .conftest import EXAMPLE
from .interrupting import interrupt_once_written

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

ONE_SHEET = FillOptions(sheets=(1,))


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
        yield c


def cert(n: int, **changes) -> dict:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["serial"] = f"A {100000 + n}"
    data["consignee"]["name"] = f"Importadora {n}"
    data.update(changes)
    return data


def short_hs(n: int) -> dict:
    data = cert(n)
    data["items"][1]["hs_code"] = "84"  # EFTA-Mexico wants the 4-digit heading: a rule error
    return data


def records(n: int) -> list:
    """``n`` records, every 9th breaking a rule, one not a certificate at all, one name twice."""
    out: list = [cert(i) if i % 9 != 4 else short_hs(i) for i in range(n)]
    out[5] = {"form": 3}
    out[7] = cert(7, serial="A 100006")  # the same serial as record 6: the name gets "-2"
    return out


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    return path


def outcome(results) -> list[tuple]:
    return [(r.index, r.pdf, r.error, [f.to_dict() for f in r.findings], r.names) for r in results]


def own_blank(tmp_path: Path) -> Path:
    """A user's blank (a scan of the stock, here the drawn blank's first two pages)."""
    import pikepdf

    from eur1pdf.artwork.blank import blank_path

    with pikepdf.open(blank_path(get_layout("eur1"))) as src:
        out = pikepdf.new()
        for page in src.pages[:2]:
            out.pages.append(page)
        path = tmp_path / "scan.pdf"
        out.save(path)
    return path


# --------------------------------------------------------------------------- render_many


def test_render_many_on_a_cluster_gives_what_one_process_gives(client):
    certs = records(40)
    local = outcome(render_many(certs, ONE_SHEET, jobs=1))
    assert outcome(render_many(certs, ONE_SHEET, client)) == local  # the Client itself
    assert outcome(render_many(certs, ONE_SHEET, client.get_executor(), chunk_size=3)) == local
    assert sum(1 for r in local if r[1] is None) == 5 and "form" in local[5][2]


def test_a_custom_layout_and_a_users_blank_reach_the_workers(client, tmp_path):
    layout = load_layout_file(BUILTIN_DIR / "eur1.toml")
    blank = own_blank(tmp_path)
    options = FillOptions(sheets=(1,), final=True, verify_url="https://v.example.org/{serial}?d={digest}")
    certs = [cert(i) for i in range(12)]
    local = outcome(render_many(certs, options, jobs=1, layout=layout, blank=blank))
    blank_elsewhere = tmp_path / "elsewhere.pdf"  # the workers read the bytes sent, not the path
    blank_elsewhere.write_bytes(blank.read_bytes())
    on_cluster = outcome(render_many(certs, options, client, layout=layout, blank=blank_elsewhere))
    assert on_cluster == local and all(r[1] for r in local)


def test_a_worker_with_another_eur1pdf_is_refused(client):
    def set_version(value: str) -> None:
        import eur1pdf

        eur1pdf.__version__ = value
        import eur1pdf.bulk.dask_runner as runner

        runner.__version__ = value

    import eur1pdf

    client.run(set_version, "0.0.0-other")
    try:
        with pytest.raises(ClusterError, match=r"0\.0\.0-other"):
            list(render_many([cert(1)], ONE_SHEET, client))
    finally:
        client.run(set_version, eur1pdf.__version__)
    assert len(list(render_many([cert(1)], ONE_SHEET, client))) == 1


def test_only_a_dask_client_takes_the_dask_path(client):
    from concurrent.futures import ThreadPoolExecutor

    assert dask_client_of(client) is client
    assert dask_client_of(client.get_executor()) is client
    with ThreadPoolExecutor(1) as pool:
        assert dask_client_of(pool) is None
    assert auto_chunk_size(range(1000), 2) == 64 and auto_chunk_size(range(40), 2) == 8
    assert auto_chunk_size(iter(range(40)), 2) == 32  # length unknown


# --------------------------------------------------------------------------- eur1pdf batch --scheduler


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _batch(source: Path, out: Path, *more: str) -> list[str]:
    return [sys.executable, "-m", "eur1pdf.cli", "batch", str(source), "-o", str(out), "--sheets", "1", *more]


def test_batch_on_a_cluster_writes_what_a_local_batch_writes(cluster, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(30))
    reference = tmp_path / "reference"
    run_batch(source, reference, ONE_SHEET, jobs=1)
    out = tmp_path / "out"
    run = subprocess.run(
        _batch(source, out, "--scheduler", cluster.scheduler_address), capture_output=True, text=True
    )
    assert run.returncode == 1, run.stderr  # the bad records fail, as locally
    assert "record 6 failed" in run.stderr and "30 records: 26 written" in run.stdout
    assert _snapshot(out) == _snapshot(reference)  # every PDF and the manifest, byte for byte


def test_batch_on_a_cluster_interrupted_and_resumed(cluster, tmp_path):
    n = 300
    source = write_jsonl(tmp_path / "in.jsonl", records(n))
    reference = tmp_path / "reference"
    run_batch(source, reference, ONE_SHEET, jobs=1)
    out = tmp_path / "out"
    command = _batch(source, out, "--scheduler", cluster.scheduler_address)
    manifest = out / "manifest.jsonl"
    returncode, err = interrupt_once_written(command, manifest)
    assert returncode == 130, err
    done = read_manifest(manifest)
    assert 20 <= len(done) < n
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left
    broken = next(e for e in done.values() if e.status == "ok")
    (out / broken.output).write_bytes(b"%PDF-1.7 truncated")  # made unusable: made again

    resumed = subprocess.run([*command, "--resume", "-q"], capture_output=True, text=True)
    assert resumed.returncode == 1, resumed.stderr  # the records that break a rule still fail
    assert _snapshot(out) == _snapshot(reference)


def test_an_unreachable_scheduler_writes_nothing(tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = write_jsonl(tmp_path / "in.jsonl", [cert(1)])
    out = tmp_path / "out"
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    run = subprocess.run(
        _batch(source, out, "--scheduler", f"tcp://127.0.0.1:{port}"), capture_output=True, text=True, env=env
    )
    assert run.returncode == 2
    assert f"--scheduler tcp://127.0.0.1:{port}: cannot reach the Dask scheduler" in run.stderr
    assert not out.exists()


def test_jobs_and_scheduler_together_are_refused(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [cert(1)])
    run = subprocess.run(
        _batch(source, tmp_path / "out", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"),
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "--jobs and --scheduler" in run.stderr
