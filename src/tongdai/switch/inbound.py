"""An inbound call waiting in a queue: the caller's leg (answered with ringback while queued) and the
legs to the agents the Distributor offers it to. Runs in the SIP thread."""

from __future__ import annotations

import logging
from typing import Callable

from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventRing, CCEventTry
from sippy.SipHeader import SipHeader
from sippy.UA import UA

from ..domain.calls import CallRecord
from ..media.rtpengine import MediaWorker
from .b2bua import LegB, our_contact, rewrite_sdp, start_recording, utcnow

log = logging.getLogger("tongdai.switch")


class QueuedCall:
    def __init__(self, *, global_config: dict, record: CallRecord, queue_id: str, caller: str,
                 media: MediaWorker, media_call_id: str, caller_tag: str, events, on_update: Callable):
        self.global_config = global_config
        self.record = record
        self.queue_id = queue_id
        self.caller = caller
        self.media = media
        self.media_call_id = media_call_id
        self.caller_tag = caller_tag
        self.events = events  # the switchboard: queue(), answered(), declined(), hung_up(), ended(), ...
        self.on_update = on_update
        self.offer_body = None
        self.legs: dict[str, list[UA]] = {}  # agent -> a leg to each of its registered phones
        self.connected_leg: UA | None = None
        self.offered_at: dict[str, object] = {}  # agent -> when its phone started ringing
        self.connected_agent: str | None = None
        self.external: UA | None = None  # the leg to an external number after an overflow
        self.record_audio = False  # the queue records its calls (set by the switchboard)
        self.ua_caller = UA(global_config, self.from_caller)
        self.ua_caller.on_remote_sdp_change = self._caller_offer
        self.ua_caller.lContact = self._contact("tongdai")

    def _contact(self, user: str):
        return our_contact(self.global_config, user)

    def _rewrite(self, body, done, command: str, to_tag: str | None = None) -> None:
        params = {"call-id": self.media_call_id, "from-tag": self.caller_tag}
        if to_tag is not None:
            params["to-tag"] = to_tag
        rewrite_sdp(self.media, command, params, body, done)

    def _caller_offer(self, body, done):
        self._rewrite(body, done, "offer")
        return None

    # -- the caller's leg -------------------------------------------------------------------------

    def from_caller(self, event, ua) -> None:
        if isinstance(event, CCEventTry) and self.offer_body is None:
            self.offer_body = event.getData()[3]
            self.ua_caller.recvEvent(CCEventRing((180, "Ringing", None)))
            self.on_update(self.record, "call.started")
            self.events.queue(self)
        elif isinstance(event, CCEventDisconnect):
            if self.external is not None:
                self.external.recvEvent(CCEventDisconnect())
                answered = self.record.answered_at is not None
                self.finish("completed" if answered else "abandoned", "customer", status=None if answered else 487)
                if not answered:
                    self.events.abandoned_after_overflow(self)
                self.events.ended(self)
            elif self.connected_leg is not None:
                self.connected_leg.recvEvent(CCEventDisconnect())
                self.finish("completed", "customer")
                self.events.ended(self)
            else:
                self.finish("abandoned", "customer", status=487)
                self.events.hung_up(self)

    # -- the agents' legs -------------------------------------------------------------------------

    def offer_to(self, agent_id: str, phones: list[tuple[str, int, str]]) -> None:
        """Ring every registered phone of the agent (host, port, Contact user); the first to answer
        takes the call and the agent's other phones stop ringing."""
        legs = self.legs.setdefault(agent_id, [])
        for n, (host, port, contact_user) in enumerate(phones):
            leg = UA(self.global_config, lambda event, ua: self.from_leg(agent_id, ua, event), nh_address=(host, port))
            leg.lContact = self._contact(self.caller or "caller")
            to_tag = f"a{agent_id}-{n}"

            def answer(body, done, to_tag=to_tag):
                self._rewrite(body, done, "answer", to_tag)
                return None

            leg.on_remote_sdp_change = answer
            legs.append(leg)
            body = self.offer_body.getCopy() if self.offer_body is not None else None
            leg.recvEvent(CCEventTry((None, self.caller or "anonymous", contact_user, body, None, None)))
        self.offered_at[agent_id] = utcnow()
        self.record.offered(agent_id)
        if self.record.ringing_at is None and self.record.ring(utcnow()):
            self.on_update(self.record, "call.ringing")

    def cancel(self, agent_id: str, keep: UA | None = None) -> None:
        """Stop ringing the agent's phones (all but `keep`)."""
        for leg in self.legs.pop(agent_id, []):
            if leg is not keep:
                leg.recvEvent(CCEventDisconnect())

    def from_leg(self, agent_id: str, ua: UA, event) -> None:
        if isinstance(event, CCEventConnect):
            if self.connected_leg is None and self.events.answered(self, agent_id):
                self.connected_agent, self.connected_leg = agent_id, ua
                self.cancel(agent_id, keep=ua)  # the agent's other phones
                self.record.agent_id = agent_id
                now = utcnow()
                self.record.answer(now)
                if agent_id in self.offered_at:
                    self.record.ring_seconds = round((now - self.offered_at[agent_id]).total_seconds(), 3)
                self.on_update(self.record, "call.answered")
                self._start_recording()
                self.ua_caller.recvEvent(event)
            else:  # answered too late: another agent or phone won, or the caller left
                ua.recvEvent(CCEventDisconnect())
        elif isinstance(event, CCEventFail):
            legs = self.legs.get(agent_id)
            if legs is not None and ua in legs:
                legs.remove(ua)
                if not legs:  # every phone of the agent refused: the offer is declined
                    del self.legs[agent_id]
                    self.events.declined(self, agent_id)
        elif isinstance(event, CCEventDisconnect) and ua is self.connected_leg:
            self.ua_caller.recvEvent(CCEventDisconnect())
            self.finish("completed", "agent")
            self.events.ended(self)

    def _start_recording(self) -> None:
        if self.record_audio:
            start_recording(self.media, self.media_call_id, self.record)

    # -- overflow to an external number, through the same hotline's trunk ------------------------

    def forward(self, leg: LegB) -> None:
        """Place a call to `leg` and bridge the caller to it when it answers; the caller keeps
        hearing ringback meanwhile. A failure ends the caller's call with the same status."""
        ua = UA(self.global_config, self.from_external, username=leg.username, password=leg.password,
                nh_address=(leg.host, leg.port))
        ua.lContact = self._contact(leg.calling)
        ua.godead_timeout = 5

        def answer(body, done):
            self._rewrite(body, done, "answer", "x" + self.record.id)
            return None

        ua.on_remote_sdp_change = answer
        self.external = ua
        body = self.offer_body.getCopy() if self.offer_body is not None else None
        try_ = CCEventTry((None, leg.calling, leg.called, body, None, None))
        try_.extra_headers = tuple(leg.extra_headers) or None
        ua.recvEvent(try_)

    def from_external(self, event, ua) -> None:
        if isinstance(event, CCEventConnect):
            self.record.answer(utcnow())
            self.on_update(self.record, "call.answered")
            self._start_recording()
            self.ua_caller.recvEvent(event)
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
        text = reason.replace('"', "'")
        fail.extra_headers = (SipHeader(name="reason", bodys=f'SIP;cause={status};text="max_wait"'),
                              SipHeader(name="warning", bodys=f'399 tongdai "max_wait: {text}"'))
        self.ua_caller.recvEvent(fail)
        self.finish("overflow", "system", status=status)

    def finish(self, reason: str, by: str, status: int | None = None) -> None:
        if self.record.ended_at is not None:
            return
        self.record.end(utcnow(), status=status, reason=reason, by=by)
        self.media.submit("delete", {"call-id": self.media_call_id})
        self.on_update(self.record, "call.ended")
