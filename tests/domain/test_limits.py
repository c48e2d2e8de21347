"""Caps on outbound calls: concurrent calls and calls per minute, per agent, tenant and trunk."""

from tongdai.domain.limits import CALL_RATE_EXCEEDED, TOO_MANY_CALLS, CallLimits, Caps

KEYS = (("agent", "ag_an"), ("tenant", "te_shop"), ("trunk", "tr_1"))
OTHER_AGENT = (("agent", "ag_binh"), ("tenant", "te_shop"), ("trunk", "tr_1"))


def test_an_agent_over_its_concurrent_cap_is_refused_until_a_call_ends():
    limits = CallLimits(Caps(concurrent={"agent": 2, "tenant": 3}))
    assert limits.admit(KEYS, 0) is None and limits.admit(KEYS, 1) is None
    assert limits.admit(KEYS, 2)[0] == TOO_MANY_CALLS
    assert limits.admit(OTHER_AGENT, 3) is None  # the tenant's third
    assert limits.admit(OTHER_AGENT, 4) == (TOO_MANY_CALLS, "the tenant already has 3 calls up")
    limits.ended(KEYS)
    assert limits.admit(KEYS, 5) is None


def test_calls_per_minute_are_counted_over_a_sliding_minute():
    limits = CallLimits(Caps(per_minute={"trunk": 3}))
    for t in (0, 10, 20):
        assert limits.admit(KEYS, t) is None
        limits.ended(KEYS)
    assert limits.admit(OTHER_AGENT, 59)[0] == CALL_RATE_EXCEEDED  # the same trunk
    assert limits.admit(OTHER_AGENT, 60.5) is None  # the first call left the window


def test_a_refused_call_counts_nowhere_and_zero_means_no_cap():
    limits = CallLimits(Caps(concurrent={"agent": 0, "tenant": 1}))
    assert limits.admit(KEYS, 0) is None
    assert limits.admit(OTHER_AGENT, 0) is not None
    assert limits.active == {("agent", "ag_an"): 1, ("tenant", "te_shop"): 1, ("trunk", "tr_1"): 1}
