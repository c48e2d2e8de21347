"""Request dependencies: the context, the caller's identity, role checks, paging."""

from __future__ import annotations

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..app.context import Context
from ..app.live import LiveSwitch, not_running
from ..app.security import Principal
from ..app.services.operator import authenticate
from ..domain.errors import Forbidden


def ctx(request: Request) -> Context:
    return request.app.state.ctx


def live(c: Context) -> LiveSwitch:
    """The running switch, or the rule violation that says none runs here."""
    if c.live is None:
        raise not_running()
    return c.live


_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer tdk_…`")


def principal(request: Request,
              creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(401, "an API key is required", headers={"WWW-Authenticate": "Bearer"})
    c = ctx(request)
    address = request.client.host if request.client else "?"
    wait = c.key_failures.retry_after(address)
    if wait:
        raise HTTPException(429, "too many unknown API keys from this address", headers={"Retry-After": str(wait)})
    try:
        with c.uow() as uow:
            return authenticate(uow, key=creds.credentials, cache=c.keys)
    except Forbidden:
        c.key_failures.failed(address)
        raise HTTPException(401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"}) from None


def operator(p: Principal = Depends(principal)) -> Principal:
    if p.role != "operator":
        raise Forbidden("this needs an operator key")
    return p


def admin(p: Principal = Depends(principal)) -> Principal:
    """A tenant admin; its `tenant_id` scopes every query it makes."""
    if p.role != "admin":
        raise Forbidden("this needs a tenant admin key")
    return p


def tenant_member(p: Principal = Depends(principal)) -> Principal:
    if p.role not in ("admin", "agent"):
        raise Forbidden("this needs a tenant admin or agent key")
    return p


def own_agent_or_admin(p: Principal, agent_id: str) -> None:
    if p.role == "agent" and p.agent_id != agent_id:
        raise Forbidden("an agent key reads only its own agent")


class Paging:
    def __init__(self, limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9)):
        self.limit, self.offset = limit, offset
