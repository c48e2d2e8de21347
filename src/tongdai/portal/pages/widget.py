"""The call widget: an agent's softphone in the browser (JsSIP over the `/sip` WebSocket, media through
rtpengine). The page is served to the portal's agent users; its script asks here for a short-lived SIP
credential, the caller IDs it may pick, the agent's state and recent calls, and changes the state.
Every JSON request carries the session's CSRF token in `X-CSRF-Token`."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse

from ...app import views
from ...app.live import not_running
from ...app.services import caller_id, users
from ...domain.errors import RuleViolation, Violation
from ...domain.timestamps import iso
from ..web import SESSION_COOKIE, Page, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]
RECENT_CALLS = 10


def _agent(page: Page) -> tuple[str, str]:
    require(page, "agent")
    user = page.user
    if not user.agent_id or not user.tenant_id:
        raise RuleViolation(Violation("agent_id", "not_an_agent", "this user is not linked to an agent"))
    return user.tenant_id, user.agent_id


def _checked(page: Page) -> None:
    sent = page.request.headers.get("x-csrf-token", "")
    expected = page.session.csrf if page.session is not None else ""
    if not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "the page expired or came from another site: reload it")


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


@router.get("/widget")
def widget(page: Signed):
    _agent(page)
    own = f"{page.request.url.scheme}://{page.request.url.netloc}"
    return render(page, "widget/page.html", embed_origins=[own, *page.ctx.embed_origins])


@router.get("/widget/embed-example")
def embed_example(page: Signed):
    """The widget framed in a page that lists its postMessage events: what an integrator copies."""
    _agent(page)
    return render(page, "widget/embed.html")


@router.post("/widget/credential")
def credential(page: Signed, request: Request):
    """A SIP credential for this agent (an hour), the WebSocket to register on, and its caller IDs."""
    tenant, agent_id = _agent(page)
    _checked(page)
    widget = page.ctx.widget
    if widget is None:
        raise not_running()
    with page.ctx.uow() as uow:
        issued = widget.issue(uow, session_key=users.session_key(request.cookies.get(SESSION_COOKIE, "")),
                              agent_id=agent_id, tenant_id=tenant)
        agent = uow.agents.get(agent_id, tenant)
        numbers = caller_id.widget_numbers(uow, tenant_id=tenant, agent_id=agent_id)
    scheme = "wss" if request.url.scheme == "https" else "ws"
    default = agent.default_caller_id if agent is not None else None
    return JSONResponse({**issued, "websocket": f"{scheme}://{request.url.netloc}/sip",
                         "numbers": [{**n.__dict__, "default": n.id == default} for n in numbers]})


@router.get("/widget/state")
def state(page: Signed):
    """The agent's state (with the wrap-up's end) and its recent calls, newest first."""
    tenant, agent_id = _agent(page)
    live = page.ctx.live
    with page.ctx.uow() as uow:
        status = live.agent_status(agent_id) if live is not None else \
            views.stored_agent_status(uow, tenant_id=tenant, agent_id=agent_id)
        recent = views.calls(uow, tenant_id=tenant, equals={"agent_id": agent_id}, since=None, until=None,
                             limit=RECENT_CALLS, offset=0, count_limit=RECENT_CALLS)["items"]
        hotlines = uow.hotlines.names({c["hotline_id"] for c in recent if c["hotline_id"]}, tenant)
    calls = [{"id": c["id"], "direction": c["direction"], "number": c["customer_number"],
              "hotline": hotlines.get(c["hotline_id"] or "", c["hotline_number"]), "started_at": c["started_at"],
              "talk_seconds": c["talk_seconds"], "end_reason": c["end_reason"]} for c in recent]
    return JSONResponse(_json({"status": status, "calls": calls, "now": page.ctx.clock()}))


@router.post("/widget/status")
async def set_status(page: Signed):
    """Available, or away with a reason; `ready` ends the wrap-up now."""
    _tenant, agent_id = _agent(page)
    _checked(page)
    body = await page.request.json()
    live = page.ctx.live
    if live is None:
        raise not_running()
    if not isinstance(body, dict):
        raise RuleViolation(Violation("status", "invalid_value", "a JSON object"))
    if body.get("ready"):
        return JSONResponse(_json(live.agent_ready(agent_id)))
    status, reason = body.get("status"), body.get("reason")
    if status not in ("available", "away"):
        raise RuleViolation(Violation("status", "invalid_value", "available or away"))
    reason = str(reason)[:100] if reason else None
    return JSONResponse(_json(live.set_agent_status(agent_id, status, reason if status == "away" else None)))


@router.get("/widget/events")
async def events(page: Signed):
    """The events about this agent alone (its calls, offers and states), as server-sent events."""
    tenant, agent_id = _agent(page)
    return StreamingResponse(page.ctx.bus.subscribe(tenant, agent_id=agent_id), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
