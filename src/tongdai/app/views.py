"""The read side: what the API and the portal show that no service changes: the call log,
agents' registrations and persisted states. Queries only; their SQL is in the store's repositories."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.errors import NotFound
from ..domain.timestamps import iso
from ..store.uow import UnitOfWork
from .services.common import get_or_404


def calls(uow: UnitOfWork, *, tenant_id: str, equals: dict[str, Any], since: datetime | None,
          until: datetime | None, limit: int, offset: int, count_limit: int | None = None) -> dict[str, Any]:
    """Calls of the tenant, newest first, filtered by equal columns and a start window; `total` exact, or
    with `count_limit` at most that plus one."""
    items, total = uow.calls.list(tenant_id, equals=equals, since=since, until=until, limit=limit, offset=offset,
                                  count_limit=count_limit)
    return {"items": items, "total": total}


CSV_COLUMNS = ("id", "direction", "started_at", "answered_at", "ended_at", "customer_number", "hotline_number",
               "hotline_id", "queue_id", "agent_id", "callee_agent_id", "talk_seconds", "queue_seconds",
               "ring_seconds", "wrap_up_seconds", "sip_status", "end_reason", "hung_up_by", "overflow", "recorded",
               "ivr_tree_id", "ivr_path", "ivr_keys", "ivr_seconds")
CSV_BATCH = 2000


def calls_csv(uow: Callable[[], UnitOfWork], *, tenant_id: str, equals: dict[str, Any], since: datetime | None,
              until: datetime | None) -> Iterator[str]:
    """Every matching call as CSV, newest first, a header line then batches of rows: read with a fresh unit
    of work per batch by keyset, so memory stays flat and no transaction stays open across an export of a
    million rows. Timestamps in UTC (ISO 8601); lists joined by `>`."""
    head = io.StringIO()
    csv.writer(head).writerow(CSV_COLUMNS)
    yield head.getvalue()
    before = None
    while True:
        with uow() as u:
            rows = u.calls.batch(tenant_id, equals=equals, since=since, until=until, before=before,
                                 limit=CSV_BATCH)
        if not rows:
            return
        out = io.StringIO()
        writer = csv.writer(out)
        for row in rows:
            writer.writerow([_csv_value(row.get(column)) for column in CSV_COLUMNS])
        yield out.getvalue()
        before = (rows[-1]["started_at"], rows[-1]["id"])


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, list | tuple):
        return ">".join(str(v) for v in value)
    if value is None:
        return ""
    return value


REPORT_DIMENSIONS = ("hotline", "queue", "agent")
REPORT_BUCKETS = ("hour", "day", "all")


def report(uow: UnitOfWork, *, tenant_id: str, by: str, bucket: str, since: datetime, until: datetime,
           time_zone: str, outbound: bool = True) -> dict[str, Any]:
    """The inbound figures per `by` (hotline, queue or agent) and `bucket` (hour, day, or all the range),
    with their rates, and (unless `outbound` is false) outbound calls per hotline, between `since` and
    `until`; hours and days are the tenant's (its UTC offset at `since`)."""
    offset = int((since.astimezone(ZoneInfo(time_zone)).utcoffset() or timedelta()).total_seconds() // 60)
    uow.reports.prepare(tenant_id, since=since, until=until, offset_minutes=offset)
    rows = []
    for row in uow.reports.figures(tenant_id, dimension=by, bucket=bucket, since=since, until=until,
                                   offset_minutes=offset):
        offered = row["offered"] or 0
        rows.append({"key": row["key"], "bucket": row["bucket"], "offered": offered, "answered": row["answered"],
                     "abandoned": row["abandoned"], "within": row["within"],
                     "abandon_rate": round(row["abandoned"] / offered, 4) if offered else None,
                     "service_level": round(row["within"] / offered, 4) if offered else None,
                     "avg_wait": _average(row["wait_sum"], row["wait_n"]),
                     "p90_wait": float(row["p90_wait"]) if row.get("p90_wait") is not None else None,
                     "avg_handle": _average(row["time_sum"], row["time_n"])})
    placed = [{"key": row["key"], "bucket": row["bucket"], "calls": row["offered"], "answered": row["answered"],
                 "avg_talk": _average(row["time_sum"], row["time_n"])}
                for row in uow.reports.figures(tenant_id, dimension="outbound", bucket=bucket, since=since,
                                               until=until, offset_minutes=offset)] if outbound else []
    return {"by": by, "bucket": bucket, "since": since, "until": until, "time_zone": time_zone,
            "inbound": rows, "outbound": placed}


def _average(total: Any, count: Any) -> float | None:
    return round(float(total) / count, 1) if count else None


REPORT_CSV_COLUMNS = ("by", "key", "bucket", "offered", "answered", "abandoned", "abandon_rate", "within",
                      "service_level", "avg_wait", "p90_wait", "avg_handle")


def report_csv(figures: dict[str, Any]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_CSV_COLUMNS)
    for row in figures["inbound"]:
        writer.writerow([_csv_value({**row, "by": figures["by"]}.get(c)) for c in REPORT_CSV_COLUMNS])
    yield out.getvalue()


def call(uow: UnitOfWork, *, tenant_id: str, call_id: str) -> dict[str, Any]:
    row = uow.calls.get(call_id, tenant_id)
    if row is None:
        raise NotFound("call", call_id)
    return row


def registrations(uow: UnitOfWork, *, tenant_id: str, agent_id: str, now: float) -> list[dict[str, Any]]:
    """The agent's live SIP bindings (contact, source address, expiry) as last persisted."""
    get_or_404(uow.agents, "agent", agent_id, tenant_id)
    return [{"contact": r["contact"], "source": f"{r['host']}:{r['port']}", "user_agent": r["user_agent"],
             "expires_at": iso(datetime.fromtimestamp(r["expires_at"], UTC)),
             "expires_in": int(r["expires_at"] - now)}
            for r in uow.registrations.live(agent_id, tenant_id, now)]


def stored_agent_status(uow: UnitOfWork, *, tenant_id: str, agent_id: str) -> dict[str, Any]:
    """The agent's last persisted state (when no switch runs in this process)."""
    get_or_404(uow.agents, "agent", agent_id, tenant_id)
    row = uow.agent_states.get(agent_id, tenant_id)
    return {"agent_id": agent_id, "state": row["state"] if row else "offline", "reason": row["reason"] if row else None,
            "wrap_up_until": None, "pending_away": None}


def status_history(uow: UnitOfWork, *, tenant_id: str, agent_id: str, limit: int, offset: int) -> list[dict[str, Any]]:
    get_or_404(uow.agents, "agent", agent_id, tenant_id)
    return [{"old": r["old"], "new": r["new"], "reason": r["reason"], "at": r["at"]}
            for r in uow.agent_states.history(agent_id, tenant_id, limit, offset)]
