"""tenants' outbound destination policy: premium and international numbers closed by default

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 16:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("allow_premium", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("allow_international", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("allow_international")
        batch.drop_column("allow_premium")
