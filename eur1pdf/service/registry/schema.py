"""The registry's tables, in SQLAlchemy Core and only portable types (SQLite and PostgreSQL alike).

* ``certificates``: one row per certificate, its current data (the canonical
  JSON text of :func:`eur1pdf.certificate.digest.canonical_bytes`) and digest,
  its status, who created it (``created_by``: the clerk's page lists a key's
  own certificates by it, without reading the audit trail) and, once final,
  the final PDF's bytes;
* ``issued_serials``: one row per serial ever made final. Its primary key is
  what makes a serial unique among final and cancelled certificates: the
  finalization inserts here in its own transaction, so two finalizations of
  one serial cannot both commit (no check-then-write anywhere);
* ``audit``: every state change, who (the actor: an API key's or operator's
  name), when and what, written in the same transaction as the change.

Times are UTC: stored as naive UTC timestamps (the one form both databases
keep exactly) and handed out as timezone-aware ``datetime`` objects.
The Alembic revisions in ``migrations/`` create these tables; this module is
what the code queries against, and a test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC ``datetime`` in Python, a naive UTC timestamp in the database (portable)."""

    impl = sa.DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("registry times must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData()

STATUSES = ("provisional", "final", "cancelled")

certificates = sa.Table(
    "certificates",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # random, URL-safe (secrets.token_urlsafe)
    sa.Column("serial", sa.String(), nullable=True, index=True),  # the data's serial; unique once final
    sa.Column("status", sa.String(16), nullable=False, index=True),  # provisional | final | cancelled
    sa.Column("form", sa.String(), nullable=False),
    sa.Column("agreement", sa.String(), nullable=False),
    sa.Column("data", sa.Text(), nullable=False),  # canonical JSON text (UTF-8), what the digest is over
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("options", sa.Text(), nullable=False),  # JSON: the fill options the PDFs are made with
    sa.Column("findings", sa.Text(), nullable=False),  # JSON: the rules' findings on the stored data
    sa.Column("final_pdf", sa.LargeBinary(), nullable=True),  # the final's bytes, stored once
    sa.Column("verify_link", sa.Text(), nullable=True),  # what the final's QR code encodes
    sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
    # the actor who created it ('' only for a row migrated without a "created" audit row)
    sa.Column("created_by", sa.String(), nullable=False, index=True, server_default=sa.text("''")),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("finalized_at", UTCDateTime(), nullable=True),
    sa.Column("cancelled_at", UTCDateTime(), nullable=True),
    sa.Column("cancel_reason", sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('provisional', 'final', 'cancelled')", name="ck_certificates_status"),
)

issued_serials = sa.Table(
    "issued_serials",
    metadata,
    sa.Column("serial", sa.String(), primary_key=True),
    sa.Column("certificate_id", sa.String(32), sa.ForeignKey("certificates.id"), nullable=False, unique=True),
    sa.Column("issued_at", UTCDateTime(), nullable=False),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("certificate_id", sa.String(32), sa.ForeignKey("certificates.id"), nullable=False, index=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("key_name", sa.String(), nullable=False),  # who: the API key's name, or the operator
    sa.Column("action", sa.String(16), nullable=False),  # created | replaced | finalized | cancelled
    sa.Column("detail", sa.Text(), nullable=False),  # JSON: digest, serial, reason … of that change
)
