"""an index that covers the reports' columns of the call log

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 21:50:00
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COLUMNS = ["tenant_id", "started_at", "direction", "queue_id", "agent_id", "hotline_id", "end_reason",
           "queue_seconds", "talk_seconds", "wrap_up_seconds", "answered_at"]


def upgrade() -> None:
    op.create_index("ix_calls_report", "calls", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_calls_report", table_name="calls")
