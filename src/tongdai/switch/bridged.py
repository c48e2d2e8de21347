"""One bridged call: the agent's leg (A, answered by us) and the other leg (B, placed by us).

Runs in the SIP thread. Media goes through rtpengine: A's offer and B's answers are rewritten, so
each side sees only rtpengine's addresses. Progress, answer, BYE, CANCEL and failures are relayed.
The call object is the only writer of its CallRecord; `on_update` hands each step to the call log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventRing, CCEventTry
from sippy.UA import UA

from ..domain.calls import CallRecord, LegState, end_reason_for
from ..media.rtpengine import MediaWorker
from ..sip.compat import NO_RESPONSE
from ..sip.headers import our_contact
from .legs import CallObject, Destination, Sdp, utcnow

log = logging.getLogger("tongdai.switch")


class BridgedCall(CallObject):
    def __init__(self, *, global_config: dict, record: CallRecord, destination: Destination,
                 media: MediaWorker, media_call_id: str, a_tag: str,
                 on_update: Callable[[CallRecord, str], None], record_audio: str | None = None,
                 on_silence: Callable[[], None] | None = None,
                 notice: Callable[[CallRecord], str | None] | None = None):
        """`on_silence`: the other side never answered the INVITE (its trunk is then taken as down)."""
        self.global_config = global_config
        self.record = record
        self.destination = destination
        self.media = media
        self.media_call_id = media_call_id
        self.a_tag = a_tag
        self.on_update = on_update
        self.record_audio = record_audio
        self.on_silence = on_silence
        self.notice = notice
        self.state = LegState.TRYING
        self.b_tag = "b" + record.id
        self.ua_a = UA(global_config, self.from_a)
        self.sdp = Sdp(media, media_call_id)
        self.ua_a.on_remote_sdp_change = self.sdp.handler(
            a_tag, lambda: self.ua_a, peer=lambda: self.b_tag if self.state is LegState.CONNECTED else None,
            toward_browser=lambda: destination.transport == "ws")
        self.ua_a.lContact = our_contact(global_config, "tongdai")
        self.ua_b: UA | None = None
        self._b_handlers: dict[type, Callable[[Any], None]] = {
            CCEventRing: self._b_rings, CCEventConnect: self._b_answers, CCEventFail: self._b_fails,
            CCEventDisconnect: self._b_hangs_up}

    # -- the agent's leg ----------------------------------------------------------------------

    def from_a(self, event, ua) -> None:
        if self.state is LegState.TRYING and self.ua_b is None:
            if isinstance(event, CCEventTry):
                self._place(event)
            else:
                self.ua_a.recvEvent(CCEventDisconnect())
            return
        if isinstance(event, CCEventDisconnect):
            if event.getData() is not None:  # a REFER: never relayed to the other side (toll fraud)
                log.warning("call %s: the agent's transfer to %s is not relayed; the call ends", self.record.id,
                            event.getData())
                event = CCEventDisconnect(rtime=event.rtime, origin=event.origin)
            answered = self.state is LegState.CONNECTED
            self.finish("completed" if answered else "cancelled", "agent", status=None if answered else 487)
        if self.ua_b is not None:
            self.ua_b.recvEvent(event)

    def shut_down(self, reason: str = "shutdown") -> None:
        """tongdai is stopping (or the call's media is lost): hang up both legs (BYE, or CANCEL/487
        before the answer); the row ends with `reason`."""
        if self.state is LegState.ENDED:
            return
        self.ua_a.recvEvent(CCEventDisconnect())
        if self.ua_b is not None:
            self.ua_b.recvEvent(CCEventDisconnect())
        self.finish(reason, "system")

    def _place(self, event) -> None:
        _cid, _cli, _cld, body, _auth, _name = event.getData()
        d = self.destination
        self.ua_b = UA(self.global_config, self.from_b, username=d.username, password=d.password,
                       nh_address=(d.host, d.port), nh_transport=d.transport)
        self.ua_b.on_remote_sdp_change = self.sdp.handler(self.b_tag, lambda: self.ua_b, peer=lambda: self.a_tag)
        self.ua_b.lContact = our_contact(self.global_config, d.calling)
        self.ua_b.godead_timeout = 5
        try_b = CCEventTry((None, d.calling, d.called, body, None, d.calling_name))
        try_b.extra_headers = tuple(d.extra_headers) or None
        self.on_update(self.record, "call.started")
        self.ua_b.recvEvent(try_b)

    # -- the other leg: one handler per event -------------------------------------------------

    def from_b(self, event, ua) -> None:
        handler = self._b_handlers.get(type(event))
        if handler is not None and self.state is not LegState.ENDED:
            handler(event)
        self.ua_a.recvEvent(event)

    def _b_rings(self, event) -> None:
        code = event.getData()[0] if event.getData() else 180
        if code in (180, 183) and self.record.ring(utcnow()):
            self.state = LegState.RINGING
            self.on_update(self.record, "call.ringing")

    def _b_answers(self, _event) -> None:
        if self.state is LegState.CONNECTED:  # the answer to a re-INVITE (hold, resume): relayed, nothing else
            return
        self.state = LegState.CONNECTED
        self.record.answer(utcnow())
        self.on_update(self.record, "call.answered")
        self.keep_alive(self.ua_b, self.destination.session_expires)
        if self.record_audio:
            self.start_recording(self.b_tag, self.record_audio)

    def _b_fails(self, event) -> None:
        status, phrase = (event.getData()[0], event.getData()[1]) if event.getData() else (500, "")
        if status == 408 and phrase == NO_RESPONSE:  # the other side never answered: not the customer's doing
            if self.on_silence is not None:
                self.on_silence()
            self.finish("carrier_unreachable", "system", status=status)
            return
        self.finish(end_reason_for(status), "callee" if status in (486, 600, 603) else "system", status=status)

    def _b_hangs_up(self, _event) -> None:
        self.finish("completed", "callee" if self.record.direction == "internal" else "customer")
