"""The request handler of the SIP engine: who is calling and where the call goes.

Requests are dispatched by method; an INVITE is routed by `domain.routing.route_invite` on the
switch's one configuration snapshot: a carrier's call goes to its hotline's queue, an agent's call
(after digest authentication) to another agent or out through a hotline; anything else is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sippy.SipHeader import SipHeader

from ..app.ids import new_id
from ..domain.calls import INBOUND, INTERNAL, OUTBOUND, CallRecord
from ..domain.directory import Directory
from ..domain.model import Agent
from ..domain.routing import FromAgent, Inbound, Internal, IvrInbound, Refusal, route_invite
from ..sip import auth, wire
from ..sip.headers import refusal, unusable
from ..sip.registrar import Registrar
from .agent_calls import AgentCalls
from .legs import refuse_call, utcnow
from .queueing import Queueing

log = logging.getLogger("tongdai.switch")

DIALOG_METHODS = {"ACK", "BYE", "CANCEL", "INFO", "UPDATE", "PRACK", "REFER", "NOTIFY"}
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE"
CALLER_HEADER = "x-tongdai-caller"


class Switchboard:
    def __init__(self, *, directory: Callable[[], Directory], registrar: Registrar, queueing: Queueing,
                 agent_calls: AgentCalls, publish: Callable[[CallRecord, str], None]):
        self.directory = directory  # the switch's current snapshot
        self.registrar = registrar
        self.queueing = queueing
        self.agent_calls = agent_calls
        self.publish = publish
        self.draining = False  # tongdai is stopping: no new calls

    def on_request(self, req: Any, sip_t: Any) -> tuple | None:
        method = req.getMethod()
        problem = unusable(req)
        if problem is not None:  # answered where possible; an unusable Via drops the answer unsent
            code, why = problem
            wire.stats.count("malformed", req.getSource()[0], f"{method}: {why}")
            return (refusal(req, 400, "Bad Request", code, why), None, None)
        if req.getHFBody("to").getTag() is not None:
            return (req.genResponse(481, "Call Leg/Transaction Does Not Exist"), None, None)
        if method == "OPTIONS":
            resp = req.genResponse(200, "OK")
            resp.appendHeader(SipHeader(name="allow", bodys=ALLOW))
            return (resp, None, None)
        if method == "REGISTER":
            resp = self.registrar.handle(req, self.directory())
            return None if resp is None else (resp, None, None)  # None: a throttled source, dropped
        if method == "INVITE":
            if self.draining:
                resp = refusal(req, 503, "Service Unavailable", "shutting_down", "tongdai is restarting")
                resp.appendHeader(SipHeader(name="retry-after", bodys="30"))
                return (resp, None, None)
            return self.on_invite(req, sip_t)
        if method in DIALOG_METHODS:
            return (req.genResponse(481, "Call Leg/Transaction Does Not Exist"), None, None)
        return (req.genResponse(501, "Not Implemented"), None, None)

    def on_invite(self, req: Any, sip_t: Any) -> tuple | None:
        d = self.directory()
        source = req.getSource()
        from_url = req.getHFBody("from").getUrl()
        route = route_invite(d, source, from_url.username or "", from_url.host or "", req.getRURI().username or "")
        if isinstance(route, Inbound):
            record = self._inbound_record(route.hotline, route.customer_number)
            call = self.queueing.take(route, record, req=req)
            return call.ua_caller.recvRequest(req, sip_t)
        if isinstance(route, IvrInbound):
            record = self._inbound_record(route.hotline, route.customer_number)
            call = self.queueing.take_ivr(route, record, req=req)
            return call.ua_caller.recvRequest(req, sip_t)
        if isinstance(route, Refusal):
            return self._refused(req, route)
        return self._from_agent(req, sip_t, d, route)

    def _refused(self, req: Any, route: Refusal) -> tuple:
        if route.hotline is None:
            log.info("INVITE from %s:%d refused: %s (%s)", *req.getSource(), route.code, route.why)
            return (refusal(req, route.status, route.reason, route.code, route.why), None, None)
        log.warning("inbound call to %s refused: %s", route.hotline.number, route.logged_as)
        record = self._inbound_record(route.hotline, route.customer_number or "")
        return refuse_call(self.publish, req, record, route.status, route.reason, route.code, route.why)

    def _from_agent(self, req: Any, sip_t: Any, d: Directory, route: FromAgent) -> tuple | None:
        agent = auth.authenticate(req, d, domain=route.domain, username=route.username,
                                  throttle=self.registrar.throttle, replays=self.registrar.replays, proxy=True,
                                  browser=self.registrar.browser)
        if agent is None:  # throttled: dropped unanswered
            return None
        if not isinstance(agent, Agent):
            return (agent, None, None)
        if isinstance(route, Internal):
            record = CallRecord(id=new_id("call"), tenant_id=route.tenant_id, direction=INTERNAL,
                                started_at=utcnow(), agent_id=agent.id, callee_agent_id=route.callee_id)
            return self.agent_calls.internal(req, sip_t, d, agent, route.callee_id, record)
        requested = None
        if req.countHFs(CALLER_HEADER) > 0:
            requested = str(req.getHFBody(CALLER_HEADER)).strip() or None
        record = CallRecord(id=new_id("call"), tenant_id=route.tenant_id, direction=OUTBOUND, started_at=utcnow(),
                            agent_id=agent.id)
        return self.agent_calls.outbound(req, sip_t, d, agent, route.target, requested, record)

    @staticmethod
    def _inbound_record(hotline: Any, customer_number: str) -> CallRecord:
        return CallRecord(id=new_id("call"), tenant_id=hotline.tenant_id, direction=INBOUND, started_at=utcnow(),
                          hotline_id=hotline.id, hotline_number=hotline.number, customer_number=customer_number)

