"""The caller-ID decision as a service: dry-run resolve, and the numbers an agent's widget offers."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from ...domain.caller_id import CallerIdDecision, CallingAgent, Catalogue, HotlineUsage, choose_caller_id
from ...domain.model import Agent
from ...store.uow import UnitOfWork
from .common import get_or_404
from .numbers import ported_table


class CallerIdUsage:
    """Owner of every tenant's hotline usage (least recently used order). One per process."""

    def __init__(self) -> None:
        self._by_tenant: dict[str, HotlineUsage] = {}
        self.lock = threading.Lock()

    def for_tenant(self, tenant_id: str) -> HotlineUsage:
        with self.lock:
            return self._by_tenant.setdefault(tenant_id, HotlineUsage())


def _catalogue(uow: UnitOfWork, tenant_id: str) -> Catalogue:
    return Catalogue(uow.hotlines.all(tenant_id), uow.adaptive_numbers.all(tenant_id))


def _calling(agent: Agent) -> CallingAgent:
    return CallingAgent(agent.id, frozenset(agent.groups), agent.default_caller_id)


def resolve(uow: UnitOfWork, *, tenant_id: str, agent_id: str, destination: str, via: str | None,
            usage: CallerIdUsage, rng: random.Random) -> CallerIdDecision:
    """Which hotline this agent would call this number on, and why. Places nothing."""
    agent = get_or_404(uow.agents, "agent", agent_id, tenant_id)
    catalogue = _catalogue(uow, tenant_id)
    tenant_usage = usage.for_tenant(tenant_id)
    with usage.lock:
        tenant_usage.track_all(catalogue.outbound_hotlines())
        return choose_caller_id(catalogue=catalogue, usage=tenant_usage, agent=_calling(agent),
                                destination=destination, requested=via, chooser=rng,
                                ported=ported_table(uow, tenant_id),
                                policy=get_or_404(uow.tenants, "tenant", tenant_id).destinations)


@dataclass(frozen=True)
class WidgetNumber:
    kind: str  # hotline | adaptive_number
    id: str
    name: str
    number: str | None


def widget_numbers(uow: UnitOfWork, *, tenant_id: str, agent_id: str) -> list[WidgetNumber]:
    """Hotlines and adaptive numbers shown in this agent's call widget (product.md, call widget)."""
    agent = get_or_404(uow.agents, "agent", agent_id, tenant_id)
    groups = frozenset(agent.groups)
    catalogue = _catalogue(uow, tenant_id)
    usable = {hid for hid, e in catalogue.entries.items() if e.can_call_out and e.permits(groups)}
    offered: list[WidgetNumber] = [
        WidgetNumber("hotline", hid, e.hotline.name, e.hotline.number)
        for hid, e in catalogue.entries.items() if hid in usable and e.hotline.show_in_widget]
    for a in catalogue.adaptive.values():
        pool = set(a.members) if a.members else set(catalogue.entries)
        if a.show_in_widget and a.outbound_enabled and pool & usable:
            offered.append(WidgetNumber("adaptive_number", a.id, a.name, None))
    return offered


def decision_view(decision: CallerIdDecision) -> dict[str, Any]:
    d = decision.destination
    h = decision.hotline
    return {
        "hotline_id": h.id if h else None, "number": h.number if h else None, "carrier": h.carrier if h else None,
        "adaptive_number_id": decision.adaptive_number_id, "record": decision.record,
        "destination": {"input": d.input, "e164": d.e164, "type": d.type, "carrier": d.carrier,
                        "ported": d.ported},
        "reasons": list(decision.reasons),
    }
