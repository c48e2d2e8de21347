"""recordings: one row per recorded call (its file, state, expiry, legal hold); the call row says which
setting recorded it and links its recording; a tenant may set its own retention

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("call_id", sa.String(40), nullable=False, unique=True),
        sa.Column("agent_id", sa.String(40)),
        sa.Column("hotline_id", sa.String(40)),
        sa.Column("recorded_by", sa.String(20), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(300)),
        sa.Column("media_call_id", sa.String(300), nullable=False),
        sa.Column("customer_ports", sa.JSON, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("size", sa.BigInteger),
        sa.Column("format", sa.String(8)),
        sa.Column("channels", sa.Integer),
        sa.Column("storage_key", sa.String(300)),
        sa.Column("legal_hold", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_recordings_tenant_started", "recordings", ["tenant_id", "started_at"])
    op.create_index("ix_recordings_status", "recordings", ["status"])
    # plain ALTER TABLE (SQLite 3.35+ drops columns too): a batch copy of `tenants` would trip its references
    op.add_column("calls", sa.Column("recorded_by", sa.String(20)))
    op.add_column("calls", sa.Column("recording_id", sa.String(40)))
    op.add_column("tenants", sa.Column("recording_retention_days", sa.Integer))


def downgrade() -> None:
    op.drop_column("tenants", "recording_retention_days")
    op.drop_column("calls", "recording_id")
    op.drop_column("calls", "recorded_by")
    op.drop_index("ix_recordings_status", table_name="recordings")
    op.drop_index("ix_recordings_tenant_started", table_name="recordings")
    op.drop_table("recordings")
