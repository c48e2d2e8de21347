"""Request context: the unit of work, the caller's identity, and role checks."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from ..app.events import EventBus
from ..app.security import Principal, VerifiedKeyCache
from ..app.services.caller_id import CallerIdUsage
from ..app.services.operator import authenticate
from ..domain.errors import Forbidden
from ..store.uow import UnitOfWork


@dataclass
class Context:
    """Everything the API needs, built once in create_app."""

    engine: Engine
    keys: VerifiedKeyCache = field(default_factory=VerifiedKeyCache)
    usage: CallerIdUsage = field(default_factory=CallerIdUsage)
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    rng: random.Random = field(default_factory=random.Random)
    bus: EventBus = field(default_factory=EventBus)
    runtime: object | None = None  # the running switch, when `tongdai serve` runs one
    webhooks: object | None = None  # the webhook dispatcher, while the app runs

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)


def ctx(request: Request) -> Context:
    return request.app.state.ctx


_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer tdk_…`")


def principal(request: Request,
              creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(401, "an API key is required", headers={"WWW-Authenticate": "Bearer"})
    c = ctx(request)
    try:
        with c.uow() as uow:
            return authenticate(uow, key=creds.credentials, cache=c.keys)
    except Forbidden:
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
