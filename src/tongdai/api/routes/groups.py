"""Groups of agents: who may call out on a hotline, and whom a queue rings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ...app.security import Principal
from ...app.services import groups
from ...app.services.common import get_or_404
from ..deps import Context, Paging, admin, ctx
from ..schemas import agents as s
from ._view import view

router = APIRouter(tags=["groups"])
Admin = Annotated[Principal, Depends(admin)]
Ctx = Annotated[Context, Depends(ctx)]


@router.get("/groups", response_model=s.GroupList)
def list_groups(p: Admin, c: Ctx, page: Annotated[Paging, Depends()],
                name: Annotated[str | None, Query(max_length=100)] = None):
    with c.uow() as uow:
        items, total = uow.groups.list(p.tenant, name_contains=name, limit=page.limit, offset=page.offset)
    return {"items": [view(g) for g in items], "total": total}


@router.post("/groups", status_code=201, response_model=s.GroupOut)
def create_group(body: s.GroupIn, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(groups.create_group(uow, tenant_id=p.tenant, data=body.model_dump()))


@router.get("/groups/{object_id}", response_model=s.GroupOut)
def get_group(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(get_or_404(uow.groups, "group", object_id, p.tenant))


@router.patch("/groups/{object_id}", response_model=s.GroupOut)
def update_group(object_id: str, body: s.GroupPatch, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(groups.update_group(uow, tenant_id=p.tenant, group_id=object_id,
                                        changes=body.model_dump(exclude_unset=True)))


@router.delete("/groups/{object_id}", status_code=204, response_class=Response)
def delete_group(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        groups.delete_group(uow, tenant_id=p.tenant, group_id=object_id)
    return Response(status_code=204)
