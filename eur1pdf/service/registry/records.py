"""What the registry hands out: :class:`Record` (a certificate and its state) and
:class:`AuditEntry` (one state change). Plain frozen data, with ``to_dict`` for JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from eur1pdf.rules import Finding
from eur1pdf.service.registry.schema import audit, certificates

PROVISIONAL, FINAL, CANCELLED = "provisional", "final", "cancelled"


@dataclass(frozen=True)
class Record:
    """One certificate in the registry.

    ``data`` is the certificate as stored: the canonical form (what ``digest`` is
    over), parsed. ``findings`` are the rules' findings on that data, made when it
    was stored (create/replace) — a final one has warnings at most. The final
    PDF's bytes are not carried here: ask :meth:`Registry.final_pdf` for them.
    """

    id: str
    status: str  # provisional | final | cancelled
    serial: str | None
    form: str
    agreement: str
    digest: str
    data: dict[str, Any]
    options: dict[str, Any]  # the fill options its PDFs are made with (end_mark, sheets)
    findings: list[Finding]
    created_at: datetime  # every time is timezone-aware UTC
    updated_at: datetime
    finalized_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    verify_link: str | None = None  # final: the link its QR code encodes
    created_by: str = ""  # the actor (API key's or operator's name) who created it
    canonical: str = field(default="", repr=False)  # the stored canonical JSON text itself

    @property
    def is_final(self) -> bool:
        """Final or cancelled: issued once, frozen for ever."""
        return self.status in (FINAL, CANCELLED)

    def to_dict(self, with_data: bool = True) -> dict[str, Any]:
        """JSON-ready: times as ISO 8601 with ``+00:00``, findings as dicts."""
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "serial": self.serial,
            "form": self.form,
            "agreement": self.agreement,
            "digest": self.digest,
            "options": self.options,
            "findings": [f.to_dict() for f in self.findings],
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "finalized_at": _iso(self.finalized_at),
            "cancelled_at": _iso(self.cancelled_at),
            "cancel_reason": self.cancel_reason,
            "verify_link": self.verify_link,
            "created_by": self.created_by,
        }
        if with_data:
            out["data"] = self.data
        return out


@dataclass(frozen=True)
class AuditEntry:
    """One state change: who (the actor's name), when, what (``action``) and its ``detail``."""

    id: int
    certificate_id: str
    at: datetime
    key_name: str
    action: str  # created | replaced | finalized | cancelled
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "certificate_id": self.certificate_id,
            "at": _iso(self.at),
            "key_name": self.key_name,
            "action": self.action,
            "detail": self.detail,
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


RECORD_COLUMNS = [column for column in certificates.c if column.name != "final_pdf"]  # the PDF: on demand


def record_from_row(row: sa.Row[Any]) -> Record:
    values = row._mapping
    return Record(
        id=values["id"],
        status=values["status"],
        serial=values["serial"],
        form=values["form"],
        agreement=values["agreement"],
        digest=values["digest"],
        data=json.loads(values["data"]),
        options=json.loads(values["options"]),
        findings=[Finding.from_dict(f) for f in json.loads(values["findings"])],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        finalized_at=values["finalized_at"],
        cancelled_at=values["cancelled_at"],
        cancel_reason=values["cancel_reason"],
        verify_link=values["verify_link"],
        created_by=values["created_by"],
        canonical=values["data"],
    )


def audit_from_row(row: sa.Row[Any]) -> AuditEntry:
    values = row._mapping
    return AuditEntry(
        id=values["id"],
        certificate_id=values["certificate_id"],
        at=values["at"],
        key_name=values["key_name"],
        action=values["action"],
        detail=json.loads(values["detail"]),
    )


def audit_row(certificate_id: str, at: datetime, actor: str, action: str, **detail: Any) -> dict[str, Any]:
    """The values of an audit row (inserted by the caller in the change's own transaction)."""
    return {
        "certificate_id": certificate_id,
        "at": at,
        "key_name": actor,
        "action": action,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
    }


AUDIT_ORDER = (audit.c.at, audit.c.id)
