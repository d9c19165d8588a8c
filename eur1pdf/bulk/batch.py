"""``eur1pdf batch``: a JSON Lines file or a folder of certificates -> a folder of PDFs and a manifest.

What a month-end run needs: every good record written even when others are
bad, each failure reported with where it came from and why, nothing half
written when the run is stopped, and a way to carry on where it stopped.

- Workers render; this process names and writes, in input order, so names
  are allocated exactly as they would be in an uninterrupted run.
- Each PDF is written to a temporary file and renamed into place, between
  a ``writing`` and an ``ok`` manifest line (:mod:`.store`). A run stopped
  at any moment, even killed outright, leaves complete files and a manifest
  that says which ones they are, and ``--resume`` ends with exactly the
  files and manifest of an uninterrupted run.
- ``--resume`` skips a record whose manifest entry is ``ok`` for the same
  input and whose file is there with the recorded SHA-256; everything else
  is done again (output is deterministic, so the result is the same).
- When the output folder takes no more (a full disk), the run stops: the
  summary says so and how many records were not done, the manifest lists
  what was written, ``--resume`` carries on once there is room.
- The manifest is append-only while the run goes on; at the end it is
  rewritten in record order, one line per record.

The manifest itself (its lines, reading, appending, compacting, what
``--resume`` may keep) is :mod:`eur1pdf.bulk.manifest`, storing a record
:mod:`eur1pdf.bulk.store`; here are the input's records and the run.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from eur1pdf.bulk.manifest import (
    MANIFEST,
    Entry,
    compact,
    file_sha256,
    leftovers,
    manifest_log,
    own_names,
    read_manifest,
    resumable,
)
from eur1pdf.bulk.names import DEFAULT_TEMPLATE, NameAllocator, check_template
from eur1pdf.bulk.render_many import RecordText, RenderResult, render_many, spool_files
from eur1pdf.bulk.store import Output, OutputStopped
from eur1pdf.certificate.model import LIMITS, read_input_text, too_large
from eur1pdf.errors import Eur1pdfError, InputError, OutputError
from eur1pdf.files import check_output_dir
from eur1pdf.layouts.schema import Layout
from eur1pdf.options import FillOptions

INPUT_SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


class BatchRefused(Eur1pdfError):
    """The batch cannot start: nothing was read or written (exit 2)."""


class NothingToRead(BatchRefused):
    """The input is missing (exit 2)."""


@dataclass(frozen=True)
class Record:
    number: int  # from 1, as the manifest and messages count
    source: str
    sha256: str  # of the record's text: a changed input is rendered again on --resume
    text: RecordText


def _lines(fh: BinaryIO, limit: int) -> Iterator[tuple[bytes, int]]:
    """Each line and the length of its content (without a byte-order mark and the line end); of a
    line over ``limit`` only the length (a 200 MB line is read through a piece at a time, never held)."""
    first = True
    slack = 5  # a byte-order mark (3) and CR LF (2) do not count
    while True:
        line = fh.readline(limit + slack + 1)
        if not line:
            return
        if first and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        first = False
        if not line.endswith(b"\n") and len(line) > limit:
            size = len(line)
            line = b""
            while True:
                rest = fh.readline(1 << 20)
                size += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            size -= len(rest) - len(rest.rstrip(b"\r\n"))  # the line end does not count
            yield line, size
            continue
        yield line, len(line.rstrip(b"\r\n"))


def _jsonl_records(path: Path) -> Iterator[Record]:
    limit = LIMITS["input_bytes"]
    with path.open("rb") as fh:
        number = 0
        for line_number, (raw, size) in enumerate(_lines(fh, limit), start=1):
            if size <= limit and not raw.strip():
                continue  # blank lines (a trailing newline, a separator) are no records
            number += 1
            source = f"{path.name}:{line_number}"
            if size > limit:
                yield _refused(number, source, too_large(size))
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield _refused(number, source, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
                continue
            yield Record(number, source, _sha(line.strip()), RecordText(line, source, "json", str(number)))


def _refused(number: int, source: str, problem: str, stem: str = "") -> Record:
    """A record that cannot be read: it fails with ``problem``, the others go on."""
    return Record(number, source, _sha(f"refused {problem}"), RecordText("", source, "json", stem, problem))


def _folder_records(path: Path) -> Iterator[Record]:
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES)
    for number, file in enumerate(files, start=1):
        try:
            text = read_input_text(file)
        except InputError as exc:
            yield _refused(number, file.name, exc.problems[0].message, file.stem)
            continue
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", "")
            yield _refused(number, file.name, f"cannot read ({reason})", file.stem)
            continue
        fmt = INPUT_SUFFIXES[file.suffix.lower()]
        yield Record(number, file.name, _sha(text), RecordText(text, file.name, fmt, file.stem))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def count_records(path: Path) -> int:
    """How many records the input holds (for the progress bar), without parsing them."""
    if path.is_dir():
        return sum(1 for p in path.iterdir() if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES)
    with path.open("rb") as fh:
        return sum(
            1
            for line, size in _lines(fh, LIMITS["input_bytes"])
            if size > LIMITS["input_bytes"] or line.strip()
        )


def read_records(path: Path) -> Iterator[Record]:
    """The records of a JSON Lines file or a folder of JSON/YAML files, in order."""
    if path.is_dir():
        return _folder_records(path)
    if path.is_file():
        return _jsonl_records(path)
    raise NothingToRead(f"{path}: no such file or folder")


@dataclass
class Summary:
    total: int = 0
    written: int = 0
    skipped: int = 0  # already there (--resume)
    failed: int = 0
    bytes: int = 0
    interrupted: bool = False
    stop_signal: int = signal.SIGINT  # the signal that interrupted the run: SIGINT (Ctrl-C) or SIGTERM
    stopped: str | None = None  # why the output folder took no more (a full disk): the run stopped
    manifest: Path | None = None
    failures: list[Entry] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.written + self.skipped + self.failed

    @property
    def not_done(self) -> int:
        """Records neither written, nor already there, nor failed (a stopped or interrupted run)."""
        return self.total - self.done

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 128 + self.stop_signal  # 130 after Ctrl-C, 143 after SIGTERM, as the shell reports them
        if self.total == 0 or self.stopped:
            return 2
        return 1 if self.failed else 0

    def add(self, entry: Entry) -> None:
        """Count a record just stored."""
        if entry.status == "ok":
            self.written += 1
            self.bytes += entry.bytes or 0
        else:
            self.failed += 1
            self.failures.append(entry)


Progress = Callable[[Summary], None]


def run_batch(
    source: str | Path,
    outdir: str | Path,
    options: FillOptions | None = None,
    *,
    name_template: str = DEFAULT_TEMPLATE,
    jobs: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    layout: Layout | None = None,
    blank: str | Path | None = None,
    progress: Progress | None = None,
    manifest_name: str = MANIFEST,
    executor: Executor | None = None,
) -> Summary:
    """Render every record of ``source`` into ``outdir``; see the module docstring.

    ``executor``: where to render instead of a pool of ``jobs`` processes, e.g. a Dask
    ``Client`` (``eur1pdf batch --scheduler``); the PDFs come back to this process, which
    writes them and the manifest as always, so its workers need not see ``outdir``.

    Ctrl-C (SIGINT) or SIGTERM stops the run after the record being written: the
    summary says ``interrupted`` and the manifest is ready for ``resume``.
    """
    source, outdir = Path(source), Path(outdir)
    records = _open_input(source, name_template)
    manifest = outdir / manifest_name
    previous, names = _claim_outdir(outdir, manifest_name, resume=resume, overwrite=overwrite)
    kept = resumable(previous, outdir) if resume else {}
    summary = Summary(manifest=manifest)
    pending: deque[Record] = deque()
    to_render = _to_render(records, kept, names, summary, pending)
    with _interrupts_deferred() as stop, manifest_log(manifest, resume) as log:
        output = Output(outdir, name_template, names, log)
        spool = outdir if executor is None else None  # another executor's workers may not see outdir
        results = render_many(
            to_render, options, executor, jobs=jobs, layout=layout, blank=blank, spool=spool
        )
        try:
            _store_all(results, pending, output, summary, progress, stop)
        finally:
            results.close()  # stops the workers; nothing more is written
            _remove_spooled(outdir)  # rendered but not stored (Ctrl-C, a full disk): no stray files
    if summary.stopped:
        summary.total += sum(1 for _ in records)  # the records not reached, for the summary
    _finish_manifest(manifest, summary)
    _sync_folder(outdir)
    return summary


def _store_all(
    results: Iterator[RenderResult],
    pending: deque[Record],
    output: Output,
    summary: Summary,
    progress: Progress | None,
    stop: _Stop,
) -> None:
    """Store each result as it comes, until the end, a stop signal, or an output folder that takes no more."""
    try:
        for result in results:
            summary.add(output.store(pending.popleft(), result))
            if progress is not None:
                progress(summary)
            if stop.is_set():
                summary.interrupted, summary.stop_signal = True, stop.signum
                return
    except OutputStopped as exc:
        summary.stopped = str(exc)


def _finish_manifest(manifest: Path, summary: Summary) -> None:
    """The manifest in record order; a run that stopped early keeps the entries of records not reached."""
    complete = not (summary.interrupted or summary.stopped)
    try:
        compact(manifest, summary.total if complete else None)
    except OSError as exc:  # the append-only manifest stays: read and resumed just the same
        summary.stopped = summary.stopped or f"cannot rewrite {manifest.name} ({exc.strerror or exc})"


def _open_input(source: Path, name_template: str) -> Iterator[Record]:
    """The records, once the name template is valid and the input holds at least one (else refused)."""
    try:
        check_template(name_template)
    except Eur1pdfError as exc:
        raise BatchRefused(str(exc)) from None
    records = read_records(source)  # fails now when the input is not there
    first = next(records, None)
    if first is None:
        raise NothingToRead(f"{source}: no records (a JSON Lines file or a folder of .json/.yaml files)")
    return itertools.chain([first], records)


def _claim_outdir(
    outdir: Path, manifest_name: str, *, resume: bool, overwrite: bool
) -> tuple[dict[int, Entry], NameAllocator]:
    """Make sure the batch may write in ``outdir``: the previous run's entries, and the names.

    Names in ``outdir`` that are not the batch's own are taken; the batch's
    are given out again. ``overwrite`` first removes the previous batch's
    files (those its manifest names, unchanged since), so that a run killed
    after the manifest was started afresh leaves no file nobody owns.
    """
    manifest = outdir / manifest_name
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        check_output_dir(manifest)  # writes a probe: permission bits do not tell
    except OutputError as exc:
        raise BatchRefused(str(exc)) from None
    if manifest.exists() and not (resume or overwrite):
        raise BatchRefused(
            f"{outdir} already holds a batch ({manifest_name}): --resume to carry on with it, "
            "--overwrite to start it again, or choose another folder"
        )
    previous = read_manifest(manifest)
    ours = own_names(manifest)
    if overwrite:
        _remove_own_files(outdir, ours)
    for leftover in [*spool_files(outdir), *leftovers(outdir, manifest_name)]:
        leftover.unlink(missing_ok=True)  # a run killed outright (no Ctrl-C) may have left some
    foreign = [p.name for p in outdir.iterdir() if p.name not in ours and p.name != manifest_name]
    names = NameAllocator(foreign)
    names.reserve(manifest_name)
    return previous, names


def _remove_own_files(outdir: Path, ours: dict[str, set[str]]) -> None:
    for name, digests in ours.items():
        path = outdir / name
        if path.parent == outdir and file_sha256(path) in digests:
            path.unlink()


def _to_render(
    records: Iterator[Record],
    kept: dict[int, Entry],
    names: NameAllocator,
    summary: Summary,
    pending: deque[Record],
) -> Iterator[RecordText]:
    """The records to render, queued in ``pending``; a kept one (same input) keeps its name and file."""
    for record in records:
        summary.total += 1
        entry = kept.get(record.number)
        if entry is not None and entry.input_sha256 == record.sha256 and entry.output:
            names.reserve(entry.output)  # where the uninterrupted run put it
            summary.skipped += 1
            continue
        pending.append(record)
        yield record.text


def _remove_spooled(outdir: Path) -> None:
    for leftover in spool_files(outdir):
        leftover.unlink(missing_ok=True)


#: the signals that stop a batch after the record being written (the exit code is 128 + the signal)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Stop(threading.Event):
    """Set by a stop signal; ``signum`` says which."""

    signum: int = signal.SIGINT


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[_Stop]:
    """Ctrl-C, or SIGTERM (``kill``, a service manager stopping the job), sets a flag the run checks
    between records, so a file and its manifest line go together and the summary is printed."""
    stop = _Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals reach the main thread only; nothing to defer
        return

    def stop_at_the_next_record(signum: int, frame: object) -> None:
        stop.signum = signum
        stop.set()

    previous = {signum: signal.signal(signum, stop_at_the_next_record) for signum in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _sync_folder(folder: Path) -> None:
    """Make the renames durable once, at the end, instead of once per file."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
