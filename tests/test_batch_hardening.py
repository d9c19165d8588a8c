"""`eur1pdf batch` when things go wrong: killed outright, killed at any moment, a full disk, bad records.

Issue 21 (hardening, second round):
- the workers of a batch killed with ``kill -9`` die with it (within seconds);
- ``--resume`` after a kill at any moment gives exactly the files (names and
  bytes) and the manifest of an uninterrupted run. The moments are named crash
  points (``EUR1PDF_TEST_CRASH=POINT@N``, eur1pdf/bulk/crash_points.py: the
  process SIGKILLs itself there), and real ``kill -9`` from outside at moments
  picked by polling the output folder;
- a full disk (a 1 MB tmpfs; mounting needs root, skipped otherwise) ends with
  the summary and a manifest of what was written, and ``--resume`` finishes;
- nothing is lost: every record is in the manifest, a failed one with its error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from eur1pdf.bulk.batch import count_records, run_batch
from eur1pdf.bulk.manifest import Entry, ManifestLog, read_manifest
from eur1pdf.lifeline import lifeline

from .conftest import cli
from .test_batch import ONE_SHEET, cert, short_hs, write_jsonl

BATCH = [sys.executable, "-m", "eur1pdf.cli", "batch"]


def _records(n: int) -> list:
    """Good records, a rule failure, a JSON error and name collisions (the allocation must repeat)."""
    out: list = []
    for i in range(n):
        if i % 7 == 3:
            out.append(short_hs(i))
        elif i % 11 == 5:
            out.append("{not json")
        elif i % 5 == 4:
            out.append(cert(i, serial="A 100001"))  # the same name as record 2: A 100001-2.pdf, -3 …
        else:
            out.append(cert(i))
    return out


def _result(folder: Path) -> tuple[dict[str, bytes], list[dict]]:
    """Every file's name and bytes, and the manifest parsed (in its order: record order)."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.jsonl"}
    manifest = [json.loads(line) for line in (folder / "manifest.jsonl").read_text("utf-8").splitlines()]
    return files, manifest


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run over 12 records: what every interrupted and resumed run must end as."""
    base = tmp_path_factory.mktemp("reference")
    source = write_jsonl(base / "in.jsonl", _records(12))
    summary = run_batch(source, base / "out", ONE_SHEET, jobs=1)
    assert (summary.written, summary.failed) == (9, 3)
    files, manifest = _result(base / "out")
    assert {"A 100001.pdf", "A 100001-2.pdf", "A 100001-3.pdf"} <= set(files)
    return source, files, manifest


def _crash(source: Path, out: Path, point: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "EUR1PDF_TEST_CRASH": point}
    command = [*BATCH, str(source), "-o", str(out), "--sheets", "1", "-q", *extra]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


# --------------------------------------------------------------------------- killed at any moment


CRASHES = [
    "store@1",  # the first PDF in its temporary file: nothing else done
    "line-writing@1",  # half of the first `writing` line
    "renaming@2",  # a `writing` line, no file yet
    "renamed@1",  # the file in place, no `ok` line: was resumed as A 100000-2.pdf
    "renamed@5",  # … with a name collision around it
    "line-ok@3",  # half an `ok` line: a torn last line
    "stored@4",
    "line-failed@1",  # half a `failed` line
    "compacting@1",  # the manifest in order in its temporary file, not renamed
]


@pytest.mark.slow
@pytest.mark.parametrize("point", CRASHES)
def test_resume_after_a_kill_at_any_moment_gives_the_uninterrupted_result(tmp_path, reference, point):
    source, files, manifest = reference
    out = tmp_path / "out"
    crashed = _crash(source, out, point, "--jobs", "2")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    summary = run_batch(source, out, ONE_SHEET, jobs=1, resume=True)
    assert summary.exit_code == 1 and summary.failed == 3
    assert _result(out) == (files, manifest)


@pytest.mark.slow
def test_killed_twice_then_resumed(tmp_path, reference):
    """A resume killed too (just after a rename), then resumed: still the uninterrupted result."""
    source, files, manifest = reference
    out = tmp_path / "out"
    assert _crash(source, out, "renamed@4").returncode == -signal.SIGKILL
    assert _crash(source, out, "renamed@2", "--resume").returncode == -signal.SIGKILL
    assert _crash(source, out, "line-ok@1", "--resume").returncode == -signal.SIGKILL
    assert cli("batch", str(source), "-o", str(out), "--sheets", "1", "-q", "--resume").returncode == 1
    assert _result(out) == (files, manifest)


@pytest.mark.slow
def test_an_overwrite_killed_early_leaves_no_file_nobody_owns(tmp_path, reference):
    """--overwrite starts the manifest afresh: it removes the old batch's files first, so a kill
    right after does not leave files that --resume would take for somebody else's."""
    source, files, manifest = reference
    out = tmp_path / "out"
    run_batch(source, out, ONE_SHEET, jobs=1)
    (out / "notes.txt").write_text("mine", "utf-8")  # not the batch's: stays
    assert _crash(source, out, "renamed@2", "--overwrite").returncode == -signal.SIGKILL
    run_batch(source, out, ONE_SHEET, jobs=1, resume=True)
    got_files, got_manifest = _result(out)
    assert got_files.pop("notes.txt") == b"mine"
    assert (got_files, got_manifest) == (files, manifest)


def _wait_for(path: Path, lines: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(FileNotFoundError):
            if path.read_bytes().count(b"\n") >= lines:
                return
        time.sleep(0.002)


@pytest.mark.slow
def test_resume_after_kill_9_from_outside(tmp_path):
    """Real kills at moments nobody chose (after 1, 6, 15 … manifest lines), again and again."""
    records = _records(40)
    source = write_jsonl(tmp_path / "in.jsonl", records)
    run_batch(source, tmp_path / "reference", ONE_SHEET, jobs=1)
    out = tmp_path / "out"
    command = [*BATCH, str(source), "-o", str(out), "--sheets", "1", "-q", "--jobs", "2"]
    for lines in (1, 6, 15, 30, 55):
        proc = subprocess.Popen([*command, "--resume"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for(out / "manifest.jsonl", lines, proc)
        proc.kill()
        proc.wait(timeout=60)
    assert cli(*command[3:], "--resume").returncode == 1
    assert _result(out) == _result(tmp_path / "reference")


# --------------------------------------------------------------------------- workers die with their parent


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == pid and stat[0] != "Z":
                found.append(int(entry.name))
    return found


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def _alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if (stat := _stat(pid)) is not None and stat[0] != "Z"]


def _kill_and_time_the_orphans(proc: subprocess.Popen, workers: int) -> float:
    """Wait for the workers, kill -9 the parent, the seconds until no worker is left (or 10)."""
    deadline = time.monotonic() + 120
    children: list[int] = []
    while len(children) < workers and time.monotonic() < deadline and proc.poll() is None:
        children = _children(proc.pid)
        time.sleep(0.05)
    assert len(children) >= workers, "the workers did not start"
    time.sleep(0.5)  # in the middle of rendering
    proc.kill()
    proc.wait(timeout=30)
    killed = time.monotonic()
    while _alive(children) and time.monotonic() - killed < 10:
        time.sleep(0.02)
    orphans = _alive(children)
    for pid in orphans:  # the test failed: do not leave them rendering
        os.kill(pid, signal.SIGKILL)
    assert not orphans, f"orphaned workers: {orphans}"
    return time.monotonic() - killed


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_workers_of_a_killed_batch_die_with_it(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [cert(i) for i in range(400)])
    command = [*BATCH, str(source), "-o", str(tmp_path / "out"), "--sheets", "1", "-q", "--jobs", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert _kill_and_time_the_orphans(proc, 2) < 3  # the parent-death signal: at once


WATCHDOG_ONLY = """
import sys, threading
from eur1pdf import FillOptions, render_many
from tests.test_batch import cert

def work():  # not the main thread: no parent-death signal, the watchdog alone
    for _ in render_many([cert(i) for i in range(400)], FillOptions(sheets=(1,)), jobs=2):
        pass

thread = threading.Thread(target=work)
thread.start()
thread.join()  # the main thread waits (an ended main thread shuts executors down)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_watchdog_ends_workers_started_from_another_thread(tmp_path):
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(WATCHDOG_ONLY)], cwd=root)
    assert _kill_and_time_the_orphans(proc, 2) < 3  # WATCH_INTERVAL is 0.25 s


def test_the_parent_death_signal_only_from_the_main_thread():
    from concurrent.futures import ThreadPoolExecutor

    owner, direct, deathsig = lifeline()
    assert owner == os.getpid() and direct == (deathsig or not sys.platform.startswith("linux"))
    with ThreadPoolExecutor(1) as other:
        assert other.submit(lifeline).result()[2] is False


# --------------------------------------------------------------------------- a worker that dies


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_worker_killed_on_its_own_costs_no_record(tmp_path):
    """The OOM killer takes a worker: its records are rendered again, the batch ends as if it had not."""
    source = write_jsonl(tmp_path / "in.jsonl", [cert(i) for i in range(800)])  # ~2 s: time to kill one
    run_batch(source, tmp_path / "reference", ONE_SHEET, jobs=1)
    out = tmp_path / "out"
    command = [*BATCH, str(source), "-o", str(out), "--sheets", "1", "-q", "--jobs", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children: list[int] = []
    while len(children) < 2 and proc.poll() is None:
        children = _children(proc.pid)
        time.sleep(0.01)
    time.sleep(0.1)
    killed = None
    for child in _children(proc.pid):  # the workers now (a process listed before may be gone)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
            killed = child
            break
    assert killed is not None, "no worker to kill"
    assert proc.poll() is None, "the batch ended before a worker could be killed"
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "800 records: 800 written" in stdout
    assert _result(out) == _result(tmp_path / "reference")


@pytest.mark.slow
def test_a_record_that_kills_its_worker_fails_alone(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [cert(i) for i in range(20)])
    out = tmp_path / "out"
    crashed = _crash(source, out, "render-5@1", "--jobs", "2")  # every worker rendering record 5 dies
    assert crashed.returncode == 1, crashed.stderr
    assert "record 5 failed: in.jsonl:5: the process rendering this record died" in crashed.stderr
    entries = read_manifest(out / "manifest.jsonl")
    assert [n for n, e in entries.items() if e.status != "ok"] == [5] and len(entries) == 20
    assert "died" in str(entries[5].error)
    reference = run_batch(source, tmp_path / "reference", ONE_SHEET, jobs=1)
    assert reference.written == 20
    files, _ = _result(out)
    assert files == {k: v for k, v in _result(tmp_path / "reference")[0].items() if k != "A 100004.pdf"}


# --------------------------------------------------------------------------- a full disk


@contextlib.contextmanager
def _small_disk(path: Path, size: str):
    """A tmpfs of ``size`` at ``path`` (root only): the test is skipped, saying why, when it cannot be had."""
    path.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
    mounted = subprocess.run(command, capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"a small tmpfs cannot be mounted here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.slow
def test_a_full_disk_ends_with_the_summary_and_the_manifest_of_what_was_written(tmp_path):
    """About 100 documents' room (30 kB each), of which the workers' PDFs in flight (3 chunks of 8
    per worker, in temporary files) take up to 48."""
    n = 140
    source = write_jsonl(tmp_path / "in.jsonl", [cert(i) for i in range(n)] + [short_hs(n)])
    run_batch(source, tmp_path / "reference", ONE_SHEET, jobs=1)
    with _small_disk(tmp_path / "disk", "3m") as disk:
        out = disk / "out"
        run = cli("batch", str(source), "-o", str(out), "--sheets", "1", "-q", "--jobs", "2")
        assert run.returncode == 2, run.stderr
        assert "the batch stopped: cannot write the PDF (No space left on device): " in run.stderr
        counts = re.search(r"(\d+) written, 0 already there, 0 failed, (\d+) not done", run.stderr)
        assert counts, run.stderr
        written, not_done = int(counts[1]), int(counts[2])
        assert 20 < written < n and written + not_done == n + 1
        files, lines = _result(out)
        if len(lines) != written:  # no room even to rewrite the manifest in order: it stays as appended
            assert [(e["record"], e["status"]) for e in lines] == [
                (n, status) for n in range(1, written + 1) for status in ("writing", "ok")
            ]
        manifest = [e.__dict__ for e in read_manifest(out / "manifest.jsonl").values()]
        assert [e["record"] for e in manifest] == list(range(1, written + 1))  # in order, nothing else
        assert all(e["status"] == "ok" for e in manifest)
        assert sorted(files) == sorted(e["output"] for e in manifest)  # no temporary file left
        for entry in manifest:
            assert hashlib.sha256(files[entry["output"]]).hexdigest() == entry["sha256"]
        subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)
        resumed = cli("batch", str(source), "-o", str(out), "--sheets", "1", "-q", "--resume")
        assert resumed.returncode == 1 and f"{written} already there" in resumed.stdout
        assert _result(out) == _result(tmp_path / "reference")


@pytest.mark.slow
def test_a_manifest_line_that_does_not_fit_is_not_left_half_written(tmp_path):
    with _small_disk(tmp_path / "disk", "64k") as disk:
        manifest = disk / "manifest.jsonl"
        fd = os.open(manifest, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            log = ManifestLog(fd)
            entry = Entry(1, "in.jsonl:1", "0" * 64, "failed", error="x" * 4000)
            log.append(entry)
            os.ftruncate(fd, 4000)  # room for 96 more bytes in its page: the next line is written in part
            with open(disk / "filler", "wb", buffering=0) as filler, contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * 4096)
            with pytest.raises(OSError) as raised:
                log.append(Entry(2, "in.jsonl:2", "1" * 64, "failed", error="y" * 3000))
            assert raised.value.errno == 28  # ENOSPC
            assert os.fstat(fd).st_size == 4000  # cut back to where it was
        finally:
            os.close(fd)


# --------------------------------------------------------------------------- nothing lost


@pytest.mark.slow
def test_every_record_is_in_the_manifest_a_failed_one_with_its_error(tmp_path):
    big = json.dumps({**cert(90), "remarks": ["x" * 500] * 2000})  # over the 1,000,000-byte line limit
    lines = [cert(1), short_hs(2), "{not json", big, cert(5), {"form": "0"}, "[]", cert(8)]
    source = tmp_path / "in.jsonl"
    write_jsonl(source, lines)
    with source.open("ab") as fh:
        fh.write(b"\xff\xfe not UTF-8\n")
    out = tmp_path / "out"
    run = cli("batch", str(source), "-o", str(out), "--sheets", "1", "--jobs", "2", "-q")
    assert run.returncode == 1  # some records failed: the README's exit status
    entries = read_manifest(out / "manifest.jsonl")
    assert sorted(entries) == list(range(1, count_records(source) + 1)) == list(range(1, 10))
    failed = {n: e for n, e in entries.items() if e.status != "ok"}
    assert sorted(failed) == [2, 3, 4, 6, 7, 9]
    for number, entry in failed.items():
        assert entry.status == "failed" and entry.error and entry.output is None
        assert f"record {number} failed: {entry.error}" in run.stderr
    assert "more than" in failed[4].error and "not UTF-8" in failed[9].error


# --------------------------------------------------------------------------- the manifest's own repairs


def _entry(n: int, status: str, output: str | None = None) -> Entry:
    return Entry(n, f"in.jsonl:{n}", f"{n:064d}", status, output=output, sha256="ab" * 32 if output else None)


def test_a_torn_last_line_is_ignored_and_cut_off_on_resume(tmp_path):
    from eur1pdf.bulk.manifest import manifest_log

    manifest = tmp_path / "manifest.jsonl"
    whole = _entry(1, "ok", "Müller.pdf").to_json() + "\n"
    torn = _entry(2, "ok", "Ärger.pdf").to_json().encode()
    torn = torn[: torn.index("Ä".encode()) + 1]  # cut inside a two-byte character
    manifest.write_bytes(whole.encode() + torn)
    assert list(read_manifest(manifest)) == [1]
    with manifest_log(manifest, resume=True) as log:
        log.append(_entry(2, "failed"))
    assert [json.loads(line)["record"] for line in manifest.read_text("utf-8").splitlines()] == [1, 2]


def test_compacting_drops_writing_lines_whose_file_never_came(tmp_path):
    from eur1pdf.bulk.manifest import compact, own_names

    manifest = tmp_path / "manifest.jsonl"
    lines = [
        _entry(2, "writing", "B.pdf"),
        _entry(1, "writing", "A.pdf"),
        _entry(1, "ok", "A.pdf"),
        _entry(2, "ok", "B.pdf"),
        _entry(3, "writing", "C.pdf"),  # renamed, then killed before its ok line
        _entry(4, "writing", "D.pdf"),  # killed before the rename
    ]
    manifest.write_text("".join(e.to_json() + "\n" for e in lines), "utf-8")
    (tmp_path / "C.pdf").write_bytes(b"%PDF")
    assert set(own_names(manifest)) == {"A.pdf", "B.pdf", "C.pdf", "D.pdf"}
    compact(manifest)
    kept = [(e["record"], e["status"]) for e in map(json.loads, manifest.read_text("utf-8").splitlines())]
    assert kept == [(1, "ok"), (2, "ok"), (3, "writing")]
