"""Hotlines of a tenant, and the inventory numbers it may take for one. The admin's key scopes every
query; another tenant's ids answer 404."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from ...app.security import Principal
from ...app.services import hotlines
from ...app.services.common import get_or_404
from ..deps import Context, Paging, admin, ctx
from ..schemas import hotlines as s
from ..schemas.common import Carrier, LineType
from ._view import view

router = APIRouter(tags=["hotlines"])
Admin = Annotated[Principal, Depends(admin)]
Ctx = Annotated[Context, Depends(ctx)]


@router.get("/hotlines", response_model=s.HotlineList)
def list_hotlines(p: Admin, c: Ctx, page: Annotated[Paging, Depends()],
                  name: Annotated[str | None, Query(max_length=100)] = None,
                  number_type: Annotated[Literal["carrier", "virtual"] | None, Query()] = None,
                  line_type: Annotated[LineType | None, Query()] = None,
                  country: Annotated[str | None, Query(max_length=2)] = None,
                  carrier: Annotated[Carrier | None, Query()] = None,
                  outbound_enabled: bool | None = None, show_in_widget: bool | None = None,
                  ivr_enabled: bool | None = None, queue_id: Annotated[str | None, Query(max_length=40)] = None,
                  number: Annotated[str | None, Query(max_length=20)] = None):
    filters = {"number_type": number_type, "line_type": line_type, "country": country, "carrier": carrier,
               "outbound_enabled": outbound_enabled, "show_in_widget": show_in_widget,
               "ivr_enabled": ivr_enabled, "queue_id": queue_id, "number": number}
    with c.uow() as uow:
        items, total = hotlines.list_hotlines(uow, tenant_id=p.tenant, filters=filters, name_contains=name,
                                              limit=page.limit, offset=page.offset)
    return {"items": [view(h) for h in items], "total": total}


@router.post("/hotlines", status_code=201, response_model=s.HotlineOut)
def create_hotline(body: s.HotlineIn, p: Admin, c: Ctx):
    """A carrier number from the inventory (`number` optional: the first free one of the country and
    line type) or a virtual number (`number` required), routed to an IVR tree or a queue."""
    with c.uow() as uow:
        return view(hotlines.create_hotline(uow, tenant_id=p.tenant, data=body.model_dump(), now=c.clock()))


@router.get("/hotlines/{object_id}", response_model=s.HotlineOut)
def get_hotline(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(get_or_404(uow.hotlines, "hotline", object_id, p.tenant))


@router.patch("/hotlines/{object_id}", response_model=s.HotlineOut)
def update_hotline(object_id: str, body: s.HotlinePatch, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(hotlines.update_hotline(uow, tenant_id=p.tenant, hotline_id=object_id,
                                            changes=body.model_dump(exclude_unset=True)))


@router.delete("/hotlines/{object_id}", status_code=204, response_class=Response)
def delete_hotline(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        hotlines.delete_hotline(uow, tenant_id=p.tenant, hotline_id=object_id)
    return Response(status_code=204)


@router.get("/inventory/available", response_model=s.AvailableList)
def available_numbers(p: Admin, c: Ctx, page: Annotated[Paging, Depends()],
                      country: Annotated[str | None, Query(max_length=2)] = None,
                      line_type: Annotated[LineType | None, Query()] = None):
    """Numbers this tenant may take for a carrier hotline: free pool numbers and its own unused ones."""
    with c.uow() as uow:
        items, total = uow.inventory.available(p.tenant, country=country, line_type=line_type,
                                               limit=page.limit, offset=page.offset)
    return {"items": [view(i) for i in items], "total": total}
