"""the IVR path of inbound calls: the tree, the nodes entered, the keys pressed, the seconds spent

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 18:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("ivr_tree_id", sa.String(40)))
        batch.add_column(sa.Column("ivr_path", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("ivr_keys", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("ivr_seconds", sa.Float()))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        for column in ("ivr_seconds", "ivr_keys", "ivr_path", "ivr_tree_id"):
            batch.drop_column(column)
