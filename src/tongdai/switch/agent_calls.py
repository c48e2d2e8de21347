"""Calls agents place: internal calls to another agent's phone, and outbound calls through the hotline
the caller-ID decision picks. Owns the bridged calls in progress; an agent's own call makes it
on_call (and an internal call's callee too, from its first ring). Runs in the SIP thread."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from ..app import notifier
from ..app.ids import new_id
from ..app.notifier import Notification
from ..app.services.caller_id import CallerIdUsage
from ..domain.caller_id import DESTINATION_NOT_ALLOWED, Catalogue, choose_caller_id
from ..domain.calls import CallRecord
from ..domain.directory import Directory
from ..domain.errors import RuleViolation, Violation
from ..domain.limits import CallLimits
from ..domain.model import Agent
from ..media.rtpengine import MediaWorker
from ..sip.headers import asserted_identity, contact_user, refusal, session_timer_headers
from ..sip.registrar import Binding
from .bridged import BridgedCall
from .click_to_call import ClickToCall
from .legs import Destination, Refused, refuse_call, utcnow
from .presence import Presence
from .trunks import TrunkMonitor

log = logging.getLogger("tongdai.switch")

class AgentCalls:
    def __init__(self, *, global_config: dict, media: MediaWorker, usage: CallerIdUsage, presence: Presence,
                 contacts: Callable[[str], list[Binding]], publish: Callable[[CallRecord, str], None],
                 notify: Callable[[Notification], None], limits: CallLimits, rng: random.Random,
                 trunks: TrunkMonitor, clock: Callable[[], float] = time.monotonic,
                 notice: Callable[[CallRecord], str | None] | None = None):
        self.global_config = global_config
        self.notice = notice  # the recording announcement of a call's hotline, if it has one
        self.media = media
        self.usage = usage
        self.presence = presence
        self.contacts = contacts
        self.publish = publish
        self.notify = notify
        self.limits = limits  # caps on outbound calls per agent, tenant and trunk
        self.rng = rng
        self.trunks = trunks  # their health: a call through a trunk that is down is refused at once
        self.clock = clock
        self.calls: dict[str, BridgedCall | ClickToCall] = {}
        self._counted: dict[str, tuple[tuple[str, str], ...]] = {}  # call -> the cap keys it counts in
        self._tracked: dict[str, Catalogue] = {}  # tenant -> the catalogue its usage already tracks

    def internal(self, req: Any, sip_t: Any, d: Directory, agent: Agent, callee_id: str,
                 record: CallRecord) -> tuple:
        bindings = self.contacts(callee_id)
        if not bindings:
            return refuse_call(self.publish, req, record, 480, "Temporarily Unavailable", "callee_offline",
                               "the called agent has no live registration")
        b = bindings[0]  # the newest phone (an internal call rings one; queue offers ring them all)
        (host, port), transport = b.next_hop
        leg = Destination(host=host, port=port, called=contact_user(b.contact, d.agents[callee_id].sip_username),
                          calling=agent.extension, calling_name=agent.name, transport=transport)
        return self._bridge(req, sip_t, record, leg)

    def outbound(self, req: Any, sip_t: Any, d: Directory, agent: Agent, target: str, requested: str | None,
                 record: CallRecord) -> tuple:
        """Through the hotline the caller-ID decision picks (`requested`: the caller's X-Tongdai-Caller)."""
        placed = self._through_hotline(d, agent, target, requested, record)
        if isinstance(placed, Refused):
            if placed.code == "carrier_unreachable":  # the row ends as what happened, not as a refusal
                return (refusal(req, 503, "Service Unavailable", placed.code, placed.why), None, None)
            return refuse_call(self.publish, req, record, placed.status, placed.reason, placed.code, placed.why)
        leg, record_audio, trunk_id = placed
        return self._bridge(req, sip_t, record, leg, record_audio=record_audio,
                            on_silence=lambda: self.trunks.unanswered_invite(trunk_id))

    def _through_hotline(self, d: Directory, agent: Agent, target: str, requested: str | None,
                         record: CallRecord) -> tuple[Destination, str | None, str] | Refused:
        """The caller-ID decision and the caps for an agent's call to `target`: the carrier leg to place
        (with whether to record it, and its trunk), or why not. A SIP call and an API's click-to-call
        share it, so both are refused with the same codes."""
        catalogue = d.catalogues[agent.tenant_id]
        tenant_usage = self.usage.for_tenant(agent.tenant_id)
        with self.usage.lock:
            if self._tracked.get(agent.tenant_id) is not catalogue:  # a new configuration snapshot
                tenant_usage.track_all(catalogue.outbound_hotlines())
                self._tracked[agent.tenant_id] = catalogue
            decision = choose_caller_id(catalogue=catalogue, usage=tenant_usage, agent=d.calling(agent),
                                        destination=target, requested=requested, chooser=self.rng,
                                        ported=d.ported.get(agent.tenant_id),
                                        policy=d.tenants[agent.tenant_id].destinations)
            if decision.hotline is not None:
                tenant_usage.touch(decision.hotline)
        record.decided(customer_number=decision.destination.e164 or target, reasons=decision.reasons)
        hotline = decision.hotline
        if hotline is None:
            if decision.code == DESTINATION_NOT_ALLOWED:
                self.notify(notifier.call_refused(record, decision.code, decision.reasons[-1]))
            return Refused(403, "Forbidden", decision.code or "refused", decision.reasons[-1])
        trunk = d.trunks.get(hotline.trunk_id) if hotline.trunk_id else None
        record.through(hotline.id, hotline.number)
        if trunk is None:
            return Refused(503, "Service Unavailable", "no_trunk", "the hotline has no trunk")
        if not self.trunks.reachable(trunk.id):
            record.end(utcnow(), status=503, reason="carrier_unreachable", by="system")
            self.publish(record, "call.started")
            self.publish(record, "call.ended")
            log.warning("outbound call %s refused: trunk %s does not answer", record.id, trunk.id)
            return Refused(503, "Service Unavailable", "carrier_unreachable", "the carrier does not answer")
        keys = (("agent", agent.id), ("tenant", agent.tenant_id), ("trunk", trunk.id))
        capped = self.limits.admit(keys, self.clock())
        if capped is not None:
            code, why = capped
            log.warning("outbound call %s of agent %s refused: %s", record.id, agent.id, why)
            self.notify(notifier.call_refused(record, code, why))
            return Refused(403, "Forbidden", code, why)
        self._counted[record.id] = keys
        leg = Destination(host=trunk.host, port=trunk.port, called=decision.destination.e164 or target,
                          calling=hotline.number, username=trunk.username, password=trunk.password,
                          extra_headers=(asserted_identity(hotline.number, self.global_config["_sip_address"]),
                                         *session_timer_headers(self.global_config.get("_session_expires"))),
                          session_expires=self.global_config.get("_session_expires"))
        recorded_by = "hotline" if hotline.record_calls else ("adaptive_number" if decision.record else None)
        return leg, recorded_by, trunk.id

    def click_to_call(self, d: Directory, agent_id: str, destination: str, requested: str | None) -> str:
        """An integrator's call (POST /api/v1/calls): the agent's newest phone rings first, then the
        customer is called through the hotline the caller-ID decision picks. Returns the call's id; raises
        RuleViolation with the code a SIP call would be refused with."""
        agent = d.agents.get(agent_id)
        if agent is None:
            raise RuleViolation(Violation("agent_id", "not_found", "no such agent"))
        bindings = self.contacts(agent_id)
        if not bindings:
            raise RuleViolation(Violation("agent_id", "callee_offline", "the agent has no live registration"))
        record = CallRecord(id=new_id("call"), tenant_id=agent.tenant_id, direction="outbound", started_at=utcnow(),
                            agent_id=agent.id)
        placed = self._through_hotline(d, agent, destination, requested, record)
        if isinstance(placed, Refused):
            if placed.code != "carrier_unreachable":
                record.refuse(utcnow(), placed.status)
                self.publish(record, "call.started")
                self.publish(record, "call.ended")
            field = "caller" if requested and placed.code not in (DESTINATION_NOT_ALLOWED,) else "destination"
            raise RuleViolation(Violation(field, placed.code, placed.why))
        leg, record_audio, trunk_id = placed
        call = ClickToCall(global_config=self.global_config, record=record, agent_phone=bindings[0], customer=leg,
                           media=self.media, on_update=self._update, record_audio=record_audio,
                           on_silence=lambda: self.trunks.unanswered_invite(trunk_id), notice=self.notice)
        self.calls[record.id] = call
        self.presence.busy(agent.id, True)
        call.start()
        return record.id

    def _bridge(self, req: Any, sip_t: Any, record: CallRecord, leg: Destination, record_audio: str | None = None,
                on_silence: Callable[[], None] | None = None) -> tuple:
        call = BridgedCall(global_config=self.global_config, record=record, destination=leg, media=self.media,
                           media_call_id=str(req.getHFBody("call-id")), a_tag=req.getHFBody("from").getTag(),
                           on_update=self._update, record_audio=record_audio, on_silence=on_silence,
                           notice=self.notice)
        self.calls[record.id] = call
        for agent_id in filter(None, (record.agent_id, record.callee_agent_id)):
            self.presence.busy(agent_id, True)
        return call.ua_a.recvRequest(req, sip_t)

    def _update(self, record: CallRecord, event: str) -> None:
        self.publish(record, event)  # the call log takes its snapshot of the record right away
        if event == "call.ended":
            self.limits.ended(self._counted.pop(record.id, ()))
        if event == "call.ended" and self.calls.pop(record.id, None) is not None:
            for agent_id in filter(None, (record.agent_id, record.callee_agent_id)):
                self.presence.busy(agent_id, False)
