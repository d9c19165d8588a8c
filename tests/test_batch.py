"""`eur1pdf batch` and `render_many`: isolation, safe names, the manifest, resume, executors."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
import pytest

from eur1pdf import FillOptions, render, render_many
from eur1pdf.bulk.batch import run_batch
from eur1pdf.bulk.manifest import read_manifest
from eur1pdf.bulk.names import MAX_NAME_BYTES, NameAllocator, safe_name
from eur1pdf.bulk.render_many import spool_files

from .conftest import EXAMPLE, cli, open_pdf
from .interrupting import interrupt_once_written

pytestmark = pytest.mark.slow

ONE_SHEET = FillOptions(sheets=(1,))


def cert(n: int, **changes) -> dict:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["serial"] = f"A {100000 + n}"
    data["consignee"]["name"] = f"Importadora {n}"
    data.update(changes)
    return data


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), "utf-8")
    return path


def short_hs(n: int) -> dict:
    data = cert(n)
    data["items"][1]["hs_code"] = "84"  # EFTA-Mexico wants the 4-digit heading
    return data


# --------------------------------------------------------------------------- isolation and the manifest


def test_bad_records_are_reported_and_the_good_ones_written(tmp_path):
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [cert(1), short_hs(2), "{not json", cert(4), {**cert(5), "colour": "red"}, "", cert(6)],
    )
    out = tmp_path / "out"
    run = cli("batch", str(source), "-o", str(out), "--sheets", "1", "--jobs", "2")
    assert run.returncode == 1, run.stderr
    assert "6 records: 3 written, 0 already there, 3 failed" in run.stdout
    entries = [json.loads(line) for line in (out / "manifest.jsonl").read_text("utf-8").splitlines()]
    assert [(e["record"], e["source"], e["status"]) for e in entries] == [
        (1, "in.jsonl:1", "ok"),
        (2, "in.jsonl:2", "failed"),
        (3, "in.jsonl:3", "failed"),
        (4, "in.jsonl:4", "ok"),
        (5, "in.jsonl:5", "failed"),
        (6, "in.jsonl:7", "ok"),  # the blank line 6 is no record
    ]
    hs = entries[1]
    assert [(f["code"], f["box"], f["field"]) for f in hs["findings"] if f["severity"] == "error"] == [
        ("box8.hs_digits", 8, "items[1].hs_code")  # box: a number in findings JSON
    ]
    assert "invalid JSON at line 1, column 2" in entries[2]["error"]
    assert entries[4]["findings"][0]["field"] == "colour" and "colour" in entries[4]["error"]
    written = sorted(p.name for p in out.glob("*.pdf"))
    assert written == ["A 100001.pdf", "A 100004.pdf", "A 100006.pdf"]
    for entry in (e for e in entries if e["status"] == "ok"):
        data = (out / entry["output"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
        with open_pdf(data) as pdf:
            assert entry["output"][:-4] in pdf.pages[0].extract_text()
    # the same bytes as `fill` for the same record
    assert (out / "A 100004.pdf").read_bytes() == render(cert(4), ONE_SHEET)
    assert "record 2 failed: in.jsonl:2:" in run.stderr and "box8.hs_digits" in run.stderr


def test_exit_codes(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", [cert(1), cert(2)])
    assert cli("batch", str(good), "-o", str(tmp_path / "a"), "--sheets", "1", "-q").returncode == 0
    assert cli("batch", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "b")).returncode == 2
    empty = write_jsonl(tmp_path / "empty.jsonl", ["", "  "])
    run = cli("batch", str(empty), "-o", str(tmp_path / "c"))
    assert run.returncode == 2 and "no records" in run.stderr and not (tmp_path / "c").exists()
    run = cli("batch", str(good), "-o", str(tmp_path / "d"), "--name", "{nonsense}.pdf")
    assert run.returncode == 2 and "unknown placeholder {nonsense}" in run.stderr


def test_a_folder_of_json_and_yaml(tmp_path):
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "b-mexico.json").write_text(json.dumps(cert(1)), "utf-8")
    import yaml

    (folder / "a-second.yaml").write_text(yaml.safe_dump(cert(2), allow_unicode=True), "utf-8")
    (folder / "notes.txt").write_text("not a certificate", "utf-8")
    summary = run_batch(folder, tmp_path / "out", ONE_SHEET, name_template="{stem}.pdf", jobs=1)
    assert (summary.total, summary.written, summary.failed) == (2, 2, 0)
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["a-second.pdf", "b-mexico.pdf"]
    manifest = read_manifest(tmp_path / "out" / "manifest.jsonl")
    assert [manifest[n].source for n in (1, 2)] == ["a-second.yaml", "b-mexico.json"]


def test_an_existing_batch_is_not_overwritten_by_accident(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [cert(1)])
    out = tmp_path / "out"
    assert cli("batch", str(source), "-o", str(out), "--sheets", "1", "-q").returncode == 0
    again = cli("batch", str(source), "-o", str(out), "--sheets", "1", "-q")
    assert again.returncode == 2 and "--resume" in again.stderr
    assert cli("batch", str(source), "-o", str(out), "--sheets", "1", "-q", "--overwrite").returncode == 0


def test_progress_lines_when_not_a_terminal(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [cert(1), cert(2), short_hs(3)])
    run = cli("batch", str(source), "-o", str(tmp_path / "out"), "--sheets", "1", "--jobs", "1")
    lines = [line for line in run.stderr.splitlines() if line.startswith("eur1pdf batch:")]
    assert lines and "\r" not in run.stderr
    assert lines[-1].startswith("eur1pdf batch: 3/3 documents (100%), ") and lines[-1].endswith(", 1 failed")
    assert "/s, ETA " in lines[-1]


# --------------------------------------------------------------------------- names


HOSTILE = [
    "../x",
    "a/b",
    "..\\..\\win",
    "long " * 60,
    "éèê " * 75,
    "dup",
    "dup",
    "DUP",
    ".hidden",
    "...",
    "a:b*?",
]


def test_hostile_names_stay_inside_the_output_folder(tmp_path):
    records = [cert(n) for n in range(len(HOSTILE))]
    for record, name in zip(records, HOSTILE, strict=True):
        record["consignee"]["name"] = name
    source = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "deep" / "out"
    summary = run_batch(source, out, ONE_SHEET, name_template="{consignee.name}.pdf", jobs=1)
    assert summary.written == len(HOSTILE) and summary.failed == 0, summary.failures
    names = [e.output for e in read_manifest(out / "manifest.jsonl").values()]
    assert len({n.casefold() for n in names}) == len(HOSTILE)  # no two the same, even ignoring case
    for name in names:
        assert (out / name).resolve().parent == out.resolve()
        assert "/" not in name and "\\" not in name and ".." not in name and not name.startswith(".")
        assert len(name.encode()) <= MAX_NAME_BYTES and name.endswith(".pdf")
    assert names[:3] == ["__x.pdf", "a_b.pdf", "____win.pdf"]
    assert len(names[3].encode()) > 190 and len(names[4].encode()) > 190  # cut to fit, not dropped
    assert names[5:8] == ["dup.pdf", "dup-2.pdf", "DUP-3.pdf"]
    assert names[8:] == ["hidden.pdf", "record-10.pdf", "a_b__.pdf"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "in.jsonl"]  # nothing written beside it
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "manifest.jsonl"])


def test_safe_name_refuses_controls_and_separators():
    assert safe_name("a\x00b", "f") == "a_b.pdf"
    assert safe_name("../../etc/passwd", "f") == "____etc_passwd.pdf"
    assert safe_name("x\u202eevil", "f") == "x_evil.pdf"
    assert safe_name("   ", "record-3") == "record-3.pdf"
    assert safe_name("A 1.pdf", "f") == "A 1.pdf"
    long = safe_name("ü" * 400, "f")
    assert len(long.encode()) <= MAX_NAME_BYTES and long.endswith("ü.pdf")


def test_names_never_collide_with_files_already_there(tmp_path):
    names = NameAllocator(["A.pdf", "b.PDF"])
    assert names.allocate("A.pdf") == "A-2.pdf"
    assert names.allocate("B.pdf") == "B-2.pdf"
    assert names.allocate("A.pdf") == "A-3.pdf"


def test_files_of_others_in_the_folder_are_not_overwritten(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "A 100001.pdf").write_bytes(b"somebody else's file")
    source = write_jsonl(tmp_path / "in.jsonl", [cert(1)])
    run_batch(source, out, ONE_SHEET, jobs=1)
    assert (out / "A 100001.pdf").read_bytes() == b"somebody else's file"
    assert (out / "A 100001-2.pdf").read_bytes()[:5] == b"%PDF-"


# --------------------------------------------------------------------------- resume


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_interrupted_batch_resumes_to_the_same_result(tmp_path):
    n = 400
    records = [cert(i) if i % 50 != 7 else short_hs(i) for i in range(n)]
    records[10] = cert(10, serial="A 100011")  # a name collision across the interruption
    source = write_jsonl(tmp_path / "in.jsonl", records)
    reference = tmp_path / "reference"
    run_batch(source, reference, ONE_SHEET, jobs=1)

    out = tmp_path / "out"
    command = [sys.executable, "-m", "eur1pdf.cli", "batch", str(source), "-o", str(out), "--sheets", "1"]
    manifest = out / "manifest.jsonl"
    returncode, err = interrupt_once_written([*command, "--jobs", "2"], manifest)
    assert returncode == 130, err
    assert b"interrupted" in err and b"--resume" in err
    done = read_manifest(manifest)
    assert 20 <= len(done) < n
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left
    for entry in done.values():  # every file in the manifest is complete
        if entry.status == "ok":
            assert hashlib.sha256((out / entry.output).read_bytes()).hexdigest() == entry.sha256
    # one file made unusable meanwhile: resume must make it again
    broken = next(e for e in done.values() if e.status == "ok")
    (out / broken.output).write_bytes(b"%PDF-1.7 truncated")

    resumed = subprocess.run([*command, "--resume", "-q"], capture_output=True, text=True)
    assert resumed.returncode == 1  # the records that break a rule still fail
    written = int(resumed.stdout.split(" written")[0].split(": ")[-1])
    assert written == n - len([e for e in done.values() if e.status == "ok"]) + 1 - n // 50
    assert _snapshot(out) == _snapshot(reference)


def test_sigterm_stops_the_batch_as_ctrl_c_does(tmp_path):
    """`kill PID` or a service manager stopping the job: the summary, a manifest ready for
    --resume and exit 143 (SIGTERM used to end the batch at once, without a summary)."""
    source = write_jsonl(tmp_path / "in.jsonl", [cert(i) for i in range(300)])
    reference = tmp_path / "reference"
    run_batch(source, reference, ONE_SHEET, jobs=1)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "eur1pdf.cli", "batch", str(source), "-o", str(out), "--sheets", "1"]
    returncode, err = interrupt_once_written(
        [*command, "--jobs", "2"], out / "manifest.jsonl", 20, signal.SIGTERM
    )
    assert returncode == 143 and b"interrupted: " in err and b"--resume" in err, err
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left
    resumed = subprocess.run([*command, "--resume", "-q"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert _snapshot(out) == _snapshot(reference)


def test_resume_renders_a_changed_record_again(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [cert(1), cert(2)])
    out = tmp_path / "out"
    run_batch(source, out, ONE_SHEET, jobs=1)
    write_jsonl(source, [cert(1), cert(2, destination="Mexico City")])
    summary = run_batch(source, out, ONE_SHEET, jobs=1, resume=True)
    assert (summary.skipped, summary.written) == (1, 1)
    with open_pdf((out / "A 100002.pdf").read_bytes()) as pdf:
        assert "Mexico City" in pdf.pages[0].extract_text()


# --------------------------------------------------------------------------- render_many and executors


def test_render_many_keeps_input_order_and_isolates_failures():
    certs = [cert(1), short_hs(2), {"form": 3}, cert(4)]
    results = list(render_many(certs, ONE_SHEET, ThreadPoolExecutor(max_workers=3), chunk_size=1))
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[1].findings[0].code == "box8.hs_digits"
    assert results[0].pdf == render(cert(1), ONE_SHEET)
    assert results[3].pdf == render(cert(4), ONE_SHEET)


def test_render_many_default_process_pool_matches_single_renders():
    certs = [cert(i) for i in range(6)]
    results = list(render_many(certs, ONE_SHEET, jobs=2, chunk_size=2))
    assert [r.pdf for r in results] == [render(c, ONE_SHEET) for c in certs]


def test_render_many_spools_to_files_the_workers_write(tmp_path):
    """With a spool folder the workers write the PDFs; the results name the files and their hashes."""
    certs = [cert(i) for i in range(5)] + [short_hs(5)]
    results = list(render_many(certs, ONE_SHEET, jobs=2, chunk_size=2, spool=tmp_path))
    assert [r.ok for r in results] == [True] * 5 + [False]
    for result, data in zip(results[:5], certs, strict=False):
        assert result.pdf is None and result.spooled is not None
        written = Path(result.spooled).read_bytes()
        assert written == render(data, ONE_SHEET)
        assert result.sha256 == hashlib.sha256(written).hexdigest() and result.size == len(written)
        assert Path(result.spooled).parent == tmp_path
    assert len(spool_files(tmp_path)) == 5, "the caller renames or removes them"


def test_render_many_on_a_dask_cluster_gives_the_same_bytes():
    distributed = pytest.importorskip("distributed")
    certs = [cert(i) for i in range(8)]
    default = [r.pdf for r in render_many(certs, ONE_SHEET, jobs=2)]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as c,
        distributed.Client(c) as client,
    ):
        on_dask = [r.pdf for r in render_many(certs, ONE_SHEET, client.get_executor(), chunk_size=3)]
    assert on_dask == default and all(on_dask)
    with pikepdf.open(__import__("io").BytesIO(on_dask[0])) as pdf:
        assert len(pdf.pages) == 2


def test_write_is_atomic_even_without_flush(tmp_path):
    from eur1pdf.files import write_atomic

    target = tmp_path / "x.pdf"
    target.write_bytes(b"old")
    write_atomic(target, b"new", durable=False)
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == ["x.pdf"]


def test_progress_bar_on_a_terminal():
    import io

    from eur1pdf.bulk.batch import Summary
    from eur1pdf.bulk.progress import BarProgress, progress_for

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    bar = progress_for(4, screen)
    assert isinstance(bar, BarProgress)
    summary = Summary(total=4)
    for n in range(4):
        summary.written += n != 2
        summary.failed += n == 2
        bar(summary)
    bar.close()
    last = screen.getvalue().split("\r")[-1]
    assert "4/4" in last and "doc/s" in last and "failed=1" in last and "100%" in last


def test_resume_after_a_manifest_line_cut_short(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [cert(1), cert(2), cert(3)])
    out = tmp_path / "out"
    run_batch(source, out, ONE_SHEET, jobs=1)
    manifest = out / "manifest.jsonl"
    lines = manifest.read_text("utf-8").splitlines(keepends=True)
    manifest.write_text(lines[0] + lines[1][:40], "utf-8")  # a crash in the middle of line 2
    (out / "A 100002.pdf").unlink()
    (out / "A 100003.pdf").unlink()
    summary = run_batch(source, out, ONE_SHEET, jobs=1, resume=True)
    assert (summary.skipped, summary.written) == (1, 2)
    assert [e.status for e in read_manifest(manifest).values()] == ["ok", "ok", "ok"]
    assert len(manifest.read_text("utf-8").splitlines()) == 3
