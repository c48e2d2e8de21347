"""Hotlines as the seed's "Cấu hình hotline" walks them: the list with its filters, the create form
(carrier → a number from the available inventory of the country and line type; virtual → a typed number;
name; outbound on/off and who may call out; recording; IVR on → a tree, off → a queue) and the detail page
(show in the call widget, wrap-up and answer-time alert seconds). Every rule is the service's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from ...app.services import hotlines
from ...app.services.common import get_or_404
from ...domain.errors import RuleViolation, Violation
from ...domain.model import ALL_GROUPS, LINE_TYPES
from ..web import Page, field_errors, form, redirect, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]
PAGE_SIZE = 50
COUNTRIES = ("VN",)  # the numbering plan tongdai knows; a virtual number may be of another country by the API


def _admin(page: Page) -> str:
    require(page, "admin")
    return page.tenant


def _choices(page: Page, tenant: str, country: str, line_type: str) -> dict[str, Any]:
    with page.ctx.uow() as uow:
        available, _total = uow.inventory.available(tenant, country=country or None, line_type=line_type or None,
                                                    limit=200)
        return {"groups": uow.groups.all(tenant), "queues": uow.queues.all(tenant),
                "trees": uow.ivr_trees.all(tenant), "available": available}


def _flag(fields: dict[str, Any], name: str) -> bool:
    return str(fields.get(name, "")).lower() in ("on", "true", "1", "yes")


def _int(fields: dict[str, Any], name: str, errors: list[Violation]) -> int:
    raw = str(fields.get(name, "") or "0").strip()
    try:
        return int(raw)
    except ValueError:
        errors.append(Violation(name, "invalid_value", "a whole number"))
        return 0


def _routing(fields: dict[str, Any], data: dict[str, Any]) -> None:
    """Outbound groups, recording and where inbound calls go, as the form posts them."""
    data["outbound_enabled"] = _flag(fields, "outbound_enabled")
    if fields.get("groups_mode") == "selected":
        chosen = fields.get("outbound_groups[]", [])
        data["outbound_groups"] = [chosen] if isinstance(chosen, str) else list(chosen)
    else:
        data["outbound_groups"] = ALL_GROUPS
    data["record_calls"] = _flag(fields, "record_calls")
    data["recording_announcement"] = _flag(fields, "recording_announcement")
    data["ivr_enabled"] = _flag(fields, "ivr_enabled")
    if data["ivr_enabled"]:
        data["ivr_tree_id"] = fields.get("ivr_tree_id") or None
        data["queue_id"] = fields.get("queue_id") or None
    else:
        data["queue_id"] = fields.get("queue_id") or None
        data["ivr_tree_id"] = None


@router.get("/hotlines")
def list_page(page: Signed, name: Annotated[str, Query(max_length=100)] = "",
              number_type: Annotated[str, Query(max_length=10)] = "",
              line_type: Annotated[str, Query(max_length=10)] = "",
              ivr: Annotated[str, Query(max_length=3)] = "", offset: Annotated[int, Query(ge=0, le=10**9)] = 0):
    tenant = _admin(page)
    filters = {"number_type": number_type or None, "line_type": line_type or None,
               "ivr_enabled": {"on": True, "off": False}.get(ivr)}
    with page.ctx.uow() as uow:
        items, total = hotlines.list_hotlines(uow, tenant_id=tenant, filters=filters, name_contains=name or None,
                                              limit=PAGE_SIZE, offset=offset)
        queues = {q.id: q.name for q in uow.queues.all(tenant)}
        trees = {t.id: t.name for t in uow.ivr_trees.all(tenant)}
    return render(page, "hotlines/list.html", items=items, total=total, offset=offset, size=PAGE_SIZE,
                  queues=queues, trees=trees, line_types=LINE_TYPES,
                  filters={"name": name, "number_type": number_type, "line_type": line_type, "ivr": ivr})


@router.get("/hotlines/available-numbers")
def available_numbers(page: Signed, country: Annotated[str, Query(max_length=2)] = "VN",
                      line_type: Annotated[str, Query(max_length=10)] = "mobile"):
    """The `<option>`s of the inventory numbers this tenant may take for that country and line type."""
    tenant = _admin(page)
    with page.ctx.uow() as uow:
        available, _total = uow.inventory.available(tenant, country=country or None, line_type=line_type or None,
                                                    limit=200)
    return render(page, "hotlines/_numbers.html", available=available, chosen="")


def _form(page: Page, tenant: str, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    choices = _choices(page, tenant, values.get("country", "VN"), values.get("line_type", "mobile"))
    return render(page, "hotlines/new.html", status=status, values=values, errors=errors, countries=COUNTRIES,
                  line_types=LINE_TYPES, **choices)


@router.get("/hotlines/new")
def new_page(page: Signed):
    tenant = _admin(page)
    return _form(page, tenant, {"number_type": "carrier", "country": "VN", "line_type": "mobile",
                                "groups_mode": "all"}, {})


@router.post("/hotlines/new")
async def create(page: Signed):
    tenant = _admin(page)
    fields = await form(page)
    data: dict[str, Any] = {"number_type": fields.get("number_type", ""), "country": fields.get("country", ""),
                            "line_type": fields.get("line_type", ""), "name": str(fields.get("name", "")).strip(),
                            "number": str(fields.get("number", "")).strip() or None}
    _routing(fields, data)
    values = {**fields, "groups_mode": fields.get("groups_mode", "all")}
    try:
        with page.ctx.uow() as uow:
            hotline = hotlines.create_hotline(uow, tenant_id=tenant, data=data, now=page.ctx.clock())
    except RuleViolation as exc:
        return _form(page, tenant, values, field_errors(page, exc), status=422)
    return redirect(f"/hotlines/{hotline.id}?saved=1")


def _detail(page: Page, tenant: str, hotline_id: str, errors: dict[str, str], status: int = 200,
            values: dict[str, Any] | None = None) -> Response:
    with page.ctx.uow() as uow:
        hotline = get_or_404(uow.hotlines, "hotline", hotline_id, tenant)
        groups, queues, trees = uow.groups.all(tenant), uow.queues.all(tenant), uow.ivr_trees.all(tenant)
    return render(page, "hotlines/detail.html", status=status, hotline=hotline, errors=errors, groups=groups,
                  queues=queues, trees=trees, values=values, saved=page.request.query_params.get("saved") == "1")


@router.get("/hotlines/{hotline_id}")
def detail_page(page: Signed, hotline_id: str):
    return _detail(page, _admin(page), hotline_id, {})


@router.post("/hotlines/{hotline_id}")
async def update(page: Signed, hotline_id: str):
    tenant = _admin(page)
    fields = await form(page)
    problems: list[Violation] = []
    changes: dict[str, Any] = {"name": str(fields.get("name", "")).strip(),
                               "show_in_widget": _flag(fields, "show_in_widget"),
                               "wrap_up_seconds": _int(fields, "wrap_up_seconds", problems),
                               "notify_answer_seconds": _int(fields, "notify_answer_seconds", problems)}
    _routing(fields, changes)
    try:
        if problems:
            raise RuleViolation(problems)
        with page.ctx.uow() as uow:
            hotlines.update_hotline(uow, tenant_id=tenant, hotline_id=hotline_id, changes=changes)
    except RuleViolation as exc:
        return _detail(page, tenant, hotline_id, field_errors(page, exc), status=422, values=fields)
    return redirect(f"/hotlines/{hotline_id}?saved=1")


@router.post("/hotlines/{hotline_id}/delete")
async def delete(page: Signed, hotline_id: str):
    tenant = _admin(page)
    await form(page)
    with page.ctx.uow() as uow:
        hotlines.delete_hotline(uow, tenant_id=tenant, hotline_id=hotline_id)
    return redirect("/hotlines")
