"""A call to a hotline with its IVR on. The caller's leg is answered at once with rtpengine's SDP (the
other side of the call in rtpengine faces a discard address until an agent answers); the tree is
walked with prompts rtpengine plays and keys it reports; leaving for a queue keeps the same dialog and
media: the agent who answers is bridged by answering rtpengine's B side again, so the carrier gets no
re-INVITE (`port-latching` keeps the port it faces the caller on). Everything after the IVR is the
queued call's (this is one)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventTry
from sippy.MsgBody import MsgBody

from ..app import notifier
from ..app.notifier import Notification
from ..domain.calls import LegState
from ..domain.ivr import Effect, Goodbye, IvrWalk, Leave, Play, StopPlaying
from ..domain.model import IvrTree
from ..sip.headers import reason_headers
from .legs import through_rtpengine
from .queued import QueuedCall

log = logging.getLogger("tongdai.switch")

IVR_TAG = "ivr"  # rtpengine's tag for the side of the call the caller talks to: the IVR, then the agent
DISCARD_SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio 9 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
               "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")

@dataclass(frozen=True)
class IvrAudio:
    """The files IVR calls play, made for one configuration snapshot (a missing one is left out)."""

    prompts: dict[tuple[str, str], str] = field(default_factory=dict)  # (tree id, node id) -> file
    goodbyes: dict[str, str] = field(default_factory=dict)  # language -> file
    music: str | None = None  # what a caller who came through the IVR hears while queued


class IvrCall(QueuedCall):
    def __init__(self, *, tree: IvrTree, audio: Callable[[], IvrAudio], on_leave: Callable[[IvrCall, Leave], None],
                 clock: Callable[[], float], notify: Callable[[Notification], None],
                 is_open: Callable[[], bool], agent_of: Callable[[str], str | None], **queued: Any):
        super().__init__(**queued)
        self.notify = notify  # the IVR's events (entered, key, left)
        self.tree = tree
        self.audio = audio  # the switch's current files
        self.on_leave = on_leave
        self.clock = clock
        self.walk = IvrWalk(tree, is_open=is_open, agent_of=agent_of)  # the tenant's hours now; its extensions
        self._bridged_leg: Any = None  # the agent's phone whose answer rtpengine took for the caller

    # -- the caller's leg -------------------------------------------------------------------------

    def from_caller(self, event, ua) -> None:
        if isinstance(event, CCEventTry) and self.state is LegState.TRYING:
            self.offer_body = event.getData()[3]  # rtpengine's SDP for the side that is not the caller
            self.on_update(self.record, "call.started")
            if self.offer_body is None:  # a late offer: the IVR needs the caller's media up front
                log.warning("call %s to an IVR hotline refused: its INVITE has no SDP", self.record.id)
                fail = CCEventFail((488, "Not Acceptable Here"))
                fail.extra_headers = reason_headers(488, "sdp_required", "an IVR call needs an SDP offer")
                self.ua_caller.recvEvent(fail)
                self.finish("refused", "system", status=488)
                self.events.hung_up(self)
                return
            self.state = LegState.IVR
            self.media.answer(self.media_call_id, self.caller_tag, IVR_TAG, DISCARD_SDP, self._answer_caller,
                              self._could_not_answer)
        elif isinstance(event, CCEventDisconnect) and self.state is LegState.IVR:
            self.walk.hung_up(self.clock())
            self._left("caller_hung_up", "caller_hung_up")
            self.finish("ivr_hangup", "customer")
            self.events.hung_up(self)
        else:
            super().from_caller(event, ua)

    def _answer_caller(self, sdp: str) -> None:
        if self.state is not LegState.IVR:  # the caller left meanwhile
            return
        self.ua_caller.recvEvent(CCEventConnect((200, "OK", MsgBody(sdp))))
        self.keep_alive(self.ua_caller, self.global_config.get("_session_expires"))
        self.record.ivr_tree_id = self.tree.id
        self.notify(notifier.call_ivr_entered(self.record, self.tree.id))
        self.carry_out(self.walk.start(self.clock()))

    def _could_not_answer(self, exc: Exception) -> None:
        log.error("call %s: rtpengine could not answer the IVR call: %s", self.record.id, exc)
        self.ua_caller.recvEvent(CCEventDisconnect())
        self.finish("media_failed", "system", status=500)
        self.events.hung_up(self)

    # -- the walk -------------------------------------------------------------------------------------

    def key(self, key: str) -> None:
        """A key the caller pressed (from rtpengine's DTMF report)."""
        if self.state is LegState.IVR and not self.walk.over:
            node = self.walk.node_id
            effects = self.walk.key(key, self.clock())
            self.record.ivr_keys = tuple(self.walk.keys)
            self.notify(notifier.call_ivr_key(self.record, node, key))
            self.carry_out(effects)

    def tick(self) -> None:
        if self.state is LegState.IVR:
            self.carry_out(self.walk.tick(self.clock()))

    def carry_out(self, effects: list[Effect]) -> None:
        self.record.ivr_path = tuple(self.walk.path)
        for effect in effects:
            if isinstance(effect, Play):
                self._play(self.audio().prompts.get((self.tree.id, effect.node_id)))
            elif isinstance(effect, StopPlaying):
                self.media.stop_playing(self.media_call_id, self.caller_tag)
            elif isinstance(effect, Leave):
                target = effect.target
                where = {"queue": target.queue_id, "external": target.number, "agent": target.agent_id}.get(target.type)
                self._left(f"{target.type}:{where}" if where else target.type, effect.reason)
                self.on_leave(self, effect)
            elif isinstance(effect, Goodbye):
                self._left("goodbye", effect.reason)
                self._goodbye(effect)

    def _left(self, outcome: str, reason: str) -> None:
        self.record.ivr_path = tuple(self.walk.path)
        self.record.ivr_seconds = self.walk.seconds(self.clock())
        self.notify(notifier.call_ivr_left(self.record, outcome, reason))

    def _play(self, path: str | None) -> None:
        started = self.clock()
        if path is None:  # a prompt that could not be made: the node still waits for a key
            log.error("call %s: node %s of IVR %s has no prompt file", self.record.id, self.walk.node_id, self.tree.id)
            self.walk.prompt_started(0.0, started)
            return
        self.media.play(self.media_call_id, self.caller_tag, path,
                        lambda ms: self.walk.prompt_started(ms / 1000, started),
                        lambda exc: self._play_failed(exc, started))

    def _play_failed(self, exc: Exception, started: float) -> None:
        log.error("call %s: rtpengine could not play the prompt: %s", self.record.id, exc)
        self.walk.prompt_started(0.0, started)

    def _goodbye(self, effect: Goodbye) -> None:
        from sippy.Time.Timeout import Timeout
        path = self.audio().goodbyes.get(effect.language)
        if path is not None:
            self.media.play(self.media_call_id, self.caller_tag, path,
                            lambda ms: Timeout(self.hang_up_after_ivr, ms / 1000 + 0.3, 1, effect.reason),
                            lambda _exc: self.hang_up_after_ivr(effect.reason))
        else:
            self.hang_up_after_ivr(effect.reason)

    def hang_up_after_ivr(self, reason: str) -> None:
        """The walk ends the call (goodbye, or a hang-up branch): BYE to the caller."""
        if self.state is not LegState.IVR:
            return
        self.ua_caller.recvEvent(CCEventDisconnect())
        self.finish(f"ivr_{reason}" if reason in ("no_input", "invalid_input") else "ivr_hangup", "system")
        self.events.hung_up(self)

    def enter_queue(self, queue_id: str) -> None:
        """The walk leads to a queue: the call waits there like any other (it is already answered)."""
        self.queue_id = queue_id
        self._wait_with_music()
        self.events.queue(self)

    def ring_agent(self) -> None:
        """The walk leads to one agent (a branch, or the extension the caller typed): it rings, the caller
        hears music; the queueing offers the call to that agent only."""
        self._wait_with_music()

    def back_to_ivr(self) -> None:
        """The agent did not take the call: the walk goes on at the node that rang it."""
        if self.state is not LegState.RINGING or self.connected_agent is not None:
            return
        self.media.stop_playing(self.media_call_id, self.caller_tag)
        self.state = LegState.IVR
        self.carry_out(self.walk.unanswered(self.clock()))

    def _wait_with_music(self) -> None:
        self.state = LegState.RINGING
        music = self.audio().music
        if music is not None:  # answered already: music rather than ringback while it waits
            self.media.play(self.media_call_id, self.caller_tag, music, lambda _ms: None,
                            lambda exc: log.warning("call %s: no music on hold: %s", self.record.id, exc),
                            repeat=1000)

    def forward(self, destination: Any) -> None:
        self.media.stop_playing(self.media_call_id, self.caller_tag)
        super().forward(destination)

    def from_external(self, event, ua) -> None:
        if isinstance(event, CCEventFail) and self.state is LegState.FORWARDING:
            # the caller was answered by the IVR: a failed external leg ends its call with a BYE
            status = event.getData()[0] if event.getData() else 500
            self.ua_caller.recvEvent(CCEventDisconnect())
            self.finish("overflow", "system", status=status)
            self.events.ended(self)
            return
        super().from_external(event, ua)

    def hang_up_caller(self, status: int, reason: str) -> None:
        """The queue gives up (max wait with hang-up): the caller, answered by the IVR, gets a BYE."""
        self.media.stop_playing(self.media_call_id, self.caller_tag)
        self.ua_caller.recvEvent(CCEventDisconnect())
        self.finish("overflow", "system", status=status)

    # -- bridging an agent without a re-INVITE to the caller -----------------------------------------

    def _leg_answer(self, to_tag: str) -> Callable[[Any, Callable], None]:
        def answer(body, done) -> None:
            if self._bridged_leg is not None:  # another phone answered first: its SDP is not used
                done(body)
                return
            self._bridged_leg = to_tag
            self.media.stop_playing(self.media_call_id, self.caller_tag)  # the music, if it plays
            through_rtpengine(self.media, body, done, call_id=self.media_call_id, from_tag=self.caller_tag,
                              to_tag=IVR_TAG)
        return answer

    def _caller_connects(self, event) -> None:
        """Nothing to tell the caller: it was answered by the IVR (session timer running since), and
        rtpengine now sends it the agent's audio on the same port."""
