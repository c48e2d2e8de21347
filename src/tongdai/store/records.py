"""Repositories of what the running switch records: call rows, agent states and their history, SIP
registrations, webhooks and their deliveries; and the configuration version other processes watch.
Like every repository, the only place their SQL is written."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, update

from . import tables as t
from .reports import ReportRepository
from .repositories import plausible_id, scoped

CALL_COLUMNS = tuple(c.name for c in t.calls.columns)
_UPDATE_CALL = update(t.calls).where(t.calls.c.id == bindparam("_id")).values(
    {name: bindparam(name) for name in CALL_COLUMNS if name != "id"})


def _call_filter(equals: dict[str, Any], since: datetime | None, until: datetime | None) -> list[Any]:
    """Equal columns (None: any) and a start window, as the call log and its export filter calls."""
    c = t.calls
    where = [c.c[column] == value for column, value in equals.items() if value is not None]
    if since:
        where.append(c.c.started_at >= since)
    if until:
        where.append(c.c.started_at < until)
    return where


class CallRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def insert(self, rows: list[dict[str, Any]]) -> None:
        """New call rows; their hours are listed for the reports to count again (in the same transaction)."""
        if rows:
            self.conn.execute(insert(t.calls), rows)
            ReportRepository(self.conn).mark(rows)

    def update(self, rows: list[dict[str, Any]]) -> None:
        """Rows keyed by `_id` (each row's new values, all of them)."""
        if rows:
            self.conn.execute(_UPDATE_CALL, rows)
            ReportRepository(self.conn).mark(rows)

    def upsert(self, rows: list[dict[str, Any]]) -> None:
        """Rows keyed by `_id`: updated where the call has a row, inserted where it has none (its start
        was never written: the database was down then), so a call's end is never lost."""
        if not rows:
            return
        ids = [r["_id"] for r in rows]
        present = set(self.conn.execute(select(t.calls.c.id).where(t.calls.c.id.in_(ids))).scalars())
        self.update([r for r in rows if r["_id"] in present])
        self.insert([{k: v for k, v in r.items() if k != "_id"} for r in rows if r["_id"] not in present])

    def close_interrupted(self, now: datetime) -> int:
        c = t.calls
        ReportRepository(self.conn).mark([dict(r._mapping) for r in self.conn.execute(
            select(c.c.tenant_id, c.c.started_at).where(c.c.ended_at.is_(None)).distinct())])
        return self.conn.execute(update(t.calls).where(t.calls.c.ended_at.is_(None)).values(
            ended_at=now, end_reason="interrupted", hung_up_by="system")).rowcount

    def get(self, call_id: str, tenant_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(scoped(select(t.calls), t.calls, tenant_id).where(t.calls.c.id == call_id)).first()
        return dict(row._mapping) if row is not None else None

    def list(self, tenant_id: str, *, equals: dict[str, Any], since: datetime | None, until: datetime | None,
             limit: int, offset: int, count_limit: int | None = None) -> tuple[builtins.list[dict[str, Any]], int]:
        """A page of calls, newest first, and how many match: exactly, or with `count_limit` at most that
        many plus one (a screen says "10,000+" rather than counting a million rows on every page)."""
        c = t.calls
        where = _call_filter(equals, since, until)
        if count_limit is None:
            total = self.conn.execute(scoped(select(func.count()).select_from(c), c, tenant_id).where(*where)
                                      ).scalar_one()
        else:
            capped = scoped(select(c.c.tenant_id), c, tenant_id).where(*where).limit(count_limit + 1).subquery()
            total = self.conn.execute(select(func.count()).select_from(capped)).scalar_one()
        rows = self.conn.execute(scoped(select(c), c, tenant_id).where(*where)
                                 .order_by(c.c.started_at.desc(), c.c.id).limit(limit).offset(offset))
        return [dict(r._mapping) for r in rows], total

    def batch(self, tenant_id: str, *, equals: dict[str, Any], since: datetime | None, until: datetime | None,
              before: tuple[datetime, str] | None, limit: int) -> builtins.list[dict[str, Any]]:
        """The next `limit` calls, newest first, after the (started_at, id) of the last one read: keyset
        paging, as fast for the millionth row as for the first (an export streams through every one)."""
        c = t.calls
        where = _call_filter(equals, since, until)
        if before is not None:
            at, call_id = before
            where.append(or_(c.c.started_at < at, and_(c.c.started_at == at, c.c.id < call_id)))
        rows = self.conn.execute(scoped(select(c), c, tenant_id).where(*where)
                                 .order_by(c.c.started_at.desc(), c.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    def exist(self, tenant_id: str) -> bool:
        return self.conn.execute(select(t.calls.c.id).where(t.calls.c.tenant_id == tenant_id).limit(1)).first() \
            is not None


class AgentStateRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def replace(self, states: list[dict[str, Any]]) -> None:
        """Each agent's current state (agent_id, tenant_id, state, reason, since)."""
        if states:
            s = t.agent_states
            self.conn.execute(delete(s).where(s.c.agent_id.in_([r["agent_id"] for r in states])))
            self.conn.execute(insert(s), states)

    def add_history(self, changes: list[dict[str, Any]]) -> None:
        """Rows whose id is already there (a spooled batch written twice) are left out."""
        if not changes:
            return
        h = t.agent_state_history
        present = set(self.conn.execute(select(h.c.id).where(h.c.id.in_([c["id"] for c in changes]))).scalars())
        fresh = [c for c in changes if c["id"] not in present]
        if fresh:
            self.conn.execute(insert(h), fresh)

    def away(self) -> builtins.list[tuple[str, str | None]]:
        rows = self.conn.execute(select(t.agent_states).where(t.agent_states.c.state == "away"))
        return [(r.agent_id, r.reason) for r in rows]

    def get(self, agent_id: str, tenant_id: str) -> dict[str, Any] | None:
        s = t.agent_states
        row = self.conn.execute(scoped(select(s), s, tenant_id).where(s.c.agent_id == agent_id)).first()
        return dict(row._mapping) if row is not None else None

    def history(self, agent_id: str, tenant_id: str, limit: int, offset: int) -> builtins.list[dict[str, Any]]:
        h = t.agent_state_history
        rows = self.conn.execute(scoped(select(h), h, tenant_id).where(h.c.agent_id == agent_id)
                                 .order_by(h.c.at.desc(), h.c.id).limit(limit).offset(offset))
        return [dict(r._mapping) for r in rows]


class RegistrationRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def replace(self, agent_id: str, rows: list[dict[str, Any]]) -> None:
        r = t.registrations
        self.conn.execute(delete(r).where(r.c.agent_id == agent_id))
        if rows:
            self.conn.execute(insert(r), rows)

    def all(self) -> builtins.list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(select(t.registrations)).mappings()]

    def live(self, agent_id: str, tenant_id: str, now: float) -> builtins.list[dict[str, Any]]:
        r = t.registrations
        rows = self.conn.execute(scoped(select(r), r, tenant_id).where(r.c.agent_id == agent_id,
                                                                       r.c.expires_at > now))
        return [dict(row._mapping) for row in rows]


class WebhookRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(t.webhooks).values(**row))

    def list(self, tenant_id: str) -> builtins.list[dict[str, Any]]:
        w = t.webhooks
        return [dict(r._mapping) for r in self.conn.execute(scoped(select(w), w, tenant_id).order_by(w.c.created_at))]

    def get(self, webhook_id: str, tenant_id: str) -> dict[str, Any] | None:
        if not plausible_id(webhook_id):
            return None
        w = t.webhooks
        row = self.conn.execute(scoped(select(w), w, tenant_id).where(w.c.id == webhook_id)).first()
        return dict(row._mapping) if row is not None else None

    def remove(self, webhook_id: str, tenant_id: str) -> None:
        w = t.webhooks
        self.conn.execute(scoped(delete(w), w, tenant_id).where(w.c.id == webhook_id))

    def all(self) -> builtins.list[dict[str, Any]]:
        return [dict(r._mapping) for r in self.conn.execute(select(t.webhooks))]

    def exist(self, tenant_id: str) -> bool:
        w = t.webhooks
        return self.conn.execute(select(w.c.id).where(w.c.tenant_id == tenant_id).limit(1)).first() is not None

    def deliveries(self, webhook_id: str, tenant_id: str, limit: int, offset: int) -> builtins.list[dict[str, Any]]:
        d = t.webhook_deliveries
        rows = self.conn.execute(scoped(select(d), d, tenant_id).where(d.c.webhook_id == webhook_id)
                                 .order_by(d.c.created_at.desc(), d.c.id).limit(limit).offset(offset))
        return [dict(r._mapping) for r in rows]

    def add_delivery(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(t.webhook_deliveries).values(**row))

    def update_delivery(self, delivery_id: str, values: dict[str, Any]) -> None:
        d = t.webhook_deliveries
        self.conn.execute(update(d).where(d.c.id == delivery_id).values(**values))


class ConfigVersion:
    """A counter raised in the same transaction as every configuration change, so that another
    process (the CLI, a second API worker) tells the running switch to reload by committing."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def bump(self) -> None:
        v = t.config_version
        if not self.conn.execute(update(v).where(v.c.id == 1).values(version=v.c.version + 1)).rowcount:
            self.conn.execute(insert(v).values(id=1, version=1))

    def current(self) -> int:
        return self.conn.execute(select(t.config_version.c.version).where(t.config_version.c.id == 1)).scalar() or 0
