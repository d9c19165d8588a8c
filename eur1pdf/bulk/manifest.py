"""A batch's manifest (``manifest.jsonl``): one line per record, what became of it.

It is what ``--resume`` trusts, so it is written in a way a crash cannot
make lie: a record's line is appended (and flushed) only after its file is
in place, a line cut short by a crash is ignored when read, and at the end
of a run the manifest is rewritten in record order, one line per record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from eur1pdf.files import write_atomic

MANIFEST = "manifest.jsonl"


@dataclass
class Entry:
    """One manifest line."""

    record: int
    source: str
    input_sha256: str
    status: str  # ok | failed
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
    with path.open("r", encoding="utf-8") as fh:
        for line in fh:
            try:
                data = json.loads(line)
                entry = Entry(**data)
            except (json.JSONDecodeError, TypeError):
                continue
            entries[entry.record] = entry
    return entries


def resumable(previous: dict[int, Entry], outdir: Path) -> dict[int, Entry]:
    """The entries ``--resume`` may keep: ``ok``, and their file is there with the recorded SHA-256.

    Whether the record's input is still the same is checked as the input is read.
    """
    kept: dict[int, Entry] = {}
    for entry in previous.values():
        if entry.status == "ok" and entry.output and _file_sha(outdir / entry.output) == entry.sha256:
            kept[entry.record] = entry
    return kept


class ManifestLog:
    """The manifest being appended to while the run goes on."""

    def __init__(self, fh: TextIO) -> None:
        self.fh = fh

    def append(self, entry: Entry) -> None:
        """One record's line, flushed: written after the record's file is in place."""
        self.fh.write(entry.to_json() + "\n")
        self.fh.flush()


@contextlib.contextmanager
def manifest_log(path: Path, resume: bool) -> Iterator[ManifestLog]:
    """The manifest opened to append to (``resume``) or started afresh; made durable at the end."""
    with path.open("a" if resume else "w", encoding="utf-8") as fh:
        if resume and _ends_mid_line(path):
            fh.write("\n")  # a line cut short by a crash must not swallow the next one
        yield ManifestLog(fh)
        with contextlib.suppress(OSError):
            os.fsync(fh.fileno())


def compact(manifest: Path, total: int) -> None:
    """One line per record, in record order: the manifest of an uninterrupted run.

    Entries of records beyond the input's end (the input got shorter) go.
    """
    entries = read_manifest(manifest)
    text = "".join(entries[n].to_json() + "\n" for n in sorted(entries) if n <= total)
    write_atomic(manifest, text.encode("utf-8"))


def _ends_mid_line(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return False
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) != b"\n"


def _file_sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
