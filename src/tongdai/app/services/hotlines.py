"""Hotlines: create from the inventory (carrier) or a typed number (virtual), change, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.errors import InUse, RuleViolation, Violation, collect
from ...domain.model import ALL_GROUPS, Hotline
from ...domain.rules import check_country, normalise_number, validate_hotline
from ...store.repositories import Conflict
from ...store.uow import UnitOfWork
from ..ids import new_id
from .common import get_or_404, merge, refs

IMMUTABLE = ("number_type", "country", "line_type", "number")


def _refs_for(uow: UnitOfWork, h: Hotline):
    groups = () if h.outbound_groups == ALL_GROUPS else h.outbound_groups
    return refs(uow, h.tenant_id, groups=groups, queues=[h.queue_id] if h.queue_id else [],
                ivr_trees=[h.ivr_tree_id] if h.ivr_tree_id else [])


def _unavailable(message: str) -> RuleViolation:
    return RuleViolation(Violation("number", "number_unavailable", message))


def create_hotline(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any], now: datetime) -> Hotline:
    """Create a hotline. A carrier hotline takes an available inventory number of its kind."""
    data = dict(data)
    if isinstance(data.get("outbound_groups"), list):
        data["outbound_groups"] = tuple(data["outbound_groups"])
    requested = data.pop("number", None)
    hotline = Hotline(id=new_id("hotline"), tenant_id=tenant_id, number="", **data)
    out: list[Violation] = []
    country_ok = check_country(hotline.country, out)
    out += validate_hotline(hotline, _refs_for(uow, hotline))
    if country_ok and hotline.number_type == "virtual":
        if not requested:
            out.append(Violation("number", "required", "a virtual hotline needs its number"))
        else:
            hotline.number = normalise_number(requested, hotline.country, out) or ""
    elif country_ok and hotline.number_type == "carrier" and requested:
        hotline.number = normalise_number(requested, hotline.country, out) or ""
    collect(out)

    if hotline.number_type == "virtual":
        if uow.hotlines.number_taken(hotline.number) or uow.inventory.get(hotline.number) is not None:
            raise _unavailable(f"{hotline.number} is not available")
    else:
        entry = _pick_inventory(uow, hotline)
        if not uow.inventory.assign_if_available(entry.number, tenant_id):
            raise _unavailable(f"{entry.number} is not available")
        hotline.number, hotline.carrier, hotline.trunk_id = entry.number, entry.carrier, entry.trunk_id
    try:  # a concurrent create of the same number loses here; the unit of work rolls back
        uow.hotlines.add(hotline, created_at=now)
    except Conflict:
        raise _unavailable(f"{hotline.number} is not available") from None
    return hotline


def _pick_inventory(uow: UnitOfWork, hotline: Hotline):
    if hotline.number:
        entry = uow.inventory.get(hotline.number)
        free = entry is not None and entry.tenant_id in (None, hotline.tenant_id) \
            and not uow.hotlines.number_taken(hotline.number)
        if entry is None or not free:
            raise _unavailable(f"{hotline.number} is not available")
        if entry.country != hotline.country or entry.line_type != hotline.line_type:
            raise _unavailable(f"{hotline.number} is a {entry.country} {entry.line_type} number, "
                               f"not {hotline.country} {hotline.line_type}")
        return entry
    found, _ = uow.inventory.available(hotline.tenant_id, country=hotline.country,
                                       line_type=hotline.line_type, limit=1)
    if not found:
        raise _unavailable(f"no available {hotline.country} {hotline.line_type} number in the inventory")
    return found[0]


def update_hotline(uow: UnitOfWork, *, tenant_id: str, hotline_id: str, changes: dict[str, Any]) -> Hotline:
    if isinstance(changes.get("outbound_groups"), list):
        changes = {**changes, "outbound_groups": tuple(changes["outbound_groups"])}
    hotline = get_or_404(uow.hotlines, "hotline", hotline_id, tenant_id)
    if "number" in changes and changes["number"] is not None:
        out: list[Violation] = []
        changes = {**changes, "number": normalise_number(changes["number"], hotline.country, out) or changes["number"]}
        collect(out)
    updated = merge(hotline, changes, immutable=IMMUTABLE)
    collect(validate_hotline(updated, _refs_for(uow, updated)))
    uow.hotlines.save(updated)
    return updated


def delete_hotline(uow: UnitOfWork, *, tenant_id: str, hotline_id: str) -> None:
    """Delete a hotline; a pool number it took goes back to the free pool."""
    hotline = get_or_404(uow.hotlines, "hotline", hotline_id, tenant_id)
    users = [f"adaptive number {a.id}" for a in uow.adaptive_numbers.all(tenant_id)
             if a.fallback_hotline_id == hotline_id or hotline_id in a.members]
    users += [f"agent {a.id} (default caller)" for a in uow.agents.where(tenant_id, default_caller_id=hotline_id)]
    if users:
        raise InUse("hotline", hotline_id, users)
    uow.hotlines.remove(hotline_id, tenant_id)
    if hotline.number_type == "carrier":
        entry = uow.inventory.get(hotline.number)
        if entry is not None and entry.assigned_by == "hotline":
            entry.tenant_id, entry.assigned_by = None, None
            uow.inventory.save(entry)


def list_hotlines(uow: UnitOfWork, *, tenant_id: str, filters: dict[str, Any], name_contains: str | None,
                  limit: int, offset: int) -> tuple[list[Hotline], int]:
    return uow.hotlines.list(tenant_id, filters=filters, name_contains=name_contains, limit=limit, offset=offset)
