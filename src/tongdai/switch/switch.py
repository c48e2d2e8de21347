"""The live-call side of tongdai, with one owner for each piece of its state, all in the SIP thread:

- the configuration snapshot (`Directory`), swapped in one place, `apply_configuration`, which
  hands the same snapshot to routing, the registrar and the agent/queue state machine at once;
- the registrar (live bindings), the queueing (waiting and wrapping calls, and through it Presence,
  the owner of every agent's state), the agents' own calls, and the request handler.

Built once by the composition root (`tongdai.serve`), which feeds it from the database and hands its
events to the call log, the event stream and the state writer.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..app.notifier import Notification
from ..app.services.caller_id import CallerIdUsage
from ..domain.acd import StatusChanged
from ..domain.calls import CallRecord, notice_language
from ..domain.directory import Directory
from ..domain.limits import CallLimits, Caps
from ..media.rtpengine import MediaWorker
from ..sip.auth import BrowserAuth
from ..sip.options import send_options
from ..sip.registrar import Binding, Registrar
from .agent_calls import AgentCalls
from .answered import AnsweredCall, CallAudio
from .ivr_call import IvrCall
from .queued import QueuedCall
from .queueing import Queueing
from .switchboard import Switchboard
from .trunks import TrunkMonitor

log = logging.getLogger("tongdai.switch")

TICK_SECONDS = 0.25  # timers (ring timeout, wrap-up end, alerts, max wait) run within this of their deadline


class Switch:
    def __init__(self, *, directory: Directory, global_config: dict[str, Any], media: MediaWorker,
                 usage: CallerIdUsage, publish: Callable[[CallRecord, str], None],
                 notify: Callable[[Notification], None],
                 persist_bindings: Callable[[str, list[Binding]], None],
                 on_state_change: Callable[[str, str, StatusChanged, datetime], None],
                 rng: random.Random | None = None, clock: Callable[[], float] | None = None,
                 queued_call: Callable[..., Any] | None = None, caps: Caps | None = None,
                 trunk_check_seconds: float = 30.0, browser_secret: bytes | None = None):
        """`clock` and `queued_call` (the factory of a queued call's legs) are for tests; `browser_secret`:
        the widget's short-lived SIP credentials are taken (derived with it)."""
        self.directory = directory
        self.global_config = global_config
        self.media = media
        self.persist_bindings = persist_bindings
        self.registrar = Registrar(on_change=self._bindings_changed,
                                   browser=BrowserAuth(browser_secret) if browser_secret else None)
        self.trunks = TrunkMonitor(lambda host, port, on_answer: send_options(global_config, host, port, on_answer),
                                   interval=trunk_check_seconds)
        limits = CallLimits(caps or Caps())  # one count of the calls up, for agents' calls and overflow calls
        self.queueing = Queueing(directory=directory, contacts=self.registrar.contacts,
                                 new_call=queued_call or self._queued_call, notify=notify, publish=publish,
                                 on_state_change=on_state_change, global_config=global_config, clock=clock,
                                 limits=limits, trunks=self.trunks, new_ivr_call=self._ivr_call)
        self.audio = CallAudio()  # the files answered calls play: IVR prompts, music
        self._clock = clock or time.monotonic
        self.presence = self.queueing.presence
        self.agent_calls = AgentCalls(global_config=global_config, media=media, usage=usage, presence=self.presence,
                                      contacts=self.registrar.contacts, publish=publish, notify=notify,
                                      limits=limits, rng=rng or random.Random(), trunks=self.trunks,
                                      notice=self.recording_notice)
        self.switchboard = Switchboard(directory=lambda: self.directory, registrar=self.registrar,
                                       queueing=self.queueing, agent_calls=self.agent_calls, publish=publish)
        self._ticker: Any = None
        self._ticks = 0

    # -- the one configuration snapshot -------------------------------------------------------------

    def apply_configuration(self, directory: Directory, audio: CallAudio | None = None) -> None:
        """SIP thread (or before the engine starts): routing, registrar and queues see `directory`
        from the same instant; no call can see a hotline whose queue the distributor lacks. `audio`: the
        files IVR calls play, made for this snapshot."""
        self.directory = directory
        if audio is not None:
            self.audio = audio
        self.queueing.reconfigure(directory)

    def click_to_call(self, agent_id: str, destination: str, caller: str | None) -> dict:
        """SIP thread: ring the agent, then call `destination` (raises RuleViolation as a SIP call is refused)."""
        return {"call_id": self.agent_calls.click_to_call(self.directory, agent_id, destination, caller)}

    # -- browsers -------------------------------------------------------------------------------------

    def revoke_browser_credential(self, credential_id: str, expires_at: float) -> None:
        """SIP thread: a widget's credential stops working now (its user signed out)."""
        if self.registrar.browser is not None:
            self.registrar.browser.revoke(credential_id, expires_at)

    def websocket_closed(self, connection: str) -> None:
        """SIP thread: a browser's WebSocket closed; its registrations go."""
        self.registrar.connection_closed(connection)

    # -- start, stop, tick ---------------------------------------------------------------------------

    def restore(self, bindings: list[Binding], away: list[tuple[str, str | None]]) -> None:
        """Before the engine starts: the bindings and the away agents persisted by the last run."""
        self.registrar.restore(bindings)
        for agent_id, reason in away:
            self.presence.distributor.restore_away(agent_id, reason)

    def start(self) -> None:
        """SIP thread: agents with live bindings are registered; then the tick runs the timers every
        250 ms and notices expired bindings once a second."""
        from sippy.Time.Timeout import Timeout
        self.tick()
        self._ticker = Timeout(self.tick, TICK_SECONDS, -1)

    def stop(self) -> None:
        """SIP thread."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def tick(self) -> None:
        if self._ticks % 4 == 0:
            for agent_id, agent in self.presence.distributor.agents.items():
                live = bool(self.registrar.contacts(agent_id))
                if agent.registered != live:
                    self.presence.registered(agent_id, live)
        self._ticks += 1
        self.presence.tick()
        self.queueing.ivr_tick()
        self.trunks.tick(self.directory)

    # -- stopping ---------------------------------------------------------------------------------------

    def stop_taking_calls(self) -> int:
        """SIP thread: new INVITEs get 503 from now on; returns the calls still up."""
        self.switchboard.draining = True
        return self.calls_up()

    def calls_up(self) -> int:
        return len(self.agent_calls.calls) + len(self.queueing.queued)

    def end_every_call(self, reason: str = "shutdown", started_before: datetime | None = None) -> int:
        """SIP thread: hang up both legs of every call still up (rows closed with `reason`: `shutdown`, or
        `media_lost` when rtpengine restarted and forgot the media of the calls started before then)."""
        bridged = [c for c in self.agent_calls.calls.values()
                   if started_before is None or c.record.started_at < started_before]
        queued = [c for c in self.queueing.queued.values()
                  if started_before is None or c.record.started_at < started_before]
        for call in bridged:
            call.shut_down(reason)
        for leg in queued:
            leg.shut_down(reason)
            self.queueing.shut(leg)
        return len(bridged) + len(queued)

    def media_lost(self, restarted_at: datetime) -> None:
        """SIP thread: rtpengine restarted at `restarted_at`; the calls it carried before have no audio any
        more. They are ended (`media_lost`, with the call.ended event) rather than left up and silent;
        calls placed since have their media on the new rtpengine and go on."""
        ended = self.end_every_call("media_lost", started_before=restarted_at)
        if ended:
            log.error("rtpengine restarted: %d call(s) lost their media and were ended", ended)

    # -- SIP --------------------------------------------------------------------------------------------

    def on_request(self, req: Any, sip_t: Any) -> tuple | None:
        return self.switchboard.on_request(req, sip_t)

    def _bindings_changed(self, agent_id: str, bindings: list[Binding]) -> None:
        self.persist_bindings(agent_id, bindings)
        self.presence.registered(agent_id, bool(bindings))

    def dtmf(self, media_call_id: str, tag: str, key: str) -> None:
        """SIP thread: a key rtpengine heard on a call."""
        self.queueing.ivr_key(media_call_id, tag, key)

    def _ivr_call(self, *, req: Any, **fields: Any) -> IvrCall:
        tenant_id = fields["record"].tenant_id
        hours = self.directory.tenants[tenant_id].hours

        def is_open() -> bool:  # the tenant's opening hours, when an hours node is entered
            return hours is None or hours.is_open(datetime.now(UTC))

        def agent_of(extension: str) -> str | None:  # the tenant's agent with this extension, now
            return self.directory.agent_by_extension.get((tenant_id, extension))

        return IvrCall(is_open=is_open, agent_of=agent_of, global_config=self.global_config, media=self.media,
                       media_call_id=str(req.getHFBody("call-id")), caller_tag=req.getHFBody("from").getTag(),
                       on_update=self.queueing.publish, notify=self.queueing.notify, clock=self._clock,
                       audio=lambda: self.audio, notice=self.recording_notice, **fields)

    def _queued_call(self, *, req: Any, **fields: Any) -> QueuedCall:
        """A queue's call: rung with ringback, or answered at once with music when the queue says so."""
        legs = dict(global_config=self.global_config, media=self.media, media_call_id=str(req.getHFBody("call-id")),
                    caller_tag=req.getHFBody("from").getTag(), on_update=self.queueing.publish,
                    notice=self.recording_notice)
        queue = self.directory.queues.get(fields["queue_id"])
        if queue is not None and queue.waiting_audio == "music":
            return AnsweredCall(audio=lambda: self.audio, clock=self._clock, **legs, **fields)
        return QueuedCall(**legs, **fields)

    def metrics_view(self) -> dict[str, Any]:
        """For /metrics (SIP thread): live bindings, agents by state, each queue's waiting calls and longest
        wait, callers in an IVR."""
        now = self.presence.clock()
        d = self.presence.distributor
        agents: dict[str, int] = {}
        for agent in d.agents.values():
            agents[agent.state] = agents.get(agent.state, 0) + 1
        queues: dict[str, tuple[int, float]] = {q: (0, 0.0) for q in d.queues}
        for call in d.calls.values():
            n, longest = queues.get(call.queue_id, (0, 0.0))
            queues[call.queue_id] = (n + 1, max(longest, round(now - call.entered_at, 3)))
        return {"bindings": self.registrar.count(), "agents": agents, "queues": queues,
                "ivr": len(self.queueing.ivr_calls)}

    def recording_notice(self, record: CallRecord) -> str | None:
        """The file a recorded call's customer hears before recording starts: its hotline's announcement
        (in the hotline's language), if the hotline has it on."""
        hotline = self.directory.hotline_by_number.get(record.hotline_number or "")
        if hotline is None or not hotline.recording_announcement:
            return None
        return self.audio.recording_notices.get(notice_language(hotline.country))

    # -- what the API asks (through app.live, in the SIP thread) ------------------------------------

    def agent_status(self, agent_id: str) -> dict:
        return self.presence.view(agent_id)

    def set_agent_status(self, agent_id: str, status: str, reason: str | None) -> dict:
        """Raises ValueError for a change the rules do not allow."""
        return self.presence.set_status(agent_id, status, reason)

    def agent_ready(self, agent_id: str) -> dict:
        return self.presence.ready(agent_id)

    def queue_live(self, queue_id: str) -> dict:
        return self.presence.live(queue_id)

    def trunk_health(self) -> dict[str, dict[str, Any]]:
        return self.trunks.view()
