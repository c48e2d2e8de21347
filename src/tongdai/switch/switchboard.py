"""Who is calling and where the call goes: the request handler of the SIP engine.

A request from a trunk's source address is the carrier's; a request from an agent must carry valid
digest credentials; anything else is refused with 403. An agent's INVITE to an extension becomes an
internal call; to a number, an outbound call through the hotline the caller-ID decision picks.
"""

from __future__ import annotations

import logging
import random
from typing import Callable

from sippy.SipHeader import SipHeader

from ..app.ids import new_id
from ..app.services.caller_id import CallerIdUsage
from ..domain.acd import Abandoned, AnswerTimeExceeded, CancelOffer, Offer, Overflow, WrapUpEnded
from ..domain.calls import INBOUND, INTERNAL, OUTBOUND, CallRecord
from ..domain.caller_id import choose_caller_id
from ..domain.numbers import classify
from ..media.rtpengine import MediaWorker
from ..sip import auth
from ..sip.registrar import Registrar
from .b2bua import BridgedCall, LegB, pai_header, utcnow
from .directory import Directory
from .inbound import QueuedCall

log = logging.getLogger("tongdai.switch")

DIALOG_METHODS = {"ACK", "BYE", "CANCEL", "INFO", "UPDATE", "PRACK", "REFER", "NOTIFY"}
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE"
CALLER_HEADER = "x-tongdai-caller"


class Switchboard:
    def __init__(self, *, directory: Callable[[], Directory], registrar: Registrar, media: MediaWorker,
                 usage: CallerIdUsage, publish: Callable[[CallRecord, str], None], global_config: dict,
                 rng: random.Random | None = None, throttle: auth.Throttle | None = None, presence=None,
                 publish_event: Callable[[str, str, dict], None] = lambda *_: None):
        self.directory = directory
        self.registrar = registrar
        self.media = media
        self.usage = usage
        self.publish = publish
        self.global_config = global_config
        self.rng = rng or random.Random()
        self.throttle = throttle or registrar.throttle
        self.calls: dict[str, BridgedCall] = {}
        self.publish_event = publish_event  # (tenant, type, data) onto the event stream
        self.presence = presence  # agent states: an agent's own calls make it on_call
        self.queued: dict[str, QueuedCall] = {}
        self.wrapping: dict[str, CallRecord] = {}  # answered inbound calls whose agent is in wrap-up
        if presence is not None:
            presence.on_call_effect = self._call_effect
        self._tracked: dict[str, object] = {}  # tenant -> the catalogue its usage already tracks

    def on_request(self, req, sip_t) -> tuple:
        method = req.getMethod()
        if req.getHFBody("to").getTag() is not None:
            return (req.genResponse(481, "Call Leg/Transaction Does Not Exist"), None, None)
        if method == "OPTIONS":
            resp = req.genResponse(200, "OK")
            resp.appendHeader(SipHeader(name="allow", bodys=ALLOW))
            return (resp, None, None)
        if method == "REGISTER":
            return (self.registrar.handle(req), None, None)
        if method == "INVITE":
            return self.on_invite(req, sip_t)
        if method in DIALOG_METHODS:
            return (req.genResponse(481, "Call Leg/Transaction Does Not Exist"), None, None)
        return (req.genResponse(501, "Not Implemented"), None, None)

    # -- INVITE -------------------------------------------------------------------------------

    def on_invite(self, req, sip_t) -> tuple:
        host, port = req.getSource()
        d = self.directory()
        trunks = d.trunks_from(host, port)
        if trunks:
            return self._inbound(req, sip_t, d, trunks)
        from_url = req.getHFBody("from").getUrl()
        username = from_url.username or ""
        domain = d.realm_for(from_url.host or "", username)
        tenant_id = d.tenant_by_domain.get(domain) if domain else None
        if tenant_id is None:
            log.info("INVITE from unknown sender %s@%s at %s:%d refused", username, from_url.host, host, port)
            return (req.genResponse(403, "Forbidden"), None, None)
        if self.throttle.blocked(host):
            return (req.genResponse(403, "Forbidden (too many failures)"), None, None)
        creds = auth.credentials(req)
        if creds is None or creds.realm != domain:
            resp = req.genResponse(407, "Proxy Authentication Required")
            resp.appendHeader(auth.challenge(domain, proxy=True))
            return (resp, None, None)
        agent = d.agent_at(domain, username)
        if agent is None or creds.username != username or not auth.verify(
                creds, "INVITE", agent.sip_ha1_md5, agent.sip_ha1_sha256):
            self.throttle.failure(host)
            return (req.genResponse(403, "Forbidden"), None, None)
        self.throttle.success(host)
        target = req.getRURI().username or ""
        callee_id = d.agent_by_extension.get((tenant_id, target))
        record = CallRecord(id=new_id("call"), tenant_id=tenant_id, direction=INTERNAL if callee_id else OUTBOUND,
                            started_at=utcnow(), agent_id=agent.id)
        if callee_id is not None:
            return self._internal(req, sip_t, d, agent, callee_id, record)
        return self._outbound(req, sip_t, d, agent, target, record)

    def _inbound(self, req, sip_t, d: Directory, trunks) -> tuple:
        """A carrier's INVITE: the called number must be a hotline on one of these trunks."""
        called = req.getRURI().username or ""
        info = classify(called)
        hotline = d.hotline_by_number.get(info.e164) if info.e164 else None
        if hotline is None or hotline.trunk_id not in {t.id for t in trunks}:
            log.info("inbound INVITE to %r from trunk %s: no such hotline on it", called, trunks[0].id)
            return (_refusal(req, 404, "Not Found", "no_hotline", f"{called} is not a hotline on this trunk"),
                    None, None)
        caller = classify(req.getHFBody("from").getUrl().username or "")
        record = CallRecord(id=new_id("call"), tenant_id=hotline.tenant_id, direction=INBOUND, started_at=utcnow(),
                            hotline_id=hotline.id, hotline_number=hotline.number,
                            customer_number=caller.e164 or req.getHFBody("from").getUrl().username)
        if hotline.ivr_enabled:  # refused, logged, and kept in the call log: never silently dropped
            log.warning("inbound call to %s refused: its IVR is not available yet", hotline.number)
            return self._refuse(req, record, 480, "Temporarily Unavailable", "ivr_not_available",
                                "the IVR is not available yet")
        if self.presence is None or hotline.queue_id not in self.presence.distributor.queues:
            log.warning("inbound call to %s refused: its queue is not available", hotline.number)
            return self._refuse(req, record, 480, "Temporarily Unavailable", "queue_not_available",
                                "the hotline's queue is not available")
        call = QueuedCall(global_config=self.global_config, record=record, queue_id=hotline.queue_id,
                          caller=caller.e164 or "", media=self.media, media_call_id=str(req.getHFBody("call-id")),
                          caller_tag=req.getHFBody("from").getTag(), events=self, on_update=self._update)
        call.wrap_up, call.notify = float(hotline.wrap_up_seconds), float(hotline.notify_answer_seconds)
        call.record_audio = d.queues[hotline.queue_id].record_calls
        self.queued[record.id] = call
        return call.ua_caller.recvRequest(req, sip_t)

    # -- the queue: QueuedCall reports here, the Distributor's effects come back here ----------

    def queue(self, call: QueuedCall) -> None:
        record = call.record
        record.queue_id, record.queued_at = call.queue_id, utcnow()
        self.publish_event(record.tenant_id, "call.queued", {
            "call_id": record.id, "hotline_id": record.hotline_id, "queue_id": call.queue_id,
            "customer_number": record.customer_number, "overflow": None})
        self.presence.call_arrives(record.id, call.queue_id, call.wrap_up, call.notify)

    def answered(self, call: QueuedCall, agent_id: str) -> bool:
        return self.presence.answers(call.record.id, agent_id)

    def declined(self, call: QueuedCall, agent_id: str) -> None:
        self.presence.declines(call.record.id, agent_id)

    def hung_up(self, call: QueuedCall) -> None:
        self.presence.caller_hangs_up(call.record.id)
        self.queued.pop(call.record.id, None)

    def abandoned_after_overflow(self, call: QueuedCall) -> None:
        """The customer hung up while the external overflow number rang: abandoned all the same."""
        record = call.record
        self.publish_event(record.tenant_id, "call.abandoned", {
            "call_id": record.id, "hotline_id": record.hotline_id, "queue_id": call.queue_id,
            "waited_seconds": record.queue_seconds, "agents_offered": list(record.agents_offered)})

    def ended(self, call: QueuedCall) -> None:
        if call.connected_agent is not None:
            self.wrapping[call.record.id] = call.record  # until the agent's wrap-up ends
        self.presence.call_ends(call.record.id)
        self.queued.pop(call.record.id, None)

    def _call_effect(self, effect) -> None:
        if isinstance(effect, WrapUpEnded):
            record = self.wrapping.pop(effect.call_id, None)
            if record is not None:
                record.wrap_up_seconds = effect.seconds
                self.publish(record, "call.wrap_up_ended")
            return
        call = self.queued.get(getattr(effect, "call_id", ""))
        if call is None:
            return
        record = call.record
        if isinstance(effect, Offer):
            bindings = self.registrar.contacts(effect.agent_id)
            if not bindings:
                self.presence.declines(record.id, effect.agent_id)
                return
            call.offer_to(effect.agent_id, [(b.host, b.port, _contact_user(b.contact, "agent")) for b in bindings])
            self.publish_event(record.tenant_id, "call.offered", {
                "call_id": record.id, "hotline_id": record.hotline_id, "queue_id": call.queue_id,
                "agent_id": effect.agent_id})
        elif isinstance(effect, CancelOffer):
            call.cancel(effect.agent_id)
        elif isinstance(effect, AnswerTimeExceeded):
            self.publish_event(record.tenant_id, "call.answer_time_exceeded", {
                "call_id": record.id, "hotline_id": record.hotline_id, "queue_id": effect.queue_id,
                "waited_seconds": effect.waited})
        elif isinstance(effect, Abandoned):
            self.publish_event(record.tenant_id, "call.abandoned", {
                "call_id": record.id, "hotline_id": record.hotline_id, "queue_id": effect.queue_id,
                "waited_seconds": effect.waited, "agents_offered": list(record.agents_offered)})
        elif isinstance(effect, Overflow):
            self._overflow(call, effect)

    def _overflow(self, call: QueuedCall, effect: Overflow) -> None:
        """Max wait reached: another queue, an external number through the same hotline, or hang-up."""
        kind, target = effect.action
        record = call.record
        d = self.directory()
        if kind == "queue":  # the distributor moved the call, keeping its place in line
            record.overflow = f"queue:{target}"
            log.info("call %s waited %.0f s in %s: overflows to queue %s", record.id, effect.waited,
                     effect.queue_id, target)
            call.queue_id = record.queue_id = target
            self.publish_event(record.tenant_id, "call.queued", {
                "call_id": record.id, "hotline_id": record.hotline_id, "queue_id": target,
                "customer_number": record.customer_number, "overflow": record.overflow})
            return
        hotline = d.hotline_by_number.get(record.hotline_number or "")
        trunk = d.trunks.get(hotline.trunk_id) if hotline is not None else None
        if kind == "external" and target and trunk is not None:
            target = classify(target).e164 or target
            record.overflow = f"external:{target}"
            log.info("call %s waited %.0f s in %s: overflows to %s through %s", record.id, effect.waited,
                     effect.queue_id, target, hotline.number)
            call.forward(LegB(host=trunk.host, port=trunk.port, called=target, calling=hotline.number,
                              username=trunk.username, password=trunk.password,
                              extra_headers=(pai_header(hotline.number, self.global_config["_sip_address"]),)))
            return
        record.overflow = "hangup"
        reason = target if kind == "hangup" and target else "no agent available"
        log.info("call %s waited %.0f s in %s: hung up (%s)", record.id, effect.waited, effect.queue_id, reason)
        call.hang_up_caller(480, str(reason))
        self.queued.pop(record.id, None)

    def _internal(self, req, sip_t, d: Directory, agent, callee_id: str, record: CallRecord) -> tuple:
        record.callee_agent_id = callee_id
        bindings = self.registrar.contacts(callee_id)
        if not bindings:
            return self._refuse(req, record, 480, "Temporarily Unavailable", "callee_offline",
                                "the called agent has no live registration")
        b = bindings[0]  # the newest phone (an internal call rings one; queue offers ring them all)
        leg = LegB(host=b.host, port=b.port, called=_contact_user(b.contact, d.agents[callee_id].sip_username), calling=agent.extension, calling_name=agent.name)
        return self._bridge(req, sip_t, record, leg)

    def _outbound(self, req, sip_t, d: Directory, agent, target: str, record: CallRecord) -> tuple:
        requested = None
        if req.countHFs(CALLER_HEADER) > 0:
            requested = str(req.getHFBody(CALLER_HEADER)).strip() or None
        catalogue = d.catalogues[agent.tenant_id]
        tenant_usage = self.usage.for_tenant(agent.tenant_id)
        with self.usage.lock:
            if self._tracked.get(agent.tenant_id) is not catalogue:  # a new configuration snapshot
                tenant_usage.track_all(catalogue.outbound_hotlines())
                self._tracked[agent.tenant_id] = catalogue
            decision = choose_caller_id(catalogue=catalogue, usage=tenant_usage, agent=d.calling(agent),
                                        destination=target, requested=requested, chooser=self.rng,
                                        ported=d.ported.get(agent.tenant_id))
            if not decision.refused:
                tenant_usage.touch(decision.hotline)
        record.customer_number = decision.destination.e164 or target
        record.caller_id_reasons = decision.reasons
        if decision.refused:
            return self._refuse(req, record, 403, "Forbidden", decision.code, decision.reasons[-1])
        hotline = decision.hotline
        trunk = d.trunks.get(hotline.trunk_id)
        record.hotline_id, record.hotline_number = hotline.id, hotline.number
        if trunk is None:
            return self._refuse(req, record, 503, "Service Unavailable", "no_trunk", "the hotline has no trunk")
        leg = LegB(host=trunk.host, port=trunk.port, called=decision.destination.e164, calling=hotline.number,
                   username=trunk.username, password=trunk.password,
                   extra_headers=(pai_header(hotline.number, self.global_config["_sip_address"]),))
        return self._bridge(req, sip_t, record, leg, record_audio=decision.record)

    def _bridge(self, req, sip_t, record: CallRecord, leg: LegB, record_audio: bool = False) -> tuple:
        call = BridgedCall(global_config=self.global_config, record=record, leg_b=leg, media=self.media,
                           media_call_id=str(req.getHFBody("call-id")), a_tag=req.getHFBody("from").getTag(),
                           on_update=self._update, record_audio=record_audio)
        self.calls[record.id] = call
        if self.presence is not None:  # the caller, and an internal call's callee from its first ring
            for agent_id in filter(None, (record.agent_id, record.callee_agent_id)):
                self.presence.busy(agent_id, True)
        return call.ua_a.recvRequest(req, sip_t)

    def _refuse(self, req, record: CallRecord, status: int, reason: str, code: str, why: str) -> tuple:
        record.end(utcnow(), status=status, reason="refused", by="system")
        record.end_reason = "refused"
        self.publish(record, "call.started")
        self.publish(record, "call.ended")
        log.info("call %s refused: %s (%s)", record.id, code, why)
        return (_refusal(req, status, reason, code, why), None, None)

    def _update(self, record: CallRecord, event: str) -> None:
        self.publish(record, event)  # the call log takes its snapshot of the record right away
        if event == "call.ended":
            if self.calls.pop(record.id, None) is not None and self.presence is not None:
                for agent_id in filter(None, (record.agent_id, record.callee_agent_id)):
                    self.presence.busy(agent_id, False)


def _refusal(req, status: int, reason: str, code: str, why: str):
    """A final response that carries the machine code in Reason and a readable Warning."""
    resp = req.genResponse(status, reason)
    resp.appendHeader(SipHeader(name="reason", bodys=f'SIP;cause={status};text="{code}"'))
    text = why.replace('"', "'")
    resp.appendHeader(SipHeader(name="warning", bodys=f'399 tongdai "{code}: {text}"'))
    return resp


def _contact_user(contact: str, default: str) -> str:
    """The user part of a registered Contact URI (what the phone expects in the Request-URI)."""
    return contact.split(":", 1)[1].split("@", 1)[0] if "@" in contact else default
