"""The call log and the live event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from ...app import views
from ...app.live import not_running
from ...app.security import Principal
from ...app.services.common import get_or_404
from ..deps import Context, Paging, admin, ctx, own_agent_or_admin, tenant_member
from ..responses import csv_response
from ..schemas import calls as s

router = APIRouter(tags=["calls"])
Ctx = Annotated[Context, Depends(ctx)]


@router.get("/calls", response_model=s.CallList, responses={200: {"content": {"text/csv": {}}, "description": (
    "JSON, a page at a time; or with `Accept: text/csv`, every matching call as CSV, streamed (paging is "
    "ignored)")}})
def list_calls(request: Request, p: Annotated[Principal, Depends(admin)], c: Ctx, page: Annotated[Paging, Depends()],
               since: datetime | None = None, until: datetime | None = None,
               direction: Annotated[Literal["outbound", "inbound", "internal"] | None, Query()] = None,
               hotline_id: Annotated[str | None, Query(max_length=40)] = None,
               queue_id: Annotated[str | None, Query(max_length=40)] = None,
               agent_id: Annotated[str | None, Query(max_length=40)] = None,
               status: Annotated[int | None, Query(ge=100, le=699)] = None,
               end_reason: Annotated[str | None, Query(max_length=20)] = None):
    """Calls of the tenant, newest first; `status` is the final SIP status."""
    equals = {"direction": direction, "hotline_id": hotline_id, "queue_id": queue_id, "agent_id": agent_id,
              "sip_status": status, "end_reason": end_reason}
    if "text/csv" in request.headers.get("accept", ""):
        return csv_response(views.calls_csv(c.uow, tenant_id=p.tenant, equals=equals, since=since, until=until),
                            "calls.csv")
    with c.uow() as uow:
        return views.calls(uow, tenant_id=p.tenant, equals=equals, since=since, until=until, limit=page.limit,
                           offset=page.offset)


@router.post("/calls", response_model=s.ClickToCallOut, status_code=202)
def click_to_call(body: s.ClickToCallIn, p: Annotated[Principal, Depends(tenant_member)], c: Ctx):
    """Click-to-call: the agent's phone or widget rings first; when the agent answers, the customer is
    called through the hotline the caller-ID decision picks (or `caller`, if the agent may use it), and
    the two are bridged. Refused with the codes a SIP call gets (e.g. `callee_offline`,
    `destination_not_allowed`, `caller_not_permitted`, `carrier_unreachable`). An agent key calls for
    its own agent only."""
    own_agent_or_admin(p, body.agent_id)
    with c.uow() as uow:
        get_or_404(uow.agents, "agent", body.agent_id, p.tenant)
    if c.live is None:
        raise not_running()
    return c.live.click_to_call(body.agent_id, body.destination.strip(), (body.caller or "").strip() or None)


@router.get("/calls/{call_id}", response_model=s.CallOut)
def get_call(call_id: str, p: Annotated[Principal, Depends(admin)], c: Ctx):
    with c.uow() as uow:
        return views.call(uow, tenant_id=p.tenant, call_id=call_id)


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}})
async def events(p: Annotated[Principal, Depends(tenant_member)], c: Ctx):
    """Live events of the key's tenant (an agent key: only those about its own agent): call.started,
    call.ringing, call.answered, call.ended, call.offered, agent.status_changed, ..."""
    only = p.agent_id if p.role == "agent" else None
    return StreamingResponse(_while_valid(c, p, c.bus.subscribe(p.tenant, agent_id=only)),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _while_valid(c: Context, p: Principal, stream: AsyncIterator[str]) -> AsyncIterator[str]:
    """The stream ends once its key is revoked (checked at each event and keepalive)."""
    async for chunk in stream:
        if c.keys.revoked(p.key_id):
            return
        yield chunk
