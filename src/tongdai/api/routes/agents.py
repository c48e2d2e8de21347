"""Agents of a tenant: SIP identity, extension, groups, default caller; their keys, live states and
registrations. An admin reads any agent of its tenant; an agent key reads only its own."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ...app import views
from ...app.security import Principal
from ...app.services import agents
from ...app.services.common import get_or_404
from ...domain.errors import RuleViolation, Violation
from ...domain.model import Agent
from ..deps import Context, Paging, admin, ctx, live, own_agent_or_admin, tenant_member
from ..schemas import agents as s
from ..schemas.common import KeyOut
from ._view import view

router = APIRouter(tags=["agents"])
Admin = Annotated[Principal, Depends(admin)]
Member = Annotated[Principal, Depends(tenant_member)]
Ctx = Annotated[Context, Depends(ctx)]


def _agent(uow, agent: Agent) -> dict:
    return view(agent, sip_domain=uow.tenants.get(agent.tenant_id).sip_domain)


@router.get("/agents", response_model=s.AgentList)
def list_agents(p: Admin, c: Ctx, page: Annotated[Paging, Depends()],
                name: Annotated[str | None, Query(max_length=100)] = None,
                group_id: Annotated[str | None, Query(max_length=40)] = None,
                extension: Annotated[str | None, Query(max_length=6)] = None,
                sip_username: Annotated[str | None, Query(max_length=64)] = None):
    with c.uow() as uow:
        if group_id:  # membership lives in a JSON list: filter in Python, then page
            every = [a for a in uow.agents.all(p.tenant) if group_id in a.groups
                     and (not name or name in a.name) and (not extension or a.extension == extension)
                     and (not sip_username or a.sip_username == sip_username)]
            items, total = every[page.offset: page.offset + page.limit], len(every)
        else:
            items, total = uow.agents.list(p.tenant, filters={"extension": extension, "sip_username": sip_username},
                                           name_contains=name, limit=page.limit, offset=page.offset)
        return {"items": [_agent(uow, a) for a in items], "total": total}


@router.post("/agents", status_code=201, response_model=s.AgentOut)
def create_agent(body: s.AgentIn, p: Admin, c: Ctx):
    """The SIP password is kept only as its digest HA1 (MD5 and SHA-256)."""
    with c.uow() as uow:
        return _agent(uow, agents.create_agent(uow, tenant_id=p.tenant, data=body.model_dump()))


@router.get("/agents/me", response_model=s.AgentOut)
def my_agent(p: Member, c: Ctx):
    """The agent an agent key belongs to."""
    if p.agent_id is None:
        raise RuleViolation(Violation("authorization", "not_an_agent", "this key does not belong to an agent"))
    with c.uow() as uow:
        return _agent(uow, get_or_404(uow.agents, "agent", p.agent_id, p.tenant))


@router.get("/agents/{object_id}", response_model=s.AgentOut)
def get_agent(object_id: str, p: Member, c: Ctx):
    """An admin reads any agent of its tenant; an agent key reads only its own profile."""
    own_agent_or_admin(p, object_id)
    with c.uow() as uow:
        return _agent(uow, get_or_404(uow.agents, "agent", object_id, p.tenant))


@router.patch("/agents/{object_id}", response_model=s.AgentOut)
def update_agent(object_id: str, body: s.AgentPatch, p: Admin, c: Ctx):
    with c.uow() as uow:
        return _agent(uow, agents.update_agent(uow, tenant_id=p.tenant, agent_id=object_id,
                                               changes=body.model_dump(exclude_unset=True)))


@router.delete("/agents/{object_id}", status_code=204, response_class=Response)
def delete_agent(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        agents.delete_agent(uow, tenant_id=p.tenant, agent_id=object_id)
    return Response(status_code=204)


@router.post("/agents/{object_id}/api-keys", status_code=201, response_model=KeyOut)
def create_agent_key(object_id: str, p: Admin, c: Ctx):
    """A key for the agent's own use (softphone apps, the agent's profile)."""
    with c.uow() as uow:
        return {"key": agents.create_agent_key(uow, tenant_id=p.tenant, agent_id=object_id, now=c.clock())}


# -- live state and registrations ----------------------------------------------------------------------

def _check(c: Context, p: Principal, agent_id: str) -> None:
    own_agent_or_admin(p, agent_id)
    with c.uow() as uow:
        get_or_404(uow.agents, "agent", agent_id, p.tenant)


@router.get("/agents/{agent_id}/status", response_model=s.AgentStatusOut, tags=["agent states"])
def get_status(agent_id: str, p: Member, c: Ctx):
    """The agent's live state (offline, available, ringing, on_call, wrap_up, away)."""
    if c.live is None:  # no switch in this process: the state it last persisted
        own_agent_or_admin(p, agent_id)
        with c.uow() as uow:
            return views.stored_agent_status(uow, tenant_id=p.tenant, agent_id=agent_id)
    _check(c, p, agent_id)
    return c.live.agent_status(agent_id)


@router.put("/agents/{agent_id}/status", response_model=s.AgentStatusOut, tags=["agent states"])
def set_status(agent_id: str, body: s.AgentStatusIn, p: Member, c: Ctx):
    """`available` or `away` (with a reason). Asked during a call or wrap-up, away applies when it
    ends; available never shortens a wrap-up (only `ready` does)."""
    _check(c, p, agent_id)
    return live(c).set_agent_status(agent_id, body.status, body.reason)


@router.post("/agents/{agent_id}/ready", response_model=s.AgentStatusOut, tags=["agent states"])
def ready(agent_id: str, p: Member, c: Ctx):
    """End the agent's wrap-up now (nothing else may shorten it)."""
    _check(c, p, agent_id)
    return live(c).agent_ready(agent_id)


@router.get("/agents/{agent_id}/status-history", response_model=s.AgentStatusHistory, tags=["agent states"])
def history(agent_id: str, p: Member, c: Ctx, page: Annotated[Paging, Depends()]):
    own_agent_or_admin(p, agent_id)
    with c.uow() as uow:
        return {"items": views.status_history(uow, tenant_id=p.tenant, agent_id=agent_id, limit=page.limit,
                                              offset=page.offset)}


@router.get("/agents/{agent_id}/registrations", response_model=s.RegistrationList, tags=["calls"])
def registrations(agent_id: str, p: Member, c: Ctx):
    """The agent's live SIP bindings (contact, source address, expiry)."""
    own_agent_or_admin(p, agent_id)
    with c.uow() as uow:
        return {"items": views.registrations(uow, tenant_id=p.tenant, agent_id=agent_id, now=time.time())}
