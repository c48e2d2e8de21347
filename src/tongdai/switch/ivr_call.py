"""A call to a hotline with its IVR on: answered at once by tongdai (see `answered.py`), the tree walked
with prompts rtpengine plays and keys it reports. Leaving for a queue or an agent keeps the same dialog
and media; everything after the IVR is the answered call's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sippy.CCEvents import CCEventDisconnect

from ..app import notifier
from ..app.notifier import Notification
from ..domain.calls import LegState
from ..domain.ivr import Effect, Goodbye, IvrWalk, Leave, Play, StopPlaying
from ..domain.model import IvrTree
from .answered import AnsweredCall

log = logging.getLogger("tongdai.switch")


class IvrCall(AnsweredCall):
    def __init__(self, *, tree: IvrTree, on_leave: Callable[[IvrCall, Leave], None],
                 notify: Callable[[Notification], None], is_open: Callable[[], bool],
                 agent_of: Callable[[str], str | None], **answered: Any):
        super().__init__(**answered)
        self.notify = notify  # the IVR's events (entered, key, left)
        self.tree = tree
        self.on_leave = on_leave
        self.walk = IvrWalk(tree, is_open=is_open, agent_of=agent_of)  # the tenant's hours now; its extensions

    # -- the caller's leg -------------------------------------------------------------------------

    def from_caller(self, event, ua) -> None:
        if isinstance(event, CCEventDisconnect) and self.state is LegState.IVR:
            self.walk.hung_up(self.clock())
            self._left("caller_hung_up", "caller_hung_up")
            self.finish("ivr_hangup", "customer")
            self.events.hung_up(self)
        else:
            super().from_caller(event, ua)

    def _left_unanswered(self) -> None:
        self.finish("ivr_hangup", "customer", status=487)
        self.events.hung_up(self)

    def answered(self) -> None:
        self.state = LegState.IVR
        self.record.ivr_tree_id = self.tree.id
        self.notify(notifier.call_ivr_entered(self.record, self.tree.id))
        self.carry_out(self.walk.start(self.clock()))

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

    # -- after the walk ------------------------------------------------------------------------------

    def ring_agent(self) -> None:
        """The walk leads to one agent (a branch, or the extension the caller typed): it rings, the caller
        hears music; the queueing offers the call to that agent only."""
        self.wait_with_music()

    def back_to_ivr(self) -> None:
        """The agent did not take the call: the walk goes on at the node that rang it."""
        if self.state is not LegState.RINGING or self.connected_agent is not None:
            return
        self.media.stop_playing(self.media_call_id, self.caller_tag)
        self.state = LegState.IVR
        self.carry_out(self.walk.unanswered(self.clock()))
