"""The selection index on its own: after any sequence of agents becoming available or busy, offers,
regrouping and queue changes, every pick is what its strategy means, written the slow way."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tongdai.domain.acd import Agent, Call, QueueRules
from tongdai.domain.selection import SelectionIndex

GROUPS = ("g1", "g2", "g3")
AGENTS = tuple(f"ag_{i}" for i in range(8))
STRATEGIES = ("ring_all", "longest_idle", "round_robin", "least_calls")

tiers = st.lists(st.frozensets(st.sampled_from(GROUPS), min_size=1, max_size=2), min_size=1, max_size=2)
rules = st.builds(lambda qid, t, s: QueueRules(qid, tuple(t), s), st.sampled_from(["q1", "q2"]), tiers,
                  st.sampled_from(STRATEGIES))
steps = st.lists(st.one_of(
    st.tuples(st.just("available"), st.sampled_from(AGENTS)),
    st.tuples(st.just("busy"), st.sampled_from(AGENTS)),
    st.tuples(st.just("offered"), st.sampled_from(["q1", "q2"]), st.sampled_from(AGENTS)),
    st.tuples(st.just("regroup"), st.sampled_from(AGENTS), st.frozensets(st.sampled_from(GROUPS), max_size=2)),
    st.tuples(st.just("pick"), rules, st.frozensets(st.sampled_from(AGENTS), max_size=4)),
), max_size=60)


def reference(agents: dict[str, Agent], available: set[str], offers: dict[str, dict[str, int]], call: Call,
              rules: QueueRules) -> tuple[str, set[str]]:
    for tier in rules.tiers:
        eligible = [agents[a] for a in sorted(available) if agents[a].groups & tier and a not in call.rung_out]
        if not eligible:
            continue
        if rules.strategy == "ring_all":
            return "all", {a.id for a in eligible}
        if rules.strategy == "longest_idle":
            return "one", {min(eligible, key=lambda a: a.available_seq).id}
        if rules.strategy == "least_calls":
            return "one", {min(eligible, key=lambda a: (a.calls_taken, a.available_seq)).id}
        seen = offers.get(rules.id, {})
        least = min(seen.get(a.id, 0) for a in eligible)
        return "one", {a.id for a in eligible if seen.get(a.id, 0) == least}
    return "one", set()


@settings(max_examples=400, deadline=None)
@given(steps)
def test_every_pick_is_what_its_strategy_means(sequence):
    agents = {a: Agent(a, frozenset({GROUPS[i % 3]})) for i, a in enumerate(AGENTS)}
    queues = {"q1": QueueRules("q1", (frozenset({"g1"}), frozenset({"g2"}))), "q2": QueueRules("q2", (frozenset(GROUPS),))}
    index = SelectionIndex(agents, queues)
    available: set[str] = set()
    offers: dict[str, dict[str, int]] = {}
    seq = clock = 0
    for step in sequence:
        kind = step[0]
        if kind == "available" and step[1] not in available:
            seq += 1
            agents[step[1]].available_seq = seq
            available.add(step[1])
            index.add(agents[step[1]])
        elif kind == "busy" and step[1] in available:
            index.remove(agents[step[1]])
            available.discard(step[1])
            agents[step[1]].calls_taken += 1
        elif kind == "offered":
            clock += 1
            offers.setdefault(step[1], {})[step[2]] = clock
            index.offered(step[1], step[2])
        elif kind == "regroup":
            agents[step[1]].groups = step[2]
            index.configure(queues)
        elif kind == "pick":
            queue_rules, rung_out = step[1], step[2]
            if queues.get(queue_rules.id) != queue_rules:  # a queue changed: the index is told
                queues[queue_rules.id] = queue_rules
                index.configure(queues)
            call = Call("c", queue_rules.id, 0.0, rung_out=set(rung_out))
            chosen = {a.id for a in index.pick(call, queue_rules)}
            how, allowed = reference(agents, available, offers, call, queue_rules)
            if how == "all" or not allowed:
                assert chosen == allowed, (queue_rules.strategy, chosen, allowed)
            else:
                assert len(chosen) == 1 and chosen <= allowed, (queue_rules.strategy, chosen, allowed)
        assert index.available == available
        assert {a for idle in index.idle.values() for a in idle} == {a for a in available if agents[a].groups}
