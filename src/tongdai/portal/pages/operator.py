"""The operator's pages: tenants (created with their first admin's sign-in, shown once), SIP trunks to the
carriers (with their health when the switch runs), and the number inventory tenants take hotlines from."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from ...app.services import operator, users
from ...app.services.common import get_or_404
from ...domain.errors import RuleViolation, Violation
from ...domain.model import LINE_TYPES
from ...domain.numbering_plan import CARRIERS
from ..web import Page, field_errors, form, redirect, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]
PAGE_SIZE = 50


def _operator(page: Page) -> None:
    require(page, "operator")


# -- tenants --------------------------------------------------------------------------------------------

def _tenants(page: Page, values: dict[str, Any], errors: dict[str, str], status: int = 200, created: Any = None):
    with page.ctx.uow() as uow:
        items = uow.tenants.all()
    return render(page, "operator/tenants.html", status=status, items=items, values=values, errors=errors,
                  created=created)


@router.get("/operator/tenants")
def tenants_page(page: Signed):
    _operator(page)
    return _tenants(page, {}, {})


@router.post("/operator/tenants")
async def create_tenant(page: Signed):
    _operator(page)
    fields = await form(page)
    name = str(fields.get("name", "")).strip()
    email = str(fields.get("admin_email", "")).strip()
    try:
        with page.ctx.uow() as uow:
            tenant, key = operator.create_tenant(uow, name=name, sip_domain=str(fields.get("sip_domain", "")).strip()
                                                 or None, now=page.ctx.clock())
            _admin, password = users.first_admin(uow, tenant_id=tenant.id, email=email or f"admin@{tenant.sip_domain}",
                                                 now=page.ctx.clock())
    except RuleViolation as exc:
        errors = field_errors(page, exc)
        if "email" in errors:
            errors["admin_email"] = errors.pop("email")
        return _tenants(page, fields, errors, status=422)
    return _tenants(page, {}, {}, created={"tenant": tenant, "key": key, "email": _admin.email, "password": password})


# -- trunks ---------------------------------------------------------------------------------------------

def _trunk_data(fields: dict[str, Any], problems: list[Violation]) -> dict[str, Any]:
    try:
        port = int(str(fields.get("port", "5060")).strip() or "5060")
    except ValueError:
        problems.append(Violation("port", "invalid_value", "a port number"))
        port = 0
    sources = [s.strip() for s in str(fields.get("source_addresses", "")).replace(",", "\n").splitlines() if s.strip()]
    return {"name": str(fields.get("name", "")).strip(), "host": str(fields.get("host", "")).strip(), "port": port,
            "source_addresses": sources, "username": str(fields.get("username", "")).strip() or None,
            "password": str(fields.get("password", "")) or None}


def _trunks(page: Page, values: dict[str, Any], errors: dict[str, str], status: int = 200):
    with page.ctx.uow() as uow:
        items = uow.trunks.all()
    health = page.ctx.live.trunk_health() if page.ctx.live is not None else {}
    return render(page, "operator/trunks.html", status=status, items=items, values=values, errors=errors,
                  health=health)


@router.get("/operator/trunks")
def trunks_page(page: Signed):
    _operator(page)
    return _trunks(page, {"port": 5060}, {})


@router.post("/operator/trunks")
async def create_trunk(page: Signed):
    _operator(page)
    fields = await form(page)
    problems: list[Violation] = []
    data = _trunk_data(fields, problems)
    try:
        if problems:
            raise RuleViolation(problems)
        with page.ctx.uow() as uow:
            operator.create_trunk(uow, data=data)
    except RuleViolation as exc:
        return _trunks(page, {**fields, "password": ""}, field_errors(page, exc), status=422)
    return redirect("/operator/trunks")


def _trunk_form(page: Page, trunk, values: dict[str, Any], errors: dict[str, str], status: int = 200):
    health = page.ctx.live.trunk_health().get(trunk.id) if page.ctx.live is not None else None
    return render(page, "operator/trunk.html", status=status, trunk=trunk, values=values, errors=errors,
                  health=health)


@router.get("/operator/trunks/{trunk_id}")
def trunk_page(page: Signed, trunk_id: str):
    _operator(page)
    with page.ctx.uow() as uow:
        trunk = get_or_404(uow.trunks, "trunk", trunk_id)
    values = {"name": trunk.name, "host": trunk.host, "port": trunk.port,
              "source_addresses": ", ".join(trunk.source_addresses), "username": trunk.username or ""}
    return _trunk_form(page, trunk, values, {})


@router.post("/operator/trunks/{trunk_id}")
async def update_trunk(page: Signed, trunk_id: str):
    _operator(page)
    fields = await form(page)
    problems: list[Violation] = []
    changes = _trunk_data(fields, problems)
    if changes["password"] is None:  # left empty: the password stays
        del changes["password"]
    try:
        if problems:
            raise RuleViolation(problems)
        with page.ctx.uow() as uow:
            operator.update_trunk(uow, trunk_id=trunk_id, changes=changes)
    except RuleViolation as exc:
        with page.ctx.uow() as uow:
            trunk = get_or_404(uow.trunks, "trunk", trunk_id)
        return _trunk_form(page, trunk, {**fields, "password": ""}, field_errors(page, exc), status=422)
    return redirect("/operator/trunks")


@router.post("/operator/trunks/{trunk_id}/delete")
async def delete_trunk(page: Signed, trunk_id: str):
    _operator(page)
    await form(page)
    with page.ctx.uow() as uow:
        get_or_404(uow.trunks, "trunk", trunk_id)
        operator.delete_trunk(uow, trunk_id=trunk_id)
    return redirect("/operator/trunks")


# -- inventory ------------------------------------------------------------------------------------------

def _inventory(page: Page, values: dict[str, Any], errors: dict[str, str], status: int = 200, offset: int = 0,
               line_type: str = ""):
    filters: dict[str, Any] = {"line_type": line_type or None}
    with page.ctx.uow() as uow:
        items, total = uow.inventory.list(None, filters=filters, limit=PAGE_SIZE, offset=offset)
        trunks = uow.trunks.all()
        tenants = {t.id: t.name for t in uow.tenants.all()}
    return render(page, "operator/inventory.html", status=status, items=items, total=total, offset=offset,
                  size=PAGE_SIZE, values=values, errors=errors, trunks=trunks, tenants=tenants,
                  line_types=LINE_TYPES, carriers=CARRIERS, filters={"line_type": line_type})


@router.get("/operator/inventory")
def inventory_page(page: Signed, line_type: Annotated[str, Query(max_length=10)] = "",
                   offset: Annotated[int, Query(ge=0, le=10**9)] = 0):
    _operator(page)
    return _inventory(page, {"country": "VN", "line_type": "mobile"}, {}, offset=offset, line_type=line_type)


def _number_form(page: Page, entry, values: dict[str, Any], errors: dict[str, str], status: int = 200):
    with page.ctx.uow() as uow:
        trunks, tenants = uow.trunks.all(), uow.tenants.all()
    return render(page, "operator/number.html", status=status, entry=entry, values=values, errors=errors,
                  trunks=trunks, tenants=tenants, carriers=CARRIERS)


@router.get("/operator/inventory/{number}")
def number_page(page: Signed, number: str):
    _operator(page)
    with page.ctx.uow() as uow:
        entry = operator.get_inventory_number(uow, number=number)
    return _number_form(page, entry, {"trunk_id": entry.trunk_id, "carrier": entry.carrier or "",
                                      "tenant_id": entry.tenant_id or ""}, {})


@router.post("/operator/inventory/{number}")
async def update_number(page: Signed, number: str):
    _operator(page)
    fields = await form(page)
    changes = {"trunk_id": fields.get("trunk_id") or "", "carrier": fields.get("carrier") or None,
               "tenant_id": fields.get("tenant_id") or None}
    try:
        with page.ctx.uow() as uow:
            operator.update_inventory_number(uow, number=number, changes=changes)
    except RuleViolation as exc:
        with page.ctx.uow() as uow:
            entry = operator.get_inventory_number(uow, number=number)
        return _number_form(page, entry, fields, field_errors(page, exc), status=422)
    return redirect("/operator/inventory")


@router.post("/operator/inventory")
async def add_number(page: Signed):
    _operator(page)
    fields = await form(page)
    data = {"number": str(fields.get("number", "")).strip(), "country": str(fields.get("country", "VN")),
            "line_type": str(fields.get("line_type", "")), "carrier": fields.get("carrier") or None,
            "trunk_id": fields.get("trunk_id") or ""}
    try:
        with page.ctx.uow() as uow:
            operator.add_inventory_number(uow, data=data)
    except RuleViolation as exc:
        return _inventory(page, fields, field_errors(page, exc), status=422)
    return redirect("/operator/inventory")
