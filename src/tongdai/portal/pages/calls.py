"""The call log: filters (a time range in the tenant's time zone, hotline, queue, agent, direction, how
the call ended), 50 calls a page, and the same selection as CSV, streamed. Admins and supervisors see
the tenant's calls; an agent sees its own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query

from ...api.responses import audio_response, csv_response
from ...app import views
from ...app.services import recordings
from ...domain.errors import RuleViolation, Violation
from ...domain.numbers import classify
from ..web import Page, field_errors, form, redirect, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]
PAGE_SIZE = 50
COUNT_LIMIT = 1_000  # beyond it the page says "more than 1,000": counting a million rows on every page costs seconds
END_REASONS = ("completed", "abandoned", "overflow", "refused", "no_answer", "busy", "failed", "ivr_hangup",
               "ivr_no_input", "ivr_invalid_input", "media_lost", "shutdown", "interrupted")
Text = Annotated[str, Query(max_length=40)]


def _local(value: str, field: str, time_zone: str, problems: list[Violation]) -> datetime | None:
    """A `datetime-local` value typed in the tenant's time zone, as an aware datetime."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(time_zone))
    except ValueError:
        problems.append(Violation(field, "invalid_value", "a date and time"))
        return None


def _selection(page: Page, since: str, until: str, hotline: str, queue: str, agent: str, direction: str,
               end_reason: str, hotline_number: str = "", recorded: str = "",
               ) -> tuple[dict[str, Any], datetime | None, datetime | None, dict[str, str]]:
    require(page, "admin", "supervisor", "agent")
    problems: list[Violation] = []
    start = _local(since, "since", page.time_zone, problems)
    end = _local(until, "until", page.time_zone, problems)
    if page.user.role == "agent":
        agent = page.user.agent_id or "-"
    number = classify(hotline_number).e164 if hotline_number else None
    if hotline_number and number is None:
        problems.append(Violation("hotline_number", "invalid_number", "not a phone number"))
    equals = {"hotline_id": hotline or None, "queue_id": queue or None, "agent_id": agent or None,
              "direction": direction or None, "end_reason": end_reason or None, "hotline_number": number,
              "recorded": True if recorded else None}
    return equals, start, end, field_errors(page, RuleViolation(problems)) if problems else {}


@router.get("/calls")
def call_log(page: Signed, since: Text = "", until: Text = "", hotline: Text = "", queue: Text = "",
             agent: Text = "", direction: Text = "", end_reason: Text = "", hotline_number: Text = "",
             recorded: Text = "", offset: Annotated[int, Query(ge=0, le=10**9)] = 0, retention_error: Text = "",
             saved: Text = ""):
    equals, start, end, errors = _selection(page, since, until, hotline, queue, agent, direction, end_reason,
                                            hotline_number, recorded)
    tenant = page.tenant
    with page.ctx.uow() as uow:
        found: dict[str, Any] = views.calls(
            uow, tenant_id=tenant, equals=equals, since=start, until=end, limit=PAGE_SIZE, offset=offset,
            count_limit=COUNT_LIMIT) if not errors else {"items": [], "total": 0}
        items: list[dict[str, Any]] = found["items"]
        # names of what this page shows (a tenant may have thousands of hotlines), and the filters' choices
        hotlines = uow.hotlines.names([c["hotline_id"] for c in items] + [hotline], tenant)
        queues = {q.id: q.name for q in uow.queues.all(tenant)}
        agents = {a.id: a.name for a in uow.agents.all(tenant)}
        retention = recordings.retention(uow, tenant_id=tenant, default_days=page.ctx.recording_retention_days) \
            if page.user.role == "admin" else None
        played = recordings.of_calls(uow, tenant_id=tenant, call_ids=[c["id"] for c in items if c["recording_id"]],
                                     agent_id=page.user.agent_id if page.user.role == "agent" else None)
    return render(page, "calls/list.html", items=items, total=found["total"], offset=offset,
                  count_limit=COUNT_LIMIT,
                  size=PAGE_SIZE, errors=errors, end_reasons=END_REASONS, hotlines=hotlines, queues=queues,
                  agents=agents, recordings=played, retention=retention,
                  retention_error=retention_error == "1", saved=saved == "retention",
                  filters={"since": since, "until": until, "hotline": hotline, "queue": queue, "agent": agent,
                           "direction": direction, "end_reason": end_reason, "hotline_number": hotline_number,
                           "recorded": recorded})


@router.get("/calls.csv")
def call_log_csv(page: Signed, since: Text = "", until: Text = "", hotline: Text = "", queue: Text = "",
                 agent: Text = "", direction: Text = "", end_reason: Text = "", hotline_number: Text = "",
                 recorded: Text = ""):
    equals, start, end, errors = _selection(page, since, until, hotline, queue, agent, direction, end_reason,
                                            hotline_number, recorded)
    if errors:
        raise RuleViolation([Violation(field, "invalid_value", message) for field, message in errors.items()])
    return csv_response(views.calls_csv(page.ctx.uow, tenant_id=page.tenant, equals=equals, since=start, until=end),
                        "calls.csv")


@router.get("/recordings/{recording_id}/audio")
def recording_audio(page: Signed, recording_id: str, range: Annotated[str | None, Header(max_length=100)] = None):
    """A recorded call's audio for the call log's player (HTTP Range: it seeks); an agent hears its own calls."""
    require(page, "admin", "supervisor", "agent")
    with page.ctx.uow() as uow:
        key, fmt = recordings.audio(uow, tenant_id=page.tenant, recording_id=recording_id,
                                    agent_id=page.user.agent_id if page.user.role == "agent" else None)
    return audio_response(page.ctx.recording_files, key, fmt, range, f"{recording_id}.{fmt}")


@router.post("/calls/retention")
async def set_retention(page: Signed):
    """The tenant's recording retention (admins): days, or empty for the server's default."""
    require(page, "admin")
    fields = await form(page)
    raw = str(fields.get("days", "")).strip()
    try:
        with page.ctx.uow() as uow:
            recordings.set_retention(uow, tenant_id=page.tenant, days=int(raw) if raw else None,
                                     default_days=page.ctx.recording_retention_days)
    except (ValueError, RuleViolation):
        return redirect("/calls?retention_error=1")
    return redirect("/calls?saved=retention")
