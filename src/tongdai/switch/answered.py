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

from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventTry, CCEventUpdate
from sippy.MsgBody import MsgBody

from ..domain.calls import LegState
from ..media.sdp import ANSWERED_WITH, DISCARD_SDP, direction_of, with_direction
from ..sip.headers import reason_headers
from .legs import sdp_text, through_rtpengine
from .queued import QueuedCall

log = logging.getLogger("tongdai.switch")

OWN_TAG = "ivr"  # rtpengine's tag for the side of the call the caller talks to: tongdai, then the agent
BRIDGE_TAG = "bridge"  # in a browser's own call in rtpengine: the side that faces this call


@dataclass(frozen=True)
class CallAudio:
    """The files answered calls play, made for one configuration snapshot (a missing one is left out)."""

    prompts: dict[tuple[str, str], str] = field(default_factory=dict)  # (tree id, node id) -> file
    goodbyes: dict[str, str] = field(default_factory=dict)  # language -> file
    music: str | None = None  # the music tongdai ships
    queue_music: dict[str, str] = field(default_factory=dict)  # queue id -> its uploaded music
    recording_notices: dict[str, str] = field(default_factory=dict)  # language -> "this call may be recorded"

    def music_of(self, queue_id: str) -> str | None:
        return self.queue_music.get(queue_id, self.music)


class AnsweredCall(QueuedCall):
    """A queue's call that waits with music: answered at once, then in its queue."""

    def __init__(self, *, audio: Callable[[], CallAudio], clock: Callable[[], float], **queued: Any):
        super().__init__(**queued)
        self.audio = audio  # the switch's current files
        self.clock = clock
        self._bridged_leg: Any = None  # the phone (or external leg) whose answer rtpengine took for the caller
        self.browser_calls: dict[Any, str] = {}  # a browser's leg -> its own call in rtpengine (bridged to this one)
        self.agent_side_sdp = DISCARD_SDP  # what rtpengine has for the side facing the agent: its phone's SDP

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
        elif isinstance(event, CCEventUpdate) and self.state not in (LegState.TRYING, LegState.ENDED):
            self._caller_reinvites(event)
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

    relays_reinvites = False  # tongdai answered the caller: each side's re-INVITE is answered here (below)

    def _browser_offer(self, leg: Any) -> tuple[str, str, str]:
        """A browser is bridged through a call of its own in rtpengine: the side of this call that faces
        the agent (plain RTP, answered already) is offered to it as if it were a phone, and rtpengine
        makes that offer a browser's (ICE, DTLS-SRTP). Offering the answered side itself to the browser
        fails its DTLS handshake (measured: rtpengine keeps the role it took there first)."""
        media_call_id = f"{self.media_call_id}~{self.leg_tags[leg]}"
        self.browser_calls[leg] = media_call_id
        return media_call_id, BRIDGE_TAG, sdp_text(self.offer_body)

    def _leg_sdp(self, to_tag: str, ua_of: Callable[[], Any]) -> Callable[[Any, Callable], None]:
        def answer(body, done) -> None:
            if self._bridged_leg is not None:  # another phone answered first: its SDP is not used
                done(body)
                return
            self._bridged_leg = to_tag
            self.media.stop_playing(self.media_call_id, self.caller_tag)  # the music, if it plays
            browser_call = self.browser_calls.get(ua_of())
            sdp = sdp_text(body)
            if browser_call is None:
                self.agent_side_sdp = sdp
                through_rtpengine(self.media, body, done, call_id=self.media_call_id, from_tag=self.caller_tag,
                                  to_tag=OWN_TAG)
                return

            def bridge(plain_sdp: str) -> None:  # the browser's call, plain side: what this call now sends to
                self.agent_side_sdp = plain_sdp
                self.media.answer(self.media_call_id, self.caller_tag, OWN_TAG, plain_sdp, lambda _sdp: done(body),
                                  lambda _exc: done(body))
            self.media.answer(browser_call, BRIDGE_TAG, to_tag, sdp, bridge, lambda _exc: done(body))
        return answer

    def cancel(self, agent_id: str, keep: Any = None) -> None:
        for leg in self.legs.get(agent_id, []):
            if leg is not keep:
                self._drop_browser_call(leg)
        super().cancel(agent_id, keep)

    def from_leg(self, agent_id: str, ua: Any, event) -> None:
        if isinstance(event, CCEventFail):  # that browser will not answer: its call in rtpengine goes
            self._drop_browser_call(ua)
        elif isinstance(event, CCEventUpdate) and ua is self.connected_leg and self.state is LegState.CONNECTED:
            self._agent_reinvites(ua, event)
            return
        super().from_leg(agent_id, ua, event)

    # -- re-INVITEs: hold and resume, answered by tongdai ------------------------------------------

    def _agent_reinvites(self, ua: Any, event: CCEventUpdate) -> None:
        """The agent holds or resumes: rtpengine takes its offer and tongdai answers it with the caller's
        side (a browser's: its own call's plain side); the carrier hears of nothing. While the agent holds,
        the caller hears the queue's music."""
        offer = sdp_text(event.getData())
        browser_call = self.browser_calls.get(ua)
        if browser_call is not None:
            own_side = sdp_text(self.offer_body)
            self._answer_locally(ua, browser_call, self.leg_tags[ua], BRIDGE_TAG, offer, own_side, self._hold_music)
        else:
            self.agent_side_sdp = offer
            self._answer_locally(ua, self.media_call_id, OWN_TAG, self.caller_tag, offer, self.caller_sdp or offer,
                                 self._hold_music)

    def _hold_music(self, answered_with: str) -> None:
        music = self.audio().music_of(self.queue_id)
        if answered_with == "sendrecv" or music is None:
            self.media.stop_playing(self.media_call_id, self.caller_tag)
        else:
            self.media.play(self.media_call_id, self.caller_tag, music, lambda _ms: None,
                            lambda exc: log.warning("call %s: no music on hold: %s", self.record.id, exc),
                            repeat=1000)

    def _caller_offer(self, body, done) -> None:
        if self.state in (LegState.TRYING, LegState.ANSWERING):  # its INVITE
            super()._caller_offer(body, done)
        else:  # a re-INVITE of the caller's, answered by tongdai (from_caller)
            done(body)

    def _caller_reinvites(self, event: CCEventUpdate) -> None:
        """The caller holds or resumes (or its carrier moves its media): answered with the side facing the
        agent (or the discard address while nobody answered), in the direction that answers it."""
        self.caller_sdp = sdp_text(event.getData())
        self._answer_locally(self.ua_caller, self.media_call_id, self.caller_tag, OWN_TAG, self.caller_sdp,
                             self.agent_side_sdp, lambda _direction: None)

    def _answer_locally(self, ua: Any, media_call_id: str, offerer: str, answerer: str, offer: str, answerer_sdp: str,
                        then: Callable[[str], None]) -> None:
        direction = ANSWERED_WITH[direction_of(offer)]

        def reply(sdp: str) -> None:
            if self.state is not LegState.ENDED:
                ua.recvEvent(CCEventConnect((200, "OK", MsgBody(sdp))))
                then(direction)

        def refuse(exc: Exception) -> None:
            log.warning("call %s: a re-INVITE could not be answered: %s", self.record.id, exc)
            if self.state is not LegState.ENDED:
                ua.recvEvent(CCEventFail((488, "Not Acceptable Here")))

        def answer(_sdp: str) -> None:
            self.media.answer(media_call_id, offerer, answerer, with_direction(answerer_sdp, direction), reply, refuse)
        self.media.offer(media_call_id, offerer, offer, answer, refuse, to_tag=answerer)

    def _drop_browser_call(self, leg: Any) -> None:
        media_call_id = self.browser_calls.pop(leg, None)
        if media_call_id is not None:
            self.media.delete(media_call_id)

    def finish(self, reason: str, by: str | None, status: int | None = None) -> None:
        if self.state is not LegState.ENDED:
            for leg in list(self.browser_calls):
                self._drop_browser_call(leg)
        super().finish(reason, by, status)

    def _caller_connects(self, event) -> None:
        """Nothing to tell the caller: tongdai answered it (its session timer runs since), and rtpengine
        now sends it the agent's audio on the same port."""
