"""Report figures computed in SQL (SQLite and PostgreSQL alike): inbound calls per hotline, queue or agent
and per hour or day, and outbound calls per hotline.

A million calls are too many to aggregate on every page, so the figures are rolled up: per UTC hour
(`report_hours`) and, for each UTC offset a report has asked for, per local day (`report_days`), each with
its waits counted per whole second (`report_*_waits`, for the 90th percentile). Writing a call lists its
hour in `report_dirty` in the same transaction (`mark`); `refresh` counts the listed hours again from the
call log and the days that hold them from the hours. A report refreshes the hours of its range first, so
its figures are as current as the call log; the rest of its range it reads from the rollups, and only the
part of an hour at either end of the range (or all of it, for an offset that is not whole hours) from the
call log itself. Days and hours are the tenant's: a start time is shifted by its UTC offset (Vietnam keeps
one offset all year) before it is cut into buckets."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Select,
    Table,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement

from ..domain.timestamps import utc
from . import tables as t

DIMENSIONS = {"hotline": "hotline_id", "queue": "queue_id", "agent": "agent_id"}
# what each rollup dimension counts: the call log's column that is its key, and the calls' direction
ROLLED = {"hotline": ("hotline_id", "inbound"), "queue": ("queue_id", "inbound"), "agent": ("agent_id", "inbound"),
          "outbound": ("hotline_id", "outbound")}
FIGURES = ("offered", "answered", "abandoned", "within", "wait_n", "wait_sum", "time_n", "time_sum")
DEFAULT_SERVICE_LEVEL_SECONDS = 20  # when the hotline has no answer-time alert: the usual 80/20 target
FINE_WAITS = 600  # waits are counted per whole second below 10 minutes, per whole minute above
HOUR, DAY = 3600, 86400
RUN = 168  # hours counted again in one statement, at most


def hour_of(at: datetime) -> int:
    """The UTC hour a moment falls in, as hours since 1970 (the rollups' key)."""
    return int(utc(at).timestamp()) // HOUR


def _moment(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * HOUR, UTC)


def _runs(numbers: Iterable[int], longest: int = RUN) -> list[tuple[int, int]]:
    """Sorted numbers as half-open runs of consecutive ones, none longer than `longest`."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and runs[-1][1] == n and n - runs[-1][0] < longest:
            runs[-1] = (runs[-1][0], n + 1)
        else:
            runs.append((n, n + 1))
    return runs


@dataclass(frozen=True)
class Segment:
    """A part of a report's range and where its figures are read: the call log between two moments,
    whole UTC hours of the hourly rollup, or whole local days of the daily one."""
    source: str  # "calls", "hours", "days"
    low: Any
    high: Any


def plan(since: datetime, until: datetime, offset_minutes: int, days: bool) -> list[Segment]:
    """How to read [since, until): whole hours from the hourly rollup, whole local days (when `days`) from
    the daily one, and the part of an hour at either end from the call log. An offset that is not whole
    hours cuts days across UTC hours: all of it then comes from the call log."""
    low, high = int(utc(since).timestamp()), int(utc(until).timestamp())
    first, last = -(-low // HOUR), high // HOUR  # the whole hours inside
    if offset_minutes % 60 or first >= last:
        return [Segment("calls", since, until)] if low < high else []
    out = []
    if low < first * HOUR:
        out.append(Segment("calls", since, _moment(first)))
    shift = offset_minutes * 60
    day_first, day_last = -(-(first * HOUR + shift) // DAY), (last * HOUR + shift) // DAY
    if days and day_first < day_last:
        start, end = (day_first * DAY - shift) // HOUR, (day_last * DAY - shift) // HOUR
        if first < start:
            out.append(Segment("hours", first, start))
        out.append(Segment("days", day_first, day_last))
        if end < last:
            out.append(Segment("hours", end, last))
    else:
        out.append(Segment("hours", first, last))
    if last * HOUR < high:
        out.append(Segment("calls", _moment(last), until))
    return out


def label(bucket: str, number: int) -> str:
    """A bucket's number (local hours or days since 1970) as the report shows it."""
    if bucket == "all":
        return "all"
    if bucket == "hour":
        return datetime.fromtimestamp(number * HOUR, UTC).strftime("%Y-%m-%d %H:00")
    return datetime.fromtimestamp(number * DAY, UTC).strftime("%Y-%m-%d")


class ReportRepository:
    def __init__(self, conn: Connection):
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"

    # -- SQL that differs between the two databases ---------------------------------------------------

    def _epoch(self, column: ColumnElement) -> ColumnElement:
        """Whole seconds since 1970 of a stored moment."""
        if self.sqlite:
            return cast(func.strftime("%s", column), BigInteger)
        return cast(func.floor(extract("epoch", column)), BigInteger)

    def _whole(self, value: ColumnElement) -> ColumnElement:
        return cast(value, Integer) if self.sqlite else cast(func.floor(value), Integer)

    def _wait(self, seconds: ColumnElement) -> ColumnElement:
        whole = self._whole(seconds)
        return case((whole < FINE_WAITS, whole), else_=(whole // 60) * 60)

    def _insert_new(self, table: Table, rows: list[dict[str, Any]]) -> None:
        maker = sqlite.insert if self.sqlite else postgresql.insert
        self.conn.execute(maker(table).on_conflict_do_nothing(), rows)

    # -- keeping the rollups --------------------------------------------------------------------------

    def mark(self, rows: Iterable[dict[str, Any]]) -> None:
        """The hours of these calls (`tenant_id`, `started_at`) are to be counted again."""
        hours = sorted({(r["tenant_id"], hour_of(r["started_at"])) for r in rows})
        if hours:
            self._insert_new(t.report_dirty, [{"tenant_id": tenant, "hour": hour} for tenant, hour in hours])

    def pending(self, limit: int) -> builtins.list[tuple[str, int]]:
        """Some (tenant, hour) listed to be counted again, oldest first."""
        d = t.report_dirty
        return [(r.tenant_id, r.hour) for r in self.conn.execute(
            select(d.c.tenant_id, d.c.hour).order_by(d.c.hour, d.c.tenant_id).limit(limit))]

    def refresh(self, tenant_id: str, low: int | None = None, high: int | None = None) -> int:
        """Count again the tenant's listed hours in [low, high) (all of them without bounds): each hour from
        the call log, then each local day holding one from the hours, for every offset kept. The listing is
        taken by deleting it, so two refreshes never count the same hour at once (PostgreSQL makes the second
        wait for the first). Returns how many hours were counted."""
        d = t.report_dirty
        taken = delete(d).where(d.c.tenant_id == tenant_id)
        if low is not None:
            taken = taken.where(d.c.hour >= low)
        if high is not None:
            taken = taken.where(d.c.hour < high)
        hours = builtins.list(self.conn.execute(taken.returning(d.c.hour)).scalars())
        if not hours:
            return 0
        for first, last in _runs(hours):
            self._count_hours(tenant_id, first, last)
        offsets = self.conn.execute(select(t.report_offsets.c.offset_minutes).where(
            t.report_offsets.c.tenant_id == tenant_id)).scalars().all()
        for offset in offsets:
            days = {(h * HOUR + offset * 60) // DAY for h in hours}
            for first, last in _runs(days, longest=RUN // 24):
                self._count_days(tenant_id, offset, first, last)
        return len(hours)

    def _count_hours(self, tenant_id: str, first: int, last: int) -> None:
        for table in (t.report_hours, t.report_hour_waits):
            self.conn.execute(delete(table).where(table.c.tenant_id == tenant_id, table.c.hour >= first,
                                                  table.c.hour < last))
        for dimension in ROLLED:
            totals, waits = self._from_calls(tenant_id, dimension, _moment(first), _moment(last), _utc_hour)
            head = [literal(tenant_id), literal(dimension)]
            self.conn.execute(insert(t.report_hours).from_select(
                ["tenant_id", "dimension", "key", "hour", *FIGURES], _prefixed(totals, head)))
            if waits is not None:
                self.conn.execute(insert(t.report_hour_waits).from_select(
                    ["tenant_id", "dimension", "key", "hour", "wait", "calls"], _prefixed(waits, head)))

    def _count_days(self, tenant_id: str, offset: int, first: int, last: int) -> None:
        shift = offset * 60
        for table in (t.report_days, t.report_day_waits):
            self.conn.execute(delete(table).where(table.c.tenant_id == tenant_id, table.c.offset_minutes == offset,
                                                  table.c.day >= first, table.c.day < last))
        start, end = (first * DAY - shift) // HOUR, (last * DAY - shift) // HOUR
        h, w = t.report_hours, t.report_hour_waits
        day = ((h.c.hour * HOUR + shift) // DAY).label("day")
        self.conn.execute(insert(t.report_days).from_select(
            ["tenant_id", "offset_minutes", "dimension", "key", "day", *FIGURES],
            select(literal(tenant_id), literal(offset), h.c.dimension, h.c.key, day,
                   *[func.sum(h.c[f]) for f in FIGURES])
            .where(h.c.tenant_id == tenant_id, h.c.hour >= start, h.c.hour < end)
            .group_by(h.c.dimension, h.c.key, day)))
        wday = ((w.c.hour * HOUR + shift) // DAY).label("day")
        self.conn.execute(insert(t.report_day_waits).from_select(
            ["tenant_id", "offset_minutes", "dimension", "key", "day", "wait", "calls"],
            select(literal(tenant_id), literal(offset), w.c.dimension, w.c.key, wday, w.c.wait, func.sum(w.c.calls))
            .where(w.c.tenant_id == tenant_id, w.c.hour >= start, w.c.hour < end)
            .group_by(w.c.dimension, w.c.key, wday, w.c.wait)))

    def keep_offset(self, tenant_id: str, offset: int) -> None:
        """Keep local days for this UTC offset from now on; the first time, count them all from the hours."""
        o = t.report_offsets
        if self.conn.execute(select(o.c.offset_minutes).where(o.c.tenant_id == tenant_id,
                                                               o.c.offset_minutes == offset)).first():
            return
        self._insert_new(o, [{"tenant_id": tenant_id, "offset_minutes": offset}])
        h = t.report_hours
        low, high = self.conn.execute(select(func.min(h.c.hour), func.max(h.c.hour)).where(
            h.c.tenant_id == tenant_id)).one()
        if low is None:
            return
        for first, last in _runs(range((low * HOUR + offset * 60) // DAY, (high * HOUR + offset * 60) // DAY + 1),
                                 longest=RUN // 24):
            self._count_days(tenant_id, offset, first, last)

    # -- reading --------------------------------------------------------------------------------------

    def _from_calls(self, tenant_id: str, dimension: str, since: datetime, until: datetime,
                    bucket: Any) -> tuple[Select, Select | None]:
        """Figures (key, bucket, FIGURES) and waits (key, bucket, wait, calls) of the call log's calls of
        one dimension started in [since, until); `bucket` makes a bucket number of a start's epoch."""
        c, h = t.calls, t.hotlines
        column, direction = ROLLED[dimension]
        key = c.c[column].label("key")
        slot = bucket(self._epoch(c.c.started_at)).label("bucket")
        where = and_(c.c.tenant_id == tenant_id, c.c.direction == direction, c.c.started_at >= since,
                     c.c.started_at < until, c.c[column].is_not(None))
        if direction == "outbound":
            totals = select(key, slot, func.count(), func.sum(case((c.c.answered_at.is_not(None), 1), else_=0)),
                            literal(0), literal(0), literal(0), literal(0.0), func.count(c.c.talk_seconds),
                            func.coalesce(func.sum(c.c.talk_seconds), 0.0)).where(where).group_by(key, slot)
            return totals, None
        threshold = case((h.c.notify_answer_seconds > 0, h.c.notify_answer_seconds),
                         else_=literal(DEFAULT_SERVICE_LEVEL_SECONDS))
        answered = and_(c.c.answered_at.is_not(None), c.c.agent_id.is_not(None))
        handle = case((answered, c.c.talk_seconds + func.coalesce(c.c.wrap_up_seconds, 0)))
        totals = select(
            key, slot, func.count(), func.sum(case((answered, 1), else_=0)),
            func.sum(case((c.c.end_reason == "abandoned", 1), else_=0)),
            func.sum(case((and_(answered, c.c.queue_seconds <= threshold), 1), else_=0)),
            func.count(c.c.queue_seconds), func.coalesce(func.sum(c.c.queue_seconds), 0.0),
            func.count(handle), func.coalesce(func.sum(handle), 0.0),
        ).select_from(c.outerjoin(h, h.c.id == c.c.hotline_id)).where(where).group_by(key, slot)
        wait = self._wait(c.c.queue_seconds).label("wait")
        waits = select(key, slot, wait, func.count()).where(where, c.c.queue_seconds.is_not(None)).group_by(
            key, slot, wait)
        return totals, waits

    def _segment(self, tenant_id: str, dimension: str, segment: Segment, bucket: str,
                 offset: int) -> tuple[Select, Select | None]:
        """One segment's figures and waits per (key, bucket number)."""
        shift = offset * 60
        if segment.source == "calls":
            def number(epoch: ColumnElement) -> ColumnElement:
                if bucket == "all":
                    return literal(0)
                return (epoch + shift) // (HOUR if bucket == "hour" else DAY)
            return self._from_calls(tenant_id, dimension, segment.low, segment.high, number)
        if segment.source == "hours":
            f, w = t.report_hours, t.report_hour_waits
            period, low_col = "hour", "hour"
        else:
            f, w = t.report_days, t.report_day_waits
            period, low_col = "day", "day"

        def slot(table: Table) -> ColumnElement:
            if bucket == "all":
                return literal(0).label("bucket")
            if period == "day":
                return table.c.day.label("bucket")
            if bucket == "hour":
                return (table.c.hour + offset // 60).label("bucket")
            return ((table.c.hour * HOUR + shift) // DAY).label("bucket")

        def where(table: Table) -> list[ColumnElement]:
            out = [table.c.tenant_id == tenant_id, table.c.dimension == dimension,
                   table.c[low_col] >= segment.low, table.c[low_col] < segment.high]
            if period == "day":
                out.append(table.c.offset_minutes == offset)
            return out

        fs = slot(f)
        totals = select(f.c.key, fs, *[func.sum(f.c[n]) for n in FIGURES]).where(*where(f)).group_by(f.c.key, fs)
        if dimension == "outbound":
            return totals, None
        ws = slot(w)
        waits = select(w.c.key, ws, w.c.wait, func.sum(w.c.calls)).where(*where(w)).group_by(w.c.key, ws, w.c.wait)
        return totals, waits

    def figures(self, tenant_id: str, *, dimension: str, bucket: str, since: datetime, until: datetime,
                offset_minutes: int) -> builtins.list[dict[str, Any]]:
        """Per (key, bucket) of one dimension: the summed FIGURES and, for inbound ones, `p90_wait` (the
        smallest wait, in whole seconds, that at least 90 % of the bucket's waiting calls did not exceed)."""
        days = bucket != "hour" and offset_minutes % 60 == 0
        segments = plan(since, until, offset_minutes, days)
        if not segments:
            return []
        parts = [self._segment(tenant_id, dimension, s, bucket, offset_minutes) for s in segments]
        names = ["key", "bucket", *FIGURES]
        union = union_all(*[p[0] for p in parts]).subquery()
        cols = builtins.list(union.c)
        summed = select(cols[0].label("key"), cols[1].label("bucket"),
                        *[func.sum(col).label(name) for col, name in zip(cols[2:], names[2:], strict=True)]
                        ).group_by(cols[0], cols[1])
        kinds = [float if n.endswith("_sum") else int for n in FIGURES]
        rows = {}
        for key, number, *values in self.conn.execute(summed):
            rows[(key, number)] = {"key": key, **{n: kind(v or 0) for n, kind, v in zip(FIGURES, kinds, values,
                                                                                        strict=True)}}
        waits = [p[1] for p in parts if p[1] is not None]
        if waits:
            for key_bucket, p90 in self._p90(waits).items():
                if key_bucket in rows:
                    rows[key_bucket]["p90_wait"] = p90
        labels: dict[int, str] = {}
        out = []
        for (_key, number), row in sorted(rows.items(), key=lambda kv: (kv[0][1], str(kv[0][0]))):
            row["bucket"] = labels.get(number) or labels.setdefault(number, label(bucket, number))
            out.append(row)
        return out

    def _p90(self, parts: builtins.list[Select]) -> dict[tuple[str, int], int]:
        union = union_all(*parts).subquery()
        key, slot, wait, calls = builtins.list(union.c)
        grouped = select(key.label("key"), slot.label("bucket"), wait.label("wait"),
                         func.sum(calls).label("calls")).group_by(key, slot, wait).subquery()
        g = grouped.c
        ranked = select(g.key, g.bucket, g.wait,
                        func.sum(g.calls).over(partition_by=[g.key, g.bucket], order_by=g.wait).label("upto"),
                        func.sum(g.calls).over(partition_by=[g.key, g.bucket]).label("total")).subquery()
        r = ranked.c
        stmt = select(r.key, r.bucket, func.min(r.wait)).where(r.upto * 10 >= r.total * 9).group_by(r.key, r.bucket)
        return {(row[0], row[1]): int(row[2]) for row in self.conn.execute(stmt)}

    def prepare(self, tenant_id: str, *, since: datetime, until: datetime, offset_minutes: int) -> None:
        """Before reading [since, until): count its listed hours again, and keep days for the offset."""
        self.refresh(tenant_id, hour_of(since), hour_of(until) + 1)
        if offset_minutes % 60 == 0:
            self.keep_offset(tenant_id, offset_minutes)


def _utc_hour(epoch: ColumnElement) -> ColumnElement:
    return epoch // HOUR


def _prefixed(stmt: Select, head: builtins.list[Any]) -> Select:
    """The same SELECT with constant columns (tenant, dimension) put first."""
    return stmt.with_only_columns(*head, *stmt.selected_columns)

