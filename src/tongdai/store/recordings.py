"""The recordings table: one row per recorded call. The call log's writer creates it when rtpengine starts
recording and marks it `pending` when the call ends; the converter makes it `ready` (or `failed`, with a
reason); the retention sweeper, an API DELETE or the tenant's admin make it `deleted` (the row stays, so
the call row's link explains itself)."""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from . import tables as t
from .repositories import plausible_id, scoped

RECORDING = "recording"  # rtpengine writes its pcap
PENDING = "pending"  # the call ended: the converter will make its file
READY = "ready"
FAILED = "failed"
DELETED = "deleted"
INTERRUPTED = "interrupted"  # the reason of a pending recording whose call a crash cut short


class RecordingRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def started(self, rows: list[dict[str, Any]]) -> None:
        """Recordings as the call log knows them (id, tenant_id, call_id, agent_id, hotline_id, recorded_by,
        media_call_id, customer_ports, started_at, ended_at): inserted once; a recording whose call has ended
        since is `pending`. Replaying the same rows changes nothing."""
        if not rows:
            return
        r = t.recordings
        present = {row.id: row.status for row in self.conn.execute(
            select(r.c.id, r.c.status).where(r.c.id.in_([x["id"] for x in rows])))}
        # one recording per call: a second start of the same call (never expected) must not cost its row
        recorded = set(self.conn.execute(select(r.c.call_id).where(r.c.call_id.in_([x["call_id"] for x in rows])))
                       .scalars())
        new = [{**x, "status": PENDING if x.get("ended_at") else RECORDING} for x in rows
               if x["id"] not in present and x["call_id"] not in recorded]
        if new:
            self.conn.execute(insert(r), new)
        for x in rows:
            if present.get(x["id"]) == RECORDING and x.get("ended_at"):
                self.conn.execute(update(r).where(r.c.id == x["id"], r.c.status == RECORDING)
                                  .values(status=PENDING, ended_at=x["ended_at"]))

    def close_interrupted(self) -> int:
        """At start: recordings of calls a crash cut short are converted from what rtpengine wrote."""
        r = t.recordings
        return self.conn.execute(update(r).where(r.c.status == RECORDING).values(status=PENDING, reason=INTERRUPTED)
                                 ).rowcount

    def pending(self, limit: int = 20) -> builtins.list[dict[str, Any]]:
        r = t.recordings
        rows = self.conn.execute(select(r).where(r.c.status == PENDING).order_by(r.c.started_at).limit(limit))
        return [dict(x._mapping) for x in rows]

    def count_pending(self) -> int:
        r = t.recordings
        return self.conn.execute(select(func.count()).select_from(r).where(r.c.status.in_((RECORDING, PENDING)))
                                 ).scalar_one()

    def ready(self, recording_id: str, *, storage_key: str, duration_ms: int, size: int, format: str,
              channels: int, created_at: datetime, expires_at: datetime | None) -> None:
        r = t.recordings
        self.conn.execute(update(r).where(r.c.id == recording_id, r.c.status == PENDING).values(
            status=READY, storage_key=storage_key, duration_ms=duration_ms, size=size, format=format,
            channels=channels, created_at=created_at, expires_at=expires_at))

    def failed(self, recording_id: str, reason: str) -> None:
        r = t.recordings
        self.conn.execute(update(r).where(r.c.id == recording_id, r.c.status == PENDING)
                          .values(status=FAILED, reason=reason[:300]))

    def get(self, recording_id: str, tenant_id: str) -> dict[str, Any] | None:
        if not plausible_id(recording_id):
            return None
        r = t.recordings
        row = self.conn.execute(scoped(select(r), r, tenant_id).where(r.c.id == recording_id)).first()
        return dict(row._mapping) if row is not None else None

    def list(self, tenant_id: str, *, equals: dict[str, Any], since: datetime | None, until: datetime | None,
             limit: int, offset: int) -> tuple[builtins.list[dict[str, Any]], int]:
        """A page of recordings, newest first, and how many match (deleted ones included: they say why)."""
        r = t.recordings
        where = [r.c[column] == value for column, value in equals.items() if value is not None]
        if since is not None:
            where.append(r.c.started_at >= since)
        if until is not None:
            where.append(r.c.started_at < until)
        total = self.conn.execute(scoped(select(func.count()).select_from(r), r, tenant_id).where(*where)
                                  ).scalar_one()
        rows = self.conn.execute(scoped(select(r), r, tenant_id).where(*where)
                                 .order_by(r.c.started_at.desc(), r.c.id).limit(limit).offset(offset))
        return [dict(x._mapping) for x in rows], total

    def hold(self, recording_id: str, tenant_id: str, legal_hold: bool) -> bool:
        r = t.recordings
        return self.conn.execute(scoped(update(r), r, tenant_id).where(r.c.id == recording_id)
                                 .values(legal_hold=legal_hold)).rowcount == 1

    def deleted(self, recording_id: str, now: datetime, reason: str) -> None:
        r = t.recordings
        self.conn.execute(update(r).where(r.c.id == recording_id).values(
            status=DELETED, reason=reason, deleted_at=now, storage_key=None))

    def expired(self, now: datetime, limit: int = 500) -> builtins.list[dict[str, Any]]:
        """Files past their expiry and not on legal hold (the sweeper deletes them)."""
        r = t.recordings
        rows = self.conn.execute(select(r).where(
            r.c.status.in_((READY, FAILED)), r.c.legal_hold.is_(False), r.c.expires_at.is_not(None),
            r.c.expires_at <= now).order_by(r.c.expires_at).limit(limit))
        return [dict(x._mapping) for x in rows]

    def retention_days(self, tenant_id: str) -> float | None:
        """The tenant's own retention (None: the server's default)."""
        return self.conn.execute(select(t.tenants.c.recording_retention_days).where(t.tenants.c.id == tenant_id)
                                 ).scalar()

    def set_retention(self, tenant_id: str, days: int | None, default_days: float) -> int:
        """The tenant's own retention (None: the server's default); every kept recording's expiry follows it.
        Returns how many recordings got a new expiry."""
        self.conn.execute(update(t.tenants).where(t.tenants.c.id == tenant_id).values(recording_retention_days=days))
        effective = days if days is not None else default_days
        r = t.recordings
        rows = self.conn.execute(select(r.c.id, r.c.created_at).where(
            r.c.tenant_id == tenant_id, r.c.status.in_((READY, FAILED)), r.c.created_at.is_not(None))).all()
        changes = [{"_id": row.id, "_expires": row.created_at + timedelta(days=effective) if effective > 0 else None}
                   for row in rows]
        if changes:
            self.conn.execute(update(r).where(r.c.id == bindparam("_id")).values(expires_at=bindparam("_expires")),
                              changes)
        return len(changes)

    def of_calls(self, call_ids: builtins.list[str]) -> dict[str, dict[str, Any]]:
        r = t.recordings
        if not call_ids:
            return {}
        rows = self.conn.execute(select(r).where(r.c.call_id.in_(call_ids)))
        return {x.call_id: dict(x._mapping) for x in rows}
