"""A call an integrator asks for (`POST /api/v1/calls`), as StringeeX's call-out API does: the agent's
phone (or widget) rings first, showing the number it will call; when the agent answers, tongdai calls the
customer through the hotline the caller-ID decision picked, and bridges the two.

Media (third-party call control through rtpengine): the agent is offered rtpengine's SDP for a customer
side that faces a discard address; the agent's answer fixes its side. Once the agent is up, its SDP is
offered again from its own side (as a re-INVITE from the callee would be) to get rtpengine's offer for
the carrier, and the carrier's answer points the customer side at the carrier. Runs in the SIP thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventRing, CCEventTry
from sippy.MsgBody import MsgBody
from sippy.UA import UA

from ..domain.calls import CallRecord, LegState, end_reason_for
from ..media.rtpengine import MediaWorker
from ..media.sdp import DISCARD_SDP
from ..sip.compat import NO_RESPONSE
from ..sip.headers import contact_user, our_contact
from ..sip.registrar import Binding
from .legs import CallObject, Destination, sdp_text, utcnow

log = logging.getLogger("tongdai.switch")



class ClickToCall(CallObject):
    def __init__(self, *, global_config: dict, record: CallRecord, agent_phone: Binding, customer: Destination,
                 media: MediaWorker, on_update: Callable[[CallRecord, str], None], record_audio: str | None = None,
                 on_silence: Callable[[], None] | None = None,
                 notice: Callable[[CallRecord], str | None] | None = None):
        self.global_config = global_config
        self.record = record
        self.phone = agent_phone
        self.customer = customer
        self.media = media
        self.media_call_id = "c2c-" + record.id
        self.on_update = on_update
        self.record_audio = record_audio
        self.on_silence = on_silence
        self.notice = notice
        self.state = LegState.TRYING
        self.agent_tag, self.customer_tag = "a" + record.id, "c" + record.id
        self.ua_agent: UA | None = None
        self.ua_customer: UA | None = None
        self.agent_sdp: str | None = None  # the agent's own answer, before rtpengine's

    def start(self) -> None:
        self.on_update(self.record, "call.started")
        self.media.offer(self.media_call_id, self.customer_tag, DISCARD_SDP, self._ring_agent, self._media_failed,
                         toward_browser=self.phone.transport == "ws")

    # -- the agent's leg ----------------------------------------------------------------------------

    def _ring_agent(self, sdp: str) -> None:
        if self.state is not LegState.TRYING:
            return
        address, transport = self.phone.next_hop
        self.ua_agent = UA(self.global_config, self.from_agent, nh_address=address, nh_transport=transport)
        self.ua_agent.lContact = our_contact(self.global_config, self.customer.called)
        self.ua_agent.on_remote_sdp_change = self._agent_answers
        self.state = LegState.RINGING
        called = contact_user(self.phone.contact, "agent")
        self.ua_agent.recvEvent(CCEventTry((None, self.customer.called, called, MsgBody(sdp), None,
                                            self.customer.calling)))

    def _agent_answers(self, body: Any, done: Callable[[Any], None]) -> None:
        self.agent_sdp = sdp_text(body)

        def rewritten(new_sdp: str) -> None:
            body.content, body.parsed, body.needs_update = new_sdp, False, False
            done(body)
        self.media.answer(self.media_call_id, self.customer_tag, self.agent_tag, self.agent_sdp, rewritten,
                          lambda _exc: done(body))

    def from_agent(self, event: Any, ua: Any) -> None:
        if self.state is LegState.ENDED:
            return
        if isinstance(event, CCEventConnect) and self.state is LegState.RINGING:
            self.state = LegState.FORWARDING  # the agent is up; the customer is called now
            assert self.agent_sdp is not None
            self.media.offer(self.media_call_id, self.agent_tag, self.agent_sdp, self._call_customer,
                             self._media_failed, to_tag=self.customer_tag)
        elif isinstance(event, CCEventFail) and self.state is LegState.RINGING:
            status = event.getData()[0] if event.getData() else 480
            self.finish(end_reason_for(status), "agent", status=status)
        elif isinstance(event, CCEventDisconnect):
            if self.ua_customer is not None:
                self.ua_customer.recvEvent(CCEventDisconnect())
            answered = self.state is LegState.CONNECTED
            self.finish("completed" if answered else "cancelled", "agent", status=None if answered else 487)

    # -- the customer's leg -------------------------------------------------------------------------

    def _call_customer(self, sdp: str) -> None:
        if self.state is not LegState.FORWARDING:
            return
        d = self.customer
        self.ua_customer = UA(self.global_config, self.from_customer, username=d.username, password=d.password,
                              nh_address=(d.host, d.port), nh_transport=d.transport)
        self.ua_customer.lContact = our_contact(self.global_config, d.calling)
        self.ua_customer.on_remote_sdp_change = self._customer_answers
        self.ua_customer.godead_timeout = 5
        invite = CCEventTry((None, d.calling, d.called, MsgBody(sdp), None, d.calling_name))
        invite.extra_headers = tuple(d.extra_headers) or None
        self.ua_customer.recvEvent(invite)

    def _customer_answers(self, body: Any, done: Callable[[Any], None]) -> None:
        sdp = str(body.content) if body.parsed else body.content

        def rewritten(new_sdp: str) -> None:
            body.content, body.parsed, body.needs_update = new_sdp, False, False
            done(body)
        self.media.answer(self.media_call_id, self.agent_tag, self.customer_tag, sdp, rewritten,
                          lambda _exc: done(body))

    def from_customer(self, event: Any, ua: Any) -> None:
        if self.state is LegState.ENDED:
            return
        if isinstance(event, CCEventRing):
            code = event.getData()[0] if event.getData() else 180
            if code in (180, 183) and self.record.ring(utcnow()):
                self.on_update(self.record, "call.ringing")
            return
        if isinstance(event, CCEventConnect) and self.state is LegState.FORWARDING:
            self.state = LegState.CONNECTED
            self.record.answer(utcnow())
            self.on_update(self.record, "call.answered")
            self.keep_alive(self.ua_customer, self.customer.session_expires)
            if self.record_audio:
                self.start_recording(self.customer_tag, self.record_audio)
        elif isinstance(event, CCEventFail):
            status, phrase = (event.getData()[0], event.getData()[1]) if event.getData() else (500, "")
            if self.ua_agent is not None:
                self.ua_agent.recvEvent(CCEventDisconnect())
            if status == 408 and phrase == NO_RESPONSE:
                if self.on_silence is not None:
                    self.on_silence()
                self.finish("carrier_unreachable", "system", status=status)
            else:
                self.finish(end_reason_for(status), "customer" if status in (486, 600, 603) else "system",
                            status=status)
        elif isinstance(event, CCEventDisconnect):
            if self.ua_agent is not None:
                self.ua_agent.recvEvent(CCEventDisconnect())
            self.finish("completed", "customer")

    # -- the end ------------------------------------------------------------------------------------

    def _media_failed(self, exc: Exception) -> None:
        log.error("click-to-call %s: rtpengine failed: %s", self.record.id, exc)
        self.shut_down("media_failed")

    def shut_down(self, reason: str = "shutdown") -> None:
        if self.state is LegState.ENDED:
            return
        for ua in (self.ua_agent, self.ua_customer):
            if ua is not None:
                ua.recvEvent(CCEventDisconnect())
        self.finish(reason, "system")
