"""Where an INVITE goes, decided from the configuration snapshot alone (no SIP objects, no I/O).

A request from a trunk's source address is the carrier's: the called number must be a hotline on one
of those trunks, and the hotline says where the call goes. Anything else claims to come from an agent
(its From names user and domain): it is an internal call when the Request-URI is an extension of the
agent's tenant, an outbound call otherwise. The switch authenticates the agent before it goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .directory import Directory
from .model import Hotline
from .numbers import classify


@dataclass(frozen=True)
class Inbound:
    """A carrier's call to a hotline that routes to a queue the switch runs."""

    hotline: Hotline
    customer_number: str  # E.164 when the caller's number parses, else as sent
    queue_id: str
    caller: str = ""  # the caller's E.164 number, "" when it did not parse (then agents see "anonymous")


@dataclass(frozen=True)
class IvrInbound:
    """A carrier's call to a hotline with its IVR on: answered, and the tree walked."""

    hotline: Hotline
    customer_number: str
    tree_id: str
    caller: str = ""


@dataclass(frozen=True)
class FromAgent:
    """A call that claims to come from an agent: `username` in the tenant of SIP domain `domain`."""

    domain: str
    tenant_id: str
    username: str
    target: str  # the Request-URI's user part


@dataclass(frozen=True)
class Internal(FromAgent):
    """An agent's call to another agent of its tenant (the Request-URI is that agent's extension)."""

    callee_id: str = ""


@dataclass(frozen=True)
class Outbound(FromAgent):
    """An agent's call to a number, out through the hotline the caller-ID decision picks."""


@dataclass(frozen=True)
class Refusal:
    """The call is refused with `status`; `code` is the machine code carried in the Reason header.
    When `hotline` is set, the refused call is a customer's and is kept in the call log."""

    status: int
    reason: str
    code: str
    why: str
    hotline: Hotline | None = None
    customer_number: str | None = None
    logged_as: str = ""  # what the server log says of a customer's refused call


Route = Inbound | IvrInbound | Internal | Outbound | Refusal


def route_invite(directory: Directory, source: tuple[str, int], from_user: str, from_host: str,
                 ruri_user: str) -> Route:
    """The route of an INVITE from `source` (host, port), From `from_user@from_host`, to `ruri_user`."""
    trunks = directory.trunks_from(*source, from_host=from_host)
    if trunks:
        return _from_carrier(directory, {t.id for t in trunks}, from_user, ruri_user)
    domain = directory.realm_for(from_host)
    tenant_id = directory.tenant_by_domain.get(domain) if domain else None
    if domain is None or tenant_id is None:
        return Refusal(403, "Forbidden", "unknown_sender", f"{from_user}@{from_host} is not an agent here")
    callee_id = directory.agent_by_extension.get((tenant_id, ruri_user))
    if callee_id is not None:
        return Internal(domain, tenant_id, from_user, ruri_user, callee_id)
    return Outbound(domain, tenant_id, from_user, ruri_user)


def _from_carrier(d: Directory, trunk_ids: set[str], from_user: str, called: str) -> Route:
    info = classify(called)
    hotline = d.hotline_by_number.get(info.e164) if info.e164 else None
    if hotline is None or hotline.trunk_id not in trunk_ids:
        return Refusal(404, "Not Found", "no_hotline", f"{called} is not a hotline on this trunk")
    caller = classify(from_user).e164 or ""
    customer = caller or from_user
    if hotline.ivr_enabled:
        if hotline.ivr_tree_id in d.ivr_trees:
            return IvrInbound(hotline, customer, hotline.ivr_tree_id, caller)
        return Refusal(480, "Temporarily Unavailable", "ivr_not_available", "the hotline's IVR tree is not available",
                       hotline, customer, "its IVR tree is not available")
    if hotline.queue_id is None or hotline.queue_id not in d.queues:
        return Refusal(480, "Temporarily Unavailable", "queue_not_available", "the hotline's queue is not available",
                       hotline, customer, "its queue is not available")
    return Inbound(hotline, customer, hotline.queue_id, caller)
