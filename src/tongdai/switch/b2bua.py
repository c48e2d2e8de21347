"""One bridged call: the agent's leg (A, answered by us) and the other leg (B, placed by us).

Runs in the SIP thread. Media goes through rtpengine: A's offer and B's answers are rewritten, so
each side sees only rtpengine's addresses. Progress, answer, BYE, CANCEL and failures are relayed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventRing, CCEventTry
from sippy.SipContact import SipContact
from sippy.SipHeader import SipHeader
from sippy.UA import UA

from ..domain.calls import CallRecord, end_reason_for
from ..media.rtpengine import MediaWorker

log = logging.getLogger("tongdai.switch")

MEDIA_FLAGS = {"flags": ["trust-address"], "replace": ["origin", "session-connection"], "ICE": "remove"}


@dataclass
class LegB:
    """Where and how the second leg goes."""

    host: str
    port: int
    called: str  # user part of the Request-URI
    calling: str  # user part of From
    calling_name: str | None = None
    username: str | None = None  # credentials for a carrier's challenge
    password: str | None = None
    extra_headers: tuple = ()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class BridgedCall:
    def __init__(self, *, global_config: dict, record: CallRecord, leg_b: LegB, media: MediaWorker,
                 media_call_id: str, a_tag: str, on_update: Callable[[CallRecord, str], None],
                 record_audio: bool = False):
        self.global_config = global_config
        self.record = record
        self.leg_b = leg_b
        self.media = media
        self.media_call_id = media_call_id
        self.a_tag = a_tag
        self.on_update = on_update
        self.record_audio = record_audio
        self.b_tag = "b" + record.id
        self.ua_a = UA(global_config, self.from_a)
        self.ua_a.on_remote_sdp_change = self._offer
        self.ua_a.lContact = self._contact("tongdai")
        self.ua_b: UA | None = None

    def _contact(self, user: str) -> SipContact:
        return our_contact(self.global_config, user)

    # -- media --------------------------------------------------------------------------------

    def _rewrite(self, body, done, kind: str):
        params = {"call-id": self.media_call_id, "from-tag": self.a_tag}
        if kind == "answer":
            params["to-tag"] = self.b_tag
        rewrite_sdp(self.media, kind, params, body, done)
        return None

    def _offer(self, body, done):
        return self._rewrite(body, done, "offer")

    def _answer(self, body, done):
        return self._rewrite(body, done, "answer")

    # -- events -------------------------------------------------------------------------------

    def from_a(self, event, ua) -> None:
        if self.ua_b is None:
            if not isinstance(event, CCEventTry):
                self.ua_a.recvEvent(CCEventDisconnect())
                return
            self._place(event)
            return
        if isinstance(event, CCEventDisconnect):
            answered = self.record.answered_at is not None
            self._finish(None if answered else 487, "completed" if answered else "cancelled", "agent")
        self.ua_b.recvEvent(event)

    def _place(self, event) -> None:
        _cid, _cli, _cld, body, _auth, _name = event.getData()
        b = self.leg_b
        self.ua_b = UA(self.global_config, self.from_b, username=b.username, password=b.password,
                       nh_address=(b.host, b.port))
        self.ua_b.on_remote_sdp_change = self._answer
        self.ua_b.lContact = self._contact(b.calling)
        self.ua_b.godead_timeout = 5
        try_b = CCEventTry((None, b.calling, b.called, body, None, b.calling_name))
        try_b.extra_headers = tuple(b.extra_headers) or None
        self.on_update(self.record, "call.started")
        self.ua_b.recvEvent(try_b)

    def from_b(self, event, ua) -> None:
        now = utcnow()
        if isinstance(event, CCEventRing):
            code = event.getData()[0] if event.getData() else 180
            if code in (180, 183) and self.record.ring(now):
                self.on_update(self.record, "call.ringing")
        elif isinstance(event, CCEventConnect):
            self.record.answer(now)
            self.on_update(self.record, "call.answered")
            if self.record_audio:
                start_recording(self.media, self.media_call_id, self.record)
        elif isinstance(event, CCEventFail):
            status = event.getData()[0] if event.getData() else 500
            self._finish(status, end_reason_for(status), "callee" if status in (486, 600, 603) else "system")
        elif isinstance(event, CCEventDisconnect):
            self._finish(None, "completed", "callee" if self.record.direction == "internal" else "customer")
        self.ua_a.recvEvent(event)

    def _finish(self, status: int | None, reason: str, by: str | None) -> None:
        if self.record.ended_at is not None:
            return
        self.record.end(utcnow(), status=status, reason=reason, by=by)
        self.media.submit("delete", {"call-id": self.media_call_id})
        self.on_update(self.record, "call.ended")


def rewrite_sdp(media: MediaWorker, command: str, params: dict, body, done) -> None:
    """Ask rtpengine (`offer` or `answer`, with the call's tags in `params`) for its SDP off the SIP
    thread; sippy holds the event until `done(body)`. If rtpengine fails, the call goes on with the
    original SDP (media then bypasses it)."""
    sdp = str(body.content) if body.parsed else body.content

    def rewritten(reply: dict) -> None:
        body.content, body.parsed, body.needs_update = reply["sdp"], False, False
        done(body)

    media.submit(command, {**params, "sdp": sdp, **MEDIA_FLAGS}, rewritten, lambda _exc: done(body))


def start_recording(media: MediaWorker, media_call_id: str, record: CallRecord) -> None:
    """rtpengine writes the call's RTP (both directions) to a pcap in its recording directory; the
    record says `recorded` once it accepted."""
    media.submit("start recording", {"call-id": media_call_id}, lambda _reply: setattr(record, "recorded", True))


def our_contact(global_config: dict, user: str) -> SipContact:
    """tongdai's Contact for a leg, without sippy's default display name "Anonymous"."""
    contact = SipContact(body=f"<sip:{user}@{global_config['_sip_address']}:{global_config['_sip_port']}>")
    contact.parse()
    return contact


def pai_header(number: str, host: str) -> SipHeader:
    return SipHeader(name="p-asserted-identity", bodys=f"<sip:{number}@{host}>")
