"""tenants' opening hours and time zone, for the IVR's hours nodes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 18:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(60), nullable=False, server_default="Asia/Ho_Chi_Minh"))
        batch.add_column(sa.Column("opening_hours", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("opening_hours")
        batch.drop_column("time_zone")
