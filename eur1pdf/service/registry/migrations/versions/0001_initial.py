"""The registry's first tables: certificates, issued_serials, audit.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from eur1pdf.service.registry.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("serial", sa.String(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("form", sa.String(), nullable=False),
        sa.Column("agreement", sa.String(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("final_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("verify_link", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finalized_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('provisional', 'final', 'cancelled')", name="ck_certificates_status"),
    )
    op.create_index("ix_certificates_serial", "certificates", ["serial"])
    op.create_index("ix_certificates_status", "certificates", ["status"])
    op.create_index("ix_certificates_created_at", "certificates", ["created_at"])
    op.create_table(
        "issued_serials",
        sa.Column("serial", sa.String(), primary_key=True),
        sa.Column(
            "certificate_id", sa.String(32), sa.ForeignKey("certificates.id"), nullable=False, unique=True
        ),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("certificate_id", sa.String(32), sa.ForeignKey("certificates.id"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("key_name", sa.String(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_certificate_id", "audit", ["certificate_id"])


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_table("issued_serials")
    op.drop_table("certificates")
