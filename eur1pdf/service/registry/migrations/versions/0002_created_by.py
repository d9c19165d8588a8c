"""Who created each certificate: ``certificates.created_by``, indexed, back-filled from the audit trail.

The clerk's page lists a key's own certificates; reading that from the audit
table on every list would join it each time, so the creator is kept on the
certificate itself. Existing rows take the actor of their ``created`` audit
row (every certificate has one, written in the creating transaction); a row
without one (none is expected) is left ``''``, shown in nobody's own list.

The column is added NOT NULL with the server default ``''``: the one way
SQLite adds a NOT NULL column in place (no table rebuild, which foreign keys
pointing at ``certificates`` would make delicate), and the same on PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# the tables as this revision knows them (not schema.py's, which moves on with later revisions)
_certificates = sa.table("certificates", sa.column("id", sa.String()), sa.column("created_by", sa.String()))
_audit = sa.table(
    "audit",
    sa.column("id", sa.Integer()),
    sa.column("certificate_id", sa.String()),
    sa.column("at", sa.DateTime()),
    sa.column("key_name", sa.String()),
    sa.column("action", sa.String()),
)


def upgrade() -> None:
    op.add_column(
        "certificates", sa.Column("created_by", sa.String(), nullable=False, server_default=sa.text("''"))
    )
    creator = (
        sa.select(_audit.c.key_name)
        .where(_audit.c.certificate_id == _certificates.c.id, _audit.c.action == "created")
        .order_by(_audit.c.at, _audit.c.id)
        .limit(1)
        .scalar_subquery()
    )
    op.execute(_certificates.update().values(created_by=sa.func.coalesce(creator, "")))
    op.create_index("ix_certificates_created_by", "certificates", ["created_by"])


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35 and later, PostgreSQL): a batch rebuild of SQLite's table would
    # drop ``certificates`` under the foreign keys of ``audit`` and ``issued_serials``
    op.drop_index("ix_certificates_created_by", table_name="certificates")
    op.execute("ALTER TABLE certificates DROP COLUMN created_by")
