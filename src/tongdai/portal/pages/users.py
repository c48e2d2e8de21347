"""Portal users: a tenant's admin manages its admins, supervisors and agents' sign-ins (an agent user is
linked to its agent); the operator manages the operator's. An admin resets a password (the user's sessions
end); nobody deletes their own user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from ...app.services import users
from ...app.services.common import get_or_404
from ...domain.errors import RuleViolation
from ...domain.model import USER_ROLES
from ..web import Page, field_errors, form, redirect, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]
PAGE_SIZE = 50


def _scope(page: Page) -> str | None:
    """The tenant whose users this admin manages; None for the operator (the operator's users)."""
    require(page, "admin", "operator")
    return page.user.tenant_id


def _agents(page: Page, tenant: str | None) -> list:
    if tenant is None:
        return []
    with page.ctx.uow() as uow:
        return uow.agents.all(tenant)


@router.get("/users")
def list_page(page: Signed, offset: Annotated[int, Query(ge=0, le=10**9)] = 0):
    tenant = _scope(page)
    with page.ctx.uow() as uow:
        items, total = uow.users.list(tenant, limit=PAGE_SIZE, offset=offset)
    agents = {a.id: a.name for a in _agents(page, tenant)}
    return render(page, "users/list.html", items=items, total=total, offset=offset, size=PAGE_SIZE, agents=agents)


def _new_form(page: Page, tenant: str | None, values: dict[str, Any], errors: dict[str, str], status: int = 200):
    roles = USER_ROLES if tenant is not None else ("operator",)
    return render(page, "users/new.html", status=status, values=values, errors=errors, roles=roles,
                  agents=_agents(page, tenant))


@router.get("/users/new")
def new_page(page: Signed):
    tenant = _scope(page)
    return _new_form(page, tenant, {"role": "supervisor" if tenant else "operator", "language": page.language}, {})


@router.post("/users/new")
async def create(page: Signed):
    tenant = _scope(page)
    fields = await form(page)
    data = {k: fields.get(k, "") for k in ("email", "name", "role", "agent_id", "password", "language")}
    if tenant is None:
        data["role"] = "operator"
    try:
        with page.ctx.uow() as uow:
            user = users.create_user(uow, tenant_id=tenant, data=data, now=page.ctx.clock())
    except RuleViolation as exc:
        return _new_form(page, tenant, {**fields, "password": ""}, field_errors(page, exc), status=422)
    return redirect(f"/users/{user.id}?saved=1")


def _detail(page: Page, tenant: str | None, user_id: str, errors: dict[str, str], status: int = 200,
            values: dict[str, Any] | None = None, notice: str = ""):
    with page.ctx.uow() as uow:
        user = get_or_404(uow.users, "user", user_id, tenant)
    roles = USER_ROLES if tenant is not None else ("operator",)
    return render(page, "users/detail.html", status=status, shown=user, errors=errors, roles=roles,
                  agents=_agents(page, tenant), values=values or users.user_view(user),
                  notice=notice or ("saved" if page.request.query_params.get("saved") == "1" else ""))


@router.get("/users/{user_id}")
def detail_page(page: Signed, user_id: str):
    return _detail(page, _scope(page), user_id, {})


@router.post("/users/{user_id}")
async def update(page: Signed, user_id: str):
    tenant = _scope(page)
    fields = await form(page)
    changes = {k: fields.get(k, "") for k in ("name", "role", "agent_id", "language")}
    if tenant is None:
        changes["role"] = "operator"
    try:
        with page.ctx.uow() as uow:
            users.update_user(uow, tenant_id=tenant, user_id=user_id, changes=changes)
    except RuleViolation as exc:
        return _detail(page, tenant, user_id, field_errors(page, exc), status=422, values=fields)
    return redirect(f"/users/{user_id}?saved=1")


@router.post("/users/{user_id}/password")
async def reset_password(page: Signed, user_id: str):
    tenant = _scope(page)
    fields = await form(page)
    try:
        with page.ctx.uow() as uow:
            users.reset_password(uow, tenant_id=tenant, user_id=user_id, password=str(fields.get("password", "")))
    except RuleViolation as exc:
        return _detail(page, tenant, user_id, field_errors(page, exc), status=422)
    return _detail(page, tenant, user_id, {}, notice="password")


@router.post("/users/{user_id}/delete")
async def delete(page: Signed, user_id: str):
    tenant = _scope(page)
    await form(page)
    with page.ctx.uow() as uow:
        users.delete_user(uow, tenant_id=tenant, user_id=user_id, acting=page.user.id)
    return redirect("/users")
