"""inbound call-log fields: queue, queue and ring seconds, agents offered, overflow, wrap-up

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 02:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COLUMNS = (
    ("queue_id", sa.String(length=40)),
    ("queued_at", sa.DateTime(timezone=True)),
    ("queue_seconds", sa.Float()),
    ("ring_seconds", sa.Float()),
    ("overflow", sa.String(length=60)),
    ("wrap_up_seconds", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(sa.Column("agents_offered", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("agents_offered")
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
