"""A carrier's call that tongdai answers itself before any agent does: for its IVR, or for a queue whose
waiting callers hear music. The caller's leg is answered with rtpengine's SDP (the other side of the call
in rtpengine faces a discard address until someone answers), music loops while it waits, and the agent
(or external number) that answers is bridged by answering rtpengine's other side again: the carrier gets
no re-INVITE (`port-latching` keeps the port rtpengine faces the caller on)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventTry
from sippy.MsgBody import MsgBody

from ..domain.calls import LegState
from ..sip.headers import reason_headers
from .legs import through_rtpengine
from .queued import QueuedCall

log = logging.getLogger("tongdai.switch")

OWN_TAG = "ivr"  # rtpengine's tag for the side of the call the caller talks to: tongdai, then the agent
DISCARD_SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio 9 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
               "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")


@dataclass(frozen=True)
class CallAudio:
    """The files answered calls play, made for one configuration snapshot (a missing one is left out)."""

    prompts: dict[tuple[str, str], str] = field(default_factory=dict)  # (tree id, node id) -> file
    goodbyes: dict[str, str] = field(default_factory=dict)  # language -> file
    music: str | None = None  # the music tongdai ships
    queue_music: dict[str, str] = field(default_factory=dict)  # queue id -> its uploaded music

    def music_of(self, queue_id: str) -> str | None:
        return self.queue_music.get(queue_id, self.music)


class AnsweredCall(QueuedCall):
    """A queue's call that waits with music: answered at once, then in its queue."""

    def __init__(self, *, audio: Callable[[], CallAudio], clock: Callable[[], float], **queued: Any):
        super().__init__(**queued)
        self.audio = audio  # the switch's current files
        self.clock = clock
        self._bridged_leg: Any = None  # the phone (or external leg) whose answer rtpengine took for the caller

    # -- the caller's leg -------------------------------------------------------------------------

    def from_caller(self, event, ua) -> None:
        if isinstance(event, CCEventTry) and self.state is LegState.TRYING:
            self.offer_body = event.getData()[3]  # rtpengine's SDP for the side that is not the caller
            self.on_update(self.record, "call.started")
            if self.offer_body is None:  # a late offer: tongdai needs the caller's media up front
                log.warning("call %s refused: its INVITE has no SDP and tongdai must answer it", self.record.id)
                fail = CCEventFail((488, "Not Acceptable Here"))
                fail.extra_headers = reason_headers(488, "sdp_required", "this hotline answers calls itself "
                                                    "and needs an SDP offer")
                self.ua_caller.recvEvent(fail)
                self.finish("refused", "system", status=488)
                self.events.hung_up(self)
                return
            self.state = LegState.ANSWERING
            self.media.answer(self.media_call_id, self.caller_tag, OWN_TAG, DISCARD_SDP, self._answer_caller,
                              self._could_not_answer)
        elif isinstance(event, CCEventDisconnect) and self.state is LegState.ANSWERING:
            self._left_unanswered()
        else:
            super().from_caller(event, ua)

    def _left_unanswered(self) -> None:
        """The caller hung up while rtpengine was answering it."""
        self.finish("abandoned", "customer", status=487)
        self.events.hung_up(self)

    def _answer_caller(self, sdp: str) -> None:
        if self.state is not LegState.ANSWERING:  # the caller left meanwhile
            return
        self.ua_caller.recvEvent(CCEventConnect((200, "OK", MsgBody(sdp))))
        self.keep_alive(self.ua_caller, self.global_config.get("_session_expires"))
        self.answered()

    def answered(self) -> None:
        """The caller hears tongdai now: it waits in its queue, with music."""
        self.enter_queue(self.queue_id)

    def _could_not_answer(self, exc: Exception) -> None:
        log.error("call %s: rtpengine could not answer the call: %s", self.record.id, exc)
        self.ua_caller.recvEvent(CCEventDisconnect())
        self.finish("media_failed", "system", status=500)
        self.events.hung_up(self)

    # -- waiting ----------------------------------------------------------------------------------

    def enter_queue(self, queue_id: str) -> None:
        """The call waits in `queue_id` like any other (it is answered already: music, not ringback)."""
        self.queue_id = queue_id
        self.wait_with_music()
        self.events.queue(self)

    def wait_with_music(self) -> None:
        self.state = LegState.RINGING
        music = self.audio().music_of(self.queue_id)
        if music is not None:
            self.media.play(self.media_call_id, self.caller_tag, music, lambda _ms: None,
                            lambda exc: log.warning("call %s: no music on hold: %s", self.record.id, exc),
                            repeat=1000)

    def forward(self, destination: Any) -> None:
        self.media.stop_playing(self.media_call_id, self.caller_tag)
        super().forward(destination)

    def from_external(self, event, ua) -> None:
        if isinstance(event, CCEventFail) and self.state is LegState.FORWARDING:
            # the caller was answered by tongdai: a failed external leg ends its call with a BYE
            status = event.getData()[0] if event.getData() else 500
            self.ua_caller.recvEvent(CCEventDisconnect())
            self.finish("overflow", "system", status=status)
            self.events.ended(self)
            return
        super().from_external(event, ua)

    def hang_up_caller(self, status: int, reason: str) -> None:
        """The queue gives up (max wait with hang-up): the caller, answered already, gets a BYE."""
        self.media.stop_playing(self.media_call_id, self.caller_tag)
        self.ua_caller.recvEvent(CCEventDisconnect())
        self.finish("overflow", "system", status=status)

    # -- bridging an agent without a re-INVITE to the caller -----------------------------------------

    relays_reinvites = False  # rtpengine answered the caller itself: a re-INVITE is not relayed (not built)

    def offer_to(self, agent_id: str, phones: list[tuple[tuple[str, int], str, str]], headers: tuple = ()) -> None:
        """Phones only, not browsers: bridging a browser (DTLS-SRTP) into the side rtpengine already answered
        as plain RTP fails its DTLS handshake (measured: rtpengine keeps the client role there), so the call
        would connect without audio. An agent with only the widget is taken as declining the offer."""
        usable = [p for p in phones if p[1] != "ws"]
        if len(usable) < len(phones):
            log.warning("call %s: agent %s's browser is not offered a call tongdai answered itself (IVR or music "
                        "on hold): not supported yet", self.record.id, agent_id)
        if not usable:
            self.events.declined(self, agent_id)
            return
        super().offer_to(agent_id, usable, headers)

    def _leg_sdp(self, to_tag: str, ua_of: Callable[[], Any]) -> Callable[[Any, Callable], None]:
        def answer(body, done) -> None:
            if self._bridged_leg is not None:  # another phone answered first: its SDP is not used
                done(body)
                return
            self._bridged_leg = to_tag
            self.media.stop_playing(self.media_call_id, self.caller_tag)  # the music, if it plays
            through_rtpengine(self.media, body, done, call_id=self.media_call_id, from_tag=self.caller_tag,
                              to_tag=OWN_TAG)
        return answer

    def _caller_connects(self, event) -> None:
        """Nothing to tell the caller: tongdai answered it (its session timer runs since), and rtpengine
        now sends it the agent's audio on the same port."""
