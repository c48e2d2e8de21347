"""Adaptive numbers: a caller-ID choice resolved per call to one of the tenant's hotlines."""

from __future__ import annotations

from typing import Any

from ...domain.errors import InUse, collect
from ...domain.model import AdaptiveNumber
from ...domain.rules import validate_adaptive_number
from ...store.uow import UnitOfWork
from ..ids import new_id
from .common import get_or_404, merge, refs


def _check(uow: UnitOfWork, a: AdaptiveNumber) -> None:
    ids = list(a.members) + ([a.fallback_hotline_id] if a.fallback_hotline_id else [])
    collect(validate_adaptive_number(a, refs(uow, a.tenant_id, hotlines=ids)))


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "members": tuple(data["members"])} if data.get("members") is not None else data


def create_adaptive_number(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any]) -> AdaptiveNumber:
    adaptive = AdaptiveNumber(id=new_id("adaptive_number"), tenant_id=tenant_id, **_tuples(data))
    _check(uow, adaptive)
    uow.adaptive_numbers.add(adaptive)
    return adaptive


def update_adaptive_number(uow: UnitOfWork, *, tenant_id: str, adaptive_id: str,
                           changes: dict[str, Any]) -> AdaptiveNumber:
    adaptive = merge(get_or_404(uow.adaptive_numbers, "adaptive number", adaptive_id, tenant_id), _tuples(changes))
    _check(uow, adaptive)
    uow.adaptive_numbers.save(adaptive)
    return adaptive


def delete_adaptive_number(uow: UnitOfWork, *, tenant_id: str, adaptive_id: str) -> None:
    get_or_404(uow.adaptive_numbers, "adaptive number", adaptive_id, tenant_id)
    users = [f"agent {a.id} (default caller)" for a in uow.agents.where(tenant_id, default_caller_id=adaptive_id)]
    if users:
        raise InUse("adaptive number", adaptive_id, users)
    uow.adaptive_numbers.remove(adaptive_id, tenant_id)
