"""Groups of agents, and the other small tenant objects that only carry a name and references."""

from __future__ import annotations

from typing import Any

from ...domain.errors import InUse, collect
from ...domain.model import ALL_GROUPS, Group
from ...domain.rules import validate_group
from ...store.uow import UnitOfWork
from ..ids import new_id
from .common import get_or_404, merge, taken


def create_group(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any]) -> Group:
    group = Group(id=new_id("group"), tenant_id=tenant_id, **data)
    _check(uow, group)
    uow.groups.add(group)
    return group


def update_group(uow: UnitOfWork, *, tenant_id: str, group_id: str, changes: dict[str, Any]) -> Group:
    group = merge(get_or_404(uow.groups, "group", group_id, tenant_id), changes)
    _check(uow, group)
    uow.groups.save(group)
    return group


def _check(uow: UnitOfWork, group: Group) -> None:
    collect(validate_group(group))
    if any(g.id != group.id for g in uow.groups.where(group.tenant_id, name=group.name)):
        raise taken("name", f"group name {group.name!r}")


def delete_group(uow: UnitOfWork, *, tenant_id: str, group_id: str) -> None:
    get_or_404(uow.groups, "group", group_id, tenant_id)
    users = [f"hotline {h.id}" for h in uow.hotlines.all(tenant_id)
             if h.outbound_groups != ALL_GROUPS and group_id in h.outbound_groups]
    users += [f"queue {q.id}" for q in uow.queues.all(tenant_id) if any(g.group_id == group_id for g in q.groups)]
    users += [f"agent {a.id}" for a in uow.agents.all(tenant_id) if group_id in a.groups]
    if users:
        raise InUse("group", group_id, users[:20])
    uow.groups.remove(group_id, tenant_id)
