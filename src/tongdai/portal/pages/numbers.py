"""Adaptive numbers (per call, the member hotline on the customer's carrier, else the fallback) and
webhooks (where the tenant's events are delivered, signed with a secret made by tongdai and shown once)."""

from __future__ import annotations

import base64
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ...app import webhooks
from ...app.notifier import EVENTS
from ...app.services import adaptive_numbers
from ...app.services.common import get_or_404
from ...domain.errors import RuleViolation
from ..web import Page, field_errors, form, redirect, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]


def _admin(page: Page) -> str:
    require(page, "admin")
    return page.tenant


def _checked(fields: dict[str, Any], name: str) -> list[str]:
    value = fields.get(name, [])
    return [value] if isinstance(value, str) else list(value)


# -- adaptive numbers ------------------------------------------------------------------------------------

def _adaptive_data(fields: dict[str, Any]) -> dict[str, Any]:
    return {"name": str(fields.get("name", "")).strip(), "members": _checked(fields, "members[]"),
            "fallback_hotline_id": fields.get("fallback_hotline_id") or None,
            "outbound_enabled": fields.get("outbound_enabled") == "on",
            "show_in_widget": fields.get("show_in_widget") == "on", "record_calls": fields.get("record_calls") == "on"}


def _adaptive_page(page: Page, tenant: str, values: dict[str, Any], errors: dict[str, str], status: int = 200,
                   editing: Any = None):
    with page.ctx.uow() as uow:
        items = uow.adaptive_numbers.all(tenant)
        lines = [h for h in uow.hotlines.all(tenant) if h.number_type == "carrier"]
    return render(page, "numbers/adaptive.html", status=status, items=items, lines=lines, values=values,
                  errors=errors, editing=editing, names={h.id: f"{h.name} ({h.number})" for h in lines})


@router.get("/adaptive-numbers")
def adaptive_page(page: Signed):
    return _adaptive_page(page, _admin(page), {"outbound_enabled": True, "show_in_widget": True}, {})


@router.get("/adaptive-numbers/{adaptive_id}")
def adaptive_edit(page: Signed, adaptive_id: str):
    tenant = _admin(page)
    with page.ctx.uow() as uow:
        a = get_or_404(uow.adaptive_numbers, "adaptive number", adaptive_id, tenant)
    values = {"name": a.name, "members[]": list(a.members), "fallback_hotline_id": a.fallback_hotline_id,
              "outbound_enabled": a.outbound_enabled, "show_in_widget": a.show_in_widget,
              "record_calls": a.record_calls}
    return _adaptive_page(page, tenant, values, {}, editing=a)


@router.post("/adaptive-numbers")
async def adaptive_create(page: Signed):
    return await _adaptive_save(page, None)


@router.post("/adaptive-numbers/{adaptive_id}")
async def adaptive_update(page: Signed, adaptive_id: str):
    return await _adaptive_save(page, adaptive_id)


async def _adaptive_save(page: Page, adaptive_id: str | None):
    tenant = _admin(page)
    fields = await form(page)
    data = _adaptive_data(fields)
    try:
        with page.ctx.uow() as uow:
            if adaptive_id is None:
                adaptive_numbers.create_adaptive_number(uow, tenant_id=tenant, data=data)
            else:
                adaptive_numbers.update_adaptive_number(uow, tenant_id=tenant, adaptive_id=adaptive_id, changes=data)
    except RuleViolation as exc:
        editing = None
        if adaptive_id is not None:
            with page.ctx.uow() as uow:
                editing = get_or_404(uow.adaptive_numbers, "adaptive number", adaptive_id, tenant)
        return _adaptive_page(page, tenant, fields, field_errors(page, exc), status=422, editing=editing)
    return redirect("/adaptive-numbers")


@router.post("/adaptive-numbers/{adaptive_id}/delete")
async def adaptive_delete(page: Signed, adaptive_id: str):
    tenant = _admin(page)
    await form(page)
    with page.ctx.uow() as uow:
        adaptive_numbers.delete_adaptive_number(uow, tenant_id=tenant, adaptive_id=adaptive_id)
    return redirect("/adaptive-numbers")


# -- webhooks --------------------------------------------------------------------------------------------

def _webhooks_page(page: Page, tenant: str, values: dict[str, Any], errors: dict[str, str], status: int = 200,
                   secret: str = ""):
    with page.ctx.uow() as uow:
        items = webhooks.list_webhooks(uow, tenant_id=tenant)
    return render(page, "numbers/webhooks.html", status=status, items=items, events=EVENTS, values=values,
                  errors=errors, secret=secret)


@router.get("/webhooks")
def webhooks_page(page: Signed):
    return _webhooks_page(page, _admin(page), {"events[]": ["*"]}, {})


@router.post("/webhooks")
async def webhook_create(page: Signed):
    tenant = _admin(page)
    fields = await form(page)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    try:
        with page.ctx.uow() as uow:
            webhooks.create_webhook(uow, tenant_id=tenant, url=str(fields.get("url", "")).strip(),
                                    events=_checked(fields, "events[]"), secret=secret, now=page.ctx.clock(),
                                    targets=page.ctx.webhook_targets)
    except RuleViolation as exc:
        return _webhooks_page(page, tenant, fields, field_errors(page, exc), status=422)
    return _webhooks_page(page, tenant, {"events[]": ["*"]}, {}, secret=secret)


@router.post("/webhooks/{webhook_id}/delete")
async def webhook_delete(page: Signed, webhook_id: str):
    tenant = _admin(page)
    await form(page)
    with page.ctx.uow() as uow:
        webhooks.delete_webhook(uow, tenant_id=tenant, webhook_id=webhook_id)
    return redirect("/webhooks")
