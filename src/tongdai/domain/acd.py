"""Agents and queues as one state machine: who may be offered which call, and when.

One owner, one entry point: `Distributor.handle(event)` applies an event and returns the effects the
switch must carry out (ring an agent, cancel a leg, bridge, alert, overflow...). Every change of an
agent's state goes through `Distributor._set_state`, which refuses transitions the rules forbid.
Time is passed in with each event; nothing here reads a clock or does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from .selection import SelectionIndex


class AgentState(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    AWAY = "away"


OFFLINE, AVAILABLE, RINGING, ON_CALL, WRAP_UP, AWAY = AgentState
AGENT_STATES = tuple(AgentState)

# state -> states it may move to
ALLOWED = {
    OFFLINE: {AVAILABLE, AWAY, ON_CALL},
    AVAILABLE: {RINGING, ON_CALL, AWAY, OFFLINE},
    RINGING: {AVAILABLE, ON_CALL, AWAY, OFFLINE},
    ON_CALL: {WRAP_UP, AVAILABLE, AWAY, OFFLINE},
    WRAP_UP: {AVAILABLE, AWAY, OFFLINE, ON_CALL},
    AWAY: {AVAILABLE, ON_CALL, OFFLINE},
}



class Strategy(StrEnum):
    RING_ALL = "ring_all"
    LONGEST_IDLE = "longest_idle"
    ROUND_ROBIN = "round_robin"
    LEAST_CALLS = "least_calls"


RING_ALL, LONGEST_IDLE, ROUND_ROBIN, LEAST_CALLS = Strategy


class OverflowKind(StrEnum):
    QUEUE = "queue"
    EXTERNAL = "external"
    HANGUP = "hangup"


class OverflowTarget(NamedTuple):
    """What max wait does: into another queue (`target` its id), to an external number (`target` the
    number), or hang up (`target` the reason told to the caller, or None)."""

    kind: OverflowKind | str
    target: str | None = None


class TransitionRefused(ValueError):
    """An agent state change the rules do not allow."""


# -- configuration --------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueRules:
    """A queue as the distributor needs it. `tiers` are its groups by priority, primary first."""

    id: str
    tiers: tuple[frozenset[str], ...]
    strategy: str = LONGEST_IDLE
    ring_timeout: float = 20.0
    max_wait: float = 0.0  # 0: no limit
    overflow: tuple[str, str | None] = OverflowTarget(OverflowKind.HANGUP)


# -- live state -----------------------------------------------------------------------------------

@dataclass
class Agent:
    id: str
    groups: frozenset[str]
    state: AgentState = OFFLINE
    reason: str | None = None
    registered: bool = False
    wants_away: str | None = None  # the agent asked for away (with this reason) while busy
    available_since: float = 0.0
    available_seq: int = 0  # when it last became available, as a sequence number (ties broken)
    wrap_up_until: float | None = None
    wrap_up_started: float | None = None
    wrap_up_call: str | None = None
    paused_wrap_up_until: float | None = None  # wrap-up interrupted by the agent's own outbound call
    calls_taken: int = 0
    own_calls: int = 0  # outbound and internal calls in progress
    call_id: str | None = None  # the call it rings for, talks on, or wraps up
    since: float = 0.0  # when it entered its current state


@dataclass
class Call:
    id: str
    queue_id: str
    entered_at: float
    alert_after: float = 0.0
    queue_entered_at: float = 0.0  # entering its current queue (max wait counts from here)
    wrap_up_seconds: float = 0.0
    ringing: dict[str, float] = field(default_factory=dict)  # agent -> ring started
    rung_out: set[str] = field(default_factory=set)
    offered: list[str] = field(default_factory=list)
    alerted: bool = False
    answered_by: str | None = None
    answered_at: float | None = None
    agent_id: str | None = None  # a call for this one agent (an IVR's extension), in no queue


# -- events ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CallArrives:
    call_id: str
    queue_id: str
    now: float
    wrap_up_seconds: float = 0.0
    notify_answer_seconds: float = 0.0
    agent_id: str | None = None  # for this agent only (dialled by extension): rung once, or Unanswered


@dataclass(frozen=True)
class AgentAnswers:
    call_id: str
    agent_id: str
    now: float


@dataclass(frozen=True)
class AgentDeclines:
    """The agent's phone refused the offer (busy, decline, unreachable)."""

    call_id: str
    agent_id: str
    now: float


@dataclass(frozen=True)
class CallerHangsUp:
    call_id: str
    now: float


@dataclass(frozen=True)
class CallEnds:
    """An answered call ended (either side hung up)."""

    call_id: str
    now: float


@dataclass(frozen=True)
class Tick:
    now: float


@dataclass(frozen=True)
class AgentRegisters:
    agent_id: str
    now: float


@dataclass(frozen=True)
class AgentUnregisters:
    agent_id: str
    now: float


@dataclass(frozen=True)
class AgentSetsStatus:
    agent_id: str
    status: str  # available | away
    now: float
    reason: str | None = None


@dataclass(frozen=True)
class AgentReady:
    """The agent ends its own wrap-up early."""

    agent_id: str
    now: float


@dataclass(frozen=True)
class AgentBusyElsewhere:
    """An outbound or internal call of the agent started (`busy=True`) or ended."""

    agent_id: str
    now: float
    busy: bool = True


Event = (CallArrives | AgentAnswers | AgentDeclines | CallerHangsUp | CallEnds | Tick | AgentRegisters
         | AgentUnregisters | AgentSetsStatus | AgentReady | AgentBusyElsewhere)


# -- effects --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Offer:
    call_id: str
    agent_id: str


@dataclass(frozen=True)
class CancelOffer:
    call_id: str
    agent_id: str
    why: str  # answered_elsewhere | ring_timeout | caller_hung_up | overflow | agent_left


@dataclass(frozen=True)
class Connect:
    call_id: str
    agent_id: str


@dataclass(frozen=True)
class AnswerTimeExceeded:
    call_id: str
    queue_id: str
    waited: float


@dataclass(frozen=True)
class Overflow:
    call_id: str
    queue_id: str
    action: OverflowTarget
    waited: float


@dataclass(frozen=True)
class Abandoned:
    call_id: str
    queue_id: str
    waited: float


@dataclass(frozen=True)
class Unanswered:
    """A call for one agent that the agent cannot take: not available, declined or rang out."""

    call_id: str
    agent_id: str
    why: str  # not_available | declined | ring_timeout


@dataclass(frozen=True)
class StatusChanged:
    agent_id: str
    old: str
    new: str
    reason: str | None


@dataclass(frozen=True)
class WrapUpEnded:
    agent_id: str
    call_id: str
    seconds: float


Effect = (Offer | CancelOffer | Connect | AnswerTimeExceeded | Overflow | Abandoned | Unanswered | StatusChanged
          | WrapUpEnded)


DIRECT_RING_TIMEOUT = 20.0
DIRECT = QueueRules("", (), ring_timeout=DIRECT_RING_TIMEOUT)  # a call for one agent: rung once, no max wait


class Distributor:
    """Owns every agent's state and every waiting call of one switch."""

    def __init__(self, queues: dict[str, QueueRules], agents: dict[str, frozenset[str]]):
        self.queues = dict(queues)
        self.agents: dict[str, Agent] = {a: Agent(a, groups) for a, groups in agents.items()}
        self.calls: dict[str, Call] = {}  # waiting or ringing, in arrival order
        self.connected: dict[str, Call] = {}
        self._available_seq = 0
        self.index = SelectionIndex(self.agents, self.queues)  # which available agent each strategy picks
        self._effects: list[Effect] = []

    def reconfigure(self, queues: dict[str, QueueRules], agents: dict[str, frozenset[str]], now: float) -> None:
        """Take a new configuration without losing live state: new agents start offline, changed
        groups are re-indexed, removed agents that are free are dropped (busy ones stay until free).
        A removed queue that still has waiting calls keeps its rules until they are gone."""
        queues = dict(queues)
        for call in self.calls.values():
            if call.agent_id is None and call.queue_id not in queues:
                queues[call.queue_id] = self.queues[call.queue_id]
        self.queues = queues
        for agent_id, groups in agents.items():
            agent = self.agents.get(agent_id)
            if agent is None:
                self.agents[agent_id] = Agent(agent_id, groups)
            elif agent.groups != groups:  # re-indexed below, with every available agent
                agent.groups = groups
        for agent_id in [a for a in self.agents if a not in agents]:
            agent = self.agents[agent_id]
            if agent.state in (OFFLINE, AVAILABLE, AWAY):
                if agent.state == AVAILABLE:
                    self.index.remove(agent)
                del self.agents[agent_id]
        self.index.configure(self.queues)

    def restore_away(self, agent_id: str, reason: str | None) -> None:
        """At start: an agent who was away stays away when it registers again."""
        agent = self.agents.get(agent_id)
        if agent is not None and agent.state == OFFLINE:
            agent.wants_away = reason or "away"

    # -- the one entry point ------------------------------------------------------------------

    def handle(self, event: Event) -> list[Effect]:
        self._effects = []
        handler = getattr(self, "_on_" + type(event).__name__)
        handler(event)
        self._dispatch(event.now)
        effects, self._effects = self._effects, []
        return effects

    # -- agent state: the one transition function ---------------------------------------------

    def _set_state(self, agent: Agent, new: AgentState, now: float, reason: str | None = None) -> None:
        old = agent.state
        if new == old and reason == agent.reason:
            return
        if new != old and new not in ALLOWED[old]:
            raise TransitionRefused(f"agent {agent.id}: {old} -> {new} is not allowed")
        if old == AVAILABLE:
            self.index.remove(agent)
        if new != old:
            agent.since = now
        agent.state, agent.reason = new, reason if new == AWAY else None
        if new == AVAILABLE:
            agent.available_since = now
            self._available_seq += 1
            agent.available_seq = self._available_seq
            self.index.add(agent)
        if new != WRAP_UP:
            agent.wrap_up_until = None
        self._effects.append(StatusChanged(agent.id, old, new, agent.reason))

    def _free(self, agent: Agent, now: float) -> None:
        """After a call: back to available, or to the away the agent asked for meanwhile."""
        agent.call_id = None
        if not agent.registered:
            self._set_state(agent, OFFLINE, now)
        elif agent.wants_away is not None:
            reason, agent.wants_away = agent.wants_away, None
            self._set_state(agent, AWAY, now, reason)
        else:
            self._set_state(agent, AVAILABLE, now)

    def _end_wrap_up(self, agent: Agent, now: float) -> None:
        started, call_id = agent.wrap_up_started, agent.wrap_up_call
        agent.wrap_up_started = agent.wrap_up_call = None
        self._free(agent, now)
        if started is not None and call_id is not None:
            self._effects.append(WrapUpEnded(agent.id, call_id, round(now - started, 3)))

    # -- events -------------------------------------------------------------------------------

    def _on_AgentRegisters(self, e: AgentRegisters) -> None:
        agent = self.agents[e.agent_id]
        agent.registered = True
        if agent.state == OFFLINE:
            if agent.wants_away is not None:
                reason, agent.wants_away = agent.wants_away, None
                self._set_state(agent, AWAY, e.now, reason)
            else:
                self._set_state(agent, AVAILABLE, e.now)

    def _on_AgentUnregisters(self, e: AgentUnregisters) -> None:
        agent = self.agents[e.agent_id]
        agent.registered = False
        if agent.state == RINGING:
            self._withdraw_offer(agent, e.now, "agent_left")
        if agent.state == WRAP_UP:  # the wrap-up ends with the registration; the time taken is logged
            self._end_wrap_up(agent, e.now)
        elif agent.state in (AVAILABLE, AWAY, RINGING):
            if agent.state == AWAY:
                agent.wants_away = agent.reason
            self._set_state(agent, OFFLINE, e.now)
        # ON_CALL: the call goes on; the agent goes offline when it ends

    def _on_AgentSetsStatus(self, e: AgentSetsStatus) -> None:
        agent = self.agents[e.agent_id]
        if e.status == AWAY:
            if agent.state in (AVAILABLE, AWAY):
                self._set_state(agent, AWAY, e.now, e.reason)
            elif agent.state == RINGING:
                self._withdraw_offer(agent, e.now, "agent_left")
                self._set_state(agent, AWAY, e.now, e.reason)
            else:  # offline, on a call or in wrap-up: takes effect when that ends
                agent.wants_away = e.reason or "away"
        elif e.status == AVAILABLE:
            agent.wants_away = None
            if agent.state == AWAY:
                self._set_state(agent, AVAILABLE if agent.registered else OFFLINE, e.now)
        else:
            raise TransitionRefused(f"an agent sets itself available or away, not {e.status}")

    def _on_AgentReady(self, e: AgentReady) -> None:
        agent = self.agents[e.agent_id]
        if agent.state == WRAP_UP:
            self._end_wrap_up(agent, e.now)

    def _on_AgentBusyElsewhere(self, e: AgentBusyElsewhere) -> None:
        agent = self.agents[e.agent_id]
        agent.own_calls = agent.own_calls + 1 if e.busy else max(0, agent.own_calls - 1)
        if e.busy:
            if agent.state == ON_CALL:
                return
            if agent.state == RINGING:
                self._withdraw_offer(agent, e.now, "agent_left")
            if agent.state == AWAY:
                agent.wants_away = agent.reason
            if agent.state == WRAP_UP:  # calling out during wrap-up pauses it; it resumes after
                agent.paused_wrap_up_until = agent.wrap_up_until
            self._set_state(agent, ON_CALL, e.now)
        elif agent.state == ON_CALL and agent.call_id is None and agent.own_calls == 0:
            resume, agent.paused_wrap_up_until = agent.paused_wrap_up_until, None
            if resume is not None and e.now < resume and agent.registered:
                self._set_state(agent, WRAP_UP, e.now)
                agent.wrap_up_until = resume
            elif resume is not None:
                self._end_wrap_up(agent, e.now)
            else:
                self._free(agent, e.now)

    def _on_CallArrives(self, e: CallArrives) -> None:
        call = Call(e.call_id, e.queue_id, e.now, e.notify_answer_seconds, e.now, wrap_up_seconds=e.wrap_up_seconds,
                    agent_id=e.agent_id)
        if e.agent_id is None:
            self.calls[e.call_id] = call  # the dispatch offers it
            return
        agent = self.agents.get(e.agent_id)  # a call for one agent: rung at once, or unanswered
        if agent is None or agent.state != AVAILABLE:
            self._effects.append(Unanswered(e.call_id, e.agent_id, "not_available"))
            return
        self.calls[e.call_id] = call
        self._ring(call, agent, e.now)

    def _on_AgentAnswers(self, e: AgentAnswers) -> None:
        call = self.calls.get(e.call_id)
        if call is None or e.agent_id not in call.ringing:
            return  # late answer after a cancel: the switch hangs that leg up
        del call.ringing[e.agent_id]
        for other in list(call.ringing):
            self._cancel(call, self.agents[other], e.now, "answered_elsewhere")
        del self.calls[call.id]
        call.answered_by, call.answered_at = e.agent_id, e.now
        self.connected[call.id] = call
        agent = self.agents[e.agent_id]
        agent.calls_taken += 1
        self._set_state(agent, ON_CALL, e.now)
        self._effects.append(Connect(call.id, agent.id))

    def _on_AgentDeclines(self, e: AgentDeclines) -> None:
        call = self.calls.get(e.call_id)
        if call is not None and e.agent_id in call.ringing:
            self._cancel(call, self.agents[e.agent_id], e.now, None)

    def _on_CallerHangsUp(self, e: CallerHangsUp) -> None:
        call = self.calls.pop(e.call_id, None)
        if call is not None:
            for agent_id in list(call.ringing):
                self._cancel(call, self.agents[agent_id], e.now, "caller_hung_up")
            self._effects.append(Abandoned(call.id, call.queue_id, round(e.now - call.entered_at, 3)))
        elif e.call_id in self.connected:
            self._on_CallEnds(CallEnds(e.call_id, e.now))

    def _on_CallEnds(self, e: CallEnds) -> None:
        call = self.connected.pop(e.call_id, None)
        if call is None or call.answered_by is None:
            return
        agent = self.agents[call.answered_by]
        if call.wrap_up_seconds > 0 and agent.registered:
            agent.call_id = None
            agent.wrap_up_until = e.now + call.wrap_up_seconds
            agent.wrap_up_started, agent.wrap_up_call = e.now, call.id
            self._set_state(agent, WRAP_UP, e.now)
        else:
            self._free(agent, e.now)
            self._effects.append(WrapUpEnded(agent.id, call.id, 0.0))

    def _on_Tick(self, e: Tick) -> None:
        now = e.now
        for agent in self.agents.values():
            if agent.state == WRAP_UP and agent.wrap_up_until is not None and now >= agent.wrap_up_until:
                self._end_wrap_up(agent, now)
        for call in list(self.calls.values()):
            rules = self._rules(call)
            for agent_id, started in list(call.ringing.items()):
                if now - started >= rules.ring_timeout:
                    self._cancel(call, self.agents[agent_id], now, "ring_timeout")
            waited = now - call.entered_at
            if call.alert_after > 0 and not call.alerted and waited >= call.alert_after:
                call.alerted = True
                self._effects.append(AnswerTimeExceeded(call.id, call.queue_id, round(waited, 3)))
            if rules.max_wait > 0 and now - call.queue_entered_at >= rules.max_wait and call.id in self.calls:
                self._overflow(call, rules, now)

    def _rules(self, call: Call) -> QueueRules:
        if call.agent_id is not None:
            return DIRECT
        return self.queues[call.queue_id]

    def _overflow(self, call: Call, rules: QueueRules, now: float) -> None:
        """Max wait reached: cancel the ringing legs; into the next queue the call keeps its place
        (first come, first served), its answer-time alert and the agents who rang out; to an
        external number or hang-up, it leaves the distributor."""
        for agent_id in list(call.ringing):
            self._cancel(call, self.agents[agent_id], now, "overflow")
        kind, target = rules.overflow
        waited = round(now - call.entered_at, 3)
        if kind == OverflowKind.QUEUE and target not in self.queues:
            kind, target = OverflowKind.HANGUP, None  # the queue is gone: the call cannot wait forever
        self._effects.append(Overflow(call.id, call.queue_id, OverflowTarget(OverflowKind(kind), target), waited))
        if kind == OverflowKind.QUEUE and target is not None:
            call.queue_id, call.queue_entered_at = target, now
        else:
            del self.calls[call.id]

    # -- offers -------------------------------------------------------------------------------

    def _cancel(self, call: Call, agent: Agent, now: float, why: str | None) -> None:
        """End one ringing leg: the agent is not rung again for this call."""
        call.ringing.pop(agent.id, None)
        call.rung_out.add(agent.id)
        if why is not None:
            self._effects.append(CancelOffer(call.id, agent.id, why))
        if agent.state == RINGING and agent.call_id == call.id:
            self._free(agent, now)
        if call.agent_id is not None and why in (None, "ring_timeout", "agent_left") and call.id in self.calls:
            del self.calls[call.id]  # its one agent will not take it
            self._effects.append(Unanswered(call.id, agent.id, "declined" if why is None else why))

    def _withdraw_offer(self, agent: Agent, now: float, why: str) -> None:
        call = self.calls.get(agent.call_id) if agent.call_id else None
        if call is not None and agent.id in call.ringing:
            call.ringing.pop(agent.id)
            call.rung_out.add(agent.id)
            self._effects.append(CancelOffer(call.id, agent.id, why))
            if call.agent_id is not None:
                del self.calls[call.id]
                self._effects.append(Unanswered(call.id, agent.id, why))
        agent.call_id = None

    def _dispatch(self, now: float) -> None:
        """Offer waiting calls, oldest first, to the agents their queues would pick."""
        for call in list(self.calls.values()):
            if not self.index.available:
                return  # nobody is free: however many calls wait, nothing to look at
            if call.agent_id is not None:
                continue  # a call for one agent was rung when it arrived
            rules = self.queues[call.queue_id]
            if call.ringing and rules.strategy != RING_ALL:
                continue
            for agent in self.pick(call, rules):
                self._ring(call, agent, now)
                self.index.offered(rules.id, agent.id)

    def _ring(self, call: Call, agent: Agent, now: float) -> None:
        agent.call_id = call.id
        call.ringing[agent.id] = now
        call.offered.append(agent.id)
        self._set_state(agent, RINGING, now)
        self._effects.append(Offer(call.id, agent.id))

    def pick(self, call: Call, rules: QueueRules) -> list[Agent]:
        """The agents to ring now for this call (the selection index decides)."""
        return self.index.pick(call, rules)

    # -- views --------------------------------------------------------------------------------

    def waiting(self, queue_id: str, now: float) -> list[tuple[str, float, bool]]:
        """(call, waited seconds, over its answer-time threshold) for a queue's waiting calls."""
        return [(c.id, round(now - c.entered_at, 3), c.alert_after > 0 and now - c.entered_at >= c.alert_after)
                for c in self.calls.values() if c.queue_id == queue_id]
