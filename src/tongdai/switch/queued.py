"""An inbound call waiting in a queue: the caller's leg (answered with ringback while queued) and the
legs to the agents the Distributor offers it to. Runs in the SIP thread; it tells its queue what
happened through the typed `QueueEvents`, and is the only writer of its CallRecord."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventRing, CCEventTry, CCEventUpdate
from sippy.MsgBody import MsgBody
from sippy.UA import UA

from ..domain.calls import CallRecord, LegState
from ..media.rtpengine import MediaWorker
from ..sip.headers import our_contact, reason_headers
from .legs import CallObject, Destination, Sdp, fixed, sdp_text, utcnow

log = logging.getLogger("tongdai.switch")


class QueueEvents(Protocol):
    """What a queued call reports to the queueing that owns it."""

    def queue(self, call: QueuedCall) -> None: ...
    def answered(self, call: QueuedCall, agent_id: str) -> bool: ...
    def declined(self, call: QueuedCall, agent_id: str) -> None: ...
    def hung_up(self, call: QueuedCall) -> None: ...
    def abandoned_after_overflow(self, call: QueuedCall) -> None: ...
    def ended(self, call: QueuedCall) -> None: ...


class QueuedCall(CallObject):
    def __init__(self, *, global_config: dict, record: CallRecord, queue_id: str, caller: str,
                 media: MediaWorker, media_call_id: str, caller_tag: str, events: QueueEvents,
                 on_update: Callable[[CallRecord, str], None], record_audio: str | None,
                 notice: Callable[[CallRecord], str | None] | None = None):
        self.global_config = global_config
        self.record = record
        self.queue_id = queue_id
        self.caller = caller
        self.media = media
        self.media_call_id = media_call_id
        self.caller_tag = caller_tag
        self.events = events
        self.on_update = on_update
        self.record_audio = record_audio  # "queue": the queue records its calls
        self.notice = notice
        self.state = LegState.TRYING
        self.offer_body: Any = None
        self.caller_sdp: str | None = None  # the caller's own SDP, before rtpengine's
        self.legs: dict[str, list[UA]] = {}  # agent -> a leg to each of its registered phones
        self.offered_at: dict[str, datetime] = {}  # agent -> when its phone started ringing
        self.connected_agent: str | None = None
        self.connected_leg: UA | None = None  # the agent's phone that answered, or the external number
        self.ua_caller = UA(global_config, self.from_caller)
        self.sdp = Sdp(media, media_call_id)
        self.leg_tags: dict[Any, str] = {}  # each leg placed -> its tag in rtpengine
        self._caller_sdp = self.sdp.handler(caller_tag, lambda: self.ua_caller, peer=self._connected_tag)
        self.ua_caller.on_remote_sdp_change = self._caller_offer
        self.ua_caller.lContact = our_contact(global_config, "tongdai")

    def _caller_offer(self, body, done) -> None:
        if self.caller_sdp is None:  # its first offer, offered again to a browser
            self.caller_sdp = sdp_text(body)
        self._caller_sdp(body, done)

    def _connected_tag(self) -> str | None:
        return self.leg_tags.get(self.connected_leg) if self.state is LegState.CONNECTED else None

    def _leg_sdp(self, tag: str, ua_of: Callable[[], Any]) -> Callable[[Any, Callable], None]:
        """A leg's SDP: its answer to the caller's offer, or its own re-INVITE (hold, resume)."""
        return self.sdp.handler(tag, ua_of, peer=lambda: self.caller_tag)

    # -- the caller's leg -------------------------------------------------------------------------

    def from_caller(self, event, ua) -> None:
        if isinstance(event, CCEventTry) and self.state is LegState.TRYING:
            self.offer_body = event.getData()[3]
            self.state = LegState.RINGING
            self.ua_caller.recvEvent(CCEventRing((180, "Ringing", None)))
            self.on_update(self.record, "call.started")
            self.events.queue(self)
        elif isinstance(event, CCEventDisconnect):
            self._caller_hangs_up()
        elif isinstance(event, CCEventUpdate | CCEventConnect) and self.relays_reinvites \
                and self.state is LegState.CONNECTED and self.connected_leg is not None:
            self.connected_leg.recvEvent(event)  # a re-INVITE of the caller's, or its answer to the agent's

    relays_reinvites = True  # hold and resume, either way, once the agent answered

    def _caller_hangs_up(self) -> None:
        state = self.state
        if state is LegState.FORWARDING:  # the external number still rings: abandoned all the same
            assert self.connected_leg is not None
            self.connected_leg.recvEvent(CCEventDisconnect())
            self.finish("abandoned", "customer", status=487)
            self.events.abandoned_after_overflow(self)
            self.events.ended(self)
        elif state is LegState.CONNECTED:
            assert self.connected_leg is not None
            self.connected_leg.recvEvent(CCEventDisconnect())
            self.finish("completed", "customer")
            self.events.ended(self)
        elif state is LegState.RINGING:
            self.finish("abandoned", "customer", status=487)
            self.events.hung_up(self)

    # -- the agents' legs -------------------------------------------------------------------------

    def offer_to(self, agent_id: str, phones: list[tuple[tuple[str, int], str, str]],
                 headers: tuple = ()) -> None:
        """Ring every registered phone of the agent ((host, port), transport, Contact user); the first to
        answer takes the call and the agent's other phones stop ringing. A browser (transport `ws`) is
        offered rtpengine's SDP made for browsers (ICE, DTLS-SRTP) once rtpengine has made it."""
        legs = self.legs.setdefault(agent_id, [])
        for n, (address, transport, contact_user) in enumerate(phones):
            leg = UA(self.global_config, lambda event, ua: self.from_leg(agent_id, ua, event), nh_address=address,
                     nh_transport=transport)
            leg.lContact = our_contact(self.global_config, self.caller or "caller")
            tag = f"a{agent_id}-{n}"
            self.leg_tags[leg] = tag
            leg.on_remote_sdp_change = self._leg_sdp(tag, fixed(leg))
            legs.append(leg)
            if transport == "ws" and self.caller_sdp is not None:
                self._offer_to_browser(agent_id, leg, contact_user, headers)
                continue
            body = self.offer_body.getCopy() if self.offer_body is not None else None
            ring = CCEventTry((None, self.caller or "anonymous", contact_user, body, None, None))
            ring.extra_headers = headers or None
            leg.recvEvent(ring)
        self.offered_at[agent_id] = utcnow()
        self.record.offered(agent_id)
        if self.record.ringing_at is None and self.record.ring(utcnow()):
            self.on_update(self.record, "call.ringing")

    def _offer_to_browser(self, agent_id: str, leg: UA, contact_user: str, headers: tuple) -> None:
        def ring(sdp: str) -> None:
            if leg not in self.legs.get(agent_id, ()) or self.state is not LegState.RINGING:
                return  # the offer was withdrawn, or the caller left, while rtpengine made the SDP
            event = CCEventTry((None, self.caller or "anonymous", contact_user, MsgBody(sdp), None, None))
            event.extra_headers = headers or None
            leg.recvEvent(event)

        def failed(exc: Exception) -> None:
            log.error("call %s: no SDP for the agent's browser: %s", self.record.id, exc)

        media_call_id, offerer, sdp = self._browser_offer(leg)
        self.media.offer(media_call_id, offerer, sdp, ring, failed, toward_browser=True)

    def _browser_offer(self, leg: UA) -> tuple[str, str, str]:
        """What rtpengine makes a browser's offer of: its call, the offering leg's tag, that leg's SDP (here
        the caller's own offer, not answered yet)."""
        assert self.caller_sdp is not None
        return self.media_call_id, self.caller_tag, self.caller_sdp

    def cancel(self, agent_id: str, keep: UA | None = None) -> None:
        """Stop ringing the agent's phones (all but `keep`)."""
        for leg in self.legs.pop(agent_id, []):
            if leg is not keep:
                leg.recvEvent(CCEventDisconnect())

    def from_leg(self, agent_id: str, ua: UA, event) -> None:
        if isinstance(event, CCEventUpdate | CCEventConnect) and ua is self.connected_leg \
                and self.state is LegState.CONNECTED:
            if self.relays_reinvites:  # the agent's re-INVITE (hold, resume), or its answer to the caller's
                self.ua_caller.recvEvent(event)
            return
        if isinstance(event, CCEventConnect):
            if self.state is LegState.RINGING and self.events.answered(self, agent_id):
                self.state, self.connected_agent, self.connected_leg = LegState.CONNECTED, agent_id, ua
                self.cancel(agent_id, keep=ua)  # the agent's other phones
                self.record.answered_by_agent(agent_id, utcnow(), self.offered_at.get(agent_id))
                self.on_update(self.record, "call.answered")
                self._start_recording()
                self._caller_connects(event)
            else:  # answered too late: another agent or phone won, or the caller left
                ua.recvEvent(CCEventDisconnect())
        elif isinstance(event, CCEventFail):
            legs = self.legs.get(agent_id)
            if legs is not None and ua in legs:
                legs.remove(ua)
                if not legs:  # every phone of the agent refused: the offer is declined
                    del self.legs[agent_id]
                    self.events.declined(self, agent_id)
        elif isinstance(event, CCEventDisconnect) and ua is self.connected_leg \
                and self.state is LegState.CONNECTED:
            self.ua_caller.recvEvent(CCEventDisconnect())
            self.finish("completed", "agent")
            self.events.ended(self)

    def _caller_connects(self, event) -> None:
        """The agent (or the external number) answered: answer the caller with its SDP."""
        self.ua_caller.recvEvent(event)
        self.keep_alive(self.ua_caller, self.global_config.get("_session_expires"))

    def shut_down(self, reason: str = "shutdown") -> None:
        """tongdai is stopping (or the call's media is lost): hang up the caller, the agent's leg and every
        phone still ringing; the row ends with `reason`."""
        if self.state is LegState.ENDED:
            return
        for agent_id in list(self.legs):
            self.cancel(agent_id, keep=self.connected_leg)
        if self.connected_leg is not None:
            self.connected_leg.recvEvent(CCEventDisconnect())
        self.ua_caller.recvEvent(CCEventDisconnect())
        self.finish(reason, "system", status=None if self.state is LegState.CONNECTED else 503)

    def _start_recording(self) -> None:
        if self.record_audio:
            self.start_recording(self.caller_tag, self.record_audio)

    # -- overflow to an external number, through the same hotline's trunk ------------------------

    def forward(self, destination: Destination) -> None:
        """Place a call to `destination` and bridge the caller to it when it answers; the caller keeps
        hearing ringback meanwhile. A failure ends the caller's call with the same status."""
        d = destination
        ua = UA(self.global_config, self.from_external, username=d.username, password=d.password,
                nh_address=(d.host, d.port))
        ua.lContact = our_contact(self.global_config, d.calling)
        ua.godead_timeout = 5
        self.leg_tags[ua] = "x" + self.record.id
        ua.on_remote_sdp_change = self._leg_sdp("x" + self.record.id, fixed(ua))
        self.state, self.connected_leg = LegState.FORWARDING, ua
        body = self.offer_body.getCopy() if self.offer_body is not None else None
        try_ = CCEventTry((None, d.calling, d.called, body, None, None))
        try_.extra_headers = tuple(d.extra_headers) or None
        ua.recvEvent(try_)

    def from_external(self, event, ua) -> None:
        if self.state is LegState.ENDED:
            return
        if isinstance(event, CCEventConnect) and self.state is LegState.CONNECTED:
            if self.relays_reinvites:  # the external number's answer to a re-INVITE: the caller's
                self.ua_caller.recvEvent(event)
        elif isinstance(event, CCEventConnect):
            self.state = LegState.CONNECTED
            self.record.answer(utcnow())
            self.on_update(self.record, "call.answered")
            self._start_recording()
            self._caller_connects(event)
        elif isinstance(event, CCEventFail):
            status = event.getData()[0] if event.getData() else 500
            self.ua_caller.recvEvent(CCEventFail((status, event.getData()[1] if event.getData() else "Failed")))
            self.finish("overflow", "system", status=status)
            self.events.ended(self)
        elif isinstance(event, CCEventDisconnect):
            self.ua_caller.recvEvent(CCEventDisconnect())
            self.finish("completed", "callee")
            self.events.ended(self)

    def hang_up_caller(self, status: int, reason: str) -> None:
        """The queue gives up on the call (max wait with hang-up): the status line carries the queue's
        reason, `Reason` the machine code `max_wait`."""
        fail = CCEventFail((status, reason))
        fail.extra_headers = reason_headers(status, "max_wait", reason)
        self.ua_caller.recvEvent(fail)
        self.finish("overflow", "system", status=status)
