"""What every call object of the switch shares: where a placed leg goes, and SDP through rtpengine."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..app.ids import new_id
from ..domain.calls import CallRecord, LegState, RecordingStart
from ..media.rtpengine import MediaWorker
from ..sip.headers import refusal

log = logging.getLogger("tongdai.switch")


@dataclass(frozen=True)
class Destination:
    """Where and how a leg tongdai places goes."""

    host: str
    port: int
    called: str  # user part of the Request-URI
    calling: str  # user part of From
    calling_name: str | None = None
    username: str | None = None  # credentials for a carrier's challenge
    password: str | None = None
    extra_headers: tuple = ()
    session_expires: int | None = None  # a carrier's leg: RFC 4028 session timer (refreshed by tongdai)
    transport: str = "udp"  # "ws": an agent's browser, reached down its WebSocket (host: the connection id)


@dataclass(frozen=True)
class Refused:
    """Why a call is not placed: the SIP status and reason phrase, and tongdai's code and explanation."""

    status: int
    reason: str
    code: str
    why: str


def utcnow() -> datetime:
    return datetime.now(UTC)


class CallObject(ABC):
    """What every call object of the switch (BridgedCall, QueuedCall) has: its record, of which it is
    the only writer, its leg state, its call in rtpengine, and where its steps go (the call log)."""

    record: CallRecord
    state: LegState
    media: MediaWorker
    media_call_id: str
    on_update: Callable[[CallRecord, str], None]
    refresher: SessionRefresher | None = None
    notice: Callable[[CallRecord], str | None] | None = None  # the announcement a recording starts after, if any
    recording_asked = False  # start_recording was called (a call is recorded once)

    @abstractmethod
    def shut_down(self, reason: str = "shutdown") -> None:
        """Hang up every leg of the call now; its row ends with `reason` (each kind of call has its legs)."""

    def keep_alive(self, carrier_leg: Any, session_expires: int | None) -> None:
        """RFC 4028 towards the carrier: refresh the session every half of `session_expires` seconds;
        when the carrier no longer knows the call (a crash, a lost BYE), hang up the rest of it."""
        if session_expires and self.refresher is None:
            self.refresher = SessionRefresher(carrier_leg, session_expires / 2, self._session_lost)
            self.refresher.start()

    def _session_lost(self) -> None:
        log.warning("call %s: the carrier no longer knows the call; ending it", self.record.id)
        self.shut_down("session_expired")

    def start_recording(self, customer_tag: str, recorded_by: str) -> None:
        """rtpengine records the call from now on (a pcap per call); once it has, the record learns which
        setting asked (`recorded_by`) and the ports the customer's audio came in on (its channel). A
        hotline that announces recording has the customer hear it first; recording starts once it was said
        (at once if it cannot be played)."""
        if self.recording_asked:  # once per call
            return
        self.recording_asked = True
        notice = self.notice(self.record) if self.notice is not None else None
        if notice is None:
            self._record(customer_tag, recorded_by)
            return

        def said(duration_ms: int) -> None:
            from sippy.Time.Timeout import Timeout
            Timeout(self._record_if_up, duration_ms / 1000, 1, customer_tag, recorded_by)

        def unsaid(exc: Exception) -> None:
            log.warning("call %s: the recording announcement was not played: %s", self.record.id, exc)
            self._record_if_up(customer_tag, recorded_by)
        self.media.play(self.media_call_id, customer_tag, notice, said, unsaid)

    def _record_if_up(self, customer_tag: str, recorded_by: str) -> None:
        if self.state is not LegState.ENDED:
            self._record(customer_tag, recorded_by)

    def _record(self, customer_tag: str, recorded_by: str) -> None:
        started_at = utcnow()

        def started(customer_ports: tuple[int, ...]) -> None:
            self.record.recording_started(RecordingStart(new_id("recording"), recorded_by, self.media_call_id,
                                                         customer_ports, started_at))
            self.on_update(self.record, "call.recording")
        self.media.record(self.media_call_id, customer_tag, started)

    def finish(self, reason: str, by: str | None, status: int | None = None) -> None:
        """End the call once: the record is closed, rtpengine frees the media, the call log hears of it."""
        if self.state is LegState.ENDED:
            return
        if self.refresher is not None:
            self.refresher.stop()
        self.state = LegState.ENDED
        self.record.end(utcnow(), status=status, reason=reason, by=by)
        self.media.delete(self.media_call_id)
        self.on_update(self.record, "call.ended")


class SessionRefresher:
    """An UPDATE (no body: the session refresh of RFC 4028) on a carrier's leg every `interval` seconds.
    A 481 (the carrier has no such call) or no answer at all means the carrier's side of the call is
    gone: `on_lost()`. A carrier that does not take UPDATE (405, 501) is left alone."""

    def __init__(self, ua: Any, interval: float, on_lost: Callable[[], None]):
        self.ua, self.interval, self.on_lost = ua, interval, on_lost
        self._timer: Any = None

    def start(self) -> None:
        from sippy.Time.Timeout import Timeout
        self._timer = Timeout(self._refresh, self.interval, -1)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _refresh(self) -> None:
        if self._timer is None:
            return
        self.ua.newTransaction(self.ua.genRequest("UPDATE"), resp_cb=self._answered)

    def _answered(self, resp: Any) -> None:
        status = resp.getSCode()[0]
        if status < 200 or self._timer is None:
            return
        if status in (405, 501):
            log.info("the carrier does not take UPDATE (%d): no session refresh on this call", status)
            self.stop()
        elif status in (408, 481):
            self.stop()
            self.on_lost()


class Sdp:
    """The SDP of one call through rtpengine, as its legs send it: each one's is an offer (its INVITE, or
    a re-INVITE to hold or resume) or the answer to the other leg's last offer. `handler(tag, peer)` is a
    leg's `on_remote_sdp_change`; `peer()` names the other leg once the call is up (a re-INVITE then
    goes to it)."""

    def __init__(self, media: MediaWorker, call_id: str):
        self.media = media
        self.call_id = call_id
        self.offered_by: str | None = None  # the tag of the last offer

    def handler(self, tag: str, ua_of: Callable[[], Any], peer: Callable[[], str | None],
                toward_browser: Callable[[], bool] = lambda: False) -> Callable[[Any, Callable], None]:
        def changed(body: Any, done: Callable[[Any], None]) -> None:
            ua = ua_of()
            if is_offer(ua) or self.offered_by is None or self.offered_by == tag:
                self.offered_by = tag
                through_rtpengine(self.media, body, done, call_id=self.call_id, from_tag=tag,
                                  toward_browser=toward_browser(), peer=peer())
            else:
                through_rtpengine(self.media, body, done, call_id=self.call_id, from_tag=self.offered_by,
                                  to_tag=tag)
        return changed


def fixed(value: Any) -> Callable[[], Any]:
    return lambda: value


def is_offer(ua: Any) -> bool:
    """The SDP sippy hands over now came in an INVITE (the first or a re-INVITE), not in a response."""
    return ua is not None and type(ua.state).__name__ in ("UasStateIdle", "UaStateConnected")


def sdp_text(body: Any) -> str:
    """The SDP a sippy message body carries, as text."""
    return str(body.content) if body.parsed else body.content


def through_rtpengine(media: MediaWorker, body: Any, done: Callable[[Any], None], *, call_id: str,
                      from_tag: str, to_tag: str | None = None, toward_browser: bool = False,
                      peer: str | None = None) -> None:
    """Replace a leg's SDP with rtpengine's (an offer, or with `to_tag` the answer of that leg) off the
    SIP thread; sippy holds the event until `done(body)`. If rtpengine fails, the call goes on with
    the original SDP (media then bypasses it)."""
    sdp = sdp_text(body)

    def rewritten(new_sdp: str) -> None:
        body.content, body.parsed, body.needs_update = new_sdp, False, False
        done(body)

    def failed(_exc: Exception) -> None:
        done(body)

    if to_tag is None:
        media.offer(call_id, from_tag, sdp, rewritten, failed, toward_browser=toward_browser, to_tag=peer)
    else:
        media.answer(call_id, from_tag, to_tag, sdp, rewritten, failed)


def refuse_call(publish: Callable[[CallRecord, str], None], req: Any, record: CallRecord, status: int,
                reason: str, code: str, why: str) -> tuple:
    """Refuse a call with a machine code (Reason, Warning), and keep it in the call log."""
    record.refuse(utcnow(), status)
    publish(record, "call.started")
    publish(record, "call.ended")
    log.info("call %s refused: %s (%s)", record.id, code, why)
    return (refusal(req, status, reason, code, why), None, None)
