"""Queues: which groups answer, in which order, and what happens when callers wait too long."""

from __future__ import annotations

from typing import Any

from ...domain.errors import InUse, collect
from ...domain.model import MaxWaitAction, Queue, QueueGroup
from ...domain.rules import validate_queue
from ...store.uow import UnitOfWork
from ..ids import new_id
from .common import get_or_404, merge, refs


def _structured(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if data.get("groups") is not None:
        data["groups"] = tuple(QueueGroup(**g) for g in data["groups"])
    if data.get("max_wait_action") is not None:
        data["max_wait_action"] = MaxWaitAction(**data["max_wait_action"])
    return data


def _check(uow: UnitOfWork, q: Queue) -> None:
    overflow = [q.max_wait_action.queue_id] if q.max_wait_action.queue_id else []
    music = [q.music_audio_id] if q.music_audio_id else []
    collect(validate_queue(q, refs(uow, q.tenant_id, groups=[g.group_id for g in q.groups], queues=overflow,
                                   audio=music),
                           get_or_404(uow.tenants, "tenant", q.tenant_id).destinations))


def create_queue(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any]) -> Queue:
    queue = Queue(id=new_id("queue"), tenant_id=tenant_id, **_structured(data))
    _check(uow, queue)
    uow.queues.add(queue)
    return queue


def update_queue(uow: UnitOfWork, *, tenant_id: str, queue_id: str, changes: dict[str, Any]) -> Queue:
    queue = merge(get_or_404(uow.queues, "queue", queue_id, tenant_id), _structured(changes))
    _check(uow, queue)
    uow.queues.save(queue)
    return queue


def delete_queue(uow: UnitOfWork, *, tenant_id: str, queue_id: str) -> None:
    get_or_404(uow.queues, "queue", queue_id, tenant_id)
    users = [f"hotline {h.id}" for h in uow.hotlines.where(tenant_id, queue_id=queue_id)]
    users += [f"queue {q.id} (overflow)" for q in uow.queues.all(tenant_id)
              if q.max_wait_action.queue_id == queue_id and q.id != queue_id]
    users += [f"IVR tree {t.id}" for t in uow.ivr_trees.all(tenant_id)
              if any(target.queue_id == queue_id for n in t.nodes for _, target in n.branches)]
    if users:
        raise InUse("queue", queue_id, users[:20])
    uow.queues.remove(queue_id, tenant_id)
