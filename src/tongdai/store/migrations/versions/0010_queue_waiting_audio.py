"""what a caller waiting in a queue hears: ringback or music (an upload, or the shipped one)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 21:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.add_column(sa.Column("waiting_audio", sa.String(10), nullable=False, server_default="ringback"))
        batch.add_column(sa.Column("music_audio_id", sa.String(40)))


def downgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("music_audio_id")
        batch.drop_column("waiting_audio")
