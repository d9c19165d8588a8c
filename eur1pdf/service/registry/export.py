"""``eur1pdf db export``: every record and its audit trail as JSON Lines, a backup a person can read.

One line per certificate, oldest first: the record as :meth:`Record.to_dict`
gives it (status, serial, times, the certificate data as an object), its
``audit`` trail, and its final PDF as ``final_pdf``: ``{"sha256", "bytes",
"base64"}`` — the base64 left out with ``with_pdf=False`` (the hash stays, so
a restored PDF can still be checked). The PDF is included by default because
it is what was issued: a signed final cannot be made again byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from eur1pdf.files import atomic_output
from eur1pdf.service.registry.records import AUDIT_ORDER, audit_from_row, record_from_row
from eur1pdf.service.registry.schema import audit, certificates
from eur1pdf.service.registry.store import Registry


def export_lines(registry: Registry, with_pdf: bool = True) -> Iterator[str]:
    """The export, line by line (each a JSON object, no newline), read in one SERIALIZABLE
    transaction (a level both databases know): one consistent snapshot while the service writes."""
    query = sa.select(certificates).order_by(certificates.c.created_at, certificates.c.id)
    with registry.engine.connect().execution_options(isolation_level="SERIALIZABLE") as connection:
        for row in connection.execution_options(yield_per=50).execute(query):
            trail = connection.execute(
                sa.select(audit).where(audit.c.certificate_id == row.id).order_by(*AUDIT_ORDER)
            )
            line = record_from_row(row).to_dict()
            line["final_pdf"] = _pdf_entry(row.final_pdf, with_pdf)
            line["audit"] = [audit_from_row(entry).to_dict() for entry in trail]
            yield json.dumps(line, ensure_ascii=False)


def _pdf_entry(pdf: bytes | None, with_pdf: bool) -> dict[str, Any] | None:
    if pdf is None:
        return None
    entry: dict[str, Any] = {"sha256": hashlib.sha256(pdf).hexdigest(), "bytes": len(pdf)}
    if with_pdf:
        entry["base64"] = base64.b64encode(pdf).decode("ascii")
    return entry


def write_export(registry: Registry, stream: IO[str], with_pdf: bool = True) -> int:
    """Write the export to ``stream``; the number of records."""
    count = 0
    for line in export_lines(registry, with_pdf):
        stream.write(line + "\n")
        count += 1
    return count


def export_to_file(registry: Registry, path: Path, with_pdf: bool = True) -> int:
    """Write the export to ``path`` in one step (never half a backup); the number of records."""
    with atomic_output(path, mode=0o600, text=True) as stream:  # a backup of customs data: the owner's alone
        count = write_export(registry, stream, with_pdf)
    return count
