"""Reports: the call figures supervisors read, per hotline, queue or agent and per hour or day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from ...app import views
from ...app.security import Principal
from ...domain.errors import RuleViolation, Violation
from ..deps import Context, admin, ctx
from ..responses import csv_response
from ..schemas import reports as s

router = APIRouter(tags=["reports"])
Ctx = Annotated[Context, Depends(ctx)]
MAX_DAYS = 400


@router.get("/reports", response_model=s.Report, responses={200: {"content": {"text/csv": {}}, "description": (
    "JSON; or with `Accept: text/csv`, the inbound rows as CSV")}})
def report(request: Request, p: Annotated[Principal, Depends(admin)], c: Ctx, since: datetime, until: datetime,
           by: Annotated[Literal["hotline", "queue", "agent"], Query()] = "queue",
           bucket: Annotated[Literal["hour", "day", "all"], Query()] = "day"):
    """Inbound calls per `by` and `bucket` between `since` and `until` (hours and days in the tenant's time
    zone): offered, answered, abandoned and its rate, answered within the service level (the hotline's
    answer-time alert, else 20 s) and its rate, average and 90th-percentile wait, average handle time
    (talk + wrap-up); outbound calls per hotline. At most 400 days."""
    if until <= since or until - since > timedelta(days=MAX_DAYS):
        raise RuleViolation(Violation("until", "out_of_range", f"until is after since, at most {MAX_DAYS} days"))
    with c.uow() as uow:
        tenant = uow.tenants.get(p.tenant)
        figures = views.report(uow, tenant_id=p.tenant, by=by, bucket=bucket, since=since, until=until,
                               time_zone=tenant.time_zone if tenant else "Asia/Ho_Chi_Minh")
    if "text/csv" in request.headers.get("accept", ""):
        return csv_response(views.report_csv(figures), "report.csv")
    return figures
