"""Which available agent a queue's strategy picks, without scanning every agent.

The Distributor owns the agents' states; this index mirrors the available ones in the orders the
strategies need, and is told of every change (`add`, `remove`, `offered`, `configure`):

- per group, in the order agents became available (longest idle first);
- per group and number of calls taken, in that same order (least calls);
- per queue, for round robin: agents never offered one of its calls (in the order they became
  available), then the others, least recently offered first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .acd import Agent, Call, QueueRules


class SelectionIndex:
    def __init__(self, agents: dict[str, Agent], queues: dict[str, QueueRules]):
        self.agents = agents  # the Distributor's agents, read only here
        self.available: set[str] = set()  # so that dispatching stops at once when nobody is free
        self.idle: dict[str, dict[str, None]] = {}
        self.idle_by_calls: dict[str, dict[int, dict[str, None]]] = {}
        self.rr_fresh: dict[str, dict[str, None]] = {}
        self.rr_used: dict[str, dict[str, None]] = {}
        self.offers_by_queue: dict[str, dict[str, int]] = {}  # queue -> agent -> when last offered
        self.queues_of_group: dict[str, set[str]] = {}
        self._offer_clock = 0
        self._map_groups(queues)

    def _map_groups(self, queues: dict[str, QueueRules]) -> None:
        self.queues_of_group = {}
        for rules in queues.values():
            for tier in rules.tiers:
                for group in tier:
                    self.queues_of_group.setdefault(group, set()).add(rules.id)

    # -- changes ------------------------------------------------------------------------------

    def configure(self, queues: dict[str, QueueRules]) -> None:
        """Queues or groups changed: re-index every available agent in the order they became
        available (the indexes' order is what the strategies rely on)."""
        self._map_groups(queues)
        self.idle, self.idle_by_calls = {}, {}
        for agent in sorted((self.agents[a] for a in self.available), key=lambda a: a.available_seq):
            self._index(agent)

    def add(self, agent: Agent) -> None:
        """The agent became available."""
        self.available.add(agent.id)
        self._index(agent)

    def _index(self, agent: Agent) -> None:
        for group in agent.groups:
            self.idle.setdefault(group, {})[agent.id] = None
            self.idle_by_calls.setdefault(group, {}).setdefault(agent.calls_taken, {})[agent.id] = None
            for queue_id in self.queues_of_group.get(group, ()):
                if agent.id not in self.rr_used.get(queue_id, ()):
                    self.rr_fresh.setdefault(queue_id, {}).setdefault(agent.id, None)

    def remove(self, agent: Agent) -> None:
        """The agent is no longer available (or leaves)."""
        self.available.discard(agent.id)
        for group in agent.groups:
            self.idle.get(group, {}).pop(agent.id, None)
            buckets = self.idle_by_calls.get(group, {})
            bucket = buckets.get(agent.calls_taken)
            if bucket is not None:
                bucket.pop(agent.id, None)
                if not bucket:
                    del buckets[agent.calls_taken]

    def offered(self, queue_id: str, agent_id: str) -> None:
        """The queue offered a call to the agent: it goes to the back of the queue's round robin."""
        self._offer_clock += 1
        self.offers_by_queue.setdefault(queue_id, {})[agent_id] = self._offer_clock
        self.rr_fresh.get(queue_id, {}).pop(agent_id, None)
        used = self.rr_used.setdefault(queue_id, {})
        used.pop(agent_id, None)
        used[agent_id] = None

    # -- picks --------------------------------------------------------------------------------

    def pick(self, call: Call, rules: QueueRules) -> list[Agent]:
        """The agents to ring now for this call: from the first tier (by priority) that has an
        eligible available agent; all of them for ring_all, else one chosen by the strategy."""
        for tier in rules.tiers:
            if rules.strategy == "ring_all":
                eligible = {a: self.agents[a] for group in tier for a in self.idle.get(group, ())
                            if a not in call.rung_out and a not in call.ringing}
                if eligible:
                    return list(eligible.values())
                continue
            best = self._longest_idle(tier, call)
            if best is not None and rules.strategy == "least_calls":
                best = self._least_calls(tier, call)
            elif best is not None and rules.strategy == "round_robin":
                best = self._round_robin(tier, call, rules.id)
            if best is not None:
                return [best]
        return []

    @staticmethod
    def _eligible(agent_id: str, call: Call) -> bool:
        return agent_id not in call.rung_out and agent_id not in call.ringing

    def _longest_idle(self, tier: frozenset[str], call: Call) -> Agent | None:
        """The first eligible agent of each group's idle order, then the one available longest."""
        best: Agent | None = None
        for group in tier:
            for agent_id in self.idle.get(group, ()):
                if self._eligible(agent_id, call):
                    agent = self.agents[agent_id]
                    if best is None or agent.available_seq < best.available_seq:
                        best = agent
                    break
        return best

    def _least_calls(self, tier: frozenset[str], call: Call) -> Agent | None:
        """Per group, the first eligible agent of the lowest calls-taken bucket that has one; then
        the fewest calls, longest idle, across groups."""
        best: Agent | None = None
        for group in tier:
            buckets = self.idle_by_calls.get(group, {})
            for taken in sorted(buckets):
                if best is not None and taken > best.calls_taken:
                    break
                agent_id = next((a for a in buckets[taken] if self._eligible(a, call)), None)
                if agent_id is not None:
                    agent = self.agents[agent_id]
                    if best is None or (agent.calls_taken, agent.available_seq) < (best.calls_taken,
                                                                                      best.available_seq):
                        best = agent
                    break
        return best

    def _round_robin(self, tier: frozenset[str], call: Call, queue_id: str) -> Agent | None:
        """The eligible agent of this tier the queue never offered a call (in the order they became
        available), else the one it offered a call least recently. Called only when the tier has an
        eligible available agent, so the scan stops at one."""
        for order in (self.rr_fresh.get(queue_id, {}), self.rr_used.get(queue_id, {})):
            for agent_id in order:
                agent = self.agents.get(agent_id)
                if agent is not None and agent.id in self.available and agent.groups & tier \
                        and self._eligible(agent_id, call):
                    return agent
        return None
