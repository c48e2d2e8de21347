"""Inbound calls in their queues: the owner of every waiting call and every answered call whose agent
wraps up. It takes a carrier's call into its queue, feeds what the call reports to the agent/queue
state machine (through Presence, which it builds and hands itself to), and carries out the machine's
effects on the calls: ring an agent's phones, stop them, alert, overflow. Runs in the SIP thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

from sippy.SipHeader import SipHeader

from ..app import notifier
from ..app.notifier import Notification
from ..domain.acd import (
    Abandoned,
    AnswerTimeExceeded,
    CancelOffer,
    Offer,
    Overflow,
    OverflowKind,
    Unanswered,
    WrapUpEnded,
)
from ..domain.calls import CallRecord
from ..domain.directory import Directory
from ..domain.ivr import Leave
from ..domain.limits import CallLimits, Caps
from ..domain.numbers import classify
from ..domain.routing import Inbound, IvrInbound
from ..sip.headers import asserted_identity, contact_user
from ..sip.registrar import Binding
from .legs import Destination, utcnow
from .presence import Presence
from .trunks import TrunkMonitor

log = logging.getLogger("tongdai.switch")


class QueuedLeg(Protocol):
    """What the queueing asks of a waiting call (QueuedCall; a fake in tests)."""

    record: CallRecord
    queue_id: str
    connected_agent: str | None
    ua_caller: Any  # the caller's sippy UA, which answers the INVITE

    def offer_to(self, agent_id: str, phones: list[tuple[tuple[str, int], str, str]],
                 headers: tuple = ()) -> None: ...
    def cancel(self, agent_id: str) -> None: ...
    def forward(self, destination: Destination) -> None: ...
    def hang_up_caller(self, status: int, reason: str) -> None: ...
    def shut_down(self, reason: str = "shutdown") -> None: ...


NewCall = Callable[..., Any]  # (record=, queue_id=, caller=, record_audio=, events=) -> a QueuedLeg


class Queueing:
    def __init__(self, *, directory: Directory, contacts: Callable[[str], list[Binding]],
                 new_call: NewCall, notify: Callable[[Notification], None],
                 publish: Callable[[CallRecord, str], None],
                 on_state_change: Callable[..., None], global_config: dict[str, Any],
                 clock: Callable[[], float] | None = None, limits: CallLimits | None = None,
                 trunks: TrunkMonitor | None = None, new_ivr_call: NewCall | None = None):
        self.directory = directory
        self.new_ivr_call = new_ivr_call  # the factory of an IVR hotline's call (needs the switch's prompts)
        self.ivr_calls: dict[str, Any] = {}  # rtpengine's call id -> a call that came through an IVR (its keys)
        self.limits = limits or CallLimits(Caps())  # shared with agents' calls: the tenant's and trunk's caps
        self.trunks = trunks  # a silent trunk takes no overflow call
        self._counted: dict[str, tuple[tuple[str, str], ...]] = {}  # overflow call -> the cap keys it counts in
        self._clock = clock or time.monotonic
        self.contacts = contacts  # the registrar's live bindings of an agent
        self.new_call = new_call
        self.notify = notify
        self.publish = publish  # the call log
        self.global_config = global_config  # tongdai's SIP address, once the engine runs
        self.queued: dict[str, QueuedLeg] = {}
        self.wrapping: dict[str, CallRecord] = {}  # answered inbound calls whose agent is in wrap-up
        self._terms: dict[str, tuple[float, float]] = {}  # call -> its hotline's wrap-up and alert seconds
        extra = {"clock": clock} if clock is not None else {}
        self.presence = Presence(directory, on_change=on_state_change, on_call_effect=self.carry_out, **extra)
        self._effects: dict[type, Callable[[Any, QueuedLeg], None]] = {
            Offer: self._offer, CancelOffer: self._cancel, AnswerTimeExceeded: self._alert,
            Abandoned: self._abandoned, Overflow: self._overflow, Unanswered: self._unanswered}

    def reconfigure(self, directory: Directory) -> None:
        self.directory = directory
        self.presence.reconfigure(directory)

    def take(self, route: Inbound, record: CallRecord, **leg: Any) -> QueuedLeg:
        """A carrier's call for a queue: the queued call that answers the caller with ringback."""
        queue, hotline = self.directory.queues[route.queue_id], route.hotline
        self._terms[record.id] = (float(hotline.wrap_up_seconds), float(hotline.notify_answer_seconds))
        call = self.new_call(record=record, queue_id=route.queue_id, caller=route.caller,
                             record_audio=recorded_by(queue), events=self, **leg)
        self.queued[record.id] = call
        return call

    def take_ivr(self, route: IvrInbound, record: CallRecord, *, req: Any) -> QueuedLeg:
        """A carrier's call to an IVR hotline: answered, the tree walked; it may then wait in a queue."""
        assert self.new_ivr_call is not None
        hotline = route.hotline
        self._terms[record.id] = (float(hotline.wrap_up_seconds), float(hotline.notify_answer_seconds))
        call = self.new_ivr_call(record=record, queue_id="", caller=route.caller, record_audio=None, events=self,
                                 tree=self.directory.ivr_trees[route.tree_id], on_leave=self._ivr_leaves, req=req)
        self.queued[record.id] = call
        self.ivr_calls[call.media_call_id] = call
        return call

    def ivr_key(self, media_call_id: str, tag: str, key: str) -> None:
        """A key rtpengine heard: for the call walking an IVR, when the caller pressed it."""
        call = self.ivr_calls.get(media_call_id)
        if call is not None and tag == call.caller_tag:
            call.key(key)

    def ivr_tick(self) -> None:
        for call in list(self.ivr_calls.values()):
            call.tick()

    def _ivr_leaves(self, call: Any, leave: Leave) -> None:
        """Where the walk leads: a queue of the tenant, an external number through the hotline, hang-up."""
        target, record = leave.target, call.record
        if target.type == "queue" and target.queue_id in self.directory.queues:
            queue = self.directory.queues[target.queue_id]
            log.info("call %s leaves the IVR for queue %s (%s)", record.id, queue.id, leave.reason)
            call.record_audio = recorded_by(queue)
            call.enter_queue(queue.id)
            return
        if target.type == "agent" and target.agent_id in self.directory.agents:
            log.info("call %s leaves the IVR for agent %s (%s)", record.id, target.agent_id, leave.reason)
            wrap_up, _alert = self._terms.get(record.id, (0.0, 0.0))
            call.ring_agent()
            self.presence.call_arrives(record.id, "", wrap_up, 0.0, agent_id=target.agent_id)
            return
        if target.type == "external" and target.number:
            destination = self._external(record, target.number)
            if destination is not None:
                log.info("call %s leaves the IVR for %s through %s", record.id, destination.called,
                         destination.calling)
                record.overflowed_to_number(destination.called)
                call.forward(destination)
                return
        log.info("call %s: the IVR hangs up (%s)", record.id, leave.reason)
        call.hang_up_after_ivr("hangup")

    # -- what a queued call reports -------------------------------------------------------------

    def queue(self, call: QueuedLeg) -> None:
        record = call.record
        wrap_up, alert = self._terms.pop(record.id, (0.0, 0.0))
        record.queued(call.queue_id, utcnow())
        self.notify(notifier.call_queued(record, call.queue_id))
        self.presence.call_arrives(record.id, call.queue_id, wrap_up, alert)

    def answered(self, call: QueuedLeg, agent_id: str) -> bool:
        return self.presence.answers(call.record.id, agent_id)

    def declined(self, call: QueuedLeg, agent_id: str) -> None:
        self.presence.declines(call.record.id, agent_id)

    def shut(self, call: QueuedLeg) -> None:
        """A call the switch hung up (shutdown, media lost) leaves the queue and the distributor: an agent
        who had it goes to wrap-up, a waiting one is never offered."""
        if call.connected_agent is not None:
            self.ended(call)
        else:
            self.hung_up(call)

    def hung_up(self, call: QueuedLeg) -> None:
        self.ivr_calls.pop(getattr(call, "media_call_id", ""), None)
        self._terms.pop(call.record.id, None)
        self.presence.caller_hangs_up(call.record.id)
        self.queued.pop(call.record.id, None)
        self.limits.ended(self._counted.pop(call.record.id, ()))

    def abandoned_after_overflow(self, call: QueuedLeg) -> None:
        """The customer hung up while the external overflow number rang: abandoned all the same."""
        self.notify(notifier.call_abandoned(call.record, call.queue_id, call.record.queue_seconds))

    def ended(self, call: QueuedLeg) -> None:
        if call.connected_agent is not None:
            self.wrapping[call.record.id] = call.record  # until the agent's wrap-up ends
        self.presence.call_ends(call.record.id)
        self.ivr_calls.pop(getattr(call, "media_call_id", ""), None)
        self._terms.pop(call.record.id, None)
        self.queued.pop(call.record.id, None)
        self.limits.ended(self._counted.pop(call.record.id, ()))

    # -- the state machine's effects ---------------------------------------------------------------

    def carry_out(self, effect: object) -> None:
        if isinstance(effect, WrapUpEnded):
            record = self.wrapping.pop(effect.call_id, None)
            if record is not None:
                record.wrap_up_taken(effect.seconds)
                self.publish(record, "call.wrap_up_ended")
            return
        call = self.queued.get(getattr(effect, "call_id", ""))
        handler = self._effects.get(type(effect))
        if call is not None and handler is not None:
            handler(effect, call)

    def _external(self, record: CallRecord, number: str) -> Destination | None:
        """The leg to an external number through the call's hotline and its trunk (caller ID: the hotline),
        or None when the tenant's policy, a cap or a silent trunk refuses it (logged)."""
        d = self.directory
        hotline = d.hotline_by_number.get(record.hotline_number or "")
        trunk = d.trunks.get(hotline.trunk_id) if hotline is not None and hotline.trunk_id else None
        dest = classify(number)
        refused = d.tenants[record.tenant_id].destinations.refuses(dest)
        if refused is None and trunk is not None:
            refused = self._admit_overflow(record, trunk.id)
        if refused is not None or hotline is None or trunk is None:
            log.warning("call %s: would dial %s, refused: %s", record.id, number, refused or "no trunk")
            return None
        pai = asserted_identity(hotline.number, self.global_config["_sip_address"])
        return Destination(host=trunk.host, port=trunk.port, called=dest.e164 or number, calling=hotline.number,
                           username=trunk.username, password=trunk.password, extra_headers=(pai,))

    def _admit_overflow(self, record: CallRecord, trunk_id: str) -> str | None:
        """An overflow to an external number is an outbound call of the tenant on the trunk: it counts in
        their caps (refused over them, with call.refused), and a silent trunk does not take it."""
        if self.trunks is not None and not self.trunks.reachable(trunk_id):
            return "carrier_unreachable"
        keys = (("tenant", record.tenant_id), ("trunk", trunk_id))
        capped = self.limits.admit(keys, self._clock())
        if capped is not None:
            code, why = capped
            self.notify(notifier.call_refused(record, code, why))
            return code
        self._counted[record.id] = keys
        return None

    def _offer(self, effect: Offer, call: QueuedLeg) -> None:
        bindings = self.contacts(effect.agent_id)
        if not bindings:
            self.presence.declines(call.record.id, effect.agent_id)
            return
        call.offer_to(effect.agent_id, [(*b.next_hop, contact_user(b.contact, "agent")) for b in bindings],
                      self._offer_headers(call))
        self.notify(notifier.call_offered(call.record, call.queue_id, effect.agent_id))

    def _offer_headers(self, call: QueuedLeg) -> tuple:
        """What the agent's phone (the widget shows it) is told about the call: its id, the hotline the
        customer called and the queue it waited in (names percent-encoded: they may be Vietnamese)."""
        record = call.record
        hotline = self.directory.hotline_by_number.get(record.hotline_number or "")
        queue = self.directory.queues.get(call.queue_id)
        values = {"x-tongdai-call-id": record.id, "x-tongdai-hotline": record.hotline_number or "",
                  "x-tongdai-hotline-name": quote(hotline.name) if hotline is not None else "",
                  "x-tongdai-queue": quote(queue.name) if queue is not None else ""}
        return tuple(SipHeader(name=name, bodys=value) for name, value in values.items() if value)

    def _cancel(self, effect: CancelOffer, call: QueuedLeg) -> None:
        call.cancel(effect.agent_id)

    def _alert(self, effect: AnswerTimeExceeded, call: QueuedLeg) -> None:
        self.notify(notifier.call_answer_time_exceeded(call.record, effect.queue_id, effect.waited))

    def _abandoned(self, effect: Abandoned, call: QueuedLeg) -> None:
        if effect.queue_id:  # not a call that rang one agent from the IVR: that caller waited in no queue
            self.notify(notifier.call_abandoned(call.record, effect.queue_id, effect.waited))

    def _unanswered(self, effect: Unanswered, call: QueuedLeg) -> None:
        """The agent the IVR rang did not take the call: the caller goes back to the IVR."""
        log.info("call %s: agent %s did not take it (%s): back to the IVR", call.record.id, effect.agent_id,
                 effect.why)
        back = getattr(call, "back_to_ivr", None)
        if back is not None:
            back()

    def _overflow(self, effect: Overflow, call: QueuedLeg) -> None:
        """Max wait reached: another queue, an external number through the same hotline, or hang-up."""
        kind, target = effect.action
        record = call.record
        if kind == OverflowKind.QUEUE and target is not None:  # the distributor moved the call, keeping its place
            log.info("call %s waited %.0f s in %s: overflows to queue %s", record.id, effect.waited,
                     effect.queue_id, target)
            record.overflowed_to_queue(target)
            call.queue_id = target
            self.notify(notifier.call_queued(record, target))
            return
        if kind == OverflowKind.EXTERNAL and target:
            destination = self._external(record, str(target))
            if destination is not None:
                log.info("call %s waited %.0f s in %s: overflows to %s through %s", record.id, effect.waited,
                         effect.queue_id, destination.called, destination.calling)
                record.overflowed_to_number(destination.called)
                call.forward(destination)
                return
        reason = target if kind == OverflowKind.HANGUP and target else "no agent available"
        log.info("call %s waited %.0f s in %s: hung up (%s)", record.id, effect.waited, effect.queue_id, reason)
        record.overflowed_to_hangup()
        call.hang_up_caller(480, str(reason))
        self.queued.pop(record.id, None)
        self.ivr_calls.pop(getattr(call, "media_call_id", ""), None)


def recorded_by(queue: Any) -> str | None:
    """An inbound call is recorded by its queue's `record_calls` (a hotline's switch is for outbound calls)."""
    return "queue" if queue.record_calls else None
