"""Reports for admins and supervisors: per hotline, queue or agent, by hour or day, over a range of the
tenant's days; the totals of the range, a chart of the calls by hour or day, outbound calls per hotline,
and the same as CSV."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from ...api.responses import csv_response
from ...app import views
from ...domain.errors import RuleViolation, Violation
from ..web import Page, field_errors, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]
Text = Annotated[str, Query(max_length=20)]
MAX_DAYS = 400
SHOWN_ROWS = 500  # of the per-day or per-hour table; more is read from the CSV, not scrolled through


def _range(page: Page, first: str, last: str) -> tuple[datetime, datetime, dict[str, str], str, str]:
    """The tenant's days `first` to `last` (both included; default: the last 7 days) as UTC bounds."""
    zone = ZoneInfo(page.time_zone)
    today = datetime.now(zone).date()
    problems: list[Violation] = []
    days = []
    for name, value, default in (("first", first, today - timedelta(days=6)), ("last", last, today)):
        try:
            days.append(date.fromisoformat(value) if value else default)
        except ValueError:
            problems.append(Violation(name, "invalid_value", "a date"))
            days.append(default)
    start, end = days
    if end < start or (end - start).days >= MAX_DAYS:
        problems.append(Violation("last", "out_of_range", f"after the first day, at most {MAX_DAYS} days"))
        end = start
    since = datetime.combine(start, time(), zone)
    until = datetime.combine(end + timedelta(days=1), time(), zone)
    return since, until, field_errors(page, RuleViolation(problems)) if problems else {}, start.isoformat(), \
        end.isoformat()


def _figures(page: Page, by: str, bucket: str, since: datetime, until: datetime,
             outbound: bool = True) -> dict[str, Any]:
    with page.ctx.uow() as uow:
        return views.report(uow, tenant_id=page.tenant, by=by, bucket=bucket, since=since, until=until,
                            time_zone=page.time_zone, outbound=outbound)


def _chart(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per bucket, summed over the keys: answered and abandoned, and each bar's share of the tallest."""
    buckets: dict[str, dict[str, int]] = {}
    for r in rows:
        b = buckets.setdefault(r["bucket"], {"offered": 0, "answered": 0, "abandoned": 0})
        for k in b:
            b[k] += r[k] or 0
    tallest = max((b["offered"] for b in buckets.values()), default=0) or 1
    return [{"bucket": k, **v, "answered_share": v["answered"] / tallest, "abandoned_share": v["abandoned"] / tallest,
             "other_share": (v["offered"] - v["answered"] - v["abandoned"]) / tallest}
            for k, v in sorted(buckets.items())]


@router.get("/reports")
def reports_page(page: Signed, by: Text = "queue", bucket: Text = "day", first: Text = "", last: Text = ""):
    require(page, "admin", "supervisor")
    by = by if by in views.REPORT_DIMENSIONS else "queue"
    bucket = bucket if bucket in ("hour", "day") else "day"
    since, until, errors, first, last = _range(page, first, last)
    figures = _figures(page, by, bucket, since, until, outbound=False)  # outbound: over the range, below
    totals = _figures(page, by, "all", since, until)
    tenant = page.tenant
    # outbound calls per hotline over the whole range, the busiest first (per day or hour: the CSV and the API)
    outbound = sorted(totals["outbound"], key=lambda r: (-r["calls"], r["key"]))
    keys = {r["key"] for r in totals["inbound"]} | {r["key"] for r in outbound}
    with page.ctx.uow() as uow:  # the names of what the report shows, not of every hotline of the tenant
        names = {**uow.hotlines.names(keys, tenant), **uow.queues.names(keys, tenant), **uow.agents.names(keys, tenant)}
    return render(page, "reports/page.html", figures=figures, totals=totals["inbound"], outbound=outbound,
                  names=names, errors=errors, shown=SHOWN_ROWS,
                  chart=_chart(figures["inbound"]),
                  filters={"by": by, "bucket": bucket, "first": first, "last": last})


@router.get("/reports.csv")
def reports_csv(page: Signed, by: Text = "queue", bucket: Text = "day", first: Text = "", last: Text = ""):
    require(page, "admin", "supervisor")
    since, until, errors, _first, _last = _range(page, first, last)
    if errors:
        raise RuleViolation([Violation(f, "invalid_value", m) for f, m in errors.items()])
    figures = _figures(page, by if by in views.REPORT_DIMENSIONS else "queue",
                       bucket if bucket in views.REPORT_BUCKETS else "day", since, until)
    return csv_response(views.report_csv(figures), "report.csv")
