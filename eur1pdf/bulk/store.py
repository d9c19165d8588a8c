"""Putting a batch's rendered record in place, so that a crash at any moment can be resumed.

The steps for a record that rendered (each crash point is named, see
:mod:`.crash_points`), and what ``--resume`` finds if the run dies between two:

1. the worker wrote the PDF to a temporary file in the output folder
   (``store``) -- a leftover temporary file, removed; the record is done again;
2. a ``writing`` line names the file (``renaming``) -- the name is the batch's:
   given out again to the same record;
3. the file is renamed into place (``renamed``) -- the same, and the file is
   overwritten with the same bytes, never kept beside as ``NAME-2.pdf``;
4. the ``ok`` line (``stored``) -- the record is kept.

A record that failed gets its ``failed`` line. When the output cannot be
written (a full disk, a quota, an I/O error) the run stops with
:class:`OutputStopped`: what is in place is in the manifest, nothing else is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from eur1pdf.bulk.crash_points import crash_point
from eur1pdf.bulk.manifest import Entry, ManifestLog
from eur1pdf.bulk.names import NameAllocator, fill_template, safe_name
from eur1pdf.bulk.render_many import RenderResult
from eur1pdf.files import write_atomic


class OutputStopped(Exception):
    """The output folder cannot take more (full disk, quota, I/O error): the run stops here."""


class StoredRecord(Protocol):
    """What of a record storing needs (the batch's ``Record``)."""

    @property
    def number(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def sha256(self) -> str: ...


@dataclass
class Output:
    """Where and under which names the rendered records go, and their manifest."""

    outdir: Path
    template: str
    names: NameAllocator
    log: ManifestLog

    def store(self, record: StoredRecord, result: RenderResult) -> Entry:
        """Put a rendered record's file in place (or note its failure): its manifest entry."""
        findings = [f.to_dict() for f in result.findings]
        if result.output_error:
            raise OutputStopped(str(result.error))
        if not result.ok:
            failed = Entry(
                record.number, record.source, record.sha256, "failed", error=result.error, findings=findings
            )
            self._append(failed)
            return failed
        crash_point("store")
        wanted = safe_name(fill_template(self.template, result.names), fallback=f"record-{record.number}")
        name = self.names.allocate(wanted)
        target = self.outdir / name
        digest, size = self._digest(result)
        entry = Entry(record.number, record.source, record.sha256, "writing", output=name, sha256=digest)
        self._append(entry)
        crash_point("renaming")
        self._put(result, target)
        crash_point("renamed")
        entry.status, entry.bytes, entry.findings = "ok", size, findings
        try:
            self._append(entry)
        except OutputStopped:
            with contextlib.suppress(OSError):
                target.unlink()  # in place but not in the manifest as ok: not there at all
            raise
        crash_point("stored")
        return entry

    @staticmethod
    def _digest(result: RenderResult) -> tuple[str | None, int | None]:
        if result.spooled is not None:
            return result.sha256, result.size
        assert result.pdf is not None
        return hashlib.sha256(result.pdf).hexdigest(), len(result.pdf)

    def _append(self, entry: Entry) -> None:
        try:
            self.log.append(entry)
        except OSError as exc:
            raise OutputStopped(f"cannot write the manifest ({exc.strerror or exc})") from None

    @staticmethod
    def _put(result: RenderResult, target: Path) -> None:
        """The worker wrote it beside its place: one rename, atomic (else written here)."""
        try:
            if result.spooled is not None:
                os.replace(result.spooled, target)
            else:
                assert result.pdf is not None
                write_atomic(target, result.pdf, durable=False)
        except OSError as exc:
            raise OutputStopped(f"cannot write {target.name} ({exc.strerror or exc})") from None
