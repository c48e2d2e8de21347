"""Operator endpoints: tenants, SIP trunks, the number inventory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ...app.security import Principal
from ...app.services import operator as svc
from ...app.services.common import get_or_404
from ..deps import Context, Paging, ctx, operator
from ..schemas import operator as s
from ..schemas.common import Carrier, KeyOut, LineType
from ._view import view

router = APIRouter(tags=["operator"])
Op = Annotated[Principal, Depends(operator)]
Ctx = Annotated[Context, Depends(ctx)]


def _trunk(t, health: dict | None = None) -> dict:
    return view(t, has_password=bool(t.password), health=health or {"state": "unknown"})


def _health(c: Context) -> dict[str, dict]:
    """The running switch's view of each trunk (none when no switch runs in this process)."""
    return c.live.trunk_health() if c.live is not None else {}


@router.post("/tenants", status_code=201, response_model=s.TenantCreated)
def create_tenant(body: s.TenantIn, _: Op, c: Ctx):
    with c.uow() as uow:
        tenant, key = svc.create_tenant(uow, name=body.name, sip_domain=body.sip_domain, now=c.clock())
    return view(tenant, admin_key=key)


@router.get("/tenants", response_model=s.TenantList)
def list_tenants(_: Op, c: Ctx, page: Annotated[Paging, Depends()],
                 name: Annotated[str | None, Query(max_length=100)] = None):
    with c.uow() as uow:
        items, total = uow.tenants.list(name_contains=name, limit=page.limit, offset=page.offset)
    return {"items": [view(t) for t in items], "total": total}


@router.get("/tenants/{tenant_id}", response_model=s.TenantOut)
def get_tenant(tenant_id: str, _: Op, c: Ctx):
    with c.uow() as uow:
        return view(get_or_404(uow.tenants, "tenant", tenant_id))


@router.patch("/tenants/{tenant_id}", response_model=s.TenantOut)
def update_tenant(tenant_id: str, body: s.TenantPatch, _: Op, c: Ctx):
    with c.uow() as uow:
        return view(svc.update_tenant(uow, tenant_id=tenant_id, changes=body.model_dump(exclude_unset=True)))


@router.delete("/tenants/{tenant_id}", status_code=204)
def delete_tenant(tenant_id: str, _: Op, c: Ctx):
    with c.uow() as uow:
        svc.delete_tenant(uow, tenant_id=tenant_id)
    c.keys.forget_tenant(tenant_id)
    return Response(status_code=204)


@router.post("/tenants/{tenant_id}/api-keys", status_code=201, response_model=KeyOut)
def create_admin_key(tenant_id: str, _: Op, c: Ctx):
    with c.uow() as uow:
        get_or_404(uow.tenants, "tenant", tenant_id)
        return {"key": svc.create_api_key(uow, role="admin", tenant_id=tenant_id, now=c.clock())}


@router.post("/trunks", status_code=201, response_model=s.TrunkOut)
def create_trunk(body: s.TrunkIn, _: Op, c: Ctx):
    with c.uow() as uow:
        return _trunk(svc.create_trunk(uow, data=body.model_dump()))


@router.get("/trunks", response_model=s.TrunkList)
def list_trunks(_: Op, c: Ctx, page: Annotated[Paging, Depends()],
                tenant_id: Annotated[str | None, Query(max_length=40)] = None,
                name: Annotated[str | None, Query(max_length=100)] = None):
    with c.uow() as uow:
        items, total = uow.trunks.list(filters={"tenant_id": tenant_id}, name_contains=name,
                                       limit=page.limit, offset=page.offset)
    health = _health(c)
    return {"items": [_trunk(t, health.get(t.id)) for t in items], "total": total}


@router.get("/trunks/{trunk_id}", response_model=s.TrunkOut)
def get_trunk(trunk_id: str, _: Op, c: Ctx):
    with c.uow() as uow:
        trunk = get_or_404(uow.trunks, "trunk", trunk_id)
    return _trunk(trunk, _health(c).get(trunk.id))


@router.patch("/trunks/{trunk_id}", response_model=s.TrunkOut)
def update_trunk(trunk_id: str, body: s.TrunkPatch, _: Op, c: Ctx):
    with c.uow() as uow:
        return _trunk(svc.update_trunk(uow, trunk_id=trunk_id, changes=body.model_dump(exclude_unset=True)))


@router.delete("/trunks/{trunk_id}", status_code=204)
def delete_trunk(trunk_id: str, _: Op, c: Ctx):
    with c.uow() as uow:
        svc.delete_trunk(uow, trunk_id=trunk_id)
    return Response(status_code=204)


@router.post("/inventory", status_code=201, response_model=s.InventoryOut)
def add_inventory(body: s.InventoryIn, _: Op, c: Ctx):
    with c.uow() as uow:
        return view(svc.add_inventory_number(uow, data=body.model_dump()))


@router.get("/inventory", response_model=s.InventoryList)
def list_inventory(_: Op, c: Ctx, page: Annotated[Paging, Depends()],
                   country: Annotated[str | None, Query(max_length=2)] = None,
                   line_type: Annotated[LineType | None, Query()] = None,
                   carrier: Annotated[Carrier | None, Query()] = None,
                   trunk_id: Annotated[str | None, Query(max_length=40)] = None,
                   tenant_id: Annotated[str | None, Query(max_length=40)] = None):
    with c.uow() as uow:
        items, total = uow.inventory.list(
            filters={"country": country, "line_type": line_type, "carrier": carrier, "trunk_id": trunk_id,
                     "tenant_id": tenant_id}, limit=page.limit, offset=page.offset)
    return {"items": [view(i) for i in items], "total": total}


@router.get("/inventory/{number}", response_model=s.InventoryOut)
def get_inventory(number: str, _: Op, c: Ctx):
    with c.uow() as uow:
        return view(svc.get_inventory_number(uow, number=number))


@router.patch("/inventory/{number}", response_model=s.InventoryOut)
def update_inventory(number: str, body: s.InventoryPatch, _: Op, c: Ctx):
    with c.uow() as uow:
        return view(svc.update_inventory_number(uow, number=number, changes=body.model_dump(exclude_unset=True)))


@router.delete("/inventory/{number}", status_code=204)
def delete_inventory(number: str, _: Op, c: Ctx):
    with c.uow() as uow:
        svc.delete_inventory_number(uow, number=number)
    return Response(status_code=204)
