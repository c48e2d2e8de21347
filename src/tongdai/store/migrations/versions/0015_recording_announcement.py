"""a hotline may announce recording to the customer before it starts

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hotlines", sa.Column("recording_announcement", sa.Boolean, nullable=False,
                                        server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("hotlines", "recording_announcement")
