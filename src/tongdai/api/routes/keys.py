"""API keys: list them and revoke one. The operator sees its own keys (or a tenant's, by `tenant_id`)
and revokes any key; a tenant admin sees and revokes its tenant's keys. Secrets are never shown again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ...app.security import Principal
from ...app.services import operator as svc
from ...domain.errors import Forbidden
from ..deps import Context, ctx, principal
from ..schemas import operator as s

router = APIRouter(tags=["API keys"])
Ctx = Annotated[Context, Depends(ctx)]


def _scope(p: Principal, tenant_id: str | None) -> str | None:
    if p.role == "operator":
        return tenant_id
    if p.role == "admin":
        return p.tenant
    raise Forbidden("this needs an operator or tenant admin key")


@router.get("/api-keys", response_model=s.ApiKeyList)
def list_api_keys(p: Annotated[Principal, Depends(principal)], c: Ctx,
                  tenant_id: Annotated[str | None, Query(max_length=40)] = None):
    """Keys (id, role, agent, created): the operator's own, a tenant's (operator with `tenant_id`), or
    the admin's tenant's."""
    with c.uow() as uow:
        items = svc.list_api_keys(uow, tenant_id=_scope(p, tenant_id))
    return {"items": items, "total": len(items)}


@router.delete("/api-keys/{key_id}", status_code=204, response_class=Response)
def revoke_api_key(key_id: str, p: Annotated[Principal, Depends(principal)], c: Ctx):
    """Revoke a key at once: requests with it fail from now on, and its open event streams close."""
    with c.uow() as uow:
        svc.revoke_api_key(uow, key_id=key_id, tenant_id=None if p.role == "operator" else _scope(p, None),
                           cache=c.keys)
    return Response(status_code=204)
