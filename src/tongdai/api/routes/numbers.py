"""Numbers and caller ID: classify a number, ported-number tables, the dry-run caller-ID decision, and
the numbers an agent's call widget offers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from ...app.security import Principal
from ...app.services import caller_id, numbers
from ...domain.errors import RuleViolation, Violation
from ..deps import Context, ctx, own_agent_or_admin, principal, tenant_member
from ..errors import problem
from ..schemas import numbers as s

router = APIRouter(tags=["numbers and caller ID"])
Ctx = Annotated[Context, Depends(ctx)]
MAX_CSV_BYTES = 64 * 1024 * 1024


@router.get("/numbers/{number}", response_model=s.NumberOut)
def classify_number(number: str, p: Annotated[Principal, Depends(principal)], c: Ctx):
    """Normalise and classify one number (with the ported-number tables of the key's scope)."""
    with c.uow() as uow:
        info = numbers.classify_number(uow, raw=number, tenant_id=p.tenant_id)
    return {"input": info.input, "e164": info.e164, "type": info.type, "carrier": info.carrier,
            "ported": info.ported, "reason": info.reason}


def _scope(p: Principal) -> str:
    return numbers.OPERATOR_SCOPE if p.role == "operator" else p.tenant


@router.put("/ported-numbers", response_model=s.PortedOut,
            openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}})
async def upload_ported(request: Request, p: Annotated[Principal, Depends(principal)], c: Ctx):
    """Replace the ported-number table (CSV `number,carrier`) of the operator, or of the admin's tenant.

    The whole file is checked first: one bad row rejects it and names the line; the old table stays.
    """
    if p.role not in ("operator", "admin"):
        raise RuleViolation(Violation("authorization", "forbidden", "an operator or admin key is needed"))
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise RuleViolation(Violation("file", "too_large", "at most 64 MiB"))
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleViolation(Violation("file", "invalid_encoding", "the CSV must be UTF-8")) from None
    with c.uow() as uow:
        count = numbers.replace_ported(uow, scope=_scope(p), text=text)
    return {"scope": _scope(p), "count": count}


@router.get("/ported-numbers", response_model=s.PortedOut)
def ported_count(p: Annotated[Principal, Depends(principal)], c: Ctx):
    if p.role not in ("operator", "admin"):
        raise RuleViolation(Violation("authorization", "forbidden", "an operator or admin key is needed"))
    with c.uow() as uow:
        return {"scope": _scope(p), "count": uow.ported.count(_scope(p))}


@router.post("/caller-id/resolve", response_model=s.ResolveOut,
             responses={422: {"description": "refused: `errors[0].code` is the decision's refusal code"}})
def resolve(body: s.ResolveIn, p: Annotated[Principal, Depends(tenant_member)], c: Ctx):
    """Which hotline would this agent use to call this number, and why. A dry run: nothing is placed."""
    own_agent_or_admin(p, body.agent_id)
    with c.uow() as uow:
        decision = caller_id.resolve(uow, tenant_id=p.tenant, agent_id=body.agent_id,
                                     destination=body.destination, via=body.via or None, usage=c.usage, rng=c.rng)
    view = caller_id.decision_view(decision)
    if decision.refused:
        field = "destination" if decision.code == "invalid_destination" else "via"
        return problem(422, "Caller ID refused", [{"field": field, "code": decision.code,
                                                  "message": decision.reasons[-1]}],
                       detail=decision.reasons[-1], reasons=view["reasons"], destination=view["destination"])
    return view


@router.get("/agents/{agent_id}/widget-numbers", response_model=s.WidgetNumbers)
def widget_numbers(agent_id: str, p: Annotated[Principal, Depends(tenant_member)], c: Ctx):
    """Hotlines and adaptive numbers the agent's call widget offers: shown in the widget, outbound
    allowed, and one of the agent's groups permitted. An agent key reads only its own."""
    own_agent_or_admin(p, agent_id)
    with c.uow() as uow:
        items = caller_id.widget_numbers(uow, tenant_id=p.tenant, agent_id=agent_id)
    return {"items": [item.__dict__ for item in items]}
