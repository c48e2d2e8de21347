"""Digest failures per source address: refused for a while after too many, forgiven on success."""

from tongdai.sip.auth import Throttle


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_an_address_is_refused_after_the_limit_of_failures_within_the_window_and_then_let_back():
    clock = Clock()
    t = Throttle(limit=3, window_s=60, block_s=30, clock=clock)
    for _ in range(2):
        t.failure("10.0.0.9")
    assert not t.blocked("10.0.0.9")
    t.failure("10.0.0.9")
    assert t.blocked("10.0.0.9") and not t.blocked("10.0.0.8")
    clock.now = 29.9
    assert t.blocked("10.0.0.9")
    clock.now = 30.0
    assert not t.blocked("10.0.0.9")


def test_failures_older_than_the_window_do_not_count():
    clock = Clock()
    t = Throttle(limit=3, window_s=60, block_s=30, clock=clock)
    t.failure("a")
    t.failure("a")
    clock.now = 61
    t.failure("a")
    assert not t.blocked("a")


def test_a_success_forgives_earlier_failures():
    t = Throttle(limit=2, window_s=60, block_s=30, clock=Clock())
    t.failure("a")
    t.success("a")
    t.failure("a")
    assert not t.blocked("a")
