"""Adaptive numbers of a tenant: per call, the hotline on the customer's own carrier, else a fallback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ...app.security import Principal
from ...app.services import adaptive_numbers
from ...app.services.common import get_or_404
from ..deps import Context, Paging, admin, ctx
from ..schemas import hotlines as s
from ._view import view

router = APIRouter(tags=["adaptive numbers"])
Admin = Annotated[Principal, Depends(admin)]
Ctx = Annotated[Context, Depends(ctx)]


@router.get("/adaptive-numbers", response_model=s.AdaptiveList)
def list_adaptive(p: Admin, c: Ctx, page: Annotated[Paging, Depends()],
                  name: Annotated[str | None, Query(max_length=100)] = None,
                  outbound_enabled: bool | None = None, show_in_widget: bool | None = None):
    with c.uow() as uow:
        items, total = uow.adaptive_numbers.list(
            p.tenant, filters={"outbound_enabled": outbound_enabled, "show_in_widget": show_in_widget},
            name_contains=name, limit=page.limit, offset=page.offset)
    return {"items": [view(a) for a in items], "total": total}


@router.post("/adaptive-numbers", status_code=201, response_model=s.AdaptiveOut)
def create_adaptive_number(body: s.AdaptiveIn, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(adaptive_numbers.create_adaptive_number(uow, tenant_id=p.tenant, data=body.model_dump()))


@router.get("/adaptive-numbers/{object_id}", response_model=s.AdaptiveOut)
def get_adaptive_number(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(get_or_404(uow.adaptive_numbers, "adaptive number", object_id, p.tenant))


@router.patch("/adaptive-numbers/{object_id}", response_model=s.AdaptiveOut)
def update_adaptive_number(object_id: str, body: s.AdaptivePatch, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(adaptive_numbers.update_adaptive_number(uow, tenant_id=p.tenant, adaptive_id=object_id,
                                                            changes=body.model_dump(exclude_unset=True)))


@router.delete("/adaptive-numbers/{object_id}", status_code=204, response_class=Response)
def delete_adaptive_number(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        adaptive_numbers.delete_adaptive_number(uow, tenant_id=p.tenant, adaptive_id=object_id)
    return Response(status_code=204)
