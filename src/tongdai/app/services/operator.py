"""The operator's side: tenants, SIP trunks, the number inventory, and API keys."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ...domain.errors import Forbidden, InUse, NotFound, RuleViolation, Violation, collect
from ...domain.model import InventoryNumber, Tenant, Trunk
from ...domain.rules import _name, validate_inventory_number, validate_trunk
from ...store.repositories import plausible_id
from ...store.uow import UnitOfWork
from ..ids import new_id
from ..security import Principal, VerifiedKeyCache, new_api_key, split_key, verify_secret
from .common import get_or_404, merge, taken

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return slug or "tenant"


# -- tenants --------------------------------------------------------------------------------------

def create_tenant(uow: UnitOfWork, *, name: str, sip_domain: str | None, now: datetime) -> tuple[Tenant, str]:
    """Create a tenant and its first admin key; returns the tenant and the key (shown once)."""
    out: list[Violation] = []
    _name(name, out)
    tenant_id = new_id("tenant")
    domain = (sip_domain or f"{_slug(name)}-{tenant_id[3:9]}.tongdai.local").lower()
    if not _DOMAIN.match(domain):
        out.append(Violation("sip_domain", "invalid_value", "sip_domain must be a DNS name"))
    collect(out)
    if uow.tenants.where(None, sip_domain=domain):
        raise taken("sip_domain", "this SIP domain")
    tenant = Tenant(id=tenant_id, name=name.strip(), sip_domain=domain)
    uow.tenants.add(tenant, created_at=now)
    key = create_api_key(uow, role="admin", tenant_id=tenant.id, now=now)
    return tenant, key


def update_tenant(uow: UnitOfWork, *, tenant_id: str, changes: dict[str, Any]) -> Tenant:
    tenant = merge(get_or_404(uow.tenants, "tenant", tenant_id), changes, immutable=("sip_domain",))
    out: list[Violation] = []
    _name(tenant.name, out)
    collect(out)
    uow.tenants.save(tenant)
    return tenant


def delete_tenant(uow: UnitOfWork, *, tenant_id: str) -> None:
    get_or_404(uow.tenants, "tenant", tenant_id)
    used = [what for what, repo in (("hotlines", uow.hotlines), ("agents", uow.agents),
                                    ("groups", uow.groups), ("queues", uow.queues),
                                    ("ivr trees", uow.ivr_trees), ("adaptive numbers", uow.adaptive_numbers))
            if repo.count(tenant_id)]
    used += ["inventory numbers"] if uow.inventory.count(None, tenant_id=tenant_id) else []
    used += ["trunks"] if uow.trunks.count(None, tenant_id=tenant_id) else []
    used += ["call records"] if uow.calls_exist(tenant_id) else []
    used += ["webhooks"] if uow.webhooks_exist(tenant_id) else []
    if used:
        raise InUse("tenant", tenant_id, used)
    uow.api_keys.remove_for_tenant(tenant_id)
    uow.users.remove_for_tenant(tenant_id)
    uow.tenants.remove(tenant_id)


# -- API keys ---------------------------------------------------------------------------------------

def create_api_key(uow: UnitOfWork, *, role: str, now: datetime, tenant_id: str | None = None,
                   agent_id: str | None = None) -> str:
    key_id = new_id("api_key")
    key, secret_hash = new_api_key(key_id)
    uow.api_keys.add(id=key_id, secret_hash=secret_hash, role=role, tenant_id=tenant_id,
                     agent_id=agent_id, created_at=now)
    return key


def list_api_keys(uow: UnitOfWork, *, tenant_id: str | None) -> list[dict[str, Any]]:
    """A tenant's admin and agent keys, or (None) the operator's keys: ids and roles, never secrets."""
    return uow.api_keys.list(tenant_id)


def revoke_api_key(uow: UnitOfWork, *, key_id: str, tenant_id: str | None, cache: VerifiedKeyCache) -> None:
    """Revoke a key at once. A tenant admin revokes its tenant's keys; the operator (tenant_id None)
    any key. Its cached verification is forgotten, so the next request with it fails."""
    row = uow.api_keys.get(key_id) if plausible_id(key_id) else None
    if row is None or (tenant_id is not None and row["tenant_id"] != tenant_id):
        raise NotFound("API key", key_id)
    uow.api_keys.remove(key_id)
    cache.forget_key(key_id)


def authenticate(uow: UnitOfWork, *, key: str, cache: VerifiedKeyCache) -> Principal:
    cached = cache.get(key)
    if cached is not None:
        return cached
    parts = split_key(key)
    row = uow.api_keys.get(parts[0]) if parts is not None else None
    if parts is None or row is None or not verify_secret(parts[1], row["secret_hash"]):
        raise Forbidden("unknown or revoked API key")
    principal = Principal(key_id=row["id"], role=row["role"], tenant_id=row["tenant_id"],
                          agent_id=row["agent_id"])
    cache.put(key, principal)
    return principal


# -- trunks ----------------------------------------------------------------------------------------

def create_trunk(uow: UnitOfWork, *, data: dict[str, Any]) -> Trunk:
    data = {**data, "source_addresses": tuple(data.get("source_addresses") or ())}
    trunk = Trunk(id=new_id("trunk"), **data)
    _check_trunk(uow, trunk)
    uow.trunks.add(trunk)
    return trunk


def update_trunk(uow: UnitOfWork, *, trunk_id: str, changes: dict[str, Any]) -> Trunk:
    if "source_addresses" in changes:
        changes = {**changes, "source_addresses": tuple(changes["source_addresses"] or ())}
    trunk = merge(get_or_404(uow.trunks, "trunk", trunk_id), changes)
    _check_trunk(uow, trunk)
    uow.trunks.save(trunk)
    return trunk


def _check_trunk(uow: UnitOfWork, trunk: Trunk) -> None:
    out = validate_trunk(trunk)
    if trunk.tenant_id is not None and uow.tenants.get(trunk.tenant_id) is None:
        out.append(Violation("tenant_id", "unknown_tenant", "no such tenant"))
    collect(out)


def delete_trunk(uow: UnitOfWork, *, trunk_id: str) -> None:
    get_or_404(uow.trunks, "trunk", trunk_id)
    numbers = uow.inventory.count(None, trunk_id=trunk_id)
    if numbers:
        raise InUse("trunk", trunk_id, [f"{numbers} inventory number(s)"])
    uow.trunks.remove(trunk_id)


# -- inventory ---------------------------------------------------------------------------------------

def add_inventory_number(uow: UnitOfWork, *, data: dict[str, Any]) -> InventoryNumber:
    entry = InventoryNumber(**{**data, "assigned_by": "operator" if data.get("tenant_id") else None})
    out, e164 = validate_inventory_number(
        entry, trunk_exists=uow.trunks.get(entry.trunk_id) is not None,
        tenant_exists=entry.tenant_id is None or uow.tenants.get(entry.tenant_id) is not None)
    collect(out)
    assert e164 is not None  # collect() raised when the number did not parse
    entry.number = e164
    if entry.carrier is None and entry.line_type == "mobile" and entry.country == "VN":
        from ...domain.numbers import classify
        entry.carrier = classify(e164).carrier
    if uow.inventory.get(e164) is not None or uow.hotlines.number_taken(e164):
        raise RuleViolation(Violation("number", "number_unavailable", f"{e164} is already in use"))
    uow.inventory.add(entry)
    return entry


def update_inventory_number(uow: UnitOfWork, *, number: str, changes: dict[str, Any]) -> InventoryNumber:
    """Move a number to another trunk, change its carrier, or (re)assign it to a tenant."""
    entry = get_or_404(uow.inventory, "inventory number", number)
    in_use = uow.hotlines.number_taken(entry.number)
    if "tenant_id" in changes and changes["tenant_id"] != entry.tenant_id and in_use:
        raise RuleViolation(Violation("tenant_id", "in_use", "a hotline uses this number; delete it first"))
    updated = merge(entry, changes, immutable=("number", "country", "line_type"))
    if "tenant_id" in changes:
        updated.assigned_by = "operator" if updated.tenant_id else None
    out, _ = validate_inventory_number(
        updated, trunk_exists=uow.trunks.get(updated.trunk_id) is not None,
        tenant_exists=updated.tenant_id is None or uow.tenants.get(updated.tenant_id) is not None)
    collect(out)
    uow.inventory.save(updated)
    return updated


def delete_inventory_number(uow: UnitOfWork, *, number: str) -> None:
    get_or_404(uow.inventory, "inventory number", number)
    if uow.hotlines.number_taken(number):
        raise InUse("inventory number", number, ["a hotline"])
    uow.inventory.remove(number)


def get_inventory_number(uow: UnitOfWork, *, number: str) -> InventoryNumber:
    entry = uow.inventory.get(number)
    if entry is None:
        raise NotFound("inventory number", number)
    return entry
