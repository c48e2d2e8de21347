"""Agent states: read them, and let agents set their own status or end their wrap-up early."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from ...app.security import Principal
from ...app.services.common import get_or_404
from ...domain.errors import RuleViolation, Violation
from ...sip.engine import Bridge
from ...store import tables as t
from ...store.repositories import scoped
from .. import schemas as s
from ..deps import Context, Paging, admin, ctx, own_agent_or_admin, tenant_member

router = APIRouter(tags=["agent states"])
Member = Annotated[Principal, Depends(tenant_member)]
Ctx = Annotated[Context, Depends(ctx)]


def _switch(c: Context):
    if c.runtime is None:
        raise RuleViolation(Violation("switch", "switch_not_running", "the SIP switch is not running (TONGDAI_SIP=off)"))
    return c.runtime


def _check(c: Context, p: Principal, agent_id: str) -> None:
    own_agent_or_admin(p, agent_id)
    with c.uow() as uow:
        get_or_404(uow.agents, "agent", agent_id, p.tenant_id)


@router.get("/agents/{agent_id}/status", response_model=s.AgentStatusOut)
def get_status(agent_id: str, p: Member, c: Ctx):
    """The agent's live state (offline, available, ringing, on_call, wrap_up, away)."""
    _check(c, p, agent_id)
    if c.runtime is None:
        with c.uow() as uow:
            row = uow.conn.execute(scoped(select(t.agent_states), t.agent_states, p.tenant_id)
                                   .where(t.agent_states.c.agent_id == agent_id)).first()
        return {"agent_id": agent_id, "state": row.state if row else "offline", "reason": row.reason if row else None,
                "wrap_up_until": None, "pending_away": None}
    return Bridge.ask_sip(c.runtime.presence.view, agent_id)


@router.put("/agents/{agent_id}/status", response_model=s.AgentStatusOut)
def set_status(agent_id: str, body: s.AgentStatusIn, p: Member, c: Ctx):
    """`available` or `away` (with a reason). Asked during a call or wrap-up, away applies when it
    ends; available never shortens a wrap-up (only `ready` does)."""
    _check(c, p, agent_id)
    runtime = _switch(c)
    try:
        return Bridge.ask_sip(runtime.presence.set_status, agent_id, body.status, body.reason)
    except ValueError as exc:
        raise RuleViolation(Violation("status", "invalid_transition", str(exc))) from None


@router.post("/agents/{agent_id}/ready", response_model=s.AgentStatusOut)
def ready(agent_id: str, p: Member, c: Ctx):
    """End the agent's wrap-up now (nothing else may shorten it)."""
    _check(c, p, agent_id)
    return Bridge.ask_sip(_switch(c).presence.ready, agent_id)


@router.get("/agents/{agent_id}/status-history", response_model=s.AgentStatusHistory)
def history(agent_id: str, p: Member, c: Ctx, page: Annotated[Paging, Depends()]):
    _check(c, p, agent_id)
    h = t.agent_state_history
    with c.uow() as uow:
        rows = uow.conn.execute(scoped(select(h), h, p.tenant_id).where(h.c.agent_id == agent_id)
                                .order_by(h.c.at.desc(), h.c.id).limit(page.limit).offset(page.offset))
        return {"items": [{"old": r.old, "new": r.new, "reason": r.reason, "at": r.at} for r in rows]}


@router.get("/queues/{queue_id}/live", response_model=s.QueueLiveOut)
def queue_live(queue_id: str, p: Annotated[Principal, Depends(admin)], c: Ctx):
    """Waiting calls (oldest first) with waited seconds and the answer-time flag, answered calls,
    and the queue's agents by tier with their states. Needs the running switch."""
    with c.uow() as uow:
        get_or_404(uow.queues, "queue", queue_id, p.tenant_id)
    return Bridge.ask_sip(_switch(c).presence.live, queue_id)
