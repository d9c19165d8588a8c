"""A batch's manifest (``manifest.jsonl``): one line per record, what became of it.

It is what ``--resume`` trusts, so it is written in a way a crash at any
moment cannot make lie (``kill -9`` included):

- before a record's file is renamed into place, a ``writing`` line names it:
  a file the manifest names is the batch's own, so ``--resume`` gives that
  name out again (and overwrites it with the same bytes) instead of taking
  it for somebody else's file and writing ``NAME-2.pdf`` beside it;
- the record's ``ok`` line is appended after its file is in place; a line
  is one ``write`` (cut back if the disk is full), a last line cut short by
  a crash is cut off when the batch resumes and ignored when read;
- at the end of a run (also one stopped by Ctrl-C or a full disk) the
  manifest is rewritten in record order, one line per record, atomically.
  Only the manifest of a run killed outright holds ``writing`` lines.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eur1pdf.bulk.crash_points import crash_point
from eur1pdf.files import atomic_output

MANIFEST = "manifest.jsonl"


@dataclass
class Entry:
    """One manifest line."""

    record: int
    source: str
    input_sha256: str
    status: str  # ok | failed | writing (the file may or may not be in place yet)
    output: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    error: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if v is not None}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def read_manifest(path: Path) -> dict[int, Entry]:
    """The last entry of each record; a line cut short by a crash is ignored."""
    entries: dict[int, Entry] = {}
    if not path.exists():
        return entries
    with path.open("rb") as fh:
        for line in fh:
            try:
                entry = Entry(**json.loads(line))
            except (ValueError, TypeError):  # cut short (also inside a character), or not an entry
                continue
            entries[entry.record] = entry
    return entries


def resumable(previous: dict[int, Entry], outdir: Path) -> dict[int, Entry]:
    """The entries ``--resume`` may keep: ``ok``, and their file is there with the recorded SHA-256.

    Whether the record's input is still the same is checked as the input is read.
    """
    kept: dict[int, Entry] = {}
    for entry in previous.values():
        if entry.status == "ok" and entry.output and file_sha256(outdir / entry.output) == entry.sha256:
            kept[entry.record] = entry
    return kept


def own_names(path: Path) -> dict[str, set[str]]:
    """Every output name a line of the manifest holds, ``writing`` lines too: the batch's files;
    for each, the SHA-256 digests recorded for it."""
    names: dict[str, set[str]] = {}
    if not path.exists():
        return names
    with path.open("rb") as fh:
        for line in fh:
            with contextlib.suppress(ValueError, AttributeError):
                data = json.loads(line)
                output, digest = data.get("output"), data.get("sha256")
                if isinstance(output, str):
                    names.setdefault(output, set()).update([digest] if isinstance(digest, str) else [])
    return names


class ManifestLog:
    """The manifest being appended to while the run goes on: one ``write`` a line, no buffer."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def append(self, entry: Entry) -> None:
        """One record's line. On an error (a full disk) the manifest is cut back to where it was
        and the error raised: it never ends in half a line written by this process."""
        data = (entry.to_json() + "\n").encode("utf-8")
        crash_point(f"line-{entry.status}", lambda: os.write(self.fd, data[: len(data) // 2]))
        start = os.lseek(self.fd, 0, os.SEEK_END)
        try:
            done = 0
            while done < len(data):
                done += os.write(self.fd, data[done:])
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, start)
            raise


@contextlib.contextmanager
def manifest_log(path: Path, resume: bool) -> Iterator[ManifestLog]:
    """The manifest opened to append to (``resume``) or started afresh; made durable at the end.

    On ``resume`` a last line cut short by a crash is cut off first.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | (0 if resume else os.O_TRUNC), 0o666)
    try:
        if resume:
            os.ftruncate(fd, _whole_lines_end(path))
        yield ManifestLog(fd)
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def compact(manifest: Path, total: int | None = None) -> None:
    """One line per record, in record order: the manifest of an uninterrupted run.

    Entries of records beyond ``total`` (the input got shorter) go, and so do
    ``writing`` lines whose file is not there (nothing was put in place).
    """
    entries = read_manifest(manifest)
    text = "".join(
        entries[n].to_json() + "\n"
        for n in sorted(entries)
        if (total is None or n <= total)
        and (entries[n].status != "writing" or (manifest.parent / str(entries[n].output)).exists())
    )
    with atomic_output(manifest) as fh:
        fh.write(text.encode("utf-8"))
        crash_point("compacting")


def leftovers(outdir: Path, manifest_name: str = MANIFEST) -> list[Path]:
    """Temporary files of a manifest being rewritten when the run was killed."""
    return sorted(outdir.glob(f".{manifest_name}.*.tmp"))


def _whole_lines_end(path: Path) -> int:
    """Where the last complete line of ``path`` ends."""
    with path.open("rb") as fh:
        end = fh.seek(0, os.SEEK_END)
        while end > 0:
            step = min(end, 1 << 16)
            fh.seek(end - step)
            block = fh.read(step)
            cut = block.rfind(b"\n")
            if cut >= 0:
                return end - step + cut + 1
            end -= step
        return 0


def file_sha256(path: Path) -> str | None:
    """The file's SHA-256, or None if it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
