"""Queues of a tenant (groups by priority, strategy, ring timeout, max wait) and their live view."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from ...app.security import Principal
from ...app.services import queues
from ...app.services.common import get_or_404
from ..deps import Context, Paging, admin, ctx, live
from ..schemas import queues as s
from ._view import view

router = APIRouter(tags=["queues"])
Admin = Annotated[Principal, Depends(admin)]
Ctx = Annotated[Context, Depends(ctx)]
Strategy = Literal["ring_all", "longest_idle", "round_robin", "least_calls"]


@router.get("/queues", response_model=s.QueueList)
def list_queues(p: Admin, c: Ctx, page: Annotated[Paging, Depends()],
                name: Annotated[str | None, Query(max_length=100)] = None,
                strategy: Annotated[Strategy | None, Query()] = None):
    with c.uow() as uow:
        items, total = uow.queues.list(p.tenant, filters={"strategy": strategy}, name_contains=name,
                                       limit=page.limit, offset=page.offset)
    return {"items": [view(q) for q in items], "total": total}


@router.post("/queues", status_code=201, response_model=s.QueueOut)
def create_queue(body: s.QueueIn, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(queues.create_queue(uow, tenant_id=p.tenant, data=body.model_dump()))


@router.get("/queues/{object_id}", response_model=s.QueueOut)
def get_queue(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(get_or_404(uow.queues, "queue", object_id, p.tenant))


@router.patch("/queues/{object_id}", response_model=s.QueueOut)
def update_queue(object_id: str, body: s.QueuePatch, p: Admin, c: Ctx):
    with c.uow() as uow:
        return view(queues.update_queue(uow, tenant_id=p.tenant, queue_id=object_id,
                                        changes=body.model_dump(exclude_unset=True)))


@router.delete("/queues/{object_id}", status_code=204, response_class=Response)
def delete_queue(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        queues.delete_queue(uow, tenant_id=p.tenant, queue_id=object_id)
    return Response(status_code=204)


@router.get("/queues/{queue_id}/live", response_model=s.QueueLiveOut, tags=["agent states"])
def queue_live(queue_id: str, p: Admin, c: Ctx):
    """Waiting calls (oldest first) with waited seconds and the answer-time flag, answered calls,
    and the queue's agents by tier with their states. Needs the running switch."""
    with c.uow() as uow:
        get_or_404(uow.queues, "queue", queue_id, p.tenant)
    return live(c).queue_live(queue_id)
