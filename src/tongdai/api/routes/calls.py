"""The call log, the live event stream, and agents' SIP registrations."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from ...app.security import Principal
from ...app.services.common import get_or_404
from ...domain.errors import NotFound
from ...store import tables as t
from ...store.repositories import scoped
from .. import schemas as s
from ..deps import Context, Paging, admin, ctx, own_agent_or_admin, tenant_member

router = APIRouter(tags=["calls"])
Ctx = Annotated[Context, Depends(ctx)]


@router.get("/calls", response_model=s.CallList)
def list_calls(p: Annotated[Principal, Depends(admin)], c: Ctx, page: Annotated[Paging, Depends()],
               since: datetime | None = None, until: datetime | None = None,
               direction: Annotated[s.Literal["outbound", "inbound", "internal"] | None, Query()] = None,
               hotline_id: Annotated[str | None, Query(max_length=40)] = None,
               agent_id: Annotated[str | None, Query(max_length=40)] = None,
               status: Annotated[int | None, Query(ge=100, le=699)] = None,
               end_reason: Annotated[str | None, Query(max_length=20)] = None):
    """Calls of the tenant, newest first; `status` is the final SIP status."""
    c_ = t.calls
    where = []
    if since:
        where.append(c_.c.started_at >= since)
    if until:
        where.append(c_.c.started_at < until)
    for column, value in (("direction", direction), ("hotline_id", hotline_id), ("agent_id", agent_id),
                          ("sip_status", status), ("end_reason", end_reason)):
        if value is not None:
            where.append(c_.c[column] == value)
    with c.uow() as uow:
        total = uow.conn.execute(scoped(select(func.count()).select_from(c_), c_, p.tenant_id).where(*where)).scalar_one()
        rows = uow.conn.execute(scoped(select(c_), c_, p.tenant_id).where(*where)
                                .order_by(c_.c.started_at.desc(), c_.c.id).limit(page.limit).offset(page.offset))
        return {"items": [dict(r._mapping) for r in rows], "total": total}


@router.get("/calls/{call_id}", response_model=s.CallOut)
def get_call(call_id: str, p: Annotated[Principal, Depends(admin)], c: Ctx):
    with c.uow() as uow:
        row = uow.conn.execute(scoped(select(t.calls), t.calls, p.tenant_id).where(t.calls.c.id == call_id)).first()
    if row is None:
        raise NotFound("call", call_id)
    return dict(row._mapping)


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}})
async def events(p: Annotated[Principal, Depends(tenant_member)], c: Ctx):
    """Live events of the key's tenant: call.started, call.ringing, call.answered, call.ended."""
    return StreamingResponse(c.bus.subscribe(p.tenant_id), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/agents/{agent_id}/registrations", response_model=s.RegistrationList)
def registrations(agent_id: str, p: Annotated[Principal, Depends(tenant_member)], c: Ctx):
    """The agent's live SIP bindings (contact, source address, expiry)."""
    own_agent_or_admin(p, agent_id)
    r = t.registrations
    with c.uow() as uow:
        get_or_404(uow.agents, "agent", agent_id, p.tenant_id)
        rows = uow.conn.execute(scoped(select(r), r, p.tenant_id).where(r.c.agent_id == agent_id,
                                                                       r.c.expires_at > time.time()))
        items = [{"contact": row.contact, "source": f"{row.host}:{row.port}", "user_agent": row.user_agent,
                  "expires_at": datetime.fromtimestamp(row.expires_at).astimezone().isoformat(),
                  "expires_in": int(row.expires_at - time.time())} for row in rows]
    return {"items": items}
