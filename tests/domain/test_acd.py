"""The agent/queue state machine: rules one by one, then thousands of random events against the
invariants (no agent with two calls, no offer to an agent who is not available, one end per call,
primary groups before backups, no alert twice)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongdai.domain.acd import (
    AVAILABLE,
    AWAY,
    ON_CALL,
    RINGING,
    WRAP_UP,
    Abandoned,
    AgentAnswers,
    AgentBusyElsewhere,
    AgentDeclines,
    AgentReady,
    AgentRegisters,
    AgentSetsStatus,
    AgentUnregisters,
    AnswerTimeExceeded,
    CallArrives,
    CallEnds,
    CallerHangsUp,
    CancelOffer,
    Connect,
    Distributor,
    Offer,
    Overflow,
    QueueRules,
    StatusChanged,
    Tick,
    TransitionRefused,
    Unanswered,
    WrapUpEnded,
)

SALES, BACKUP = frozenset({"gr_sales"}), frozenset({"gr_backup"})


def make(strategy="longest_idle", agents=None, **rules) -> Distributor:
    queue = QueueRules("qu_main", (SALES, BACKUP), strategy=strategy, **rules)
    agents = agents or {"ag_a": SALES, "ag_b": SALES, "ag_z": BACKUP}
    d = Distributor({"qu_main": queue}, agents)
    for i, agent in enumerate(agents):
        d.handle(AgentRegisters(agent, now=float(i)))
    return d


def offers(effects):
    return [(e.call_id, e.agent_id) for e in effects if isinstance(e, Offer)]


def test_the_longest_idle_agent_of_the_primary_group_is_offered_the_call():
    d = make()
    assert offers(d.handle(CallArrives("c1", "qu_main", now=10))) == [("c1", "ag_a")]
    assert d.agents["ag_a"].state == RINGING


def test_backups_are_rung_only_when_no_primary_agent_is_available():
    d = make()
    d.handle(AgentSetsStatus("ag_a", "away", now=5, reason="lunch"))
    d.handle(AgentSetsStatus("ag_b", "away", now=5, reason="meeting"))
    assert offers(d.handle(CallArrives("c1", "qu_main", now=10))) == [("c1", "ag_z")]


def test_an_agent_who_lets_the_call_ring_out_is_not_rung_again_for_it():
    d = make(ring_timeout=15)
    d.handle(CallArrives("c1", "qu_main", now=10))
    effects = d.handle(Tick(now=25))
    assert CancelOffer("c1", "ag_a", "ring_timeout") in effects
    assert offers(effects) == [("c1", "ag_b")]
    effects = d.handle(Tick(now=40))
    assert offers(effects) == [("c1", "ag_z")]
    assert offers(d.handle(Tick(now=55))) == []  # everyone rang out: the call waits
    assert d.agents["ag_a"].state == AVAILABLE


def test_one_answer_wins_and_every_other_leg_is_cancelled():
    d = make("ring_all")
    assert sorted(offers(d.handle(CallArrives("c1", "qu_main", now=10)))) == [("c1", "ag_a"), ("c1", "ag_b")]
    effects = d.handle(AgentAnswers("c1", "ag_b", now=12))
    assert Connect("c1", "ag_b") in effects and CancelOffer("c1", "ag_a", "answered_elsewhere") in effects
    assert (d.agents["ag_a"].state, d.agents["ag_b"].state) == (AVAILABLE, ON_CALL)


def test_the_caller_hanging_up_cancels_every_ringing_leg():
    d = make("ring_all")
    d.handle(CallArrives("c1", "qu_main", now=10))
    effects = d.handle(CallerHangsUp("c1", now=13))
    assert {e.agent_id for e in effects if isinstance(e, CancelOffer)} == {"ag_a", "ag_b"}
    assert Abandoned("c1", "qu_main", 3.0) in effects
    assert all(a.state == AVAILABLE for a in d.agents.values())


def test_calls_are_offered_first_come_first_served():
    d = make(agents={"ag_a": SALES})
    d.handle(AgentSetsStatus("ag_a", "away", now=1, reason="x"))
    d.handle(CallArrives("c1", "qu_main", now=10))
    d.handle(CallArrives("c2", "qu_main", now=11))
    assert offers(d.handle(AgentSetsStatus("ag_a", "available", now=12))) == [("c1", "ag_a")]


def test_the_agent_in_wrap_up_is_not_offered_a_call():
    d = make(agents={"ag_a": SALES, "ag_b": SALES})
    d.handle(CallArrives("c1", "qu_main", now=10, wrap_up_seconds=30))
    d.handle(AgentAnswers("c1", "ag_a", now=11))
    d.handle(CallEnds("c1", now=20))
    assert d.agents["ag_a"].state == WRAP_UP
    assert offers(d.handle(CallArrives("c2", "qu_main", now=21))) == [("c2", "ag_b")]
    d.handle(AgentAnswers("c2", "ag_b", now=22))
    assert offers(d.handle(CallArrives("c3", "qu_main", now=30))) == []  # waits: nobody is free
    effects = d.handle(Tick(now=50))
    assert WrapUpEnded("ag_a", "c1", 30.0) in effects and offers(effects) == [("c3", "ag_a")]


def test_only_the_agents_ready_ends_wrap_up_early():
    d = make(agents={"ag_a": SALES})
    d.handle(CallArrives("c1", "qu_main", now=10, wrap_up_seconds=60))
    d.handle(AgentAnswers("c1", "ag_a", now=11))
    d.handle(CallEnds("c1", now=20))
    d.handle(AgentSetsStatus("ag_a", "available", now=21))  # not a way out of wrap-up
    assert d.agents["ag_a"].state == WRAP_UP
    effects = d.handle(AgentReady("ag_a", now=25))
    assert d.agents["ag_a"].state == AVAILABLE and WrapUpEnded("ag_a", "c1", 5.0) in effects


def test_zero_wrap_up_means_straight_back_to_available():
    d = make(agents={"ag_a": SALES})
    d.handle(CallArrives("c1", "qu_main", now=10, wrap_up_seconds=0))
    d.handle(AgentAnswers("c1", "ag_a", now=11))
    effects = d.handle(CallEnds("c1", now=20))
    assert d.agents["ag_a"].state == AVAILABLE and WrapUpEnded("ag_a", "c1", 0.0) in effects


def test_an_away_agent_is_skipped():
    d = make()
    d.handle(AgentSetsStatus("ag_a", "away", now=5, reason="break"))
    assert offers(d.handle(CallArrives("c1", "qu_main", now=10))) == [("c1", "ag_b")]
    assert d.agents["ag_a"].reason == "break"


def test_max_wait_hangs_up_or_overflows_into_a_queue_that_no_longer_exists_as_a_hang_up():
    for action, expected in ((("hangup", "closed"), ("hangup", "closed")), (("queue", "qu_gone"), ("hangup", None))):
        d = make(agents={"ag_a": SALES}, max_wait=60, overflow=action)
        d.handle(AgentSetsStatus("ag_a", "away", now=1))
        d.handle(CallArrives("c1", "qu_main", now=10))
        assert d.handle(Tick(now=69)) == []
        assert Overflow("c1", "qu_main", expected, 60.0) in d.handle(Tick(now=70))
        assert d.calls == {}


def test_max_wait_moves_the_call_into_the_next_queue_keeping_its_place_and_its_alert():
    main = QueueRules("qu_main", (SALES,), max_wait=60, overflow=("queue", "qu_next"))
    nxt = QueueRules("qu_next", (BACKUP,), max_wait=30, overflow=("hangup", "closed"))
    d = Distributor({"qu_main": main, "qu_next": nxt}, {"ag_a": SALES, "ag_z": BACKUP})
    d.handle(AgentRegisters("ag_a", now=0))
    d.handle(AgentSetsStatus("ag_a", "away", now=1))
    d.handle(CallArrives("c1", "qu_main", now=10, notify_answer_seconds=20))
    d.handle(CallArrives("c2", "qu_next", now=50))
    assert [type(e) for e in d.handle(Tick(now=30))] == [AnswerTimeExceeded]
    effects = d.handle(Tick(now=70))
    assert Overflow("c1", "qu_main", ("queue", "qu_next"), 60.0) in effects
    assert d.calls["c1"].queue_id == "qu_next"
    # the first agent of qu_next gets c1 before c2, which arrived later; no second alert
    assert offers(d.handle(AgentRegisters("ag_z", now=75))) == [("c1", "ag_z")]
    assert not any(isinstance(e, AnswerTimeExceeded) for e in d.handle(Tick(now=95)))
    # its max wait in qu_next counts from entering it (70 + 30), not from the first queue
    d.handle(AgentDeclines("c1", "ag_z", now=96))
    assert not any(isinstance(e, Overflow) for e in d.handle(Tick(now=99.5)))
    assert Overflow("c1", "qu_next", ("hangup", "closed"), 90.0) in d.handle(Tick(now=100))


def test_the_answer_time_alert_fires_exactly_once():
    d = make(agents={"ag_a": SALES})
    d.handle(AgentSetsStatus("ag_a", "away", now=1))
    d.handle(CallArrives("c1", "qu_main", now=10, notify_answer_seconds=30))
    assert not any(isinstance(e, AnswerTimeExceeded) for e in d.handle(Tick(now=39)))
    assert AnswerTimeExceeded("c1", "qu_main", 30.0) in d.handle(Tick(now=40))
    assert not any(isinstance(e, AnswerTimeExceeded) for e in d.handle(Tick(now=41)))
    assert d.waiting("qu_main", now=45) == [("c1", 35.0, True)]


def test_an_outbound_call_makes_the_agent_on_call_and_wrap_up_resumes_after_it():
    d = make(agents={"ag_a": SALES})
    d.handle(CallArrives("c1", "qu_main", now=10, wrap_up_seconds=60))
    d.handle(AgentAnswers("c1", "ag_a", now=11))
    d.handle(CallEnds("c1", now=20))
    d.handle(AgentBusyElsewhere("ag_a", now=30))
    assert d.agents["ag_a"].state == ON_CALL
    d.handle(AgentBusyElsewhere("ag_a", now=40, busy=False))
    assert d.agents["ag_a"].state == WRAP_UP and d.agents["ag_a"].wrap_up_until == 80


def test_away_asked_during_a_call_applies_when_it_ends():
    d = make(agents={"ag_a": SALES})
    d.handle(CallArrives("c1", "qu_main", now=10))
    d.handle(AgentAnswers("c1", "ag_a", now=11))
    d.handle(AgentSetsStatus("ag_a", "away", now=12, reason="lunch"))
    d.handle(CallEnds("c1", now=20))
    assert (d.agents["ag_a"].state, d.agents["ag_a"].reason) == (AWAY, "lunch")


def test_round_robin_and_least_calls_spread_the_calls():
    for strategy in ("round_robin", "least_calls"):
        d = make(strategy, agents={"ag_a": SALES, "ag_b": SALES, "ag_c": SALES})
        answered = []
        for i in range(6):
            (call, agent), = offers(d.handle(CallArrives(f"c{i}", "qu_main", now=10 + i)))
            d.handle(AgentAnswers(call, agent, now=10 + i))
            d.handle(CallEnds(call, now=10.5 + i))
            answered.append(agent)
        assert Counter(answered) == {"ag_a": 2, "ag_b": 2, "ag_c": 2}, strategy


def test_a_forbidden_transition_is_refused():
    d = make(agents={"ag_a": SALES})
    d.handle(AgentUnregisters("ag_a", now=5))
    with pytest.raises(TransitionRefused):
        d._set_state(d.agents["ag_a"], WRAP_UP, 6)


# -- properties ------------------------------------------------------------------------------------

AGENTS = [f"ag_{i}" for i in range(6)]
GROUP_OF = {a: frozenset({"gr_p" if i < 3 else "gr_b"}) for i, a in enumerate(AGENTS)}
TIERS = (frozenset({"gr_p"}), frozenset({"gr_b"}))


@st.composite
def scenarios(draw):
    strategy = draw(st.sampled_from(["ring_all", "longest_idle", "round_robin", "least_calls"]))
    ring_timeout = draw(st.sampled_from([5.0, 15.0]))
    rules = QueueRules("qu_p", TIERS, strategy=strategy, ring_timeout=ring_timeout,
                       max_wait=draw(st.sampled_from([0.0, 40.0])),
                       overflow=draw(st.sampled_from([("hangup", None), ("queue", "qu_b")])))
    backup = QueueRules("qu_b", TIERS[1:], strategy=strategy, ring_timeout=ring_timeout,
                        max_wait=draw(st.sampled_from([0.0, 30.0])))
    steps = draw(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 5), st.integers(0, 30),
                                    st.floats(0.0, 6.0)), min_size=50, max_size=400))
    return (rules, backup), steps


QUEUE_TIERS = {"qu_p": TIERS, "qu_b": TIERS[1:]}


def run(rules, steps, prepare=lambda d: d):
    d = prepare(Distributor({r.id: r for r in rules}, GROUP_OF))
    now, n_calls = 0.0, 0
    log: list[tuple] = []
    for kind, agent_i, call_i, dt in steps:
        now += dt
        agent = AGENTS[agent_i]
        call = f"c{call_i % max(1, n_calls)}" if n_calls else None
        ringing = [(c.id, a) for c in d.calls.values() for a in c.ringing]
        events = {
            0: CallArrives(f"c{n_calls}", "qu_p", now, wrap_up_seconds=(call_i % 3) * 5.0,
                           notify_answer_seconds=(call_i % 2) * 10.0),
            1: AgentAnswers(*ringing[call_i % len(ringing)], now) if ringing else Tick(now),
            2: AgentDeclines(*ringing[call_i % len(ringing)], now) if ringing else Tick(now),
            3: CallerHangsUp(call, now) if call else Tick(now),
            4: CallEnds(call, now) if call else Tick(now),
            5: Tick(now), 6: AgentRegisters(agent, now), 7: AgentUnregisters(agent, now),
            8: AgentSetsStatus(agent, "away", now, "x"), 9: AgentSetsStatus(agent, "available", now),
            10: AgentReady(agent, now), 11: AgentBusyElsewhere(agent, now, busy=bool(call_i % 2)),
            12: CallArrives(f"c{n_calls}", "", now, wrap_up_seconds=(call_i % 3) * 5.0, agent_id=agent),
        }
        event = events[kind]
        if kind in (0, 12):
            n_calls += 1
        before = {a.id: a.state for a in d.agents.values()}
        effects = d.handle(event)
        log.append((before, effects, {c.id: set(c.rung_out) for c in d.calls.values()},
                    {c.id: c.queue_id for c in d.calls.values()}))
        check_no_agent_has_two_calls(d)
    # close everything: every call must end exactly once
    now += 1000
    for event in [CallerHangsUp(c, now) for c in list(d.calls) + list(d.connected)] + [Tick(now + 10_000)]:
        before = {a.id: a.state for a in d.agents.values()}
        effects = d.handle(event)
        log.append((before, effects, {c.id: set(c.rung_out) for c in d.calls.values()},
                    {c.id: c.queue_id for c in d.calls.values()}))
    return d, log, n_calls


def check_no_agent_has_two_calls(d: Distributor) -> None:
    # the selection indexes agree with the states
    available = {a.id for a in d.agents.values() if a.state == AVAILABLE}
    assert d.index.available == available
    assert {a for idle in d.index.idle.values() for a in idle} == available
    assert {a for buckets in d.index.idle_by_calls.values() for b in buckets.values() for a in b} == available
    holders = Counter(a for c in d.calls.values() for a in c.ringing)
    holders.update(c.answered_by for c in d.connected.values())
    assert all(n == 1 for n in holders.values()), holders
    for agent in d.agents.values():
        if agent.state == RINGING:
            assert holders[agent.id] == 1
        if holders[agent.id]:
            assert agent.state in (RINGING, ON_CALL)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_invariants_hold_over_random_event_sequences(scenario):
    rules, steps = scenario
    d, log, n_calls = run(rules, steps)
    alerts, ends = Counter(), Counter()
    direct_to = {f"c{n}": AGENTS[agent_i] for n, (kind, agent_i, _c, _t) in enumerate(
        s for s in steps if s[0] in (0, 12)) if kind == 12}
    for before, effects, rung_out, queue_of in log:
        state = dict(before)
        for e in effects:
            if isinstance(e, StatusChanged):
                assert state[e.agent_id] == e.old
                state[e.agent_id] = e.new
            elif isinstance(e, Offer):
                # the agent was available just before (it is ringing now, set by the same step)
                assert state[e.agent_id] == RINGING
                if not queue_of[e.call_id]:  # a call for one agent (an IVR's extension) rings that agent only
                    assert e.call_id in direct_to and direct_to[e.call_id] == e.agent_id
                    continue
                # primary groups are exhausted before backups
                tiers = QUEUE_TIERS[queue_of[e.call_id]]
                tier = next(i for i, t in enumerate(tiers) if GROUP_OF[e.agent_id] & t)
                for lower in tiers[:tier]:
                    eligible = [a for a in AGENTS if GROUP_OF[a] & lower and state[a] == AVAILABLE
                                and a not in rung_out.get(e.call_id, set())]
                    assert not eligible, (e, eligible)
            elif isinstance(e, AnswerTimeExceeded):
                alerts[e.call_id] += 1
            elif isinstance(e, Abandoned | Unanswered) or isinstance(e, Overflow) and e.action[0] != "queue":
                ends[e.call_id] += 1
            elif isinstance(e, Connect):
                ends[e.call_id] += 1
        # offers only ever went to agents that were available when the step began or freed during it
        offered = [e.agent_id for e in effects if isinstance(e, Offer)]
        freed = {e.agent_id for e in effects if isinstance(e, StatusChanged) and e.new == AVAILABLE}
        assert all(before[a] == AVAILABLE or a in freed for a in offered)
    assert all(n == 1 for n in alerts.values()), alerts
    assert all(n == 1 for n in ends.values()), ends  # answered, abandoned or overflowed: once
    assert sum(ends.values()) == n_calls
    assert not d.calls and not d.connected


def test_a_wrap_up_cut_short_by_the_registration_expiring_still_reports_the_time_taken():
    d = make(agents={"ag_a": SALES})
    d.handle(CallArrives("c1", "qu_main", now=10, wrap_up_seconds=30))
    d.handle(AgentAnswers("c1", "ag_a", now=12))
    d.handle(CallEnds("c1", now=40))
    effects = d.handle(AgentUnregisters("ag_a", now=45))
    assert WrapUpEnded("ag_a", "c1", 5.0) in effects and d.agents["ag_a"].state == "offline"


def test_a_queue_removed_while_calls_wait_keeps_serving_them():
    d = make(agents={"ag_a": SALES})
    d.handle(AgentSetsStatus("ag_a", "away", now=1))
    d.handle(CallArrives("c1", "qu_main", now=10))
    d.reconfigure({}, {"ag_a": SALES}, now=11)
    assert d.handle(Tick(now=12)) == []
    assert offers(d.handle(AgentSetsStatus("ag_a", "available", now=13))) == [("c1", "ag_a")]
    d.handle(CallerHangsUp("c1", now=14))
    d.reconfigure({}, {"ag_a": SALES}, now=15)
    assert d.queues == {}


def reference_pick(d: Distributor, call, rules) -> tuple[str, set[str]]:
    """What each strategy means, written the slow way: (strategy, the agents it may pick)."""
    for tier in rules.tiers:
        eligible = [a for a in d.agents.values() if a.state == AVAILABLE and a.groups & tier
                    and a.id not in call.rung_out and a.id not in call.ringing]
        if not eligible:
            continue
        if rules.strategy == "ring_all":
            return "all", {a.id for a in eligible}
        if rules.strategy == "longest_idle":
            return "one", {min(eligible, key=lambda a: a.available_seq).id}
        if rules.strategy == "least_calls":
            return "one", {min(eligible, key=lambda a: (a.calls_taken, a.available_seq)).id}
        offers = d.index.offers_by_queue.get(rules.id, {})
        least = min(offers.get(a.id, 0) for a in eligible)
        return "one", {a.id for a in eligible if offers.get(a.id, 0) == least}
    return "one", set()


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_every_pick_is_what_its_strategy_means(scenario):
    rules, steps = scenario

    def checking(d):
        original = Distributor.pick

        def pick(call, queue_rules):
            chosen = original(d, call, queue_rules)
            kind, allowed = reference_pick(d, call, queue_rules)
            ids = {a.id for a in chosen}
            if kind == "all" or not allowed:
                assert ids == allowed, (queue_rules.strategy, ids, allowed)
            else:
                assert len(ids) == 1 and ids <= allowed, (queue_rules.strategy, ids, allowed)
            return chosen
        d.pick = pick
        return d

    run(rules, steps, prepare=checking)


def test_a_configuration_change_keeps_the_longest_idle_order():
    d = make(agents={"ag_a": SALES, "ag_b": SALES})  # ag_a became available first
    d.reconfigure(d.queues, {"ag_a": SALES | BACKUP, "ag_b": SALES}, now=5)  # ag_a re-indexed
    assert offers(d.handle(CallArrives("c1", "qu_main", now=10))) == [("c1", "ag_a")]


# -- a call for one agent (an IVR's extension) ------------------------------------------------------

def test_a_call_for_one_agent_rings_that_agent_only_and_wraps_up_like_a_queue_call():
    d = make()
    effects = d.handle(CallArrives("c1", "", now=10, wrap_up_seconds=15, agent_id="ag_b"))
    assert offers(effects) == [("c1", "ag_b")] and d.agents["ag_a"].state == AVAILABLE
    assert Connect("c1", "ag_b") in d.handle(AgentAnswers("c1", "ag_b", now=12))
    d.handle(CallEnds("c1", now=30))
    assert d.agents["ag_b"].state == WRAP_UP


@pytest.mark.parametrize("before, event, why", [
    (lambda d: d.handle(AgentSetsStatus("ag_b", "away", now=1)), None, "not_available"),
    (lambda d: d.handle(AgentBusyElsewhere("ag_b", now=1)), None, "not_available"),
    (lambda d: None, AgentDeclines("c1", "ag_b", now=11), "declined"),
    (lambda d: None, Tick(now=31), "ring_timeout"),
    (lambda d: None, AgentUnregisters("ag_b", now=11), "agent_left"),
])
def test_a_call_for_one_agent_who_cannot_take_it_is_unanswered_and_leaves_the_distributor(before, event, why):
    d = make()
    before(d)
    effects = d.handle(CallArrives("c1", "", now=10, agent_id="ag_b"))
    if event is not None:
        assert offers(effects) == [("c1", "ag_b")]
        effects = d.handle(event)
    assert Unanswered("c1", "ag_b", why) in effects
    assert "c1" not in d.calls and not offers(effects)
    assert d.agents["ag_a"].state == AVAILABLE  # nobody else was rung
