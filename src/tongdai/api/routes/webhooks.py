"""Webhooks of a tenant: subscribe a URL to events, and read its delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from ...app import webhooks as svc
from ...app.security import Principal
from ..deps import Context, Paging, admin, ctx
from ..schemas import webhooks as s

router = APIRouter(tags=["webhooks"])
Admin = Annotated[Principal, Depends(admin)]
Ctx = Annotated[Context, Depends(ctx)]


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "secret"}


@router.post("/webhooks", status_code=201, response_model=s.WebhookOut)
def create_webhook(body: s.WebhookIn, p: Admin, c: Ctx):
    """Deliveries are signed as Standard Webhooks are: `webhook-id`, `webhook-timestamp` (Unix seconds) and
    `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`; the key is the secret's
    UTF-8 bytes, or the base64 after `whsec_`. The URL must reach a public address
    (`destination_not_allowed` otherwise)."""
    with c.uow() as uow:
        return _public(svc.create_webhook(uow, tenant_id=p.tenant, url=body.url, events=body.events,
                                          secret=body.secret, now=c.clock(), targets=c.webhook_targets))


@router.get("/webhooks", response_model=s.WebhookList)
def list_webhooks(p: Admin, c: Ctx):
    with c.uow() as uow:
        items = [_public(r) for r in svc.list_webhooks(uow, tenant_id=p.tenant)]
    return {"items": items, "total": len(items)}


@router.get("/webhooks/{object_id}", response_model=s.WebhookOut)
def get_webhook(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        return _public(svc.get_webhook(uow, tenant_id=p.tenant, webhook_id=object_id))


@router.delete("/webhooks/{object_id}", status_code=204, response_class=Response)
def delete_webhook(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        svc.delete_webhook(uow, tenant_id=p.tenant, webhook_id=object_id)
    return Response(status_code=204)


@router.get("/webhooks/{object_id}/deliveries", response_model=s.DeliveryList)
def list_deliveries(object_id: str, p: Admin, c: Ctx, page: Annotated[Paging, Depends()]):
    """The delivery log, newest first: status (pending, delivered, failed), attempts, last answer."""
    with c.uow() as uow:
        items = svc.deliveries(uow, tenant_id=p.tenant, webhook_id=object_id, limit=page.limit,
                               offset=page.offset)
    return {"items": items}
