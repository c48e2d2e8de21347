"""Queues: which groups answer (primary, then backups), how agents are chosen, how long a phone rings,
how long a caller may wait and what happens then, recording, and what a waiting caller hears."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ...app.services import queues
from ...app.services.common import get_or_404
from ...domain.errors import RuleViolation, Violation
from ...domain.model import RING_STRATEGIES
from ..web import Page, field_errors, form, redirect, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]
TIERS = (1, 2, 3)


def _admin(page: Page) -> str:
    require(page, "admin")
    return page.tenant


def _number(fields: dict[str, Any], name: str, problems: list[Violation]) -> int:
    try:
        return int(str(fields.get(name, "") or "0").strip())
    except ValueError:
        problems.append(Violation(name, "invalid_value", "a whole number"))
        return 0


def _data(fields: dict[str, Any], all_groups: list) -> tuple[dict[str, Any], list[Violation]]:
    """The service's data from the posted form: each group's tier (`tier_<group id>`, empty: not in it)."""
    problems: list[Violation] = []
    groups = [{"group_id": g.id, "priority": int(fields[f"tier_{g.id}"])} for g in all_groups
              if str(fields.get(f"tier_{g.id}", "")) in {str(t) for t in TIERS}]
    action = str(fields.get("max_wait_type", "hangup"))
    data = {"name": str(fields.get("name", "")).strip(), "groups": groups,
            "strategy": str(fields.get("strategy", "")), "record_calls": str(fields.get("record_calls")) == "on",
            "ring_timeout_seconds": _number(fields, "ring_timeout_seconds", problems),
            "max_wait_seconds": _number(fields, "max_wait_seconds", problems),
            "max_wait_action": {"type": action,
                                "queue_id": (fields.get("max_wait_queue_id") or None) if action == "queue" else None,
                                "number": (fields.get("max_wait_number") or None) if action == "external" else None,
                                "reason": (fields.get("max_wait_reason") or None) if action == "hangup" else None},
            "waiting_audio": str(fields.get("waiting_audio", "ringback")),
            "music_audio_id": fields.get("music_audio_id") or None}
    return data, problems


def _values(queue) -> dict[str, Any]:
    action = queue.max_wait_action
    return {"name": queue.name, "strategy": queue.strategy, "ring_timeout_seconds": queue.ring_timeout_seconds,
            "max_wait_seconds": queue.max_wait_seconds, "record_calls": queue.record_calls,
            "max_wait_type": action.type, "max_wait_queue_id": action.queue_id or "",
            "max_wait_number": action.number or "", "max_wait_reason": action.reason or "",
            "waiting_audio": queue.waiting_audio, "music_audio_id": queue.music_audio_id or "",
            **{f"tier_{g.group_id}": str(g.priority) for g in queue.groups}}


def _form(page: Page, tenant: str, values: dict[str, Any], errors: dict[str, str], status: int = 200,
          queue=None) -> Any:
    with page.ctx.uow() as uow:
        all_groups, others = uow.groups.all(tenant), uow.queues.all(tenant)
        audio, _total = uow.audio.list(tenant, 200, 0)
    return render(page, "queues/form.html", status=status, values=values, errors=errors, all_groups=all_groups,
                  others=[q for q in others if queue is None or q.id != queue.id], audio=audio, queue=queue,
                  strategies=RING_STRATEGIES, tiers=TIERS)


@router.get("/queues")
def list_page(page: Signed):
    tenant = _admin(page)
    with page.ctx.uow() as uow:
        items = uow.queues.all(tenant)
        names = {g.id: g.name for g in uow.groups.all(tenant)}
    return render(page, "queues/list.html", items=items, groups=names)


@router.get("/queues/new")
def new_page(page: Signed):
    return _form(page, _admin(page), {"strategy": "longest_idle", "ring_timeout_seconds": 20,
                                      "max_wait_seconds": 300, "max_wait_type": "hangup",
                                      "waiting_audio": "ringback"}, {})


async def _save(page: Page, queue_id: str | None):
    tenant = _admin(page)
    fields = await form(page)
    with page.ctx.uow() as uow:
        all_groups = uow.groups.all(tenant)
    data, problems = _data(fields, all_groups)
    try:
        if problems:
            raise RuleViolation(problems)
        with page.ctx.uow() as uow:
            if queue_id is None:
                saved = queues.create_queue(uow, tenant_id=tenant, data=data)
            else:
                saved = queues.update_queue(uow, tenant_id=tenant, queue_id=queue_id, changes=data)
    except RuleViolation as exc:
        queue = None
        if queue_id is not None:
            with page.ctx.uow() as uow:
                queue = get_or_404(uow.queues, "queue", queue_id, tenant)
        return _form(page, tenant, fields, field_errors(page, exc), status=422, queue=queue)
    return redirect(f"/queues/{saved.id}?saved=1")


@router.post("/queues/new")
async def create(page: Signed):
    return await _save(page, None)


@router.get("/queues/{queue_id}")
def detail_page(page: Signed, queue_id: str):
    tenant = _admin(page)
    with page.ctx.uow() as uow:
        queue = get_or_404(uow.queues, "queue", queue_id, tenant)
    return _form(page, tenant, _values(queue), {}, queue=queue)


@router.post("/queues/{queue_id}")
async def update(page: Signed, queue_id: str):
    return await _save(page, queue_id)


@router.post("/queues/{queue_id}/delete")
async def delete(page: Signed, queue_id: str):
    tenant = _admin(page)
    await form(page)
    with page.ctx.uow() as uow:
        queues.delete_queue(uow, tenant_id=tenant, queue_id=queue_id)
    return redirect("/queues")
