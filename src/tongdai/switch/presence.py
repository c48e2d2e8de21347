"""Agent states in the running switch: the Distributor lives in the SIP thread, fed by registrations,
the agents' own calls, the agents' status requests (through the bridge) and a 250 ms tick. State
changes go to `on_change`; the effects on calls (offer, cancel, alert, overflow...) to `on_call_effect`,
the queueing that carries them out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from ..domain.acd import (
    AgentAnswers,
    AgentBusyElsewhere,
    AgentDeclines,
    AgentReady,
    AgentRegisters,
    AgentSetsStatus,
    AgentUnregisters,
    CallArrives,
    CallEnds,
    CallerHangsUp,
    Connect,
    Distributor,
    QueueRules,
    StatusChanged,
    Tick,
    TransitionRefused,
)
from ..domain.directory import Directory

log = logging.getLogger("tongdai.switch")


def queue_rules(directory: Directory) -> dict[str, QueueRules]:
    rules = {}
    for q in directory.queues.values():
        priorities = sorted({g.priority for g in q.groups})
        tiers = tuple(frozenset(g.group_id for g in q.groups if g.priority == p) for p in priorities)
        action = q.max_wait_action
        target = action.queue_id if action.type == "queue" else action.number if action.type == "external" \
            else action.reason
        rules[q.id] = QueueRules(q.id, tiers, q.strategy, float(q.ring_timeout_seconds),
                                 float(q.max_wait_seconds), (action.type, target))
    return rules


class Presence:
    """Owner of the Distributor. Every method runs in the SIP thread."""

    def __init__(self, directory: Directory, *, on_change: Callable[[str, str, StatusChanged, datetime], None],
                 on_call_effect: Callable[[object], None], clock: Callable[[], float] = time.time):
        self.clock = clock
        self.on_change = on_change
        self.on_call_effect = on_call_effect
        self.directory = directory
        self.distributor = Distributor(queue_rules(directory),
                                       {a.id: frozenset(a.groups) for a in directory.agents.values()})

    def reconfigure(self, directory: Directory) -> None:
        self.directory = directory
        self.distributor.reconfigure(queue_rules(directory),
                                     {a.id: frozenset(a.groups) for a in directory.agents.values()}, self.clock())

    def _apply(self, event) -> list:
        effects = self.distributor.handle(event)
        at = datetime.now(UTC)
        for effect in effects:
            if isinstance(effect, StatusChanged):
                agent = self.directory.agents.get(effect.agent_id)
                if agent is not None:
                    self.on_change(agent.tenant_id, agent.id, effect, at)
            else:
                self.on_call_effect(effect)
        return effects

    # -- inbound calls ----------------------------------------------------------------------------

    def call_arrives(self, call_id: str, queue_id: str, wrap_up: float, notify: float,
                     agent_id: str | None = None) -> None:
        """A call enters its queue (or, `agent_id` given, rings that one agent: an IVR's extension)."""
        self._apply(CallArrives(call_id, queue_id, self.clock(), wrap_up, notify, agent_id=agent_id))

    def answers(self, call_id: str, agent_id: str) -> bool:
        """True when this answer wins the call."""
        return Connect(call_id, agent_id) in self._apply(AgentAnswers(call_id, agent_id, self.clock()))

    def declines(self, call_id: str, agent_id: str) -> None:
        self._apply(AgentDeclines(call_id, agent_id, self.clock()))

    def caller_hangs_up(self, call_id: str) -> None:
        self._apply(CallerHangsUp(call_id, self.clock()))

    def call_ends(self, call_id: str) -> None:
        self._apply(CallEnds(call_id, self.clock()))

    def registered(self, agent_id: str, live: bool) -> None:
        agent = self.distributor.agents.get(agent_id)
        if agent is None or agent.registered == live:
            return
        self._apply(AgentRegisters(agent_id, self.clock()) if live else AgentUnregisters(agent_id, self.clock()))

    def busy(self, agent_id: str, busy: bool) -> None:
        if agent_id in self.distributor.agents:
            self._apply(AgentBusyElsewhere(agent_id, self.clock(), busy=busy))

    def set_status(self, agent_id: str, status: str, reason: str | None) -> dict:
        try:
            self._apply(AgentSetsStatus(agent_id, status, self.clock(), reason))
        except TransitionRefused as exc:
            raise ValueError(str(exc)) from None
        return self.view(agent_id)

    def ready(self, agent_id: str) -> dict:
        self._apply(AgentReady(agent_id, self.clock()))
        return self.view(agent_id)

    def tick(self) -> None:
        self._apply(Tick(self.clock()))

    def view(self, agent_id: str) -> dict:
        agent = self.distributor.agents.get(agent_id)
        if agent is None:
            return {"agent_id": agent_id, "state": "offline", "reason": None, "wrap_up_until": None}
        until = agent.wrap_up_until
        return {"agent_id": agent_id, "state": agent.state, "reason": agent.reason,
                "wrap_up_until": datetime.fromtimestamp(until, UTC) if until else None,
                "pending_away": agent.wants_away}

    def live(self, queue_id: str) -> dict:
        """The queue now: its waiting calls (oldest first) with waited seconds and whether they are
        over their answer-time threshold, its answered calls, and its agents with their states."""
        now = self.clock()
        d = self.distributor
        rules = d.queues.get(queue_id)
        waiting = [{"call_id": c.id, "waited_seconds": round(now - c.entered_at, 3),
                    "notify_answer_seconds": c.alert_after,
                    "over_threshold": c.alert_after > 0 and now - c.entered_at >= c.alert_after,
                    "ringing_agents": list(c.ringing)}
                   for c in d.calls.values() if c.queue_id == queue_id]
        talking = [{"call_id": c.id, "agent_id": c.answered_by,
                    "waited_seconds": round((c.answered_at or now) - c.entered_at, 3),
                    "talk_seconds": round(now - (c.answered_at or now), 3)}
                   for c in d.connected.values() if c.queue_id == queue_id]
        agents = []
        for priority, tier in enumerate(rules.tiers if rules else (), start=1):
            for agent in sorted((a for a in d.agents.values() if a.groups & tier), key=lambda a: a.id):
                until = agent.wrap_up_until
                agents.append({"agent_id": agent.id, "tier": priority, "state": agent.state, "reason": agent.reason,
                               "call_id": agent.call_id, "since": datetime.fromtimestamp(agent.since, UTC),
                               "wrap_up_until": datetime.fromtimestamp(until, UTC) if until else None})
        by_agent: dict[str, dict] = {}
        for row in agents:  # an agent in several tiers is listed once, at its highest
            by_agent.setdefault(str(row["agent_id"]), row)
        agents = list(by_agent.values())
        return {"queue_id": queue_id, "strategy": rules.strategy if rules else None,
                "over_threshold": sum(1 for w in waiting if w["over_threshold"]),
                "waiting": waiting, "talking": talking, "agents": agents}
