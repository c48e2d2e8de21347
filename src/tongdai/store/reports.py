"""Report figures computed in SQL (SQLite and PostgreSQL alike): inbound calls per hotline, queue or agent
and per hour or day, and outbound calls per hotline. Days and hours are the tenant's: the start time is
shifted by its UTC offset (Vietnam keeps one offset all year) before it is cut into buckets."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, select
from sqlalchemy.sql import ColumnElement

from . import tables as t

DIMENSIONS = {"hotline": "hotline_id", "queue": "queue_id", "agent": "agent_id"}
DEFAULT_SERVICE_LEVEL_SECONDS = 20  # when the hotline has no answer-time alert: the usual 80/20 target


class ReportRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def _bucket(self, bucket: str, offset_minutes: int) -> ColumnElement:
        """The start time's hour or day in the tenant's offset, as text; `all`: one bucket for the range."""
        if bucket == "all":
            return literal("all")
        started = t.calls.c.started_at
        if self.conn.dialect.name == "sqlite":
            fmt = "%Y-%m-%d %H:00" if bucket == "hour" else "%Y-%m-%d"
            return func.strftime(fmt, started, f"{offset_minutes:+d} minutes")
        shifted = func.timezone("UTC", started) + func.make_interval(0, 0, 0, 0, 0, offset_minutes)
        return func.to_char(shifted, "YYYY-MM-DD HH24:00" if bucket == "hour" else "YYYY-MM-DD")

    def inbound(self, tenant_id: str, *, by: str, bucket: str, since: datetime, until: datetime,
                offset_minutes: int) -> builtins.list[dict[str, Any]]:
        """Per (key, bucket): offered, answered, abandoned, answered within the service level (the hotline's
        answer-time alert, else 20 s), average and 90th-percentile wait (queue time of every call that
        waited), average handle time (talk + wrap-up of answered calls)."""
        c, h = t.calls, t.hotlines
        key = c.c[DIMENSIONS[by]].label("key")
        slot = self._bucket(bucket, offset_minutes).label("bucket")
        threshold = case((h.c.notify_answer_seconds > 0, h.c.notify_answer_seconds),
                         else_=literal(DEFAULT_SERVICE_LEVEL_SECONDS))
        answered = and_(c.c.answered_at.is_not(None), c.c.agent_id.is_not(None))
        where = and_(c.c.tenant_id == tenant_id, c.c.direction == "inbound", c.c.started_at >= since,
                     c.c.started_at < until, c.c[DIMENSIONS[by]].is_not(None))
        totals = select(
            key, slot, func.count().label("offered"),
            func.sum(case((answered, 1), else_=0)).label("answered"),
            func.sum(case((c.c.end_reason == "abandoned", 1), else_=0)).label("abandoned"),
            func.sum(case((and_(answered, c.c.queue_seconds <= threshold), 1), else_=0)).label("within"),
            func.avg(c.c.queue_seconds).label("avg_wait"),
            func.avg(case((answered, c.c.talk_seconds + func.coalesce(c.c.wrap_up_seconds, 0)))).label("avg_handle"),
        ).select_from(c.outerjoin(h, h.c.id == c.c.hotline_id)).where(where).group_by(key, slot)
        rows = {(r.key, r.bucket): dict(r._mapping) for r in self.conn.execute(totals)}
        waits = select(key, slot, c.c.queue_seconds.label("wait"), func.cume_dist().over(
            partition_by=[c.c[DIMENSIONS[by]], self._bucket(bucket, offset_minutes)],
            order_by=c.c.queue_seconds).label("rank")).where(where, c.c.queue_seconds.is_not(None)).subquery()
        p90 = select(waits.c.key, waits.c.bucket, func.min(waits.c.wait).label("p90")).where(
            waits.c.rank >= 0.9).group_by(waits.c.key, waits.c.bucket)
        for r in self.conn.execute(p90):
            if (r.key, r.bucket) in rows:
                rows[(r.key, r.bucket)]["p90_wait"] = r.p90
        return sorted(rows.values(), key=lambda r: (r["bucket"], str(r["key"])))

    def outbound(self, tenant_id: str, *, bucket: str, since: datetime, until: datetime,
                 offset_minutes: int) -> builtins.list[dict[str, Any]]:
        """Per (hotline, bucket): outbound calls placed, answered, and their average talk time."""
        c = t.calls
        key = c.c.hotline_id.label("key")
        slot = self._bucket(bucket, offset_minutes).label("bucket")
        stmt = select(key, slot, func.count().label("calls"),
                      func.sum(case((c.c.answered_at.is_not(None), 1), else_=0)).label("answered"),
                      func.avg(c.c.talk_seconds).label("avg_talk")).where(
            c.c.tenant_id == tenant_id, c.c.direction == "outbound", c.c.started_at >= since, c.c.started_at < until,
            c.c.hotline_id.is_not(None)).group_by(key, slot).order_by(slot, key)
        return [dict(r._mapping) for r in self.conn.execute(stmt)]
