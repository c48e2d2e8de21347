"""Agents: SIP identity (password kept only as digest HA1), extension, groups, default caller."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.errors import InUse, RuleViolation, Violation, collect
from ...domain.model import Agent
from ...domain.rules import validate_agent
from ...store.uow import UnitOfWork
from ..ids import new_id
from ..security import sip_ha1
from .common import get_or_404, merge, refs, taken
from .operator import create_api_key


def _check(uow: UnitOfWork, agent: Agent, password: str | None) -> None:
    caller = [agent.default_caller_id] if agent.default_caller_id else []
    collect(validate_agent(agent, refs(uow, agent.tenant_id, groups=agent.groups, hotlines=caller,
                                       adaptive=caller), password))
    if any(a.id != agent.id for a in uow.agents.where(agent.tenant_id, sip_username=agent.sip_username)):
        raise taken("sip_username", f"SIP username {agent.sip_username!r}")
    if any(a.id != agent.id for a in uow.agents.where(agent.tenant_id, extension=agent.extension)):
        raise taken("extension", f"extension {agent.extension}")


def _set_password(uow: UnitOfWork, agent: Agent, password: str) -> None:
    realm = get_or_404(uow.tenants, "tenant", agent.tenant_id).sip_domain
    agent.sip_ha1_md5, agent.sip_ha1_sha256 = sip_ha1(agent.sip_username, realm, password)


def create_agent(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any]) -> Agent:
    data = dict(data)
    password = data.pop("sip_password")
    agent = Agent(id=new_id("agent"), tenant_id=tenant_id, **{**data, "groups": tuple(data.get("groups") or ())})
    _check(uow, agent, password)
    _set_password(uow, agent, password)
    uow.agents.add(agent)
    return agent


def update_agent(uow: UnitOfWork, *, tenant_id: str, agent_id: str, changes: dict[str, Any]) -> Agent:
    changes = dict(changes)
    password = changes.pop("sip_password", None)
    if changes.get("groups") is not None:
        changes["groups"] = tuple(changes["groups"])
    before = get_or_404(uow.agents, "agent", agent_id, tenant_id)
    agent = merge(before, changes)
    _check(uow, agent, password)
    if password is not None:
        _set_password(uow, agent, password)
    elif agent.sip_username != before.sip_username:
        raise RuleViolation(Violation("sip_password", "required",
                                      "changing the SIP username needs a new SIP password"))
    uow.agents.save(agent)
    return agent


def delete_agent(uow: UnitOfWork, *, tenant_id: str, agent_id: str) -> None:
    get_or_404(uow.agents, "agent", agent_id, tenant_id)
    users = [f"IVR tree {t.id}" for t in uow.ivr_trees.all(tenant_id)
             if any(target.agent_id == agent_id for n in t.nodes for _, target in n.branches)]
    if users:
        raise InUse("agent", agent_id, users[:20])
    uow.agents.remove(agent_id, tenant_id)


def create_agent_key(uow: UnitOfWork, *, tenant_id: str, agent_id: str, now: datetime) -> str:
    get_or_404(uow.agents, "agent", agent_id, tenant_id)
    return create_api_key(uow, role="agent", tenant_id=tenant_id, agent_id=agent_id, now=now)
