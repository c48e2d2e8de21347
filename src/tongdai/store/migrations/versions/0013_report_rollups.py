"""report rollups: the call log's figures per hour and per local day, kept as calls are written; every
hour that already has calls is listed as to be counted (the switch's rollup worker counts them)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _key(period: str, with_offset: bool) -> list[sa.Column]:
    offset = [sa.Column("offset_minutes", sa.Integer, primary_key=True)] if with_offset else []
    return [sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
            *offset, sa.Column(period, sa.BigInteger, primary_key=True),
            sa.Column("dimension", sa.String(10), primary_key=True), sa.Column("key", sa.String(40), primary_key=True)]


def _figures() -> list[sa.Column]:
    return [sa.Column("offered", sa.Integer, nullable=False), sa.Column("answered", sa.Integer, nullable=False),
            sa.Column("abandoned", sa.Integer, nullable=False), sa.Column("within", sa.Integer, nullable=False),
            sa.Column("wait_n", sa.Integer, nullable=False), sa.Column("wait_sum", sa.Float, nullable=False),
            sa.Column("time_n", sa.Integer, nullable=False), sa.Column("time_sum", sa.Float, nullable=False)]


def _waits() -> list[sa.Column]:
    return [sa.Column("wait", sa.Integer, primary_key=True), sa.Column("calls", sa.Integer, nullable=False)]


def upgrade() -> None:
    op.create_table("report_hours", *_key("hour", False), *_figures())
    op.create_table("report_days", *_key("day", True), *_figures())
    op.create_table("report_hour_waits", *_key("hour", False), *_waits())
    op.create_table("report_day_waits", *_key("day", True), *_waits())
    op.create_table("report_dirty",
                    sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("hour", sa.BigInteger, primary_key=True))
    op.create_table("report_offsets",
                    sa.Column("tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("offset_minutes", sa.Integer, primary_key=True))
    if op.get_bind().dialect.name == "sqlite":
        hour = "CAST(strftime('%s', started_at) AS INTEGER) / 3600"
    else:
        hour = "CAST(floor(extract(epoch from started_at) / 3600) AS BIGINT)"
    op.execute(f"INSERT INTO report_dirty (tenant_id, hour) SELECT DISTINCT tenant_id, {hour} FROM calls")


def downgrade() -> None:
    for table in ("report_offsets", "report_dirty", "report_day_waits", "report_hour_waits", "report_days",
                  "report_hours"):
        op.drop_table(table)
