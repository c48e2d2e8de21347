"""Agents and their groups. An agent's SIP password is made by tongdai (hard to guess) and shown once,
when the agent is created or its password is reset: only its digest (HA1) is kept. The list shows each
agent's live state and its phones' registrations."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ...app import views
from ...app.services import agents, groups
from ...app.services.common import get_or_404
from ...domain.errors import RuleViolation
from ..web import Page, field_errors, form, redirect, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]


def _admin(page: Page) -> str:
    require(page, "admin")
    return page.tenant


def new_sip_password() -> str:
    return secrets.token_urlsafe(12)


def _chosen(fields: dict[str, Any], name: str) -> list[str]:
    value = fields.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def _callers(page: Page, tenant: str) -> list[tuple[str, str]]:
    """What may be an agent's default caller ID: carrier hotlines and adaptive numbers."""
    with page.ctx.uow() as uow:
        hotlines = [(h.id, f"{h.name} ({h.number})") for h in uow.hotlines.all(tenant) if h.number_type == "carrier"]
        adaptive = [(a.id, a.name) for a in uow.adaptive_numbers.all(tenant)]
    return hotlines + adaptive


# -- groups --------------------------------------------------------------------------------------------

@router.get("/groups")
def groups_page(page: Signed):
    tenant = _admin(page)
    with page.ctx.uow() as uow:
        items = uow.groups.all(tenant)
        members = {g.id: sum(1 for a in uow.agents.all(tenant) if g.id in a.groups) for g in items}
    return render(page, "agents/groups.html", items=items, members=members, errors={}, values={})


@router.post("/groups")
async def create_group(page: Signed):
    tenant = _admin(page)
    fields = await form(page)
    try:
        with page.ctx.uow() as uow:
            groups.create_group(uow, tenant_id=tenant, data={"name": str(fields.get("name", "")).strip()})
    except RuleViolation as exc:
        with page.ctx.uow() as uow:
            items = uow.groups.all(tenant)
        return render(page, "agents/groups.html", status=422, items=items, members={}, values=fields,
                      errors=field_errors(page, exc))
    return redirect("/groups")


@router.post("/groups/{group_id}/delete")
async def delete_group(page: Signed, group_id: str):
    tenant = _admin(page)
    await form(page)
    with page.ctx.uow() as uow:
        groups.delete_group(uow, tenant_id=tenant, group_id=group_id)
    return redirect("/groups")


# -- agents --------------------------------------------------------------------------------------------

@router.get("/agents")
def agents_page(page: Signed):
    tenant = _admin(page)
    with page.ctx.uow() as uow:
        items = uow.agents.all(tenant)
        names = {g.id: g.name for g in uow.groups.all(tenant)}
        phones = {a.id: views.registrations(uow, tenant_id=tenant, agent_id=a.id, now=time.time()) for a in items}
    live = page.ctx.live
    states = {a.id: (live.agent_status(a.id)["state"] if live is not None else None) for a in items}
    return render(page, "agents/list.html", items=items, groups=names, phones=phones, states=states)


def _agent_form(page: Page, tenant: str, template: str, values: dict[str, Any], errors: dict[str, str],
                status: int = 200, **extra: Any):
    with page.ctx.uow() as uow:
        all_groups = uow.groups.all(tenant)
        tenant_row = uow.tenants.get(tenant)
    return render(page, template, status=status, values=values, errors=errors, all_groups=all_groups,
                  callers=_callers(page, tenant), domain=tenant_row.sip_domain if tenant_row else "", **extra)


@router.get("/agents/new")
def new_agent(page: Signed):
    return _agent_form(page, _admin(page), "agents/new.html", {}, {})


@router.post("/agents/new")
async def create_agent(page: Signed):
    tenant = _admin(page)
    fields = await form(page)
    password = new_sip_password()
    data = {"name": str(fields.get("name", "")).strip(), "sip_username": str(fields.get("sip_username", "")).strip(),
            "extension": str(fields.get("extension", "")).strip(), "groups": _chosen(fields, "groups[]"),
            "default_caller_id": fields.get("default_caller_id") or None, "sip_password": password}
    try:
        with page.ctx.uow() as uow:
            agent = agents.create_agent(uow, tenant_id=tenant, data=data)
    except RuleViolation as exc:
        return _agent_form(page, tenant, "agents/new.html", fields, field_errors(page, exc), status=422)
    return _detail(page, tenant, agent.id, {}, password=password)


def _detail(page: Page, tenant: str, agent_id: str, errors: dict[str, str], status: int = 200,
            values: dict[str, Any] | None = None, password: str = "", saved: bool = False):
    with page.ctx.uow() as uow:
        agent = get_or_404(uow.agents, "agent", agent_id, tenant)
        phones = views.registrations(uow, tenant_id=tenant, agent_id=agent_id, now=time.time())
    shown = values or {"name": agent.name, "sip_username": agent.sip_username, "extension": agent.extension,
                       "groups[]": list(agent.groups), "default_caller_id": agent.default_caller_id}
    live = page.ctx.live
    state = live.agent_status(agent.id) if live is not None else None
    return _agent_form(page, tenant, "agents/detail.html", shown, errors, status=status, agent=agent,
                       phones=phones, state=state, password=password, saved=saved)


@router.get("/agents/{agent_id}")
def agent_page(page: Signed, agent_id: str):
    return _detail(page, _admin(page), agent_id, {}, saved=page.request.query_params.get("saved") == "1")


@router.post("/agents/{agent_id}")
async def update_agent(page: Signed, agent_id: str):
    tenant = _admin(page)
    fields = await form(page)
    changes = {"name": str(fields.get("name", "")).strip(), "extension": str(fields.get("extension", "")).strip(),
               "groups": _chosen(fields, "groups[]"), "default_caller_id": fields.get("default_caller_id") or None}
    try:
        with page.ctx.uow() as uow:
            agents.update_agent(uow, tenant_id=tenant, agent_id=agent_id, changes=changes)
    except RuleViolation as exc:
        return _detail(page, tenant, agent_id, field_errors(page, exc), status=422, values=fields)
    return redirect(f"/agents/{agent_id}?saved=1")


@router.post("/agents/{agent_id}/sip-password")
async def reset_sip_password(page: Signed, agent_id: str):
    tenant = _admin(page)
    await form(page)
    password = new_sip_password()
    with page.ctx.uow() as uow:
        agents.update_agent(uow, tenant_id=tenant, agent_id=agent_id, changes={"sip_password": password})
    return _detail(page, tenant, agent_id, {}, password=password)


@router.post("/agents/{agent_id}/delete")
async def delete_agent(page: Signed, agent_id: str):
    tenant = _admin(page)
    await form(page)
    with page.ctx.uow() as uow:
        agents.delete_agent(uow, tenant_id=tenant, agent_id=agent_id)
    return redirect("/agents")
